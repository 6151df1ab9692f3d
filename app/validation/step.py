"""Validation as a step of intake's processing (app.submissions.processing): check the
submission just stored against its form version and keep the issues on `received.issues`
for the steps after it (the register merge reads them and the form's issues setting)."""
from app.models_base import utcnow
from app.validation.service import check_submission


def validate_received(session, received):
    edited = received.outcome == "edited"
    received.issues = check_submission(
        session, received.store, version_id=received.version_id, def_id=received.def_id,
        submission_id=received.submission_id, root=received.instance.root,
        received_at=utcnow(), review_state="edited" if edited else None, edit=edited)
