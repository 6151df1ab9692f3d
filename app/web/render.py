"""Rendering console pages and their errors: the shared context of base.html (language, the
signed-in person, her menu, her towns to switch between, the CSRF token, the stylesheet) and
the pages' own Content-Security-Policy: our stylesheet, images from here or inline, no script
at all."""
import hashlib
import logging
import os

from flask import current_app, g, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from app.db import db
from app.web import i18n, session, towns
from app.web.blueprint import town

log = logging.getLogger(__name__)

POLICY = ("default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "
          "form-action 'self'; frame-ancestors 'none'")

def N_(message):              # noqa: N802 - marks a message for extraction, translated later
    return message


#: the menu: (endpoint, permission, label); an item shows when its page exists and the
#: person may open it
MENU = (
    ("console.dashboard", "console.view", N_("Today")),
    ("console.review", "submission.read", N_("Review")),
    ("console.people", "submission.read", N_("People")),
    ("console.conflicts", "submission.read", N_("Conflicts")),
    ("console.duplicates", "submission.read", N_("Duplicates")),
    ("console.overdue", "submission.read", N_("Overdue")),
    ("console.reports", "submission.read", N_("Reports")),
    ("console.county_page", "county.read", N_("County")),
    ("console.exports", "submission.read", N_("Exports")),
    ("console.reconcile", "submission.read", N_("Reconcile")),
    ("console.phones", "app_user.manage", N_("Phones")),
    ("console.users", "user.manage", N_("Users")),
    ("console.forms", "form.update", N_("Forms")),
    ("console.audit", "audit.read", N_("Audit log")),
    ("console.account", "console.view", N_("My account")),
)


def _asset_version(name):
    """A fingerprint of a static file, so its URL changes when it does."""
    cache = current_app.extensions.setdefault("console_assets", {})
    if name not in cache:
        path = os.path.join(os.path.dirname(__file__), "static", name)
        with open(path, "rb") as f:
            cache[name] = hashlib.sha256(f.read()).hexdigest()[:12]
    return cache[name]


def asset(name):
    return url_for("console.static", filename=name, v=_asset_version(name))


def menu(actor, towns_=()):
    """Her menu; the county roll-up only for town-wide staff of several towns (`towns_`: the
    towns she works in, as the switcher lists them) and admins of a server with several."""
    if actor is None:
        return []
    known = current_app.view_functions
    return [(url_for(endpoint), _(label), request.endpoint == endpoint)
            for endpoint, permission, label in MENU
            if endpoint in known and actor.can(permission)
            and (endpoint != "console.county_page" or (towns_ and actor.area_ids is None))]


def _towns(actor):
    """(id, name) of her towns for the frame's town switcher; [] for one town or none (it
    reads the database, so an error page after a failed read shows no switcher)."""
    if actor is None or g.get("console_town") is None \
            or (actor.project_ids is not None and len(actor.project_ids) < 2):
        return []                   # (one town: no query)
    try:
        found = towns.readable(db.session, actor)
    except SQLAlchemyError:
        return []
    return found if len(found) > 1 else []


def other_language_url():
    """This page in the other language (the query kept). Only the query's own fields are
    kept: a name url_for reads itself (`_external`, `_method`, `_anchor`, `_scheme`) or one
    of the path's would otherwise change the link or fail to build it, and this runs on the
    error page of that very query."""
    view_args = request.view_args or {}
    args = {k: v for k, v in request.args.items() if not k.startswith("_") and k not in view_args}
    args["lang"] = "en" if i18n.current() == "zh" else "zh"
    return url_for(request.endpoint, **view_args, **args) \
        if request.endpoint else "?lang=" + args["lang"]


def respond(body, status=200):
    response = current_app.response_class(body, status=status,
                                          content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = POLICY
    # Not no-referrer: the browser would then send Origin: null on the page's forms
    response.headers["Referrer-Policy"] = "same-origin"
    response.vary.add("Cookie")
    return i18n.remember(response)


def render(template, status=200, **context):
    """A console page, with the context every page's base.html reads."""
    actor = session.signed_in() if request.cookies.get(session.COOKIE) else None
    lang = i18n.current()
    hers = _towns(actor)
    body = render_template(
        template, lang=lang, html_lang=i18n.HTML_LANG[lang], actor=actor,
        menu=menu(actor, hers), towns=hers, town=town(), csrf=session.csrf_token(),
        css=asset("console.css"),
        other_language=other_language_url(), day=i18n.day, moment=i18n.moment, **context)
    return respond(body, status)


def error_page(problem):
    """A catalogued failure as a page in the chosen language, with its status."""
    response = render("console/error.html", status=problem.status,
                      message=i18n.message(problem), code=problem.code)
    for name, value in problem.headers:
        response.headers.add(name, value)
    return response
