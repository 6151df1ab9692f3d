"""API sessions: POST /v1/sessions trades a user name and password for a bearer token."""
from datetime import timedelta

from app.audit.record import record
from app.auth import actors, secrets
from app.auth.models import ApiSession
from app.models_base import utcnow
from app.problems import Problem


def log_in(session, username, password, hours):
    """Returns (token, ApiSession). Raises 401.2 for wrong credentials (no hint which)."""
    actor = actors.user_by_password(session, username, password)
    if actor is None:
        raise Problem("401.2")
    token = secrets.new_token()
    row = ApiSession(token_hash=secrets.token_hash(token), user_id=actor.id,
                     expires_at=utcnow() + timedelta(hours=hours))
    session.add(row)
    record(session, actor, "user.session.create", f"user:{actor.id}")
    return token, row


def log_out(session, token):
    row = session.get(ApiSession, secrets.token_hash(token))
    if row is not None:
        session.delete(row)
