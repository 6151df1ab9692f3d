"""Submission intake: store each submission exactly once, durably, before the phone hears 201.

receive() is the one entry point. Order of work (DESIGN.md §5): parse the XML safely, resolve
form and version, check idempotency on instanceID, write attachment blobs (fsynced), then in ONE
transaction insert the submission, run post-processing in a savepoint (a failure there is
recorded and never costs the submission), and commit.

Idempotency (openrosa-entities.md §1.8): the same instanceID with byte-identical XML is a retry
or a split upload → 201 and any new attachments are stored; different XML → 409. The unique
(form, instanceID) constraint settles races between workers: the loser rolls back and re-runs
the check, so it answers exactly as a later retry would.
"""
import hashlib
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.audit.record import record
from app.forms.models import Form, FormVersion
from app.models_base import utcnow
from app.problems import Problem
from app.storage.service import save_blob
from app.submissions import areas, processing
from app.submissions.models import Submission, SubmissionAttachment, SubmissionDef
from app.submissions.parse import expected_attachments, read_instance


@dataclass
class Upload:
    """What arrived over HTTP, stripped of HTTP: the XML bytes and the other file parts."""
    xml: bytes
    files: dict = field(default_factory=dict)      # part name -> readable binary stream
    device_id: str | None = None
    user_agent: str | None = None
    header_instance_id: str | None = None          # X-OpenRosa-Instance-Id (Enketo)


@dataclass
class Received:
    submission: Submission
    definition: SubmissionDef
    outcome: str        # "created", "edited", "duplicate", "attachments added"


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
    form = _form_for(session, actor, project_id, instance.xml_form_id)
    version = session.scalar(select(FormVersion).where(
        FormVersion.form_id == form.id, FormVersion.version == instance.version))
    if version is None:
        raise Problem("404.6", {"form": form.xml_form_id, "version": instance.version or '""'})
    instance_id = _instance_id(instance, upload)
    xml_sha = hashlib.sha256(upload.xml).hexdigest()
    existing = _def_by_instance_id(session, form.id, instance_id)
    if existing is not None:
        return _resend(session, store, actor, existing, xml_sha, upload)
    if instance.deprecated_id:
        return _edit(session, store, actor, form, version, instance, instance_id, xml_sha, upload)
    return _create(session, store, actor, form, version, instance, instance_id, xml_sha, upload)


def _form_for(session, actor, project_id, xml_form_id):
    form = session.scalar(select(Form).where(Form.project_id == project_id,
                                             Form.xml_form_id == xml_form_id))
    if form is None:
        raise Problem("404.2", {"form": xml_form_id})
    if not actor.can("submission.create"):
        raise Problem("403.2")
    if not actor.sees_form(form.id):
        raise Problem("403.3", {"form": xml_form_id})
    if form.state == "closed":
        raise Problem("409.2", {"form": xml_form_id})
    return form


def _instance_id(instance, upload):
    if instance.instance_id:
        return instance.instance_id
    if upload.header_instance_id:
        return upload.header_instance_id
    if instance.encrypted:
        raise Problem("400.9")
    return f"uuid:{uuid.uuid4()}"


def _def_by_instance_id(session, form_id, instance_id):
    return session.scalar(select(SubmissionDef).where(
        SubmissionDef.form_id == form_id, SubmissionDef.instance_id == instance_id))


def _resend(session, store, actor, existing, xml_sha, upload):
    submission = existing.submission
    if submission.deleted_at is not None:
        raise Problem("409.18", {"instance": existing.instance_id})
    if existing.xml_sha256 != xml_sha:
        raise Problem("409.1", {"instance": existing.instance_id})
    if not existing.current:
        raise Problem("409.9", {"instance": existing.instance_id})
    added = _store_files(session, store, existing.attachments, upload.files)
    if added:
        submission.updated_at = utcnow()
        record(session, actor, "submission.attachment.update", f"submission:{submission.id}",
               instanceId=existing.instance_id, names=added)
    return Received(submission, existing, "attachments added" if added else "duplicate")


def _create(session, store, actor, form, version, instance, instance_id, xml_sha, upload):
    submission = Submission(
        form_id=form.id, instance_id=instance_id, submitter_kind=actor.kind,
        submitter_id=actor.id, device_id=upload.device_id,
        area_id=areas.area_for(session, form.project_id, instance, actor))
    session.add(submission)
    definition = _new_def(session, store, actor, submission, version, instance, instance_id,
                          xml_sha, upload, carried={})
    record(session, actor, "submission.create", f"submission:{submission.id}",
           xmlFormId=form.xml_form_id, instanceId=instance_id)
    processing.run(session, submission, definition)
    return Received(submission, definition, "created")


def _edit(session, store, actor, form, version, instance, instance_id, xml_sha, upload):
    old = _def_by_instance_id(session, form.id, instance.deprecated_id)
    if old is None:
        raise Problem("404.5", {"deprecated": instance.deprecated_id})
    submission = old.submission
    if submission.deleted_at is not None:
        raise Problem("409.18", {"instance": old.instance_id})
    if not old.current:
        raise Problem("409.9", {"instance": old.instance_id})
    old.current = False
    carried = {a.name: a.blob_sha256 for a in old.attachments if a.blob_sha256}
    definition = _new_def(session, store, actor, submission, version, instance, instance_id,
                          xml_sha, upload, carried)
    submission.review_state = "edited"
    submission.updated_at = utcnow()
    record(session, actor, "submission.update.version", f"submission:{submission.id}",
           instanceId=instance_id, deprecatedId=old.instance_id)
    processing.run(session, submission, definition)
    return Received(submission, definition, "edited")


def _new_def(session, store, actor, submission, version, instance, instance_id, xml_sha, upload,
             carried):
    definition = SubmissionDef(
        submission=submission, form_id=submission.form_id, form_version_id=version.id,
        instance_id=instance_id, deprecated_id=instance.deprecated_id,
        xml=upload.xml.decode("utf-8"), xml_sha256=xml_sha, encrypted=instance.encrypted,
        instance_name=instance.instance_name, submitter_kind=actor.kind, submitter_id=actor.id,
        device_id=upload.device_id, user_agent=(upload.user_agent or "")[:500] or None)
    session.add(definition)
    session.flush()     # the unique (form, instanceID) constraint speaks here
    submission.current_def_id = definition.id
    attachments = [SubmissionAttachment(def_id=definition.id, name=name,
                                        blob_sha256=carried.get(name))
                   for name in expected_attachments(instance, version.binary_paths)]
    session.add_all(attachments)
    _store_files(session, store, attachments, upload.files)
    return definition


def _store_files(session, store, attachments, files):
    """Store uploaded parts whose names the XML expects; other parts are ignored (as Central).
    Returns the names newly stored or replaced."""
    added = []
    for attachment in attachments:
        stream = files.get(attachment.name)
        if stream is None:
            continue
        sha = save_blob(session, store, stream).sha256
        if attachment.blob_sha256 != sha:
            attachment.blob_sha256 = sha
            added.append(attachment.name)
    return added
