"""The life events table: one row per event a counted submission reports (app.events.record
writes them; reports count them by kind, village and the event's own date)."""
from app.db import db
from app.db.columns import JSONType, utcnow


class LifeEvent(db.Model):
    """An event as the submission's current version reports it. `occurred_on` is the form's
    date for it (never the server's); `area_id` the event's village; the uuids point at
    register entities (people, households, pregnancies) and may name ones not in it yet."""
    __tablename__ = "life_events"
    __table_args__ = (
        # the reports' counts by kind and date read this index alone (tag, village, people)
        db.Index("ix_life_events_kind_date", "project_id", "kind", "occurred_on", "tag",
                 "area_id", "person", "household"),
        db.Index("ix_life_events_area_date", "area_id", "occurred_on"),
        db.Index("ix_life_events_person", "person"),
        # a household's payments (app.reports.firsts looks them up at intake)
        db.Index("ix_life_events_household", "household"),
        db.Index("ix_life_events_pregnancy", "pregnancy"),
        db.Index("ix_life_events_submission", "submission_id"),
    )
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.ForeignKey("projects.id"), nullable=False)
    submission_id = db.Column(db.ForeignKey("submissions.id"), nullable=False)
    submission_def_id = db.Column(db.ForeignKey("submission_defs.id"), nullable=False)
    #: the xmlFormId of the form that reported it
    form_id = db.Column(db.String(255), nullable=False)
    #: a key of app.events.kinds.KINDS
    kind = db.Column(db.String(40), nullable=False)
    occurred_on = db.Column(db.Date)
    area_id = db.Column(db.ForeignKey("areas.id"))
    person = db.Column(db.String(36))
    other_person = db.Column(db.String(36))
    household = db.Column(db.String(36))
    pregnancy = db.Column(db.String(36))
    details = db.Column(JSONType, nullable=False, default=dict)
    #: the detail the reports tell events of its kind apart by (app.events.record.TAGS: a
    #: three-checks round, a benefit …) as the report cells name it; None for other kinds
    tag = db.Column(db.String(40))
    #: its place among the submission's events (the deriver's order)
    position = db.Column(db.Integer, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
