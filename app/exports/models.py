"""The exports' derived tables, for Central's default CSV layout:
- `export_lines`: each current submission version's flattened CSV text (app.exports.lines);
- `export_segments`: a run of a form's submissions written out whole, every table's lines
  deflated (app.exports.segments).

They are caches and nothing else: every row can be recomputed from the submissions and the
form's export fields, dropping rows changes no export, and they hold the same personal data
as the submissions they come from (read only by the CSV exports and the `flask exports warm`
command)."""
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


class ExportSegment(db.Model):
    """A run of a form's live submissions, newest first, exported once: what the CSV tables
    hold for exactly those rows, each table's lines as a deflated piece (app.exports.deflated).
    Valid while the live rows between its two ends still number `rows` and their ids, the
    ids' squares and export_versions add up to the sums kept, and the names and versions in `context` are
    unchanged (app.exports.segments)."""
    __tablename__ = "export_segments"
    __table_args__ = (db.Index("ix_export_segments_form", "form_id", "signature", "newest_at",
                               "newest_id"),
                      # never reuse an id on SQLite: an export checks a segment by id, then
                      # reads it (app.exports.segments.Plan.load checks it again)
                      {"sqlite_autoincrement": True})
    id = db.Column(db.Integer, primary_key=True)
    form_id = db.Column(db.Integer, db.ForeignKey("forms.id", ondelete="CASCADE"),
                        nullable=False)
    #: the kept lines' signature of the layout it was written with (lines.signature)
    signature = db.Column(db.String(64), nullable=False)
    #: its first row (the newest) and its last (the oldest), by (created_at, id)
    newest_at = db.Column(db.DateTime, nullable=False)
    newest_id = db.Column(db.Integer, nullable=False)
    oldest_at = db.Column(db.DateTime, nullable=False)
    oldest_id = db.Column(db.Integer, nullable=False)
    rows = db.Column(db.Integer, nullable=False)
    id_sum = db.Column(db.BigInteger, nullable=False)
    version_sum = db.Column(db.BigInteger, nullable=False)
    #: sum of each id's square modulo a prime (segments.SQUARES)
    square_sum = db.Column(db.BigInteger, nullable=False)
    #: JSON: the submitter names and form versions its metadata cells show
    context = db.Column(db.Text, nullable=False)
    #: the root table's lines: raw deflate, its uncompressed size and CRC-32
    root = db.Column(db.LargeBinary, nullable=False)
    root_size = db.Column(db.BigInteger, nullable=False)
    root_crc = db.Column(db.BigInteger, nullable=False)
    #: every repeat table's piece, one after the other; repeats_index: JSON
    #: [[table index, compressed length, size, crc], …]
    repeats = db.Column(db.LargeBinary, nullable=False)
    repeats_index = db.Column(db.Text, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False)
