"""The browser forms' routes: a phone's link (/-/web/<token>/, the app user's own key in the
path, as Collect's /v1/key/<token>/), each form's page, the service worker, and ODK Web
Forms' files. Handlers stay thin: who is asking comes from the key exactly as on the OpenRosa
routes (app.auth.http), what she may fill from app.forms.queries; the page's script then talks
only to her OpenRosa endpoints (form, manifest, media, lists, submission), so a browser gets
nothing a Collect profile with the same key would not.

A revoked or unknown key answers 403 with a page in both languages, and the service worker
then forgets what it kept for that link.
"""
import functools
import os
from urllib.parse import quote

from flask import (Blueprint, current_app, render_template, request, send_from_directory,
                   url_for)
from flask_babel import refresh
from marshmallow import Schema, fields, validate

from app.auth import http as auth
from app.db import db
from app.forms.queries import fillable_form, listed_forms
from app.problems import Problem
from app.web import i18n, session
from app.webforms import assets, policy

bp = Blueprint("webforms", __name__, template_folder="templates", static_folder="static",
               static_url_path="/-/web/static")
# The language is chosen per request: where one app context serves several requests (tests,
# CLI), Flask-Babel would otherwise keep the first one's (as on the console's blueprint)
bp.before_request(refresh)
HERE = os.path.dirname(os.path.abspath(__file__))
#: marks a leader route for the route-policy test: who may ask and what query it takes
DECLARATION = "webforms_page"


class LinkQuery(Schema):
    lang = fields.String(validate=validate.OneOf(i18n.LANGS))


class FormQuery(LinkQuery):
    #: a draft kept in this browser, to resume
    draft = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9-]{1,64}$"))


def link(query=LinkQuery):
    """Guard a route under /-/web/<token>/: the key must be live (the same lookup as every
    OpenRosa request) and allowed to list forms, and the query must pass its schema; the
    handler gets `actor`."""
    schema = query()

    def decorate(view):
        @functools.wraps(view)
        def wrapper(token, *args, **kwargs):
            request.environ["doorstep.url_token"] = token
            actor = auth.require("form.list", challenge=False)
            session.load_query(schema)
            try:
                return view(token, *args, actor=actor, **kwargs)
            finally:
                db.session.rollback()
        setattr(wrapper, DECLARATION, ("form.list", query))
        return wrapper
    return decorate


def openrosa_base(token, project_id):
    """Where the page's script finds this key's OpenRosa endpoints (same origin)."""
    return f"{request.script_root}/v1/key/{token}/projects/{project_id}"


def engine_urls():
    """The engine's files, by role, under a path that changes with the pinned versions."""
    directory = current_app.config["WEBFORMS_DIR"]
    if not assets.installed(directory):
        raise Problem("503.171")
    base = url_for("webforms.engine", tag=assets.tag(), name="")
    return {"engine": base + assets.ENGINE, "vue": base + assets.VUE,
            "all": [base + name for name in assets.NAMES]}


@bp.route("/-/web/<token>/")
@link()
def home(token, actor):
    rows = listed_forms(db.session, actor, actor.project_id)
    base = openrosa_base(token, actor.project_id)
    forms = [{"id": f.xml_form_id, "title": v.title or f.xml_form_id, "hash": v.md5,
              "page": url_for("webforms.form", token=token, xml_form_id=f.xml_form_id),
              **_form_urls(base, f.xml_form_id, v)}
             for f, v in rows]
    return policy.page(render_template(
        "webforms/home.html", **_context(token, actor), forms=forms))


@bp.route("/-/web/<token>/form/<path:xml_form_id>")
@link(FormQuery)
def form(token, xml_form_id, actor):
    _found, version = fillable_form(db.session, actor, actor.project_id, xml_form_id)
    base = openrosa_base(token, actor.project_id)
    return policy.page(render_template(
        "webforms/form.html", **_context(token, actor), form_id=xml_form_id,
        title=version.title or xml_form_id, hash=version.md5,
        **_form_urls(base, xml_form_id, version)))


def _form_urls(base, xml_form_id, version):
    """A form's OpenRosa file and manifest ("" without media) under the key's base."""
    quoted = quote(xml_form_id, safe="")
    return {"xml": f"{base}/forms/{quoted}.xml",
            "manifest": f"{base}/forms/{quoted}/manifest" if version.attachments else ""}


def scripted_context():
    """What every page running the engine renders with (a link's pages and the console's
    preview): language, the engine's and Doorstep's files, the script nonce."""
    lang = i18n.current()
    return {"lang": lang, "html_lang": i18n.HTML_LANG[lang], "urls": engine_urls(),
            "other_language": "?lang=" + ("en" if lang == "zh" else "zh"),
            "css": static_url("webforms.css"), "script": static_url, "nonce": policy.nonce()}


def _context(token, actor):
    return {**scripted_context(), "token": token, "name": actor.name,
            "base": openrosa_base(token, actor.project_id),
            # what the browser keeps is the phone's, not the key's: a new code finds it
            "owner": f"{actor.project_id}:{actor.id}",
            "home": url_for("webforms.home", token=token),
            "sw": url_for("webforms.service_worker")}


def static_url(name):
    """A file of static/ by a URL that changes with its content (the console's preview too)."""
    return url_for("webforms.static", filename=name, v=policy.fingerprint(HERE, name))


@bp.route("/-/web/sw.js")
def service_worker():
    """The service worker: at /-/web/ so its scope is every link's pages and nothing else.
    Never cached by HTTP: a browser checks it on each visit, so a new release takes over."""
    response = send_from_directory(os.path.join(HERE, "static"), "sw.js", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Content-Security-Policy"] = "default-src 'self'"
    return response


@bp.route("/-/web/engine/<tag>/<name>")
def engine(tag, name):
    """ODK Web Forms' and vue's files: immutable under their versions' tag, as brotli or gzip
    when the browser takes it, a fraction of what a phone would otherwise fetch (docs/webforms.md,
    "What a phone downloads")."""
    directory = current_app.config["WEBFORMS_DIR"]
    if tag != assets.tag() or name not in assets.NAMES or not assets.installed(directory):
        raise Problem("404.1")
    return policy.static_file(directory, name)


@bp.errorhandler(Problem)
def _problem(problem):
    lang = i18n.current()
    body = render_template("webforms/error.html", lang=lang, html_lang=i18n.HTML_LANG[lang],
                           message=i18n.message(problem), code=problem.code,
                           css=static_url("webforms.css"))
    response = policy.page(body, problem.status, scripts=False)
    for name, value in problem.headers:
        if name.lower() != "www-authenticate":      # a page, not a credentials prompt
            response.headers.add(name, value)
    return response
