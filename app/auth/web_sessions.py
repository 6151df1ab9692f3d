"""Web console sessions: signing in, the signed-in person on each request, signing out.
Plain functions, no Flask (app/web/session.py carries the token in a cookie).

A session ends at whichever comes first: `idle` without a request, or `absolute` after
signing in. `seen_at` is written at most once a minute, so a page view is one read, not a
write, on almost every request. The CSRF token of a session is an HMAC of its token's hash:
nothing more to store, and it changes with every sign-in.
"""
import hashlib
import hmac
from datetime import timedelta

from sqlalchemy import delete, select, update

from app.audit.record import record
from app.auth import actors, secrets
from app.auth.models import ApiSession, User, WebSession
from app.db.columns import utcnow

#: how stale `seen_at` may be before a request writes it again
TOUCH_EVERY = timedelta(minutes=1)


def open_session(session, actor, absolute, now=None):
    """A new session for the Actor whose password was checked; returns its token."""
    now = now or utcnow()
    # her sessions past their end go now (nothing else deletes them)
    session.execute(delete(WebSession).where(WebSession.user_id == actor.id,
                                             WebSession.expires_at <= now))
    token = secrets.new_token()
    session.add(WebSession(token_hash=secrets.token_hash(token), user_id=actor.id,
                           created_at=now, seen_at=now, expires_at=now + absolute))
    record(session, actor, "user.web_session.create", f"user:{actor.id}")
    return token


def actor_of(session, token, idle, now=None):
    """(the Actor of a live session with this token, whether its `seen_at` is due to be
    written by touch(), the town its console last showed or None), or (None, False, None):
    unknown, idle too long, past its end, or its user disabled since. Reads only, so it runs
    in a read-only transaction."""
    if not secrets.well_formed_token(token):
        return None, False, None
    now = now or utcnow()
    row = session.get(WebSession, secrets.token_hash(token))
    if row is None or row.expires_at <= now or row.seen_at + idle <= now:
        return None, False, None
    user = session.get(User, row.user_id)
    if user is None or user.disabled:
        return None, False, None
    return actors.from_user(user), now - row.seen_at >= TOUCH_EVERY, row.project_id


def remember_town(session, token, project_id):
    """Note the town she chose: her later pages show it until she picks another."""
    session.execute(update(WebSession).where(WebSession.token_hash == secrets.token_hash(token))
                    .values(project_id=project_id))


def touch(session, token, now=None):
    """Note that the session was used now (its idle limit starts again)."""
    session.execute(update(WebSession).where(WebSession.token_hash == secrets.token_hash(token))
                    .values(seen_at=now or utcnow()))


def close_session(session, token, actor=None):
    """Sign out: the session is gone, whatever state it was in."""
    session.execute(delete(WebSession).where(WebSession.token_hash == secrets.token_hash(token)))
    if actor is not None:
        record(session, actor, "user.web_session.end", f"user:{actor.id}")


def close_all(session, user_id):
    """End every session of a user (disabled, or her password changed): her browsers' and
    her API bearer tokens (made with the old password, they would outlive it by a day)."""
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    close_api_sessions(session, user_id)


def close_api_sessions(session, user_id):
    """End a user's API sessions (POST /v1/sessions bearer tokens)."""
    session.execute(delete(ApiSession).where(ApiSession.user_id == user_id))


def csrf_token(secret_key, token):
    digest = hmac.new(secret_key.encode(), b"csrf:" + secrets.token_hash(token).encode(),
                      hashlib.sha256)
    return digest.hexdigest()


def csrf_ok(secret_key, token, sent):
    return bool(sent) and hmac.compare_digest(csrf_token(secret_key, token), sent)


def live_sessions(session, user_id, now=None):
    """The user's sessions that have not reached their absolute end (for her account page)."""
    return list(session.scalars(select(WebSession).where(
        WebSession.user_id == user_id, WebSession.expires_at > (now or utcnow()))
        .order_by(WebSession.created_at.desc())))
