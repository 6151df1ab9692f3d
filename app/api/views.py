"""JSON API handlers: load, check, call one domain function, render with a schema.
Each route's @takes names what it reads from the query string and body (app/api/inputs.py).

Paths and shapes follow ODK Central's API (docs.getodk.org/central-api) for the subset that
pyodk and scripts use: sessions, forms, submissions, attachments, review states.
"""
from urllib.parse import unquote

from flask import Blueprint, Response, current_app, jsonify, request

from app.api import draft_inputs, inputs
from app.api.draft_schemas import DraftSchema
from app.api.loading import BYTES, takes
from app.api.schemas import AttachmentSchema, FormSchema, SubmissionSchema
from app.audit.record import record
from app.auth import http as auth
from app.auth.sessions import log_in, log_out
from app.db import db
from app.db.columns import isoformat
from app.forms import drafts
from app.forms import publish as publishing
from app.forms.compile import odk_validate_unavailable
from app.forms.queries import project_forms, readable_form
from app.openrosa.media import disposition, send_blob
from app.problems import Problem
from app.storage.models import Blob
from app.submissions import queries

bp = Blueprint("api", __name__)
XLSFORM_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.ms-excel.sheet.macroenabled.12": ".xlsm",
}


def _store():
    return current_app.extensions["blob_store"]


@bp.post("/sessions")
@takes(body=inputs.SessionBody, anonymous=True)
def create_session(body):
    actor = auth.by_password(body["email"], body["password"])
    token, row = log_in(db.session, actor, current_app.config["SESSION_HOURS"])
    db.session.commit()
    return jsonify(token=token, createdAt=isoformat(row.created_at),
                   expiresAt=isoformat(row.expires_at))


@bp.delete("/sessions/<token>")
@takes()
def delete_session(token):
    actor = auth.resolve(challenge=False)
    log_out(db.session, actor, token)
    db.session.commit()
    return jsonify(success=True)


@bp.get("/projects/<int:project_id>/forms")
@takes(permission="submission.read")
def list_forms(project_id):
    actor = auth.require("submission.read", project_id, challenge=False)
    rows = [{"form": f, "version": f.current_version} for f in project_forms(db.session, project_id)
            if actor.sees_form(f.id)]
    return jsonify(FormSchema(many=True).dump(rows))


def upload_name(fallback_id=None):
    """The file name an uploaded form is compiled under: its type from Content-Type, its stem
    the form id to fall back on (X-XlsForm-FormId-Fallback, which pyodk URL-quotes)."""
    content_type = (request.mimetype or "").lower()
    fallback = unquote(request.headers.get("X-XlsForm-FormId-Fallback") or "") or fallback_id
    return (fallback or "form").replace("/", "_") + XLSFORM_TYPES.get(content_type, ".xml")


@bp.post("/projects/<int:project_id>/forms")
@takes(query=draft_inputs.FormCreateQuery, body=BYTES, permission="form.create")
def create_form(project_id, query, body):
    # Central's default is a draft (app/forms/drafts.py); publish=true publishes at once
    actor = auth.require("form.create", project_id, challenge=False)
    validate = odk_validate_unavailable() is None
    if not query["publish"]:
        draft = drafts.create_form(db.session, _store(), project_id, upload_name(), body, actor,
                                   validate=validate)
        db.session.commit()
        return jsonify(DraftSchema().dump({"draft": draft, "form": None}))
    result = drafts.create_published(db.session, _store(), project_id, upload_name(), body,
                                     actor=actor, validate=validate)
    db.session.commit()
    body = FormSchema().dump({"form": result.form, "version": result.version})
    body.update(outcome=result.outcome, warnings=result.warnings, missingMedia=result.missing_media)
    return jsonify(body), 200


@bp.get("/projects/<int:project_id>/forms/<path:xml_form_id>")
@takes(permission="submission.read")
def get_form(project_id, xml_form_id):
    actor = auth.require("submission.read", project_id, challenge=False)
    form, version = readable_form(db.session, actor, project_id, xml_form_id)
    return jsonify(FormSchema().dump({"form": form, "version": version}))


@bp.patch("/projects/<int:project_id>/forms/<path:xml_form_id>")
@takes(body=inputs.FormUpdateBody, permission="form.update")
def update_form(project_id, xml_form_id, body):
    actor = auth.require("form.update", project_id, challenge=False)
    form, version = readable_form(db.session, actor, project_id, xml_form_id)
    if "state" in body:
        publishing.set_state(db.session, form, body["state"], actor)
    db.session.commit()
    return jsonify(FormSchema().dump({"form": form, "version": version}))


