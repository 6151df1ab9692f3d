"""The reports' tables: monthly summary cells (kept by app.reports.cells in the life events'
own transaction), yearly targets, and month locks (the figures, lists and event ids a meeting
closed)."""
from app.db import db
from app.db.columns import JSONType, utcnow


class ReportCell(db.Model):
    """How many events (or the sum of an amount) of one cell a village has in one month, or,
    for a stock cell, by how much the stock changed in that month. Written only by
    app.reports.cells; `register rebuild --check` compares it with what the events give."""
    __tablename__ = "report_cells"
    __table_args__ = (
        # every column, in group order: SQLite sums a village's stock history from it alone
        db.Index("ix_report_cells_area_cell", "project_id", "area_id", "cell", "month", "n"),
        # every column, month first: a report's months of every village from the index alone
        db.Index("ix_report_cells_month", "project_id", "month", "area_id", "cell", "n"),
    )
    project_id = db.Column(db.ForeignKey("projects.id"), primary_key=True)
    #: 0 for events with no village (a report's town total counts them)
    area_id = db.Column(db.Integer, primary_key=True, autoincrement=False)
    #: 'YYYY-MM' of the event's date (app.reports.periods; BEFORE when unknown)
    month = db.Column(db.String(7), primary_key=True)
    #: a name of app.reports.cells (e.g. 'birth:female:2', 'pop:male')
    cell = db.Column(db.String(80), primary_key=True)
    n = db.Column(db.BigInteger, nullable=False, default=0)


class ReportTarget(db.Model):
    """A year's target for one indicator, for the town (area_id 0) or one village."""
    __tablename__ = "report_targets"
    project_id = db.Column(db.ForeignKey("projects.id"), primary_key=True)
    year = db.Column(db.Integer, primary_key=True, autoincrement=False)
    indicator = db.Column(db.String(60), primary_key=True)
    area_id = db.Column(db.Integer, primary_key=True, autoincrement=False)
    value = db.Column(db.Float, nullable=False)
    #: who set it, as the audit log names actors ("user:3")
    set_by = db.Column(db.String(40), nullable=False, default="system")
    set_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class ReportLock(db.Model):
    """A month's report as its meeting closed it, for one village or the town (area_id 0).
    A locked report never changes; re-opening one is an admin action that ends this lock
    (`unlocked_at`) and the next lock is the next version."""
    __tablename__ = "report_locks"
    __table_args__ = (
        db.Index("ix_report_locks_month", "project_id", "month", "area_id"),
    )
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.ForeignKey("projects.id"), nullable=False)
    month = db.Column(db.String(7), nullable=False)
    area_id = db.Column(db.Integer, nullable=False)
    version = db.Column(db.Integer, nullable=False, default=1)
    locked_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    locked_by = db.Column(db.String(40), nullable=False, default="system")
    #: the report document as it was locked (app.reports.document)
    document = db.Column(JSONType, nullable=False)
    #: ids of the life_events rows it counted
    event_ids = db.Column(JSONType, nullable=False, default=list)
    unlocked_at = db.Column(db.DateTime)
    unlocked_by = db.Column(db.String(40))
    unlock_reason = db.Column(db.Text)


class ReportStockCut(db.Model):
    """The month up to which a project's stock changes are summed in report_stock_bases
    (app.reports.bases); a project without a row keeps no bases."""
    __tablename__ = "report_stock_cuts"
    project_id = db.Column(db.ForeignKey("projects.id"), primary_key=True)
    #: 'YYYY-MM'
    cut = db.Column(db.String(7), nullable=False)


class ReportStockBase(db.Model):
    """A village's stock cell summed over every month up to its project's cut. Written only
    by app.reports.bases; `register rebuild --check` compares it with the cells."""
    __tablename__ = "report_stock_bases"
    project_id = db.Column(db.ForeignKey("projects.id"), primary_key=True)
    #: 0 for events with no village, as in report_cells
    area_id = db.Column(db.Integer, primary_key=True, autoincrement=False)
    cell = db.Column(db.String(80), primary_key=True)
    n = db.Column(db.BigInteger, nullable=False, default=0)
