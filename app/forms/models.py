"""Forms and their published versions. Every published version stays valid for submissions
(phones keep old versions for days), so versions are never replaced, only added."""
from app.db import db
from app.db.columns import JSONType, utcnow

FORM_STATES = ("open", "closing", "closed")


class Form(db.Model):
    __tablename__ = "forms"
    __table_args__ = (db.UniqueConstraint("project_id", "xml_form_id"),
                      db.CheckConstraint("state IN ('open', 'closing', 'closed')", name="state"))
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.ForeignKey("projects.id"), nullable=False)
    #: the `id` attribute of the XForm's primary instance root
    xml_form_id = db.Column(db.String(255), nullable=False)
    state = db.Column(db.String(10), nullable=False, default="open")
    #: FormVersion.id of the latest published version (no FK: the two tables point at each other)
    current_version_id = db.Column(db.Integer)
    #: whether a submission with validation issues still updates the register (default: no,
    #: it waits for a supervisor)
    issues_update_register = db.Column(db.Boolean, nullable=False, default=False,
                                       server_default=db.false())
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime)

    versions = db.relationship("FormVersion", back_populates="form", order_by="FormVersion.id")

    @property
    def current_version(self):
        return next((v for v in self.versions if v.id == self.current_version_id), None)


class FormVersion(db.Model):
    __tablename__ = "form_versions"
    __table_args__ = (db.UniqueConstraint("form_id", "version"),)
    id = db.Column(db.Integer, primary_key=True)
    form_id = db.Column(db.ForeignKey("forms.id", ondelete="CASCADE"), nullable=False)
    #: the root's `version` attribute; "" when the form has none
    version = db.Column(db.String(255), nullable=False, default="")
    title = db.Column(db.String(500), nullable=False, default="")
    #: the XForm exactly as served: its MD5 is the hash phones compare
    xml = db.Column(db.Text, nullable=False)
    md5 = db.Column(db.String(32), nullable=False)
    xlsform_sha256 = db.Column(db.ForeignKey("blobs.sha256"))
    xlsform_name = db.Column(db.String(255))
    #: absolute paths of binary (file) questions: which uploaded parts are attachments
    binary_paths = db.Column(JSONType, nullable=False, default=list)
    encrypted = db.Column(db.Boolean, nullable=False, default=False)
    #: entities declared by the form: [{"dataset", "create", "update", "properties"}]
    entities = db.Column(JSONType, nullable=False, default=list)
    #: the model's entities:entities-version, "" when the form declares none
    entities_version = db.Column(db.String(20), nullable=False, default="")
    warnings = db.Column(JSONType, nullable=False, default=list)
    #: what validation checks submissions against (forms.schema); NULL until first built
    schema = db.Column(JSONType)
    #: the columns of each attached CSV its expressions read (forms.list_reads):
    #: {"people.csv": ["full_name", …] or "*"}; NULL (not known) counts as every column
    list_reads = db.Column(JSONType)
    published_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    form = db.relationship("Form", back_populates="versions")
    attachments = db.relationship("FormAttachment", order_by="FormAttachment.name",
                                  cascade="all, delete-orphan", lazy="selectin")


class FormAttachment(db.Model):
    """A file the form expects (image, CSV, ...); `blob_sha256` is empty until uploaded."""
    __tablename__ = "form_attachments"
    __table_args__ = (db.UniqueConstraint("form_version_id", "name"),)
    id = db.Column(db.Integer, primary_key=True)
    form_version_id = db.Column(db.ForeignKey("form_versions.id", ondelete="CASCADE"),
                                nullable=False)
    name = db.Column(db.String(255), nullable=False)
    #: "image", "audio", "video", "file" (CSV, XML, GeoJSON ...)
    kind = db.Column(db.String(20), nullable=False, default="file")
    blob_sha256 = db.Column(db.ForeignKey("blobs.sha256"))
    #: set when the attachment is an entity list: served from the register, not a file
    dataset_id = db.Column(db.ForeignKey("datasets.id"))
    blob = db.relationship("app.storage.models.Blob", lazy="joined")
    dataset = db.relationship("app.register.models.Dataset", lazy="joined")

    @property
    def served(self):
        """Whether there is something to send: an uploaded file or an entity list."""
        return self.blob is not None or self.dataset is not None