@bp.post("/projects/<int:project_id>/forms/<path:xml_form_id>/attachments/<name>")
@takes(body=BYTES, permission="form.update")
def upload_form_attachment(project_id, xml_form_id, name, body):
    actor = auth.require("form.update", project_id, challenge=False)
    _form, version = readable_form(db.session, actor, project_id, xml_form_id)
    publishing.set_attachment(db.session, _store(), version, name, body, actor)
    db.session.commit()
    return jsonify(success=True)


def _form_and_actor(project_id, xml_form_id, permission="submission.read"):
    actor = auth.require(permission, project_id, challenge=False)
    form, _version = readable_form(db.session, actor, project_id, xml_form_id)
    return form, actor


def _row(submission):
    return {"submission": submission, "definition": queries.current_def(db.session, submission)}


@bp.get("/projects/<int:project_id>/forms/<path:xml_form_id>/submissions")
@takes(query=inputs.SubmissionListQuery, permission="submission.read")
def list_submissions(project_id, xml_form_id, query):
    form, actor = _form_and_actor(project_id, xml_form_id)
    rows, total = queries.list_submissions(db.session, actor, form, query.get("top"),
                                           query["skip"], query.get("reviewState"))
    defs = queries.current_defs(db.session, rows)
    # Serialise before the audit commit: committing expires every loaded object.
    body = SubmissionSchema(many=True).dump(
        [{"submission": s, "definition": defs[s.id]} for s in rows])
    record(db.session, actor, "submission.list", f"form:{form.id}", count=len(rows))
    db.session.commit()
    response = jsonify(body)
    response.headers["X-Total-Count"] = str(total)
    return response


def _one(project_id, xml_form_id, instance_id, permission="submission.read"):
    form, actor = _form_and_actor(project_id, xml_form_id, permission)
    return queries.get_submission(db.session, actor, form, instance_id), actor


@bp.get("/projects/<int:project_id>/forms/<path:xml_form_id>/submissions/<instance_id>")
@takes(permission="submission.read")
def get_submission(project_id, xml_form_id, instance_id):
    submission, actor = _one(project_id, xml_form_id, instance_id)
    body = SubmissionSchema().dump(_row(submission))
    record(db.session, actor, "submission.read", f"submission:{submission.id}")
    db.session.commit()
    return jsonify(body)


@bp.get("/projects/<int:project_id>/forms/<path:xml_form_id>/submissions/<instance_id>.xml")
@takes(permission="submission.read")
def get_submission_xml(project_id, xml_form_id, instance_id):
    submission, actor = _one(project_id, xml_form_id, instance_id)
    xml = queries.current_def(db.session, submission).xml
    record(db.session, actor, "submission.read", f"submission:{submission.id}", part="xml")
    db.session.commit()
    response = Response(xml, content_type="application/xml; charset=utf-8")
    response.headers["Content-Disposition"] = disposition(f"{instance_id}.xml")
    return response


@bp.get("/projects/<int:project_id>/forms/<path:xml_form_id>/submissions/<instance_id>/attachments")
@takes(permission="submission.read")
def list_attachments(project_id, xml_form_id, instance_id):
    submission, _actor = _one(project_id, xml_form_id, instance_id)
    return jsonify(AttachmentSchema(many=True).dump(
        queries.current_def(db.session, submission).attachments))


@bp.get("/projects/<int:project_id>/forms/<path:xml_form_id>/submissions/<instance_id>"
        "/attachments/<name>")
@takes(permission="submission.read")
def get_attachment(project_id, xml_form_id, instance_id, name):
    submission, actor = _one(project_id, xml_form_id, instance_id)
    found = next((a for a in queries.current_def(db.session, submission).attachments
                  if a.name == name and a.blob_sha256), None)
    if found is None:
        raise Problem("404.1")
    record(db.session, actor, "submission.read", f"submission:{submission.id}", part=name)
    db.session.commit()
    return send_blob(db.session.get(Blob, found.blob_sha256), name)


@bp.patch("/projects/<int:project_id>/forms/<path:xml_form_id>/submissions/<instance_id>")
@takes(body=inputs.SubmissionUpdateBody, permission="submission.update")
def update_submission(project_id, xml_form_id, instance_id, body):
    submission, actor = _one(project_id, xml_form_id, instance_id, "submission.update")
    queries.set_review_state(db.session, actor, submission, body["reviewState"])
    result = SubmissionSchema().dump(_row(submission))
    db.session.commit()
    return jsonify(result)


@bp.delete("/projects/<int:project_id>/forms/<path:xml_form_id>/submissions/<instance_id>")
@takes(permission="submission.delete")
def delete_submission(project_id, xml_form_id, instance_id):
    submission, actor = _one(project_id, xml_form_id, instance_id, "submission.delete")
    queries.delete_submission(db.session, actor, submission)
    db.session.commit()
    return jsonify(success=True)
