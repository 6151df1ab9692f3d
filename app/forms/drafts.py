"""Form drafts, as ODK Central's draft workflow (what pyodk's forms.create and forms.update use):
a new form or a form's next version is uploaded as a draft, its media are uploaded to the
draft, and publishing it makes a published version.

Rules (as Central):
- POST /forms makes a draft of a new form; a form id that is published or has a draft is
  409.3. With publish=true the form is published at once.
- A form has at most one draft; a new one replaces it (keeping its test token and the files
  whose name and type still match). A new draft carries forward the published version's files.
- Publishing may rewrite the version (?version=); a version the form already has is 409.6.
- Published versions are written only by app/forms/publish.py `publish()`, given the draft's
  source bytes (its XForm with the new version when it is rewritten) and its media.
- Publishing, deleting or replacing a draft drops its test submissions.
No Flask here: handlers pass the session, the blob store, the actor and the bytes.
"""
import hashlib
import io
import os

from lxml import etree
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app import safexml
from app.audit.record import record
from app.auth.secrets import new_token
from app.db import transactions
from app.db.columns import utcnow
from app.forms import publish as publishing
from app.forms.compile import compile_form, validate_xform
from app.forms.draft_models import FormDraft, FormDraftAttachment, FormDraftSubmission
from app.forms.models import Form, FormVersion
from app.forms.xform import H, XF, read_xform
from app.problems import Problem
from app.projects.models import Project
from app.storage.service import save_blob


def find(session, project_id, xml_form_id):
    return session.scalar(select(FormDraft).where(FormDraft.project_id == project_id,
                                                  FormDraft.xml_form_id == xml_form_id))


def get(session, project_id, xml_form_id):
    """The form's draft; 404.1 when it has none (as Central)."""
    draft = find(session, project_id, xml_form_id)
    if draft is None:
        raise Problem("404.1")
    return draft


def published_form(session, project_id, xml_form_id):
    return session.scalar(select(Form).where(Form.project_id == project_id,
                                             Form.xml_form_id == xml_form_id))


def compile_upload(filename, data, validate=False):
    """(Compiled, XFormInfo) of uploaded bytes; ODK Validate runs on an XLSForm when asked."""
    compiled = compile_form(filename, data)
    if validate and compiled.source is not None:
        compiled.warnings += validate_xform(filename, compiled.xml)
    return compiled, read_xform(compiled.xml, filename)


def create_form(session, store, project_id, filename, data, actor=None, validate=False):
    """A draft of a new form (POST /forms). Returns the FormDraft."""
    compiled, info = compile_upload(filename, data, validate)
    _refuse_existing(session, project_id, info.xml_form_id)
    draft = FormDraft(project_id=project_id, xml_form_id=info.xml_form_id, token=new_token())
    session.add(draft)
    _fill(session, store, draft, filename, data, compiled, info, carried={})
    _flush_new(session, info.xml_form_id)
    record(session, actor, "form.draft.create", f"draft:{draft.id}",
           xmlFormId=draft.xml_form_id, version=draft.version, newForm=True)
    return draft


def create_published(session, store, project_id, filename, data, actor=None, validate=False):
    """A new form published at once (POST /forms?publish=true). Returns publish()'s result."""
    compiled, info = compile_upload(filename, data, validate)
    _refuse_existing(session, project_id, info.xml_form_id)
    return publishing.publish(session, store, project_id, filename, data, actor=actor,
                              compiled=compiled)


def _flush_new(session, xml_form_id):
    try:
        session.flush()
    except IntegrityError:      # another request made this form's draft at the same moment
        session.rollback()
        raise Problem("409.3", {"form": xml_form_id}, variant="form") from None


def _refuse_existing(session, project_id, xml_form_id):
    if session.get(Project, project_id) is None:       # as Central: no such project, 404.1
        raise Problem("404.1")
    if (published_form(session, project_id, xml_form_id) is not None
            or find(session, project_id, xml_form_id) is not None):
        raise Problem("409.3", {"form": xml_form_id}, variant="form")


def start(session, store, project_id, xml_form_id, upload=None, actor=None, validate=False):
    """A new draft of an existing form (POST /forms/<id>/draft): from `upload` (filename,
    bytes), or, without one, from the published version. Replaces the form's draft."""
    # a fresh session reads, then compiles with no transaction open: on SQLite every
    # transaction that may write holds the database's write lock, and pyxform and ODK
    # Validate take seconds (as publish() does)
    fresh = not transactions.in_transaction(session)
    if fresh:
        transactions.begin_reads(session)
    form, draft = _form_and_draft(session, project_id, xml_form_id)
    if upload is None:
        upload = _published_source(store, form)
    if fresh:
        transactions.end_reads(session)
    filename, data = upload
    compiled, info = compile_upload(filename, data, validate)
    if info.xml_form_id != xml_form_id:
        raise Problem("400.222", {"form": xml_form_id, "got": info.xml_form_id})
    form, draft = _form_and_draft(session, project_id, xml_form_id)     # as they are now
    carried = _files_of(draft.attachments if draft else form.current_version.attachments)
    if draft is None:
        draft = FormDraft(project_id=project_id, xml_form_id=xml_form_id, token=new_token())
        session.add(draft)
    else:
        _drop_test_submissions(session, draft)
    _fill(session, store, draft, filename, data, compiled, info, carried)
    _flush_new(session, xml_form_id)
    record(session, actor, "form.draft.create", f"draft:{draft.id}",
           xmlFormId=xml_form_id, version=draft.version, newForm=False)
    return draft


def _form_and_draft(session, project_id, xml_form_id):
    form = published_form(session, project_id, xml_form_id)
    draft = find(session, project_id, xml_form_id)
    if form is None and draft is None:
        raise Problem("404.2", {"form": xml_form_id})
    return form, draft


