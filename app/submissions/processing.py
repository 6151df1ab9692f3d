"""Post-storage processing of a submission: the register merge (app.register.step).
(Validation runs before the write instead: app.validation.step.)

Each processor runs in a SAVEPOINT inside intake's transaction. If one raises, only its
savepoint is rolled back; the submission stays stored, is marked `hasIssues` for a supervisor,
and the error is kept in the audit log. The phone still hears 201 (DESIGN.md §5).
Encrypted submissions are never processed: the server cannot read them.
"""
import logging

from app.audit.record import record
from app.register.step import merge_received
from app.submissions import rows

log = logging.getLogger(__name__)

#: callables (session, received: intake.Received) -> None, in order
PROCESSORS = [merge_received]


def run(session, received):
    if received.instance.encrypted:
        return
    for processor in list(PROCESSORS):
        try:
            with session.begin_nested():
                processor(session, received)
        except Exception as e:  # noqa: BLE001 - any failure must not cost the submission
            if hasattr(e, "record_failure"):     # an expected failure that explains itself
                e.record_failure(session)
                continue
            log.exception("processing failed for submission %s", received.submission_id)
            rows.update_submission(session, received.submission_id, review_state="hasIssues")
            record(session, None, "submission.process.error",
                   f"submission:{received.submission_id}",
                   processor=getattr(processor, "__name__", repr(processor)),
                   error=f"{type(e).__name__}: {e}")
