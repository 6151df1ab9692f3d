"""What API clients read of form drafts (dump only), in Central's shapes: the draft as a Form,
its files as form attachments, its test submissions."""
from marshmallow import Schema, fields

from app.api.schemas import Timestamp
from app.db.columns import isoformat


class DraftSchema(Schema):
    """Central's Form with its draft version: publishedAt is null, draftToken is set; the
    form's own fields come from the published form when there is one."""
    projectId = fields.Integer(attribute="draft.project_id")
    xmlFormId = fields.String(attribute="draft.xml_form_id")
    name = fields.String(attribute="draft.title")
    version = fields.String(attribute="draft.version")
    hash = fields.String(attribute="draft.md5")
    state = fields.Function(lambda row: row["form"].state if row["form"] else "open")
    createdAt = fields.Function(lambda row: isoformat((row["form"] or row["draft"]).created_at))
    updatedAt = Timestamp(attribute="draft.updated_at")
    publishedAt = fields.Constant(None)
    draftToken = fields.String(attribute="draft.token")
    enketoId = fields.Constant(None)
    enketoOnceId = fields.Constant(None)
    keyId = fields.Constant(None)
    warnings = fields.List(fields.String(), attribute="draft.warnings")


class DraftAttachmentSchema(Schema):
    """Central's form attachment (v2025.1 shape, which pyodk reads)."""
    name = fields.String()
    type = fields.String(attribute="kind")
    hash = fields.Function(lambda a: a.blob.md5 if a.blob else None)
    exists = fields.Function(lambda a: a.blob_sha256 is not None)
    blobExists = fields.Function(lambda a: a.blob_sha256 is not None)
    datasetExists = fields.Constant(False)
    updatedAt = Timestamp(attribute="updated_at")


class TestSubmissionSchema(Schema):
    instanceId = fields.String(attribute="instance_id")
    submitterId = fields.Integer(attribute="submitter_id", allow_none=True)
    deviceId = fields.String(attribute="device_id", allow_none=True)
    createdAt = Timestamp(attribute="created_at")
    attachments = fields.Function(lambda s: sorted(s.attachments))
