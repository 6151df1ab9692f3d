"""Village scope of writes: what a submission may change (DESIGN.md §2.6).

A sender changes only her own villages: a scope is a frozenset of area ids, or None for every
village (town-level staff, the system, a rebuild). A submission whose village answer, or one of
whose entity blocks (a create in another village, an update of an entity that is in another
village, a move into or out of one), lies outside its sender's scope is stored all the same:
it is marked `hasIssues` with an `outside_villages` issue, filed under the village it waits
for, and changes nothing until someone who sees that village approves it; the approval merges
it with the sender's and the approver's villages together (app.register.step.merge_approved).
"""
from sqlalchemy import exists, select, update

from app.audit.record import record
from app.projects.models import Area
from app.validation.issues import MESSAGES, issue

ISSUE = "outside_villages"


def outside(scope, area_id):
    """Whether a change in `area_id` (None: no village) is beyond `scope`."""
    return scope is not None and area_id not in scope


def union(*scopes):
    """The villages any of the scopes may change (None when one of them is every village)."""
    if any(s is None for s in scopes):
        return None
    return frozenset().union(*scopes)


def outside_issue(session, path, area_id, value=None):
    """The issue dict (as validation keeps them) saying that `path` reaches village `area_id`."""
    area = session.get(Area, area_id) if area_id is not None else None
    code = area.code if area is not None else (value or "")
    names = (area.name_zh or code, area.name_en or code) if area is not None else ("无村", "no village")
    zh, en = MESSAGES[ISSUE]
    return issue(path, ISSUE, code, zh=zh.format(village=names[0]),
                 en=en.format(village=names[1])).as_dict()


def hold(session, submission_id, places):
    """Hold a stored submission whose entity blocks reach outside its sender's villages.
    `places`: [(block path, area id)]. It is marked `hasIssues` with one issue per place, and
    filed under the first place's village so that village's supervisor can approve it, unless
    it is an edit or already changed the register (a block that waited for a list's
    approval): a rebuild replays earlier merges with the submission's village, which must
    therefore not change."""
    from app.register.models import RegisterEvent          # noqa: PLC0415
    from app.submissions.models import Submission, SubmissionDef   # noqa: PLC0415
    current = session.execute(select(SubmissionDef.id, SubmissionDef.issues,
                                     SubmissionDef.deprecated_id).where(
        SubmissionDef.submission_id == submission_id, SubmissionDef.current.is_(True))).one()
    found = [outside_issue(session, path, area_id) for path, area_id in places]
    kept = [i for i in (current.issues or []) if i not in found]
    session.execute(update(SubmissionDef.__table__).where(SubmissionDef.id == current.id)
                    .values(issues=kept + found))
    values = {"review_state": "hasIssues"}
    if current.deprecated_id is None and not session.scalar(select(exists().where(
            RegisterEvent.submission_def_id == current.id))):
        values["area_id"] = places[0][1]
    session.execute(update(Submission.__table__).where(Submission.id == submission_id)
                    .values(**values))
    record(session, None, "submission.hold.outside", f"submission:{submission_id}",
           places=[{"path": path, "area": i["value"]} for (path, _a), i in zip(places, found)])
