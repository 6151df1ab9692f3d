"""Reading and reviewing submissions, scoped to what the actor may see. No Flask.

Village scoping: staff limited to some villages see only submissions of those villages; a
submission with no village is visible only to town-level staff (area_ids None).
"""
from sqlalchemy import func, select

from app.audit.record import record
from app.db.columns import utcnow
from app.problems import Problem
from app.submissions import processing
from app.submissions.models import REVIEW_STATES, Submission, SubmissionDef
from app.webhooks import outbox


def _scoped(query, actor, form):
    query = query.where(Submission.form_id == form.id, Submission.deleted_at.is_(None))
    if actor.area_ids is not None:
        query = query.where(Submission.area_id.in_(actor.area_ids))
    return query


def list_submissions(session, actor, form, top=None, skip=0, review_state=None):
    """(rows, total). All of them when top is None, as Central does without paging."""
    query = _scoped(select(Submission), actor, form)
    if review_state is not None:
        query = query.where(Submission.review_state.is_(None) if review_state == "null"
                            else Submission.review_state == review_state)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    query = query.order_by(Submission.created_at.desc(), Submission.id.desc()).offset(skip)
    if top is not None:
        query = query.limit(top)
    return list(session.scalars(query)), total


def get_submission(session, actor, form, instance_id):
    submission = session.scalar(_scoped(select(Submission), actor, form)
                                .where(Submission.instance_id == instance_id))
    if submission is None:
        raise Problem("404.1")
    return submission


def current_def(session, submission):
    return current_defs(session, [submission])[submission.id]


def current_defs(session, submissions):
    """{submission id: its current SubmissionDef}, in one query however many there are."""
    ids = [s.id for s in submissions]
    if not ids:
        return {}
    return {d.submission_id: d for d in session.scalars(select(SubmissionDef).where(
        SubmissionDef.submission_id.in_(ids), SubmissionDef.current.is_(True)))}


def set_review_state(session, actor, submission, state):
    if state not in REVIEW_STATES and state is not None:
        raise Problem("400.75", {"value": state, "allowed": ", ".join(REVIEW_STATES)})
    before = submission.review_state
    if state != "approved" or before == "approved":
        _set_state(session, actor, submission, state)
        if "rejected" in (before, state) and before != state:
            # a rejected submission's events do not count; un-rejected, they count again
            # if it had been let into the register
            processing.recount(session, submission.id)
        return
    # an approval the approver's villages do not cover (403.51) leaves everything as it was,
    # whoever ends the transaction
    with session.begin_nested():
        _set_state(session, actor, submission, state)
        session.flush()
        processing.approve(session, submission, actor, strict=True)


def _set_state(session, actor, submission, state):
    submission.review_state = state
    submission.updated_at = utcnow()
    record(session, actor, "submission.update", f"submission:{submission.id}", reviewState=state)
    outbox.submission_reviewed(session, submission)


def delete_submission(session, actor, submission):
    submission.deleted_at = utcnow()
    record(session, actor, "submission.delete", f"submission:{submission.id}")
    processing.recount(session, submission.id)
