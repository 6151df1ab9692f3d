"""What API clients may read: explicit field lists per resource (marshmallow, dump only).

Field names and shapes follow Central's API (camelCase, ISO timestamps with Z).
"""
from marshmallow import Schema, fields

from app.db.columns import isoformat


class Timestamp(fields.Field):
    def _serialize(self, value, attr, obj, **kwargs):
        return isoformat(value)


class FormSchema(Schema):
    projectId = fields.Integer(attribute="form.project_id")
    xmlFormId = fields.String(attribute="form.xml_form_id")
    name = fields.String(attribute="version.title")
    version = fields.String(attribute="version.version")
    hash = fields.String(attribute="version.md5")
    state = fields.String(attribute="form.state")
    #: whether submissions with validation issues still update the register
    issuesUpdateRegister = fields.Boolean(attribute="form.issues_update_register")
    createdAt = Timestamp(attribute="form.created_at")
    updatedAt = Timestamp(attribute="form.updated_at")
    publishedAt = Timestamp(attribute="version.published_at")
    # Central's fields for its Enketo link and its key table, which Doorstep does not have:
    # always null, but present, since pyodk's Form model requires them
    enketoId = fields.Constant(None)
    enketoOnceId = fields.Constant(None)
    keyId = fields.Constant(None)


class SubmissionSchema(Schema):
    instanceId = fields.String(attribute="submission.instance_id")
    submitterId = fields.Integer(attribute="submission.submitter_id")
    submitterType = fields.String(attribute="submission.submitter_kind")
    deviceId = fields.String(attribute="submission.device_id", allow_none=True)
    reviewState = fields.String(attribute="submission.review_state", allow_none=True)
    createdAt = Timestamp(attribute="submission.created_at")
    updatedAt = Timestamp(attribute="submission.updated_at")
    deletedAt = fields.Constant(None)           # Doorstep never deletes a submission
    userAgent = fields.String(attribute="definition.user_agent", allow_none=True)
    attachmentsPresent = fields.Function(
        lambda row: sum(1 for a in row["definition"].attachments if a.blob_sha256))
    attachmentsExpected = fields.Function(lambda row: len(row["definition"].attachments))
    currentVersion = fields.Method("_current")
    #: validation's findings on the current version: [{path, code, message, messageZh,
    #: value}]; null when it was not checked (encrypted, or stored before validation existed)
    issues = fields.Method("_issues")

    def _issues(self, row):
        found = row["definition"].issues
        if found is None:
            return None
        return [{"path": i["path"], "code": i["code"], "message": i["message_en"],
                 "messageZh": i["message_zh"], "value": i["value"]} for i in found]

    def _current(self, row):
        d = row["definition"]
        return {"instanceId": d.instance_id, "instanceName": d.instance_name,
                "submitterId": d.submitter_id, "deviceId": d.device_id,
                "userAgent": d.user_agent,
                "createdAt": isoformat(d.created_at), "current": d.current}


class AttachmentSchema(Schema):
    name = fields.String()
    exists = fields.Function(lambda a: a.blob_sha256 is not None)
