"""Form drafts over the JSON API, as ODK Central's (docs.getodk.org/central-api, "Draft Form"):
create and replace a draft, upload and list its files, read it and its XForm, publish it (with
a version), delete it; the published versions' list; the draft's test submissions. Only admins
(form.create / form.update) see or change drafts. The rules live in app/forms/drafts.py.
"""
from flask import Response, current_app, jsonify
from app.api import draft_inputs
from app.api.draft_schemas import DraftAttachmentSchema, DraftSchema, TestSubmissionSchema
from app.api.loading import BYTES, takes
from app.api.schemas import FormSchema
from app.api.views import bp, upload_name
from app.audit.record import record
from app.auth import http as auth
from app.db import db
from app.forms import drafts
from app.forms.compile import odk_validate_unavailable
from app.forms.draft_testing import test_submissions
from app.forms.queries import readable_form
from app.openrosa.media import send_blob
from app.problems import Problem

FORM = "/projects/<int:project_id>/forms/<path:xml_form_id>"


def _store():
    return current_app.extensions["blob_store"]


def _draft(project_id, xml_form_id, permission="form.update"):
    actor = auth.require(permission, project_id, challenge=False)
    return drafts.get(db.session, project_id, xml_form_id), actor


def _dump(draft):
    form = drafts.published_form(db.session, draft.project_id, draft.xml_form_id)
    return DraftSchema().dump({"draft": draft, "form": form})


@bp.post(f"{FORM}/draft")
@takes(query=draft_inputs.DraftCreateQuery, body=BYTES, permission="form.update")
def create_draft(project_id, xml_form_id, body):
    actor = auth.require("form.update", project_id, challenge=False)
    upload = (upload_name(xml_form_id), body) if body else None
    drafts.start(db.session, _store(), project_id, xml_form_id, upload, actor,
                 validate=odk_validate_unavailable() is None)
    db.session.commit()
    return jsonify(success=True)


@bp.get(f"{FORM}/draft")
@takes(permission="form.update")
def get_draft(project_id, xml_form_id):
    draft, _actor = _draft(project_id, xml_form_id)
    return jsonify(_dump(draft))


@bp.get(f"{FORM}/draft.xml")
@takes(permission="form.update")
def get_draft_xml(project_id, xml_form_id):
    draft, _actor = _draft(project_id, xml_form_id)
    return Response(draft.xml.encode("utf-8"), content_type="application/xml; charset=utf-8")


@bp.delete(f"{FORM}/draft")
@takes(permission="form.update")
def delete_draft(project_id, xml_form_id):
    actor = auth.require("form.update", project_id, challenge=False)
    drafts.delete_draft(db.session, project_id, xml_form_id, actor)
    db.session.commit()
    return jsonify(success=True)


@bp.post(f"{FORM}/draft/publish")
@takes(query=draft_inputs.DraftPublishQuery, permission="form.update")
def publish_draft(project_id, xml_form_id, query):
    draft, actor = _draft(project_id, xml_form_id)
    drafts.publish(db.session, _store(), draft, query.get("version") or None, actor)
    db.session.commit()
    return jsonify(success=True)


@bp.get(f"{FORM}/draft/attachments")
@takes(permission="form.update")
def list_draft_attachments(project_id, xml_form_id):
    draft, _actor = _draft(project_id, xml_form_id)
    return jsonify(DraftAttachmentSchema(many=True).dump(draft.attachments))


@bp.post(f"{FORM}/draft/attachments/<name>")
@takes(body=BYTES, permission="form.update")
def upload_draft_attachment(project_id, xml_form_id, name, body):
    draft, actor = _draft(project_id, xml_form_id)
    attachment = drafts.set_attachment(db.session, _store(), draft, name, body, actor)
    result = DraftAttachmentSchema().dump(attachment)
    db.session.commit()
    return jsonify(result)


@bp.get(f"{FORM}/draft/attachments/<name>")
@takes(permission="form.update")
def get_draft_attachment(project_id, xml_form_id, name):
    draft, _actor = _draft(project_id, xml_form_id)
    found = next((a for a in draft.attachments if a.name == name and a.blob), None)
    if found is None:
        raise Problem("404.1")
    return send_blob(found.blob, name)


@bp.get(f"{FORM}/draft/submissions")
@takes(permission="form.update")
def list_draft_submissions(project_id, xml_form_id):
    draft, actor = _draft(project_id, xml_form_id)
    body = TestSubmissionSchema(many=True).dump(test_submissions(db.session, draft))
    record(db.session, actor, "form.draft.submission.list", f"draft:{draft.id}",
           count=len(body))
    db.session.commit()
    return jsonify(body)


@bp.get(f"{FORM}/versions")
@takes(permission="submission.read")
def list_form_versions(project_id, xml_form_id):
    actor = auth.require("submission.read", project_id, challenge=False)
    form, _current = readable_form(db.session, actor, project_id, xml_form_id)
    rows = [{"form": form, "version": v} for v in reversed(form.versions)]
    return jsonify(FormSchema(many=True).dump(rows))
