"""Resolving the Actor of an HTTP request: app-user token (path prefix or ?st=), bearer session,
Basic (HTTPS only) or Digest credentials. The only auth module that touches Flask.

Passwords and Digest answers are checked under the log-in throttle (app/auth/throttle.py),
counted by the client's address as app/proxy.py establishes it: a held attempt is 429 with
Retry-After. Field keys and bearer tokens are 64 random characters, past guessing, and never
touch the throttle.

Status codes follow what clients do with them: a malformed token is 401, a well-formed but
unknown or revoked one is 403 so Collect does not prompt for a password it cannot have (ODK
Central does the same); a missing or wrong password is 401 with a challenge, because Collect's
authenticator only answers a 401 that carries WWW-Authenticate. Basic is offered and accepted
only over HTTPS; Digest always.
"""
from flask import current_app, request

from app.auth import actors, digest, logins, nonces, secrets, throttle
from app.db import transactions
from app.db import db
from app.problems import Problem


def resolve(project_id=None, challenge=True, end_transaction=True):
    """The request's Actor (resolved once per request), or raise the right 401/403 Problem.

    The Actor is plain data, so by default the read transaction ends here: on SQLite no lock
    is then held while a handler receives or parses a body. A handler that goes straight on
    to write (submission intake, after parsing) keeps it and saves a transaction.
    """
    actor = request.environ.get("doorstep.actor")
    if actor is None:
        transactions.begin_reads(db.session)       # lookups only: no write lock on SQLite
        try:
            actor = request.environ["doorstep.actor"] = _resolve(challenge)
        finally:
            if end_transaction:
                db.session.rollback()
    if project_id is not None and not actor.in_project(project_id):
        raise Problem("403.2")
    return actor


def challenge_anonymous():
    """401 with a challenge, at once, for a request that carries no credentials of any kind:
    clients (Collect, requests' Digest) authenticate from that challenge, so it must come
    before a handler spends time on the body."""
    if (request.environ.get("doorstep.url_token") is None and "st" not in request.args
            and request.authorization is None):
        raise _unauthorised("401.2", True)


def _resolve(challenge):
    token = request.environ.get("doorstep.url_token") or request.args.get("st")
    if token is not None:
        return _by_token(token)
    auth = request.authorization
    if auth is None:
        raise _unauthorised("401.2", challenge)
    if auth.type == "bearer":
        actor = actors.user_by_session_token(db.session, auth.token or "")
    elif auth.type == "basic":
        if not request.is_secure:
            raise _unauthorised("401.3", challenge)
        actor = by_password(auth.username or "", auth.password or "")
    elif auth.type == "digest":
        actor = _by_digest(auth.parameters, challenge)
    else:
        actor = None
    if actor is None:
        raise _unauthorised("401.2", challenge)
    return actor


def _by_token(token):
    if not secrets.well_formed_token(token):
        raise Problem("401.4")
    actor = actors.app_user_by_token(db.session, token)
    if actor is None:
        raise Problem("403.1")
    return actor


def _by_digest(params, challenge):
    config = current_app.config
    state = digest.nonce_state(config["SECRET_KEY"], params.get("nonce", ""))
    # Nothing below is checked against a password, so none of it is a failed log-in.
    if state == "bad" or params.get("realm") != config["AUTH_REALM"]:
        return None
    # The client signs the URI it requested, mount prefix included (a sub-path behind a proxy).
    if params.get("uri", "").split("?")[0] != request.script_root + request.path:
        return None
    user = logins.by_digest(db.session, db.engine, attempt(params.get("username", "")),
                            lambda ha1: digest.verify(ha1, request.method, params))
    if user is None:
        return None
    # A right answer on a stale nonce, or a nonce count seen before, is not a failure: clients
    # answer the fresh challenge by themselves.
    if state == "stale":
        raise _unauthorised("401.2", challenge, stale=True)
    if not nonces.first_use(db.engine, params["nonce"], params["nc"]):
        # a replay, or a retry of a request whose answer was lost: the next nonce count
        raise _unauthorised("401.2", challenge, stale=True)
    return actors.from_user(user)


def attempt(username):
    """A log-in attempt by this user name from this request's client."""
    return throttle.Attempt.of(username, request.remote_addr,
                               throttle.Limits.from_config(current_app.config))


def by_password(username, password):
    """The Actor for a user name and password (POST /v1/sessions, Basic), or None; 429.71
    while held. Reads in a read-only transaction: a failure is noted on its own connection."""
    transactions.begin_reads(db.session)
    return logins.by_password(db.session, db.engine, attempt(username), password,
                              current_app.config["PASSWORD_HASH"])


def _unauthorised(code, challenge, stale=False):
    if not challenge:
        return Problem(code)
    config = current_app.config
    headers = [("WWW-Authenticate",
                digest.challenge(config["AUTH_REALM"], config["SECRET_KEY"], stale))]
    if request.is_secure:
        headers.append(("WWW-Authenticate", f'Basic realm="{config["AUTH_REALM"]}", charset="UTF-8"'))
    return Problem(code, headers=headers)


def require(permission, project_id=None, challenge=True, end_transaction=True):
    actor = resolve(project_id, challenge, end_transaction)
    if not actor.can(permission):
        raise Problem("403.2")
    return actor
