"""Submission intake: store each submission exactly once, durably, before the phone hears 201.

receive() is the one entry point. Order of work (DESIGN.md §5): parse the XML safely; look up
form, version and any submission already stored under the instanceID, and validate it against
its form version (the read phase: validation never raises, and holds no lock); write
attachment blobs (fsynced); then in ONE transaction insert the submission with its issues and
review state, run post-processing, and commit. A failure in post-processing never costs the
submission: the transaction is written again with that failure recorded instead
(app/submissions/processing.py).

Village scope (DESIGN.md §2.6, app.submissions.scope): an edit of a submission the sender could
not see (another village's) is refused with 403.53; a submission whose village answer is
outside the sender's villages is stored, marked `hasIssues` with an `outside_villages` issue,
and not merged; the merge holds one whose entity blocks reach another village the same way.

Idempotency (openrosa-entities.md §1.8): the same instanceID with byte-identical XML is a retry
or a split upload → 201 and any new attachments are stored; different XML → 409. Races between
workers are settled by the database, not by what the read phase saw: the unique (form,
instanceID) constraint refuses a second insert and a guarded UPDATE refuses a second edit of
the same version; the loser rolls back and runs again, answering exactly as a later retry would.

This is the hottest path of the server: it speaks SQLAlchemy Core (rows.py), and on SQLite its
reads take no lock, so the database-wide write lock covers only the inserts and the commit.
"""
import hashlib
import uuid
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError

from app import safexml
from app.audit.record import append, event_row, record
from app.db import transactions
from app.db.columns import utcnow
from app.problems import Problem
from app.storage.service import discard_unreferenced, insert_blob_rows
from app.submissions import areas, processing, rows, scope
from app.submissions.parse import expected_attachments, read_instance
from app.webhooks import outbox


class _LostRace(Exception):
    """Another request changed what the read phase saw; run again."""


@dataclass
class Upload:
    """What arrived over HTTP, stripped of HTTP: the XML bytes and the other file parts."""
    xml: bytes
    files: dict = field(default_factory=dict)      # part name -> readable binary stream
    device_id: str | None = None
    user_agent: str | None = None
    header_instance_id: str | None = None          # X-OpenRosa-Instance-Id (Enketo)
    parts: list = field(default_factory=list)      # the parser's parts, to close afterwards

    def close(self):
        for part in self.parts:
            part.close()


@dataclass
class Received:
    """What was stored; also what post-processors (validation, register merge) are given."""
    submission_id: int
    def_id: int
    instance_id: str
    outcome: str        # "created", "edited", "duplicate", "attachments added"
    form_id: int = None
    version_id: int = None
    instance: object = None     # the parsed submissions.parse.Instance
    store: object = None        # the blob store (for processing steps that read files)
    issues: list = None         # validation's findings, as dicts (None: not checked)
    project_id: int = None
    area_id: int = None
    actor: object = None
    version_md5: str = None
    outside: bool = False       # held: its village answer is outside the sender's villages
    held: bool = False          # waits for a supervisor (processing.holds)
    failures: frozenset = frozenset()   # processors whose failure this write records


@dataclass
class _Plan:
    """What the read phase found, and what the write phase will need."""
    form: object                # rows.form_with_version row
    instance_id: str
    xml_sha: str
    old: object = None          # the def being edited
    attachments: dict = None    # name -> blob of the def resent or edited
    expected: list = None       # attachment names the XML refers to (document order)
    area_id: int = None
    issues: list = None         # validation's findings (processing.check), None: unchecked
    validation_error: str = None
    outside: dict = None        # the issue when its village answer is outside the sender's


def receive(session, store, actor, project_id, upload):
    """Store one submission POST. Returns Received; raises Problem for a refusal.

    Commits on success; on a refusal nothing is written (a blob written before the refusal
    is removed again unless a row points at it).
    """
    blobs = {}          # attachments already stored: a part's stream can be read only once
    try:
        return _receive(session, store, actor, project_id, upload, blobs)
    except BaseException:
        discard_unreferenced(session, store, blobs.values())
        raise
    finally:
        for blob in blobs.values():
            blob.release()


