"""The console's language: `?lang=zh|en` (remembered in a cookie), else the cookie, else
Chinese. Messages are English in the code and templates, translated into Chinese by the
catalogues under app/web/translations/<page>/zh/LC_MESSAGES (Flask-Babel merges them).
Dates in tables are ISO (2026-03-05: fixed width, sorts as text, GB/T 7408); times are shown
in the town's time zone (the project's, Asia/Shanghai unless set), stored in UTC."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app, request
from flask_babel import Babel

LANGS = ("zh", "en")
COOKIE = "doorstep_lang"
#: the <html lang> of each language: browsers pick Han glyphs and fonts from it
HTML_LANG = {"zh": "zh-CN", "en": "en"}


def current():
    """The request's language (zh or en)."""
    lang = request.environ.get("doorstep.lang")
    if lang is None:
        asked = request.args.get("lang")
        lang = asked if asked in LANGS else request.cookies.get(COOKIE)
        lang = request.environ["doorstep.lang"] = lang if lang in LANGS else "zh"
    return lang


def remember(response):
    """Keep a language asked for with ?lang= for the next pages (not a secret: no HttpOnly)."""
    asked = request.args.get("lang")
    if asked in LANGS and request.cookies.get(COOKIE) != asked:
        response.set_cookie(COOKIE, asked, max_age=365 * 86400, samesite="Lax",
                            secure=request.is_secure)
    return response


def init(app):
    Babel(app, locale_selector=current)


def zone():
    """The town's time zone (the town the page shows; each read once per process; the
    default zone on a page of no town: her own account when she works in none)."""
    from app.web.blueprint import town  # noqa: PLC0415
    zones = current_app.extensions.setdefault("console_zones", {})
    project_id = town()
    if project_id not in zones:
        from app.db import db          # noqa: PLC0415
        from app.projects.models import Project  # noqa: PLC0415
        project = db.session.get(Project, project_id) if project_id is not None else None
        zones[project_id] = ZoneInfo(project.time_zone if project else "Asia/Shanghai")
    return zones[project_id]


def local(value):
    """A stored (naive UTC) datetime in the town's time."""
    return value.replace(tzinfo=timezone.utc).astimezone(zone()).replace(tzinfo=None)


def day(value):
    """A date, or a stored datetime in the town's time, as 2026-03-05 ('' for None)."""
    if isinstance(value, datetime):
        value = local(value)
    return value.strftime("%Y-%m-%d") if isinstance(value, (date, datetime)) else (value or "")


def moment(value):
    """A stored datetime in the town's time as 2026-03-05 14:07 ('' for None)."""
    return local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def message(problem, lang=None):
    """A Problem's message in the page's language."""
    return problem.message_en if (lang or current()) == "en" else problem.message_zh
