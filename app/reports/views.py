"""The report's web faces: the HTML page, the A4 print view and the XLSX download of a month's
village or town report, server-rendered (Jinja, one stylesheet, inline SVG charts, no script,
nothing from outside Doorstep, so it works offline on the town's LAN).

    GET /reports/<project>/<YYYY-MM>            ?village=CODE  ?lang=zh|en (Chinese default)
    GET /reports/<project>/<YYYY-MM>/print      the same, laid out for A4
    GET /reports/<project>/<YYYY-MM>.xlsx       the workbook (audited as report.download)

Who may ask is the person signed in to the web console (its cookie, app.web.session: every
route here is a GET), else resolved as the JSON API does (app.auth.http: bearer session,
Digest, Basic over HTTPS; a browser with neither gets the Digest challenge and asks for them);
scope, lock and the report.view audit are app.reports.service's. Every failure a person can
cause (a bad month, an unknown village or project, no right to see) is a bilingual page with
its status, never a 500. Register with `app.register_blueprint(views.bp)`.
"""
import base64
import hashlib
import io
import logging
import re

from flask import Blueprint, current_app, render_template, request, url_for
from marshmallow import fields, validate
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from app.api.loading import QuerySchema, takes
from app.auth import http as auth
from app.db import transactions
from app.db import db
from app.problems import Problem
from app.projects.models import Area, Project
from app.reports import charts, periods, service, text, xlsx
from app.reports.api import Village
from app.web import session as console_session

bp = Blueprint("reports_html", __name__, url_prefix="/reports",
               static_folder="../static/reports", static_url_path="/static")

log = logging.getLogger(__name__)

#: who may read reports: the roles that may read submissions (admin, supervisor, viewer)
PERMISSION = "submission.read"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _Refused(Exception):
    """A request the page cannot answer: its status, the words to show, headers to send."""

    def __init__(self, status, zh, en, headers=()):
        super().__init__(en)
        self.status, self.zh, self.en, self.headers = status, zh, en, list(headers)


class PageQuery(QuerySchema):
    """?village=CODE (the village's report; none: the town's) and ?lang=zh|en."""
    village = Village()
    lang = fields.String(validate=validate.OneOf(["zh", "en"], error=(
        "语言只能是 zh 或 en / The language must be zh or en.")))


def _lang():
    # an error page may come before the query is loaded: read the language leniently
    return "en" if request.args.get("lang") == "en" else "zh"


def _policy(style_hashes=()):
    """The pages' own Content-Security-Policy: our stylesheet and inline SVG only, no script,
    no framing; the print view's @page header is an inline style allowed by its hash."""
    styles = " ".join(["'self'"] + [f"'sha256-{h}'" for h in style_hashes])
    return ("default-src 'none'; style-src " + styles + "; img-src 'self' data:; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def _respond(body, status=200, content_type="text/html; charset=utf-8", style_hashes=(),
             headers=()):
    response = current_app.response_class(body, status=status, content_type=content_type)
    response.headers["Content-Security-Policy"] = _policy(style_hashes)
    for name, value in headers:
        response.headers.add(name, value)
    return response


def _request(project, month_text):
    """(project id, Month, village code or None, lang, actor) of this request, or _Refused."""
    if not project.isdigit() or len(project) > 9:
        raise _Refused(404, text.label("bad_project", "zh"), text.label("bad_project", "en"))
    project_id = int(project)
    try:
        month = periods.Month.parse(month_text)
    except ValueError:
        raise _Refused(400, text.label("bad_month", "zh"), text.label("bad_month", "en"))
    # checked by PageQuery (@takes) as the JSON API checks it (api.Village): any code
    # `areas import` stores is looked up as given, a malformed one was a 400 page already
    village = request.args.get("village") or None
    try:
        actor = _console_actor() or auth.require(PERMISSION, project_id, challenge=True)
    except Problem as problem:
        raise _Refused(problem.status, problem.message_zh, problem.message_en, problem.headers)
    if db.session.get(Project, project_id) is None:
        raise _Refused(404, text.label("bad_project", "zh"), text.label("bad_project", "en"))
    if village is not None and db.session.execute(
            select(Area.id).where(Area.project_id == project_id, Area.code == village)
    ).first() is None:
        raise _Refused(404, text.label("bad_village", "zh", code=village),
                       text.label("bad_village", "en", code=village))
    return project_id, month, village, _lang(), actor


def _console_actor():
    """The person signed in to the web console, for a browser that sends its cookie and no
    other credentials (the pages only read; a supervisor opens them from the console without
    a second password prompt); None otherwise. Scope stays app.reports.service's."""
    if request.authorization is not None or "st" in request.args:
        return None
    actor = console_session.signed_in()
    if actor is not None and not actor.can(PERMISSION):
        raise Problem("403.2")
    return actor


def _document(project_id, month, village, actor, lang, action="report.view"):
    """The report, built in a read-only transaction (on SQLite no write lock: phones and
    reviews go on committing meanwhile), then its audit row alone in a short write
    transaction; the caller commits before the answer leaves, so nothing is sent unaudited."""
    db.session.commit()          # what checking the caller wrote (a Digest nonce's use)
    try:
        transactions.begin_reads(db.session)
        document, seen = service.read_report(db.session, project_id, month, village, actor)
        transactions.end_reads(db.session)
    except Problem as problem:
        db.session.rollback()
        raise _Refused(problem.status, problem.message_zh, problem.message_en, problem.headers)
    service.audit_report(db.session, actor, seen, lang, action)
    return document


