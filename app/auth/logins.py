"""Checking a password (POST /v1/sessions, Basic) or a Digest answer, under the log-in
throttle (app/auth/throttle.py). Plain code, no Flask.

An unknown user name costs what a wrong password costs: the password is checked against a
dummy hash made with the same method and parameters (DOORSTEP_PASSWORD_HASH), a Digest
answer against a random HA1, and both note a failure; otherwise the answer's speed would
tell which user names exist. A disabled user is treated as unknown.
"""
from sqlalchemy import and_, bindparam, literal, select

from app.auth import actors, secrets, throttle
from app.auth.models import User
from app.db import transactions
from app.db.columns import utcnow

_ONE_ROW = select(literal(1).label("one")).subquery("one_row")
# The enabled user of this name, outer-joined to one row so that the throttle's holds come
# back for unknown names too: one round trip, built (and so compiled) once.
_LOOKUP = (select(User, *throttle.LOCK_COLUMNS).select_from(_ONE_ROW)
           .outerjoin(User, and_(User.username == bindparam("name"), User.disabled.is_(False))))


def by_password(session, engine, attempt, password, hash_method, now=None):
    """The Actor for this user name and password, or None (a failure, noted). Raises 429.71
    while the attempt is held, before any password work."""
    now = now or utcnow()
    user, locks = _lookup(session, attempt, now)
    _refuse_if_held(session, attempt, locks, now)
    stored = user.password_hash if user is not None else secrets.dummy_password_hash(hash_method)
    if secrets.check_password(stored, password) and user is not None:
        return actors.from_user(user)
    _failed(session, engine, attempt, now)
    return None


def by_digest(session, engine, attempt, accepts, now=None):
    """The User whose HA1 `accepts(ha1)`, or None (a failure, noted); 429.71 while held."""
    now = now or utcnow()
    user, locks = _lookup(session, attempt, now)
    _refuse_if_held(session, attempt, locks, now)
    if accepts(user.digest_ha1 if user is not None else secrets.DUMMY_HA1) and user is not None:
        return user
    _failed(session, engine, attempt, now)
    return None


def _lookup(session, attempt, now):
    row = session.execute(_LOOKUP, {"name": attempt.name, **attempt.lock_params(now)}).one()
    return row[0], tuple(row[1:])


def _refuse_if_held(session, attempt, locks, now):
    seconds = attempt.retry_after(locks, now)
    if seconds:
        transactions.end_reads(session)
        raise attempt.refusal(seconds)


def _failed(session, engine, attempt, now):
    # On SQLite the note's own transaction takes the write lock: the session must not hold it.
    transactions.end_reads(session)
    attempt.failed(engine, now)
