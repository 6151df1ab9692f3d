"""record(): write one audit event into the caller's transaction (a Core insert: it runs on
every submission, and must land or roll back with the change it describes)."""
from sqlalchemy import bindparam, insert

from app.audit.models import AuditEvent
from app.driver_sql import DriverStatement
from app.models_base import utcnow

_T = AuditEvent.__table__
_INSERT = DriverStatement(insert(_T).values(
    {c: bindparam(c, type_=_T.c[c].type)
     for c in ("actor_type", "actor_id", "action", "target", "details", "logged_at")}))


def record(session, actor, action, target="", **details):
    """`actor` is an auth Actor (or None for the system); nothing is committed here."""
    write(session, event_row(actor, action, target, details))


def write(session, row):
    """Write an event_row() (for a caller that built it with the other rows of a change)."""
    _INSERT.run(session, row)


def event_row(actor, action, target, details, logged_at=None):
    """The audit_events row record() writes, for a caller that writes it itself or in a
    statement of its own (app/register/entities.py)."""
    return {"actor_type": actor.kind if actor else "system",
            "actor_id": actor.id if actor else None, "action": action, "target": target,
            "details": details or None, "logged_at": logged_at or utcnow()}
