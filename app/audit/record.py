"""record(): write one audit event into the caller's transaction (a Core insert: it runs on
every submission, and must land or roll back with the change it describes)."""
from sqlalchemy import insert

from app.audit.models import AuditEvent
from app.models_base import utcnow

_INSERT = insert(AuditEvent.__table__)


def record(session, actor, action, target="", **details):
    """`actor` is an auth Actor (or None for the system); nothing is committed here."""
    session.connection().execute(_INSERT, event_row(actor, action, target, details))


def event_row(actor, action, target, details, logged_at=None):
    """The audit_events row record() writes, for a caller that writes it in a statement of
    its own (app/register/entities.py on PostgreSQL)."""
    return {"actor_type": actor.kind if actor else "system",
            "actor_id": actor.id if actor else None, "action": action, "target": target,
            "details": details or None, "logged_at": logged_at or utcnow()}
