"""Audit events. Every change, and every read of personal data by a person (staff, or a phone's
list download), writes one row in the same transaction as the change itself, so there is
never a change without its event."""
from app.extensions import db
from app.models_base import JSONType, utcnow


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    #: the console's audit page reads newest first, alone or by target, actor or action
    __table_args__ = (
        db.Index("ix_audit_events_time", "logged_at", "id"),
        db.Index("ix_audit_events_target_time", "target", "logged_at", "id"),
        db.Index("ix_audit_events_actor_time", "actor_type", "actor_id", "logged_at", "id"),
        db.Index("ix_audit_events_action_time", "action", "logged_at", "id"),
    )
    id = db.Column(db.Integer, primary_key=True)
    #: "user", "app_user" or "system"
    actor_type = db.Column(db.String(20), nullable=False)
    actor_id = db.Column(db.Integer)
    action = db.Column(db.String(64), nullable=False)
    #: e.g. "submission:42", "form:7"
    target = db.Column(db.String(120), nullable=False, default="")
    details = db.Column(JSONType)
    logged_at = db.Column(db.DateTime, nullable=False, default=utcnow)