def _receive(session, store, actor, project_id, upload, blobs):
    instance = read_instance(upload.xml)
    failed = {}         # processor name -> its exception, from an earlier attempt
    races = 0
    while True:
        try:
            transactions.begin_reads(session)
            plan = _look_up(session, actor, project_id, instance, upload)
            if plan.form.existing_id is None:
                plan = _validated(session, store, actor, project_id, instance, upload, plan)
            transactions.end_reads(session)
            result = _write(session, store, actor, plan, instance, upload, blobs, failed)
            session.commit()
            return result
        except processing.StepFailed as e:
            # store it again without that step: each step fails at most once
            session.rollback()
            failed[e.name] = e.error
        except (IntegrityError, _LostRace):
            session.rollback()
            races += 1
            if races == 3:
                raise
        except BaseException:
            session.rollback()
            raise


def _validated(session, store, actor, project_id, instance, upload, plan):
    """The plan with validation's findings. If checking failed, the read phase is done again
    (on PostgreSQL a failed statement spoils the transaction) and the error kept for the audit
    log: the submission is stored all the same."""
    plan.issues, plan.validation_error = processing.check(session, store, plan.form, instance)
    if plan.validation_error is None:
        return plan
    session.rollback()
    transactions.begin_reads(session)
    again = _look_up(session, actor, project_id, instance, upload)
    again.validation_error = plan.validation_error
    return again


def _look_up(session, actor, project_id, instance, upload):
    instance_id = _instance_id(instance, upload)
    form = rows.form_with_version(session, project_id, instance.xml_form_id, instance.version,
                                  instance_id)
    _check_form(form, actor, instance)
    plan = _Plan(form, instance_id, hashlib.sha256(upload.xml).hexdigest())
    if form.existing_id is not None:
        _check_resend(form, instance_id, plan.xml_sha)
        plan.attachments = rows.attachments(session, form.existing_id)
        plan.expected = list(plan.attachments)
        return plan
    plan.expected = expected_attachments(instance, form.binary_paths or [])
    if instance.deprecated_id:
        plan.old = _check_edit(session, form, instance.deprecated_id, actor)
        plan.attachments = {n: b for n, b in rows.attachments(session, plan.old.id).items() if b}
        village = areas.area_for(session, form.project_id, instance, actor)
    else:
        village = plan.area_id = areas.area_for(session, form.project_id, instance, actor)
    if village is not None and scope.outside(actor.area_ids, village):
        plan.outside = scope.outside_issue(
            session, safexml.element_path(areas.village_answer(instance)), village)
    return plan


def _check_form(form, actor, instance):
    if form is None:
        raise Problem("404.2", {"form": instance.xml_form_id})
    if not actor.can("submission.create"):
        raise Problem("403.2")
    if not actor.sees_form(form.id):
        raise Problem("403.3", {"form": form.xml_form_id})
    if form.state == "closed":
        raise Problem("409.2", {"form": form.xml_form_id})
    if form.version_id is None:
        raise Problem("404.6", {"form": form.xml_form_id, "version": instance.version or '""'})


def _instance_id(instance, upload):
    if instance.instance_id:
        return instance.instance_id
    if upload.header_instance_id:
        return upload.header_instance_id
    if instance.encrypted:
        raise Problem("400.9")
    return f"uuid:{uuid.uuid4()}"


def _check_resend(form, instance_id, xml_sha):
    if form.existing_deleted_at is not None:
        raise Problem("409.18", {"instance": instance_id})
    if form.existing_sha != xml_sha:
        raise Problem("409.1", {"instance": instance_id})
    if not form.existing_current:
        raise Problem("409.9", {"instance": instance_id})


def _check_edit(session, form, deprecated_id, actor):
    old = rows.def_by_instance_id(session, form.id, deprecated_id)
    if old is None:
        raise Problem("404.5", {"deprecated": deprecated_id})
    if scope.outside(actor.area_ids, old.area_id):
        # one the sender could not see (JSON API's scoping): another village's record
        raise Problem("403.53", {"deprecated": deprecated_id})
    if old.deleted_at is not None:
        raise Problem("409.18", {"instance": old.instance_id})
    if not old.current:
        raise Problem("409.9", {"instance": old.instance_id})
    return old


