"""Who is at the console, and the guard on every console route.

A signed-in browser carries one cookie, `doorstep_console`: a random token (its hash is a
web_sessions row, app/auth/web_sessions.py), HttpOnly, SameSite=Lax, Secure over HTTPS. The
Actor it yields is the one the JSON API builds for the same user (app.auth.actors), and the
same PERMISSIONS table decides what she may do; village scope is applied by the app/console
functions each page calls, exactly as app/submissions/queries.py and app/register/service.py
apply it for the API.

`@page(permission, query=…, form=…)` on every route: an anonymous GET is sent to /login (and
back after), any other anonymous request is 401; a role without the permission is 403; a
POST must carry the session's CSRF token (a hidden `csrf` field) and, when the browser sends
one, an Origin of this site; the query string and the form go through marshmallow schemas
(an unknown or malformed field is a 400 page); `?project=N` picks the town the page shows
(app/web/towns.py), which the handler reads as `town()`. GET pages read in a read-only
transaction (on SQLite no write lock while phones send); `audit()` then writes the read's
audit row in a short write transaction, and the guard commits when the handler returns.
"""
import functools
import inspect
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, redirect, request, url_for
from marshmallow import Schema, ValidationError, fields, validate

from app.audit.record import record
from app.auth import web_sessions
from app.db import transactions
from app.db import db
from app.problems import Problem
from app.web import towns
from app.web.blueprint import town

COOKIE = "doorstep_console"
DECLARATION = "console_page"


class PageQuery(Schema):
    """The base of every console query schema: the language switch rides on every page."""
    lang = fields.String(validate=validate.OneOf(["zh", "en"]))


class PageForm(Schema):
    """The base of every console form: the CSRF token is checked before the schema runs."""
    csrf = fields.String(required=True)


@dataclass(frozen=True)
class Declaration:
    permission: str
    query: type
    form: type
    scope: str


#: what a route's village scope rests on (tests/web/test_route_policy.py checks each):
#: "village": it shows or changes one village's things: an object in its path (a submission,
#: a person, a household, an entity, a phone), a `village` query field, or a `village` /
#: `villages` form field, and refuses those outside the person's villages;
#: "own": only the signed-in person's own things (her account);
#: "town": town-wide things only an admin may touch (forms, web users, the audit log);
#: "shared": a town-wide thing every console person may read (a form, to preview it), whose
#: village data (its entity lists, village files) is cut to the person's villages; reads only.
SCOPES = ("village", "own", "town", "shared")


def signed_in():
    """The request's Actor from its console cookie, or None. Looked up once per request."""
    environ = request.environ
    if "doorstep.console_actor" not in environ:
        token = request.cookies.get(COOKIE, "")
        actor = town = None
        if token:
            idle = timedelta(minutes=current_app.config["CONSOLE_IDLE_MINUTES"])
            transactions.begin_reads(db.session)
            actor, due, town = web_sessions.actor_of(db.session, token, idle)
            transactions.end_reads(db.session)
            if due:
                web_sessions.touch(db.session, token)
                db.session.commit()
        environ["doorstep.console_actor"] = actor
        environ["doorstep.console_token"] = token if actor else None
        environ["doorstep.console_town"] = town
    return environ["doorstep.console_actor"]


def session_token():
    """The signed-in browser's session token (None when nobody is)."""
    signed_in()
    return request.environ["doorstep.console_token"]


def secure_cookies():
    """Cookies only over HTTPS: when this request came over it, or the public address is
    https (behind a TLS proxy that is not declared trusted, the request looks like http)."""
    return request.is_secure or current_app.config["PUBLIC_URL"].startswith("https://")


def csrf_token():
    """The hidden field every form of a signed-in page carries ('' when nobody is)."""
    token = session_token()
    return web_sessions.csrf_token(current_app.config["SECRET_KEY"], token) if token else ""


def _same_origin():
    origin = request.headers.get("Origin")
    return origin is None or origin == request.host_url.rstrip("/")


def check_csrf(token, sent):
    if not _same_origin() or not web_sessions.csrf_ok(current_app.config["SECRET_KEY"], token,
                                                      sent):
        raise Problem("403.91")


