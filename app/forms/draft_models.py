"""Form drafts (ODK Central's draft workflow): a form's next version, kept apart from the
published ones until it is published through app/forms/publish.py.

A draft lives in tables of its own, keyed by project and xmlFormId, so a form that was never
published needs no Form row: nothing that reads forms and form_versions (phones' form lists,
intake, exports, OData, the console, reports, the register) can take a draft for a published
version. Its test submissions (draft testing) are kept apart too and go with the draft.
"""
from app.db import db
from app.db.columns import JSONType, utcnow


class FormDraft(db.Model):
    __tablename__ = "form_drafts"
    __table_args__ = (db.UniqueConstraint("project_id", "xml_form_id"),)
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.ForeignKey("projects.id"), nullable=False)
    xml_form_id = db.Column(db.String(255), nullable=False)
    #: the root's `version` attribute ("" when none)
    version = db.Column(db.String(255), nullable=False, default="")
    title = db.Column(db.String(500), nullable=False, default="")
    #: the compiled XForm, as testers' phones download it
    xml = db.Column(db.Text, nullable=False)
    md5 = db.Column(db.String(32), nullable=False)
    #: the bytes uploaded (XLSForm or XForm): what publish() compiles again on publishing
    source_sha256 = db.Column(db.ForeignKey("blobs.sha256"), nullable=False)
    #: the file name publish() is given; its extension says what the source is
    source_name = db.Column(db.String(255), nullable=False)
    #: the draft-testing token of /v1/test/<token>/…: kept while the draft is replaced, new
    #: for each new draft (as Central)
    token = db.Column(db.String(64), nullable=False, unique=True)
    warnings = db.Column(JSONType, nullable=False, default=list)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime)

    attachments = db.relationship("FormDraftAttachment", order_by="FormDraftAttachment.name",
                                  cascade="all, delete-orphan", lazy="selectin")


class FormDraftAttachment(db.Model):
    """A file the draft expects; `blob_sha256` is empty until uploaded (or carried forward
    from the published version or the draft it replaced, as Central does)."""
    __tablename__ = "form_draft_attachments"
    __table_args__ = (db.UniqueConstraint("draft_id", "name"),)
    id = db.Column(db.Integer, primary_key=True)
    draft_id = db.Column(db.ForeignKey("form_drafts.id", ondelete="CASCADE"), nullable=False)
    name = db.Column(db.String(255), nullable=False)
    kind = db.Column(db.String(20), nullable=False, default="file")
    blob_sha256 = db.Column(db.ForeignKey("blobs.sha256"))
    updated_at = db.Column(db.DateTime)
    blob = db.relationship("app.storage.models.Blob", lazy="joined")


class FormDraftSubmission(db.Model):
    """A test submission to a draft: never intake's, never the register's; dropped with the
    draft (published, deleted or replaced)."""
    __tablename__ = "form_draft_submissions"
    __table_args__ = (db.UniqueConstraint("draft_id", "instance_id"),)
    id = db.Column(db.Integer, primary_key=True)
    draft_id = db.Column(db.ForeignKey("form_drafts.id", ondelete="CASCADE"), nullable=False)
    instance_id = db.Column(db.String(255), nullable=False)
    xml = db.Column(db.Text, nullable=False)
    #: {file name: blob sha256} of the files sent with it
    attachments = db.Column(JSONType, nullable=False, default=dict)
    submitter_id = db.Column(db.Integer)
    device_id = db.Column(db.String(255))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
