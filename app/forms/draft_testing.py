"""Draft testing (Central's): a phone tries a draft before it is published, through the
draft's own token (/v1/test/<token>/projects/<id>/forms/<xmlFormId>/draft/…).

Test submissions are stored here, apart from real ones: intake, validation, the register,
events, exports and reports never see them. Same instanceID and the same XML again is a
no-op (files are topped up); different XML is 409.1, as intake; only the files the XML
names are kept, as intake. They go with the draft.
Each one received is audited (its sender is the draft's token, no actor).
No Flask: the OpenRosa handlers pass the parsed upload.
"""
import hashlib
import hmac

from sqlalchemy import select

from app.audit.record import record
from app.forms.draft_models import FormDraft, FormDraftSubmission
from app.forms.xform import read_xform
from app.problems import Problem
from app.storage.service import save_blob
from app.submissions.parse import expected_attachments, read_instance


def draft_by_token(session, project_id, xml_form_id, token):
    """The draft the token opens; 404.4 when the draft is gone or the token is not its own."""
    draft = session.scalar(select(FormDraft).where(FormDraft.project_id == project_id,
                                                   FormDraft.xml_form_id == xml_form_id))
    if draft is None or not hmac.compare_digest(draft.token, token):
        raise Problem("404.4")
    return draft


def receive(session, store, draft, upload):
    """Keep one test submission; returns "created" or "duplicate"."""
    instance = read_instance(upload.xml)
    if instance.xml_form_id != draft.xml_form_id:
        raise Problem("404.2", {"form": instance.xml_form_id})
    if instance.version != draft.version:
        raise Problem("409.221", {"form": draft.xml_form_id, "version": instance.version or '""',
                                  "draft": draft.version or '""'})
    instance_id = (instance.instance_id or upload.header_instance_id
                   or f"uuid:{hashlib.sha256(upload.xml).hexdigest()[:32]}")
    found = session.scalar(select(FormDraftSubmission).where(
        FormDraftSubmission.draft_id == draft.id, FormDraftSubmission.instance_id == instance_id))
    if found is not None and found.xml != instance.text:
        raise Problem("409.1", {"instance": instance_id})
    # as intake: only the files the submission names for the draft's file questions
    expected = expected_attachments(instance, read_xform(draft.xml.encode("utf-8")).binary_paths)
    files = {name: save_blob(session, store, stream).sha256
             for name, stream in upload.files.items() if name in expected}
    outcome = "created" if found is None else "duplicate"
    if found is None:
        session.add(FormDraftSubmission(draft_id=draft.id, instance_id=instance_id,
                                        xml=instance.text, attachments=files,
                                        device_id=upload.device_id))
    else:
        found.attachments = {**found.attachments, **files}
    record(session, None, "form.draft.submission.create", f"draft:{draft.id}",
           instanceId=instance_id, outcome=outcome, files=sorted(files))
    return outcome


def test_submissions(session, draft):
    return list(session.scalars(select(FormDraftSubmission)
                                .where(FormDraftSubmission.draft_id == draft.id)
                                .order_by(FormDraftSubmission.id)))