def _load(schema, values, where):
    try:
        return schema.load(values)
    except ValidationError as e:
        fields_ = ", ".join(sorted(str(k) for k in e.messages))
        raise Problem("400.79", {"summary": f"{where}: {fields_}", "fields": fields_})


def _refuse_nul(values, where):
    """No field may carry a NUL character: PostgreSQL can neither store nor compare a text
    holding one (it was a 500 there: a comment, a phone's or user's name, a cursor)."""
    bad = sorted({k.replace("\x00", "\\0") for k, v in values.items(multi=True)
                  if "\x00" in k or "\x00" in v})
    if bad:
        raise Problem("400.79", {"summary": f"{where}: " + ", ".join(bad),
                                 "fields": ", ".join(bad)})


def _args(besides=()):
    repeated = sorted(k for k, v in request.args.lists() if len(v) > 1)
    if repeated:
        raise Problem("400.79", {"summary": "query: " + ", ".join(repeated),
                                 "fields": ", ".join(repeated)})
    _refuse_nul(request.args, "query")
    return {k: v for k, v in request.args.items() if k not in besides}


def load_query(schema, besides=()):
    """The request's query string through `schema`, refused (400.79) as a console page's is:
    a repeated field, a NUL, or what the schema refuses (the browser forms' pages too).
    `besides`: fields the guard reads itself (the town), left out of the schema's."""
    return _load(schema, _args(besides), "query")


def _form(schema):
    _refuse_nul(request.form, "form")
    return _load(schema, {k: v for k, v in request.form.items() if k != towns.FIELD}, "form")


def page(permission, query=PageQuery, form=None, scope="village"):
    """Guard a console route (see the module's docstring). The handler receives `actor`, and
    `query` / `form` (the loaded values) when its signature names them. A form schema has an
    EXAMPLE (a dict it loads) for the route-policy test to send."""
    assert scope in SCOPES, scope
    query_schema, form_schema = query(), form() if form else None

    def decorate(view):
        accepts = set(inspect.signature(view).parameters) & {"actor", "query", "form"}

        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            actor = signed_in()
            if actor is None:
                if request.method == "GET":
                    return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
                raise Problem("401.91")
            if not actor.can(permission):
                raise Problem("403.2")
            loaded = {"actor": actor, "query": load_query(query_schema, (towns.FIELD,))}
            if request.method == "POST":
                check_csrf(session_token(), request.form.get("csrf"))
            # (a form acts on the town it was shown in, whatever another tab chose since)
            towns.choose(actor, session_token(), request.environ["doorstep.console_town"],
                         request.form.get(towns.FIELD) if request.method == "POST" else None,
                         required=scope != "own")
            if request.method == "POST":
                if form_schema is None:
                    raise Problem("405.91")
                loaded["form"] = _form(form_schema)
            else:
                transactions.begin_reads(db.session)
            kwargs.update({name: loaded[name] for name in accepts if name in loaded})
            try:
                response = view(*args, **kwargs)
                db.session.commit()
            except BaseException:
                db.session.rollback()
                raise
            return response
        setattr(wrapper, DECLARATION, Declaration(permission, query, form, scope))
        return wrapper
    return decorate


def public(query=PageQuery, form=None):
    """The few routes open to anyone (signing in and out): the query and form still go
    through their schemas, and the handler checks what it needs itself."""
    query_schema, form_schema = query(), form() if form else None

    def decorate(view):
        accepts = set(inspect.signature(view).parameters) & {"query", "form"}

        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            loaded = {"query": load_query(query_schema)}
            if request.method == "POST" and form_schema is not None:
                loaded["form"] = _form(form_schema)
            kwargs.update({name: loaded[name] for name in accepts if name in loaded})
            return view(*args, **kwargs)
        setattr(wrapper, DECLARATION, Declaration(None, query, form, "own"))
        return wrapper
    return decorate


def audit(actor, action, target="", **details):
    """Write the audit row of what the page shows (a read of personal data) or did; on a GET
    the read transaction ends first, so take what the page needs as plain data before."""
    if request.method != "POST":          # GET, or HEAD (Flask answers it with the GET view)
        transactions.end_reads(db.session)
    if ":" not in target:                  # a page of the town the console shows
        details["project"] = town()
    record(db.session, actor, action, target, **details)
