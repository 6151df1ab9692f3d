"""Village scope of writes: what a submission may change (DESIGN.md §2.6). The rules and the
issue come from app.submissions.scope, which intake uses too; holding a stored submission
whose merge reaches too far is the register's.

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
from app.submissions import rows
# the rules themselves are intake's too; the register's modules use them as scope.*
from app.submissions.scope import ISSUE, outside, outside_issue, union  # noqa: F401


def hold(session, submission_id, places):
    """Hold a stored submission whose entity blocks reach outside its sender's villages.
    `places`: [(block path, area id)]. It is marked `hasIssues` with one issue per place, and
    filed under the first place's village so that village's supervisor can approve it, unless
    it is an edit or already changed the register (a block that waited for a list's
    approval): a rebuild replays earlier merges with the submission's village, which must
    therefore not change."""
    from app.register.models import RegisterEvent          # noqa: PLC0415
    from app.submissions.models import SubmissionDef   # noqa: PLC0415
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
    rows.update_submission(session, submission_id, **values)
    record(session, None, "submission.hold.outside", f"submission:{submission_id}",
           places=[{"path": path, "area": i["value"]} for (path, _a), i in zip(places, found)])
