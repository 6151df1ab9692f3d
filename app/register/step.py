"""The register merge as a step of intake's processing (app.submissions.processing), and on
approval: a submission's entity blocks are merged as it is stored, unless validation found
issues and its form says such submissions wait for a supervisor (the default); approving one
(or one whose list requires approval to create) merges it then. A submission let in, at
intake or on approval, is marked `in_register`; its life events follow that (app.events.record).

Failures never change what the phone heard: the entity changes roll back, the submission is
marked `hasIssues`, and every block's error is kept in the audit log (`entity.error`).

Each merge may change only its sender's villages (app.register.scope): a submission that
reaches further is held, and an approval merges it with the approver's villages added; an
approver who does not see every village it changes is refused (403.51).
"""
from sqlalchemy import select

from app.audit.record import record
from app.events import record as events
from app.auth.actors import area_scope
from app.forms.models import Form
from app.problems import Problem
from app.register import datasets, scope
from app.register.merge import MergeFailed, SubmissionRef, merge_submission, ref_for_def
from app.submissions import rows


def held_for_review(session, received):
    """Whether a submission about to be stored waits for a supervisor rather than changing the
    register: its village answer is outside the sender's villages, or validation found issues
    and its form says such submissions wait (the default). Intake asks once and keeps the
    answer as `received.held`."""
    return bool(received.outside) or bool(received.issues) and not session.scalar(
        select(Form.issues_update_register).where(Form.id == received.form_id))


def merge_received(session, received):
    """Intake's processing step: merge the entity blocks of the version just stored."""
    if received.outcome not in ("created", "edited") or received.held:
        return                                   # waits for a supervisor's approval
    if received.outcome == "edited" or received.project_id is None:
        ref = ref_for_def(session, received.def_id)
        ref.root = received.instance.root
    else:
        ref = SubmissionRef(project_id=received.project_id, submission_id=received.submission_id,
                            def_id=received.def_id, version_id=received.version_id,
                            root=received.instance.root, area_id=received.area_id,
                            version_md5=received.version_md5)
    ref.actor = received.actor
    ref.scope = received.actor.area_ids
    # on failure intake rolls the transaction back and writes the submission again, with
    # the failure recorded (EntityErrors.record_failure) instead of this step
    try:
        # the list and village revisions move last, just before intake commits: on
        # PostgreSQL those rows stay locked until then, and every writer of the list waits
        with datasets.bumps_once(session) as pending:
            if merge_submission(session, ref, fresh=received.outcome == "created",
                                own_savepoint=False) == "held" and pending is not None:
                pending.clear()           # nothing changed: no phone's list hash moves
    except MergeFailed as e:
        raise EntityErrors(e) from None


class EntityErrors(Exception):
    """Raised out of the processing step so its changes are rolled back; when intake writes
    the submission again, processing.run calls record_failure() instead of the step."""

    def __init__(self, failed):
        super().__init__(str(failed))
        self.failed = failed

    def record_failure(self, session, submission_id):
        """In the transaction that stores the submission again (under a new id on PostgreSQL,
        whose sequences do not roll back)."""
        _record(session, submission_id, self.failed)


def merge_approved(session, submission, actor=None, strict=False):
    """A supervisor approved the submission: merge what it has not merged yet, within the
    sender's villages and the approver's. `strict`: refuse (Problem 403.51, nothing changed)
    when it reaches beyond both, rather than hold it again."""
    from app.submissions.models import SubmissionDef   # noqa: PLC0415
    def_id = session.scalar(select(SubmissionDef.id).where(
        SubmissionDef.submission_id == submission.id, SubmissionDef.current.is_(True)))
    ref = ref_for_def(session, def_id)
    ref.approved, ref.actor = True, actor
    approver = getattr(actor, "area_ids", None)
    ref.scope = None if approver is None else scope.union(area_scope(session, *ref.submitter),
                                                          approver)
    try:
        result = merge_submission(session, ref)
    except MergeFailed as e:
        if strict and e.outside():
            raise Problem("403.51", {"villages": ", ".join(sorted(
                {scope.outside_issue(session, "", a)["value"] or "-" for _p, a in e.outside()}))}
                ) from None
        _record(session, ref.submission_id, e)
        return "failed"
    # let in: its life events count from now on (app.events.record)
    rows.update_submission(session, ref.submission_id, in_register=True)
    events.resync(session, ref.submission_id)
    return result


def _record(session, submission_id, failed):
    if failed.outside():
        scope.hold(session, submission_id, failed.outside())
    rows.update_submission(session, submission_id, review_state="hasIssues")
    record(session, None, "entity.error", f"submission:{submission_id}",
           errors=[{"path": path, "code": err.code, "message": err.message}
                   for path, err in failed.errors])
