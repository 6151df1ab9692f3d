"""Post-storage processing of a submission (validation and register merge plug in here).

Each processor runs in a SAVEPOINT inside intake's transaction. If one raises, only its
savepoint is rolled back; the submission stays stored, is marked `hasIssues` for a supervisor,
and the error is kept in the audit log. The phone still hears 201 (DESIGN.md §5).
Encrypted submissions are never processed: the server cannot read them.
"""
import logging

from app.audit.record import record

log = logging.getLogger(__name__)

#: callables (session, submission, definition) -> None, in order
PROCESSORS = []


def run(session, submission, definition):
    if definition.encrypted:
        return
    for processor in list(PROCESSORS):
        try:
            with session.begin_nested():
                processor(session, submission, definition)
        except Exception as e:  # noqa: BLE001 - any failure must not cost the submission
            log.exception("processing %s failed for submission %s", processor, submission.id)
            submission.review_state = "hasIssues"
            record(session, None, "submission.process.error", f"submission:{submission.id}",
                   processor=getattr(processor, "__name__", repr(processor)),
                   error=f"{type(e).__name__}: {e}")
