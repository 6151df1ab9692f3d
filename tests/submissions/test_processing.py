"""A failure after storage (validation, merge) never costs the submission (DESIGN.md §5)."""
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.submissions import processing
from app.submissions.models import Submission
from tests.factories import make_instance


def test_processor_failure_keeps_submission_and_marks_it(collect, simple_form, db, monkeypatch):
    touched = []

    def writes_then_fails(session, received):
        from app.audit.record import record
        record(session, None, "half.done", "x")        # must be rolled back with the savepoint
        raise RuntimeError("merge exploded")

    def later(session, received):
        touched.append(received.instance_id)

    monkeypatch.setattr(processing, "PROCESSORS", [writes_then_fails, later])
    response = collect.submit(make_instance(instance_id="uuid:kept"))
    assert response.status_code == 201
    submission = db.session.scalar(select(Submission))
    assert submission.instance_id == "uuid:kept" and submission.review_state == "hasIssues"
    actions = [e.action for e in db.session.scalars(select(AuditEvent))]
    assert "submission.process.error" in actions and "half.done" not in actions
    assert touched == ["uuid:kept"]
    error = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "submission.process.error"))
    assert "merge exploded" in error.details["error"]
