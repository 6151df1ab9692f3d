"""record(): write one audit event into the caller's transaction."""
from app.audit.models import AuditEvent


def record(session, actor, action, target="", **details):
    """`actor` is an auth Actor (or None for the system); nothing is committed here."""
    session.add(AuditEvent(
        actor_type=actor.kind if actor else "system",
        actor_id=actor.id if actor else None,
        action=action, target=target, details=details or None))