def _error(refused):
    db.session.rollback()
    lang = _lang()
    body = render_template("reports/error.html", lang=lang, status=refused.status,
                           zh=refused.zh, en=refused.en, t=text.label,
                           css=url_for("reports_html.static", filename="reports.css"))
    return _respond(body, refused.status, headers=refused.headers)


@bp.errorhandler(Problem)
def _problem(problem):
    return _error(_Refused(problem.status, problem.message_zh, problem.message_en,
                           problem.headers))


_HTTP_ZH = {404: "未找到请求的内容。", 405: "不支持此请求方法。"}


@bp.errorhandler(HTTPException)
def _http(e):
    return _error(_Refused(e.code or 500, _HTTP_ZH.get(e.code, "请求无法处理。"), e.name))


@bp.errorhandler(Exception)
def _unexpected(e):
    """A fault of ours still answers a page a person can read (and is logged, never shown)."""
    log.exception("unexpected error on %s %s", request.method, request.path)
    return _error(_Refused(500, "服务器发生意外错误，请稍后再试。",
                           "The server failed unexpectedly; please try again later."))


def _links(project_id, month, village, lang):
    """The page's own URLs, each keeping the language (and the village, where it applies):
    print, XLSX, the other language, the months before and after, the town, each village."""
    def url(endpoint="reports_html.page", at=month, where=village, language=lang):
        args = {"project": project_id, "month": str(at)}
        if where:
            args["village"] = where
        if language == "en":
            args["lang"] = "en"
        return url_for(endpoint, **args)
    return {"page": url(), "print": url("reports_html.print_view"),
            "xlsx": url("reports_html.download"),
            "language": url(language="zh" if lang == "en" else "en"),
            "previous": url(at=month.plus(-1)), "next": url(at=month.plus(1)),
            "town": url(where=None), "village": lambda code: url(where=code)}


def _css_string(value):
    """A CSS string literal of plain text (the print header's content)."""
    out = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + re.sub(r"[\r\n\f]+", " ", out).replace("<", "\\3c ") + '"'


def print_header_style(document, lang):
    """The print view's running header and footer as an inline stylesheet (CSS @page margin
    boxes, repeated on every printed page), and the hash the page's CSP allows it by."""
    where = text.name(document.get("village"), lang) or text.label("town", lang)
    head = f"{where} · {document.get('month')} · {text.lock_state(document, lang)}"
    page = text.label("page", lang, page="\u0001", pages="\u0002")
    before, _, rest = page.partition("\u0001")
    middle, _, after = rest.partition("\u0002")
    footer = (f'{_css_string(before)} counter(page) {_css_string(middle)} counter(pages) '
              f'{_css_string(after)}')
    css = ("@page { @top-left { content: " + _css_string(head) + "; } "
           "@bottom-right { content: " + footer + "; } "
           "@bottom-left { content: " + _css_string(text.title(document, lang)) + "; } }")
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    return css, digest


def render_page(document, lang="zh", printing=False, links=None):
    """The report page (or its print view) of a document as HTML; needs a request context
    (for url_for). Views call it with their links; tests with a document of their own."""
    lang = "en" if lang == "en" else "zh"
    style, digest = print_header_style(document, lang) if printing else (None, None)
    body = render_template(
        "reports/print.html" if printing else "reports/page.html", doc=document, lang=lang,
        t=text.label, name=lambda item: text.name(item, lang),
        value=lambda v, unit="count", sign=False: text.value(v, unit, lang, sign),
        text=text, charts=charts.render(document, lang), links=links or {},
        print_style=style, zip=zip,
        css=url_for("reports_html.static", filename="reports.css"))
    return body, ([digest] if digest else [])


def _view(project, month_text, printing):
    try:
        project_id, month, village, lang, actor = _request(project, month_text)
        document = _document(project_id, month, village, actor, lang)
    except _Refused as refused:
        return _error(refused)
    db.session.commit()          # the report.view audit row service.report wrote
    body, hashes = render_page(document, lang, printing, _links(project_id, month, village,
                                                                 lang))
    return _respond(body, style_hashes=hashes)


@bp.get("/<project>/<month>")
@takes(query=PageQuery, anonymous=True)      # _request asks for credentials itself
def page(project, month):
    return _view(project, month, printing=False)


@bp.get("/<project>/<month>/print")
@takes(query=PageQuery, anonymous=True)      # _request asks for credentials itself
def print_view(project, month):
    return _view(project, month, printing=True)


@bp.get("/<project>/<month>.xlsx")
@takes(query=PageQuery, anonymous=True)      # _request asks for credentials itself
def download(project, month):
    try:
        project_id, month_, village, lang, actor = _request(project, month)
        document = _document(project_id, month_, village, actor, lang, "report.download")
    except _Refused as refused:
        return _error(refused)
    out = io.BytesIO()
    xlsx.write(document, out, lang)
    db.session.commit()          # the report.download audit row
    where = village or "town"
    return _respond(out.getvalue(), content_type=_XLSX, headers=[
        ("Content-Disposition", f'attachment; filename="report-{where}-{month_}.xlsx"')])
