"""Post-storage processing of a submission: the register merge (app.register.step), then its
life events (app.events.record).
(Validation runs before the write instead: app.validation.step.)

Processors run inside intake's write transaction, after the submission's rows. If one raises,
it raises StepFailed: intake rolls the whole transaction back and writes the submission again,
this time recording that processor's failure instead of running it. The submission stays
stored, is marked `hasIssues` for a supervisor, and the error is kept in the audit log; the
phone still hears 201 (DESIGN.md §5). Failures are rare, so this costs less than a SAVEPOINT
and its RELEASE on every submission (two statements inside SQLite's write lock; two round trips
on PostgreSQL). A processor must therefore keep its effects in the transaction: it may run
twice. Encrypted submissions are never processed: the server cannot read them.
"""
import logging

from app.audit.record import record
from app.events.record import record_received
from app.register.step import merge_received
from app.submissions import rows

log = logging.getLogger(__name__)

#: callables (session, received: intake.Received) -> None, in order
PROCESSORS = [merge_received, record_received]


class StepFailed(Exception):
    """A processor raised; intake stores the submission again without it."""

    def __init__(self, name, error):
        super().__init__(f"{name}: {error}")
        self.name, self.error = name, error


def _name_of(processor):
    return getattr(processor, "__name__", repr(processor))


def run(session, received, failed=None):
    """Run each processor, or, for those named in `failed` (name -> exception, from an earlier
    attempt of this same write), record why it failed."""
    if received.instance.encrypted:
        return
    received.failures = frozenset(failed or ())
    for processor in list(PROCESSORS):
        name = _name_of(processor)
        if failed and name in failed:
            _record_failure(session, received, name, failed[name])
            continue
        try:
            processor(session, received)
        except Exception as e:  # noqa: BLE001 - any failure must not cost the submission
            raise StepFailed(name, e) from e


def _record_failure(session, received, name, error):
    if hasattr(error, "record_failure"):        # an expected failure that explains itself
        error.record_failure(session, received.submission_id)
        return
    log.error("processing failed for submission %s", received.submission_id,
              exc_info=(type(error), error, error.__traceback__))
    rows.update_submission(session, received.submission_id, review_state="hasIssues")
    record(session, None, "submission.process.error", f"submission:{received.submission_id}",
           processor=name, error=f"{type(error).__name__}: {error}")