def _published_source(store, form):
    """The published version's XLSForm if it was uploaded as one, else its XForm."""
    version = form and form.current_version
    if version is None:
        raise Problem("400.221", {"form": form.xml_form_id if form else ""})
    if version.xlsform_sha256 is not None:
        return version.xlsform_name, store.read(version.xlsform_sha256)
    return f"{_stem(form.xml_form_id)}.xml", version.xml.encode("utf-8")


def _stem(xml_form_id):
    # a file name, not a path: only messages show it
    return xml_form_id.replace("/", "_") or "form"


def _files_of(attachments):
    return {(a.name, a.kind): a.blob_sha256 for a in attachments if a.blob_sha256}


def _fill(session, store, draft, filename, data, compiled, info, carried):
    """Set the draft from a compiled upload; expected files keep a carried-forward blob."""
    draft.version, draft.title = info.version, info.title
    draft.xml = compiled.xml.decode("utf-8")
    draft.md5 = hashlib.md5(compiled.xml).hexdigest()
    draft.source_sha256 = save_blob(session, store, io.BytesIO(data)).sha256
    draft.source_name = os.path.basename(filename)
    draft.warnings = compiled.warnings + info.warnings
    draft.updated_at = utcnow() if draft.id else None
    # rows are reused by name: a delete and an insert of one name in one flush would meet
    # the unique constraint (SQLAlchemy inserts first)
    rows = {a.name: a for a in draft.attachments}
    draft.attachments = [_attachment(rows.get(name), name, kind, carried)
                         for name, kind in sorted(info.media.items())]
    itemsets = next((a for a in draft.attachments if a.name == "itemsets.csv"), None)
    if compiled.itemsets is not None and itemsets is not None:
        itemsets.blob_sha256 = save_blob(session, store, io.BytesIO(compiled.itemsets)).sha256


def _attachment(row, name, kind, carried):
    row = row or FormDraftAttachment(name=name)
    row.kind, row.blob_sha256 = kind, carried.get((name, kind))
    return row


def set_attachment(session, store, draft, name, data, actor=None):
    """Upload one file the draft expects; 404.1 for a name it does not expect."""
    attachment = next((a for a in draft.attachments if a.name == name), None)
    if attachment is None:
        raise Problem("404.1")
    attachment.blob_sha256 = save_blob(session, store, io.BytesIO(data)).sha256
    attachment.updated_at = utcnow()
    record(session, actor, "form.draft.attachment", f"draft:{draft.id}",
           xmlFormId=draft.xml_form_id, name=name)
    session.flush()
    session.expire(attachment, ["blob"])        # loaded again with the new file's hash
    return attachment


def publish(session, store, draft, version=None, actor=None):
    """Publish the draft, as `version` when given; the draft and its test submissions go.
    Returns publish()'s result."""
    _lock(session, draft)
    target = draft.version if version is None else version
    form = published_form(session, draft.project_id, draft.xml_form_id)
    if form is not None and session.scalar(select(FormVersion.id).where(
            FormVersion.form_id == form.id, FormVersion.version == target)) is not None:
        raise Problem("409.6", {"form": draft.xml_form_id, "version": target or '""'},
                      variant="draft")
    if version is None:
        filename, data = draft.source_name, store.read(draft.source_sha256)
    else:
        filename = f"{os.path.splitext(draft.source_name)[0]}.xml"
        data = with_version(draft.xml.encode("utf-8"), version)
    media = {a.name: store.read(a.blob_sha256) for a in draft.attachments if a.blob_sha256}
    tests = _drop_test_submissions(session, draft)
    result = publishing.publish(session, store, draft.project_id, filename, data, media=media,
                                actor=actor)
    record(session, actor, "form.draft.publish", f"form:{result.form.id}",
           xmlFormId=draft.xml_form_id, version=target, testSubmissionsDropped=tests)
    session.delete(draft)
    session.flush()
    return result


def _lock(session, draft):
    """Hold the draft's row until commit: of two requests publishing or deleting it at once,
    the second waits and then finds it gone (404.1) rather than writing the version twice
    (PostgreSQL; SQLite's write lock at BEGIN already runs them one after the other)."""
    if session.scalar(select(FormDraft.id).where(FormDraft.id == draft.id)
                      .with_for_update()) is None:
        raise Problem("404.1")
    session.refresh(draft)      # as it is now: a draft replaced meanwhile publishes its new self


def with_version(xml, version):
    """The XForm with its primary instance root's version attribute set (Central's
    setVersion): the rest of the document is kept as it is."""
    root = safexml.parse(xml)
    model = root.find(f"{{{H}}}head/{{{XF}}}model")
    instance = next(i for i in model.iterfind(f"{{{XF}}}instance") if i.get("id") is None)
    data = next(iter(instance))
    data.set("version", version)
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="utf-8")


def delete_draft(session, project_id, xml_form_id, actor=None):
    """Delete the form's draft (409.7 for a form never published, as Central: delete the form
    or replace the draft instead; 404.1 when there is no draft)."""
    if published_form(session, project_id, xml_form_id) is None:
        if find(session, project_id, xml_form_id) is None:
            raise Problem("404.2", {"form": xml_form_id})
        raise Problem("409.7")
    draft = get(session, project_id, xml_form_id)
    _lock(session, draft)
    tests = _drop_test_submissions(session, draft)
    record(session, actor, "form.draft.delete", f"draft:{draft.id}",
           xmlFormId=xml_form_id, version=draft.version, testSubmissionsDropped=tests)
    session.delete(draft)
    session.flush()


def _drop_test_submissions(session, draft):
    if draft.id is None:
        return 0
    return session.execute(delete(FormDraftSubmission).where(
        FormDraftSubmission.draft_id == draft.id)).rowcount

