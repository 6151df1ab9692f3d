"""API sessions: POST /v1/sessions trades a user name and password for a bearer token."""
from datetime import timedelta

from app.audit.record import record
from app.auth import secrets
from app.auth.models import ApiSession
from app.db import transactions
from app.db.columns import utcnow
from app.problems import Problem


def log_in(session, actor, hours):
    """Returns (token, ApiSession) for the Actor whose password was checked (app.auth.http.
    by_password, under the log-in throttle); None: 401.2 (no hint whether the user exists)."""
    if actor is None:
        raise Problem("401.2")
    transactions.end_reads(session)
    token = secrets.new_token()
    row = ApiSession(token_hash=secrets.token_hash(token), user_id=actor.id,
                     expires_at=utcnow() + timedelta(hours=hours))
    session.add(row)
    record(session, actor, "user.session.create", f"user:{actor.id}")
    return token, row


def log_out(session, actor, token, now=None):
    """End the session with this token: the actor's own, or anyone's for an admin. Anything
    else is 403, an unknown or expired token included, as ODK Central answers: a 404 there
    would tell a guesser which tokens are live."""
    row = session.get(ApiSession, secrets.token_hash(token))
    if row is None or row.expires_at <= (now or utcnow()) or not _may_end(actor, row):
        raise Problem("403.2")
    session.delete(row)
    record(session, actor, "user.session.end", f"user:{row.user_id}")


def _may_end(actor, row):
    return actor.kind == "user" and (actor.id == row.user_id or actor.role == "admin")
