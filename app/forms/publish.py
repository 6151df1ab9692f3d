"""Publishing a form version: store the XForm, its source and media; never replace a version.

Rules (as ODK Central): a new version string adds a version and makes it current; every older
version keeps accepting submissions. The identical XForm again is a no-op (media files that
changed are updated in place: phones see the new manifest hash). The same version string with
different XForm content is refused (409.6). With validate=True an XLSForm that would make a new
version must pass ODK Validate first (400.81), as on Central; tests leave it off for speed.
"""
import hashlib
import io
from dataclasses import dataclass, field

from sqlalchemy import select

from app.audit.record import record
from app.db import transactions
from app.db.columns import utcnow
from app.forms.compile import compile_form, validate_xform
from app.forms.list_reads import list_reads
from app.forms.models import FORM_STATES, Form, FormAttachment, FormVersion
from app.forms.schema import safe_schema
from app.forms.xform import read_xform
from app.problems import Problem
from app.register import datasets
from app.storage.service import save_blob


@dataclass
class Published:
    form: Form
    version: FormVersion
    outcome: str                  # "created", "new version", "unchanged", "media updated"
    warnings: list = field(default_factory=list)
    missing_media: list = field(default_factory=list)
    datasets: list = field(default_factory=list)


def publish(session, store, project_id, filename, data, media=None, actor=None, validate=False,
            compiled=None):
    """Compile and publish one form. `media` maps file name → bytes of files found beside it.
    validate: run ODK Validate (needs Java) on an XLSForm that would make a new version.
    compiled: `data` as the caller already compiled (and validated) it, not compiled again."""
    compiled = compiled or compile_form(filename, data)
    info = read_xform(compiled.xml, filename)
    media = dict(media or {})
    if compiled.itemsets is not None:
        media.setdefault("itemsets.csv", compiled.itemsets)
    # On SQLite a fresh session reads without the write lock, and ends that read before ODK
    # Validate runs: Java takes seconds, and every submission would wait for it.
    fresh = not transactions.in_transaction(session)
    if fresh:
        transactions.begin_reads(session)
    form = session.scalar(select(Form).where(Form.project_id == project_id,
                                             Form.xml_form_id == info.xml_form_id))
    existing = form and session.scalar(select(FormVersion).where(
        FormVersion.form_id == form.id, FormVersion.version == info.version))
    md5 = hashlib.md5(compiled.xml).hexdigest()
    if existing is not None and existing.md5 != md5:
        raise Problem("409.6", {"form": info.xml_form_id, "version": info.version or '""'})
    if validate and existing is None and compiled.source is not None:
        if fresh:
            transactions.end_reads(session)
        compiled.warnings += validate_xform(filename, compiled.xml)     # before any row is added
    if form is None:
        form = Form(project_id=project_id, xml_form_id=info.xml_form_id, state="open")
        session.add(form)
        session.flush()
    declared = datasets.declare(session, project_id, info.entities)
    if existing is not None:
        changed = _attach(session, store, existing, info.media, media)
        outcome = "media updated" if changed else "unchanged"
        version = existing
    else:
        version = _new_version(session, store, form, info, compiled, md5)
        _attach(session, store, version, info.media, media)
        outcome = "created" if len(form.versions) <= 1 else "new version"
        form.current_version_id = version.id
        form.updated_at = utcnow()
        record(session, actor, "form.publish", f"form:{form.id}",
               xmlFormId=form.xml_form_id, version=info.version)
    datasets.link_lists(session, project_id, version.attachments)
    missing = [a.name for a in version.attachments if a.blob_sha256 is None and a.dataset_id is None]
    return Published(form, version, outcome, compiled.warnings + info.warnings, missing, declared)


def _new_version(session, store, form, info, compiled, md5):
    source_sha = None
    if compiled.source is not None:
        source_sha = save_blob(session, store, io.BytesIO(compiled.source)).sha256
    version = FormVersion(
        form=form, version=info.version, title=info.title, xml=compiled.xml.decode("utf-8"),
        md5=md5, xlsform_sha256=source_sha, xlsform_name=compiled.source_name,
        binary_paths=info.binary_paths, encrypted=info.encrypted,
        warnings=compiled.warnings + info.warnings,
        entities=info.entities, entities_version=info.entities_version,
        schema=None if info.encrypted else safe_schema(compiled.xml),
        list_reads=list_reads(compiled.xml))
    session.add(version)
    session.flush()
    return version


def _attach(session, store, version, expected, media):
    """Create/refresh expected attachments from `media`; returns True if anything changed."""
    by_name = {a.name: a for a in version.attachments}
    changed = False
    for name, kind in expected.items():
        attachment = by_name.get(name)
        if attachment is None:
            attachment = FormAttachment(name=name, kind=kind)
            version.attachments.append(attachment)
        if name in media:
            sha = save_blob(session, store, io.BytesIO(media[name])).sha256
            if attachment.blob_sha256 != sha:
                changed = changed or attachment.blob_sha256 is not None
                attachment.blob_sha256 = sha
    session.flush()
    return changed


def set_attachment(session, store, version, name, data, actor=None):
    """Upload one expected media file of a version (HTTP upload after publishing)."""
    attachment = next((a for a in version.attachments if a.name == name), None)
    if attachment is None:
        raise Problem("404.1")
    attachment.blob_sha256 = save_blob(session, store, io.BytesIO(data)).sha256
    record(session, actor, "form.attachment.update", f"form:{version.form_id}", name=name)
    session.flush()
    return attachment


def set_state(session, form, state, actor=None):
    if state not in FORM_STATES:
        raise Problem("400.78", {"value": state, "allowed": ", ".join(FORM_STATES)})
    form.state = state
    form.updated_at = utcnow()
    record(session, actor, "form.update.state", f"form:{form.id}", state=state)


def set_issues_policy(session, form, update, actor=None):
    """Whether submissions with validation issues still update the register (update=True) or
    wait for a supervisor (False, the default): `flask forms issues` and the console."""
    form.issues_update_register = bool(update)
    form.updated_at = utcnow()
    record(session, actor, "form.update.issues", f"form:{form.id}",
           policy="update" if update else "hold")
