"""record(): write one audit event into the caller's transaction (a Core insert: it runs on
every submission, and must land or roll back with the change it describes)."""
from sqlalchemy import insert

from app.audit.models import AuditEvent
from app.models_base import utcnow

_INSERT = insert(AuditEvent.__table__)


def record(session, actor, action, target="", **details):
    """`actor` is an auth Actor (or None for the system); nothing is committed here."""
    session.connection().execute(_INSERT, {
        "actor_type": actor.kind if actor else "system", "actor_id": actor.id if actor else None,
        "action": action, "target": target, "details": details or None, "logged_at": utcnow()})
