"""JSON API routes that write submissions, shaped like Central's (issue 22, part 3), for pyodk's
`submissions.create` / `edit` / `add_comment` and scripts written for Central:

    POST /v1/projects/<p>/forms/<f>/submissions                       XML → a new submission
    PUT  /v1/projects/<p>/forms/<f>/submissions/<instanceId>          XML → its new version
    POST /v1/projects/<p>/forms/<f>/submissions/<instanceId>/attachments/<name>   file bytes
    GET  /v1/projects/<p>/forms/<f>/submissions/<instanceId>/comments
    POST /v1/projects/<p>/forms/<f>/submissions/<instanceId>/comments            {"body"}
    GET  /v1/projects/<p>/forms/<f>/submissions/<instanceId>/versions   (pyodk's suite reads
         it to find the version to edit when its instanceID is taken)

Creating needs submission.create (admins, supervisors, and a phone's key, as Central's app
users may); a new version and comments need submission.update (admins, supervisors; Central
lets any reader comment, Doorstep's console does not); a file needs either, a phone's key
only for a missing file of its own first version (Central's rule). A village supervisor
finds only her villages' submissions here (404 for the others), and what she sends about
another village is stored but held for that village's supervisor, as a phone's is (intake).
Handlers load, check, call one function of app.submissions.writes or .comments, render.
"""
import io

from flask import current_app, jsonify, request
from marshmallow import Schema, fields

from app.api import submission_inputs as inputs
from app.api.loading import BYTES, takes
from app.api.schemas import SubmissionSchema, Timestamp
from app.api.views import bp
from app.audit.record import record
from app.auth import http as auth
from app.db import transactions
from app.db import db
from app.forms.queries import readable_form
from app.submissions import comments, intake, queries, writes
from app.submissions.models import Submission

SUBMISSIONS = "/projects/<int:project_id>/forms/<path:xml_form_id>/submissions"


class CommentSchema(Schema):
    """Central's comment: {body, actorId, createdAt}."""
    body = fields.String()
    actorId = fields.Integer(attribute="actor_id")
    createdAt = Timestamp(attribute="created_at")


class VersionSchema(Schema):
    """Central's submission version (a def): newest first in its list."""
    instanceId = fields.String(attribute="instance_id")
    instanceName = fields.String(attribute="instance_name", allow_none=True)
    submitterId = fields.Integer(attribute="submitter_id", allow_none=True)
    deviceId = fields.String(attribute="device_id", allow_none=True)
    userAgent = fields.String(attribute="user_agent", allow_none=True)
    createdAt = Timestamp(attribute="created_at")
    current = fields.Boolean()


def _store():
    return current_app.extensions["blob_store"]


def _form(project_id, xml_form_id, permission, reads_only=False):
    actor = auth.require(permission, project_id, challenge=False)
    if reads_only:
        # the lookups before intake's own phases: no write lock on SQLite while the XML
        # is parsed (app/submissions/writes.py ends this transaction before it writes)
        transactions.begin_reads(db.session)
    form, _version = readable_form(db.session, actor, project_id, xml_form_id)
    return form, actor


def _submission(project_id, xml_form_id, instance_id, permission, reads_only=False):
    form, actor = _form(project_id, xml_form_id, permission, reads_only)
    return form, queries.get_submission(db.session, actor, form, instance_id), actor


def _upload(body, query):
    return intake.Upload(xml=body, device_id=query.get("deviceID"),
                         user_agent=request.headers.get("User-Agent"))


def _rendered(received):
    # by id, not through the actor's villages: what she sent about another village is
    # filed under that village, yet she is answered what was stored
    transactions.begin_reads(db.session)
    submission = db.session.get(Submission, received.submission_id)
    body = SubmissionSchema().dump(
        {"submission": submission, "definition": queries.current_def(db.session, submission)})
    db.session.rollback()
    return jsonify(body)


@bp.post(SUBMISSIONS)
@takes(query=inputs.SubmissionWriteQuery, body=BYTES, permission="submission.create")
def create_submission(project_id, xml_form_id, query, body):
    form, actor = _form(project_id, xml_form_id, "submission.create", reads_only=True)
    return _rendered(writes.create(db.session, _store(), actor, form, _upload(body, query)))


@bp.put(f"{SUBMISSIONS}/<instance_id>")
@takes(query=inputs.SubmissionWriteQuery, body=BYTES, permission="submission.update")
def edit_submission(project_id, xml_form_id, instance_id, query, body):
    form, submission, actor = _submission(project_id, xml_form_id, instance_id,
                                          "submission.update", reads_only=True)
    return _rendered(writes.edit(db.session, _store(), actor, form, submission,
                                 _upload(body, query)))


@bp.post(f"{SUBMISSIONS}/<instance_id>/attachments/<name>")
@takes(body=BYTES, permission="submission.create")
def upload_submission_attachment(project_id, xml_form_id, instance_id, name, body):
    _form_, submission, actor = _submission(project_id, xml_form_id, instance_id,
                                            "submission.create", reads_only=True)
    writes.attach(db.session, _store(), actor, submission, name, io.BytesIO(body))
    return jsonify(success=True)


@bp.get(f"{SUBMISSIONS}/<instance_id>/comments")
@takes(permission="submission.read")
def list_comments(project_id, xml_form_id, instance_id):
    _form_, submission, actor = _submission(project_id, xml_form_id, instance_id,
                                            "submission.read")
    body = CommentSchema(many=True).dump(comments.list_for(db.session, actor, submission))
    db.session.commit()
    return jsonify(body)


@bp.post(f"{SUBMISSIONS}/<instance_id>/comments")
@takes(body=inputs.CommentBody, permission="submission.update")
def add_comment(project_id, xml_form_id, instance_id, body):
    _form_, submission, actor = _submission(project_id, xml_form_id, instance_id,
                                            "submission.update")
    result = CommentSchema().dump(comments.add(db.session, actor, submission, body["body"]))
    db.session.commit()
    return jsonify(result)


@bp.get(f"{SUBMISSIONS}/<instance_id>/versions")
@takes(permission="submission.read")
def list_versions(project_id, xml_form_id, instance_id):
    _form_, submission, actor = _submission(project_id, xml_form_id, instance_id,
                                            "submission.read")
    body = VersionSchema(many=True).dump(reversed(submission.defs))
    record(db.session, actor, "submission.read", f"submission:{submission.id}", part="versions")
    db.session.commit()
    return jsonify(body)
