"""What intake runs around storing a submission, as hooks the app fills in when it is created
(app/pipeline.py): validation before the write, processing steps after it (the register merge,
then the life events), and what a review decision or a deletion sets off. Intake knows the
packages built on submissions (validation, register, events) only through these hooks, so they
can use app.submissions' rows without an import cycle. Each hook takes plain data: intake's
`Received`, its form row, the parsed instance.

Steps run inside intake's write transaction, after the submission's rows. If one raises, it
raises StepFailed: intake rolls the whole transaction back and writes the submission again,
this time recording that step's failure instead of running it. The submission stays stored,
is marked `hasIssues` for a supervisor, and the error is kept in the audit log; the phone still
hears 201 (DESIGN.md §5). Failures are rare, so a rollback and a second write costs less than a
SAVEPOINT on every submission. A step must therefore keep its effects in the transaction: it
may run twice. Encrypted submissions are never processed: the server cannot read them.
"""
import logging

from app.audit.record import record
from app.submissions import rows

log = logging.getLogger(__name__)


def _not_installed(*args, **kwargs):
    # a submission stored without validation or merge would be wrong silently: fail loudly
    raise RuntimeError("intake's processing hooks are not installed: create the app first "
                       "(app.create_app calls app.pipeline.install())")


#: (session, store, form row, instance) -> (issue dicts or None, error text or None); never
#: raises (app.validation.step.check)
check = _not_installed
#: (session, version id): in the write phase, keep what `check` had to build
after_check = _not_installed
#: (session, received) -> whether the submission waits for a supervisor instead of changing
#: the register (app.register.step.held_for_review)
holds = _not_installed
#: callables (session, received) run after the write, in order
PROCESSORS = []
#: (session, submission, actor, strict) -> merge an approved submission into the register
approve = _not_installed
#: (session, submission id): a review decision or a deletion changed whether it counts
recount = _not_installed


def install(*, check, after_check, holds, steps, approve, recount):
    """Fill the hooks (app/pipeline.py, when the app is created)."""
    globals().update(check=check, after_check=after_check, holds=holds, approve=approve,
                     recount=recount)
    PROCESSORS[:] = steps


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