def _write(session, store, actor, plan, instance, upload, stored, failed):
    # Blobs first: written and fsynced before the transaction that points at them (once, even
    # when the transaction runs again). Their rows are inserted with the rest below.
    for name, stream in upload.files.items():
        if name in plan.expected and name not in stored:
            stored[name] = store.put_stream(stream, hold=True)
    blobs = {name: blob for name, blob in stored.items() if name in plan.expected}
    if plan.form.existing_id is not None:
        return _top_up(session, actor, plan, blobs)
    new = Received(None, None, plan.instance_id, "created", plan.form.id, plan.form.version_id,
                   instance, store, plan.issues, plan.form.project_id, plan.area_id, actor,
                   plan.form.version_md5, outside=plan.outside is not None)
    flagged = bool(plan.issues) or plan.validation_error is not None or new.outside
    # let into the register unless it waits for a supervisor or a processing step failed
    new.held = not instance.encrypted and processing.holds(session, new)
    in_register = not (instance.encrypted or failed or new.held)
    definition = _def_values(actor, plan, instance, upload)
    if plan.old is not None:
        if not rows.supersede(session, plan.old.id):
            raise _LostRace()
        new.submission_id, new.outcome = plan.old.submission_id, "edited"
        rows.update_submission(session, new.submission_id,
                               review_state="hasIssues" if flagged else "edited",
                               in_register=in_register, updated_at=utcnow())
        # the unique (form, instanceID) constraint speaks here (and in create_submission)
        new.def_id = rows.insert_def(session, submission_id=new.submission_id, **definition)
        event = event_row(actor, "submission.update.version", f"submission:{new.submission_id}",
                          {"instanceId": plan.instance_id,
                           "deprecatedId": plan.old.instance_id},
                          project=plan.form.project_id)
    else:
        new.submission_id, new.def_id = rows.create_submission(
            session, definition=definition,
            submission={"form_id": plan.form.id, "instance_id": plan.instance_id,
                        "submitter_kind": actor.kind, "submitter_id": actor.id,
                        "device_id": upload.device_id, "area_id": plan.area_id,
                        "review_state": "hasIssues" if flagged else None,
                        "in_register": in_register})
        event = event_row(actor, "submission.create", f"submission:{new.submission_id}",
                          {"instanceId": plan.instance_id, "xmlFormId": plan.form.xml_form_id},
                          project=plan.form.project_id)
    _insert_attachments(session, plan, new, blobs)
    if new.outside:
        place = {"path": plan.outside["path"], "area": plan.outside["value"]}
        record(session, actor, "submission.hold.outside", f"submission:{new.submission_id}",
               project=plan.form.project_id, places=[place])
    if plan.validation_error is not None:
        record(session, None, "submission.validate.error", f"submission:{new.submission_id}",
               project=plan.form.project_id, error=plan.validation_error)
    processing.after_check(session, plan.form.version_id)
    processing.run(session, new, failed)
    outbox.submission_accepted(session, new)
    # last: on PostgreSQL the append locks the project's audit chain head until the commit,
    # and every other submission to the project waits for it (docs/audit.md, "Figures")
    append(session, event)
    return new


def _def_values(actor, plan, instance, upload):
    return {"form_id": plan.form.id, "form_version_id": plan.form.version_id,
            "instance_id": plan.instance_id, "deprecated_id": instance.deprecated_id,
            "xml": instance.text, "xml_sha256": plan.xml_sha, "current": True,
            "encrypted": instance.encrypted, "instance_name": instance.instance_name,
            "submitter_kind": actor.kind, "submitter_id": actor.id,
            "device_id": upload.device_id,
            "user_agent": (upload.user_agent or "")[:500] or None,
            "issues": plan.issues if plan.outside is None else [*(plan.issues or []), plan.outside]}


def _insert_attachments(session, plan, new, blobs):
    carried = plan.attachments or {}
    insert_blob_rows(session, blobs.values())
    rows.insert_attachments(session, new.def_id, {
        name: blobs[name].sha256 if name in blobs else carried.get(name)
        for name in plan.expected})


def _top_up(session, actor, plan, blobs):
    """A resend of a stored submission: store the parts it still lacked or that changed."""
    def_id, submission_id = plan.form.existing_id, plan.form.existing_submission_id
    added = [name for name, blob in blobs.items() if blob.sha256 != plan.attachments[name]]
    insert_blob_rows(session, [blobs[name] for name in added])
    for name in added:
        rows.set_attachment_blob(session, def_id, name, blobs[name].sha256)
    if added:
        rows.update_submission(session, submission_id, updated_at=utcnow())
        record(session, actor, "submission.attachment.update", f"submission:{submission_id}",
               project=plan.form.project_id, instanceId=plan.instance_id, names=added)
    return Received(submission_id, def_id, plan.instance_id,
                    "attachments added" if added else "duplicate")
