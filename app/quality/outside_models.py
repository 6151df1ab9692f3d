"""The outside lists' tables: each imported file (`outside_imports`), the records they carry,
one per key however many files repeat it (`outside_records`), which file carried which record
at which row (`outside_import_rows`), and the reconciliation of an import with the register
(`outside_results`: derived, recomputed by app.quality.outside.rerun)."""
from app.db import db
from app.db.columns import JSONType, utcnow


class OutsideImport(db.Model):
    """One file as imported. The same bytes of the same kind imported again in the same scope
    are this import (`sha256`, `scope`: '' for every village, else the sorted village ids)."""
    __tablename__ = "outside_imports"
    __table_args__ = (db.UniqueConstraint("project_id", "kind", "sha256", "scope"),)
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.ForeignKey("projects.id"), nullable=False)
    kind = db.Column(db.String(40), nullable=False)
    filename = db.Column(db.String(255), nullable=False)
    sha256 = db.Column(db.String(64), nullable=False)
    scope = db.Column(db.String(400), nullable=False, default="")
    size = db.Column(db.Integer, nullable=False)
    rows_read = db.Column(db.Integer, nullable=False)
    rows_kept = db.Column(db.Integer, nullable=False)
    #: rows of villages beyond the importer's, skipped (counted, never stored)
    rows_skipped = db.Column(db.Integer, nullable=False, default=0)
    #: the bad rows: [{row, column, value, zh, en}] (the first MAX_LISTED of them)
    rejected = db.Column(JSONType, nullable=False, default=list)
    rows_rejected = db.Column(db.Integer, nullable=False, default=0)
    #: the villages (area ids) its kept rows are in, and its first and last date
    area_ids = db.Column(JSONType, nullable=False, default=list)
    first_date = db.Column(db.Date)
    last_date = db.Column(db.Date)
    actor_type = db.Column(db.String(20), nullable=False)
    actor_id = db.Column(db.Integer)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    reconciled_at = db.Column(db.DateTime)


class OutsideRecord(db.Model):
    """One outside record by its key (FORMATS.md): the latest file's values win."""
    __tablename__ = "outside_records"
    __table_args__ = (db.UniqueConstraint("project_id", "kind", "key"),)
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.ForeignKey("projects.id"), nullable=False)
    kind = db.Column(db.String(40), nullable=False)
    key = db.Column(db.String(200), nullable=False)
    area_id = db.Column(db.ForeignKey("areas.id"), nullable=False)
    #: the row's values, normalised (dates ISO, sex male/female, village code)
    data = db.Column(JSONType, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime)


class OutsideImportRow(db.Model):
    __tablename__ = "outside_import_rows"
    import_id = db.Column(db.ForeignKey("outside_imports.id", ondelete="CASCADE"),
                          primary_key=True)
    record_id = db.Column(db.ForeignKey("outside_records.id"), primary_key=True)
    row_no = db.Column(db.Integer, nullable=False)


class OutsideResult(db.Model):
    """One line of an import's reconciliation: `status` matched (record and register uuid),
    omitted (record only) or extra (register uuid only), with the score and the evidence."""
    __tablename__ = "outside_results"
    __table_args__ = (db.Index("ix_outside_results_list", "import_id", "status", "area_id",
                               "id"),)
    id = db.Column(db.Integer, primary_key=True)
    import_id = db.Column(db.ForeignKey("outside_imports.id", ondelete="CASCADE"),
                          nullable=False)
    status = db.Column(db.String(10), nullable=False)
    record_id = db.Column(db.ForeignKey("outside_records.id"))
    register_uuid = db.Column(db.String(36))
    area_id = db.Column(db.ForeignKey("areas.id"))
    #: the birth date (births) the accuracy's month is taken from
    occurred_on = db.Column(db.Date)
    #: matched: whether every key field agreed (sex, date, village): REPORTS.md §1.10's C
    exact = db.Column(db.Boolean)
    score = db.Column(db.Float)
    band = db.Column(db.String(10))
    evidence = db.Column(JSONType, nullable=False, default=dict)
    #: what the register held when reconciled (name, dob, sex …) for the lists
    register = db.Column(JSONType, nullable=False, default=dict)
