"""Submission intake: store each submission exactly once, durably, before the phone hears 201.

receive() is the one entry point. Order of work (DESIGN.md §5): parse the XML safely, resolve
form and version, check idempotency on instanceID, write attachment blobs (fsynced), then in ONE
transaction insert the submission, run post-processing in a savepoint (a failure there is
recorded and never costs the submission), and commit.

Idempotency (openrosa-entities.md §1.8): the same instanceID with byte-identical XML is a retry
or a split upload → 201 and any new attachments are stored; different XML → 409. The unique
(form, instanceID) constraint settles races between workers: the loser rolls back and re-runs
the check, so it answers exactly as a later retry would.

This is the hottest path of the server, so it speaks SQLAlchemy Core (rows.py), not the ORM.
"""
import hashlib
import uuid
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError

from app.audit.record import record
from app.models_base import utcnow
from app.problems import Problem
from app.storage.service import save_blob
from app.submissions import areas, processing, rows
from app.submissions.parse import expected_attachments, read_instance


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


def receive(session, store, actor, project_id, upload):
    """Store one submission POST. Returns Received; raises Problem for a refusal.

    Commits on success; on a refusal nothing is written.
    """
    instance = read_instance(upload.xml)
    for attempt in (1, 2):
        try:
            result = _receive_once(session, store, actor, project_id, upload, instance)
            session.commit()
            return result
        except IntegrityError:
            # Another worker stored the same instanceID first: answer as a retry would.
            session.rollback()
            if attempt == 2:
                raise
        except BaseException:
            session.rollback()
            raise


def _receive_once(session, store, actor, project_id, upload, instance):
    instance_id = _instance_id(instance, upload)
    form = _form_for(session, actor, project_id, instance, instance_id)
    xml_sha = hashlib.sha256(upload.xml).hexdigest()
    if form.existing_id is not None:
        return _resend(session, store, actor, form, instance_id, xml_sha, upload)
    new = Received(None, None, instance_id, "created", form.id, form.version_id, instance)
    if instance.deprecated_id:
        return _edit(session, store, actor, form, new, xml_sha, upload)
    return _create(session, store, actor, form, new, xml_sha, upload)


def _form_for(session, actor, project_id, instance, instance_id):
    form = rows.form_with_version(session, project_id, instance.xml_form_id, instance.version,
                                  instance_id)
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
    return form


def _instance_id(instance, upload):
    if instance.instance_id:
        return instance.instance_id
    if upload.header_instance_id:
        return upload.header_instance_id
    if instance.encrypted:
        raise Problem("400.9")
    return f"uuid:{uuid.uuid4()}"


def _resend(session, store, actor, form, instance_id, xml_sha, upload):
    if form.existing_deleted_at is not None:
        raise Problem("409.18", {"instance": instance_id})
    if form.existing_sha != xml_sha:
        raise Problem("409.1", {"instance": instance_id})
    if not form.existing_current:
        raise Problem("409.9", {"instance": instance_id})
    def_id, submission_id = form.existing_id, form.existing_submission_id
    added = _store_files(session, store, def_id, rows.attachments(session, def_id), upload.files)
    if added:
        rows.update_submission(session, submission_id, updated_at=utcnow())
        record(session, actor, "submission.attachment.update", f"submission:{submission_id}",
               instanceId=instance_id, names=added)
    return Received(submission_id, def_id, instance_id,
                    "attachments added" if added else "duplicate")


def _create(session, store, actor, form, new, xml_sha, upload):
    new.submission_id = rows.insert_submission(
        session, form_id=form.id, instance_id=new.instance_id, submitter_kind=actor.kind,
        submitter_id=actor.id, device_id=upload.device_id,
        area_id=areas.area_for(session, form.project_id, new.instance, actor))
    _new_def(session, store, actor, form, new, xml_sha, upload, carried={})
    record(session, actor, "submission.create", f"submission:{new.submission_id}",
           xmlFormId=form.xml_form_id, instanceId=new.instance_id)
    processing.run(session, new)
    return new


def _edit(session, store, actor, form, new, xml_sha, upload):
    old = rows.def_by_instance_id(session, form.id, new.instance.deprecated_id)
    if old is None:
        raise Problem("404.5", {"deprecated": new.instance.deprecated_id})
    if old.deleted_at is not None:
        raise Problem("409.18", {"instance": old.instance_id})
    if not old.current:
        raise Problem("409.9", {"instance": old.instance_id})
    rows.supersede(session, old.id)
    new.submission_id, new.outcome = old.submission_id, "edited"
    carried = {n: b for n, b in rows.attachments(session, old.id).items() if b}
    _new_def(session, store, actor, form, new, xml_sha, upload, carried)
    rows.update_submission(session, new.submission_id, review_state="edited", updated_at=utcnow())
    record(session, actor, "submission.update.version", f"submission:{new.submission_id}",
           instanceId=new.instance_id, deprecatedId=old.instance_id)
    processing.run(session, new)
    return new


def _new_def(session, store, actor, form, new, xml_sha, upload, carried):
    instance = new.instance
    new.def_id = rows.insert_def(       # the unique (form, instanceID) constraint speaks here
        session, submission_id=new.submission_id, form_id=form.id,
        form_version_id=form.version_id, instance_id=new.instance_id,
        deprecated_id=instance.deprecated_id, xml=upload.xml.decode("utf-8"),
        xml_sha256=xml_sha, current=True, encrypted=instance.encrypted,
        instance_name=instance.instance_name, submitter_kind=actor.kind, submitter_id=actor.id,
        device_id=upload.device_id, user_agent=(upload.user_agent or "")[:500] or None)
    names = expected_attachments(instance, form.binary_paths or [])
    blobs = {name: carried.get(name) for name in names}
    for name in names:
        if name in upload.files:
            blobs[name] = save_blob(session, store, upload.files[name]).sha256
    rows.insert_attachments(session, new.def_id, blobs)


def _store_files(session, store, def_id, current, files):
    """Store uploaded parts whose names the XML expects; other parts are ignored (as Central).
    Returns the names newly stored or replaced."""
    added = []
    for name, blob in current.items():
        if name in files:
            sha = save_blob(session, store, files[name]).sha256
            if sha != blob:
                rows.set_attachment_blob(session, def_id, name, sha)
                added.append(name)
    return added
