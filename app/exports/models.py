"""The exports' derived table: `export_lines`, each current submission version's flattened
CSV text for Central's default CSV layout (app.exports.lines fills and reads it).

It is a cache and nothing else: every row can be recomputed from `submission_defs.xml` and
the form's export fields, dropping rows changes no export, and it holds the same personal
data as the submissions it comes from (it is read only by the CSV exports and the
`flask exports warm` command)."""
from app.db import db
from app.submissions.models import SubmissionDef


class ExportLines(db.Model):
    __tablename__ = "export_lines"
    #: one row per submission version; removed with it
    def_id = db.Column(db.Integer, db.ForeignKey("submission_defs.id", ondelete="CASCADE"),
                       primary_key=True)
    #: sha256 hex of what decides the cells (lines.signature): another one is a miss
    signature = db.Column(db.String(64), nullable=False)
    #: the root row's form-field cells, CSV-encoded and comma-joined (SubmissionDate … KEY)
    root = db.Column(db.Text, nullable=False)
    #: the repeat tables' complete CSV lines, length-prefixed per table ("" when none)
    repeats = db.Column(db.Text, nullable=False)


# What a warm export reads of each current version, covered (migration 0029): on SQLite the
# version's row holds its XML (overflow pages) before these columns, and stepping over it
# slowed every warm export (docs/exports.md, "With kept lines").
db.Index("ix_submission_defs_export", SubmissionDef.submission_id, SubmissionDef.current,
         SubmissionDef.form_version_id, SubmissionDef.encrypted, SubmissionDef.deprecated_id,
         SubmissionDef.device_id)
