"""Phones: the field keys of a supervisor's villages (all of them for an admin).

    GET  /phones                          the list (?village=CODE, ?after= the next page)
    GET  /phones/new                      the enrolment form
    POST /phones                          enrol a phone → its page, showing the sheet
    GET  /phones/<app_user_id>            the phone; its enrolment sheet (Collect's QR code and
                                          the browser forms' link) while the key is here
    POST /phones/<app_user_id>/code       a new code (the old key is refused) → the sheet
    POST /phones/<app_user_id>/revoke     refuse the phone from now on

A key is stored hashed, so the sheet's QR code can be drawn only when the key is made: the
POST puts it in a cookie of this browser (HttpOnly, SameSite=Strict, for this phone's path
only, bound to this sign-in, KEY_MINUTES long) and the phone's page draws the sheet while the
cookie lasts. A lost sheet is a new code.
"""
from datetime import datetime, timedelta

from flask import current_app, make_response, redirect, request, url_for
from flask_babel import gettext as _
from marshmallow import fields, validate

from app.console import phones, scope
from app.db import db
from app.db.columns import utcnow
from app.problems import Problem
from app.projects.models import Project
from app.web import i18n, render
from app.web.blueprint import bp, town
from app.web.session import PageForm, PageQuery, csrf_token, page, secure_cookies

KEY_COOKIE = "doorstep_phone_key"
KEY_MINUTES = 10


class PhonesQuery(PageQuery):
    village = fields.String(validate=validate.Length(max=64))
    after = fields.Integer(validate=validate.Range(min=1, max=2**63 - 1))


class NewPhoneQuery(PageQuery):
    village = fields.String(validate=validate.Length(max=64))   # the village to tick first


class EnrolForm(PageForm):
    """`villages` and `forms` are checkboxes (repeated); the schema checks the first of each
    and the handler reads them all."""
    EXAMPLE = {"name": "王小梅的手机", "villages": "dongwan", "forms": "", "all_forms": "1"}
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    villages = fields.String(validate=validate.Length(max=64))
    forms = fields.String(validate=validate.Length(max=255))
    all_forms = fields.String(validate=validate.OneOf(["0", "1"]))


class ActionForm(PageForm):
    EXAMPLE = {}


@bp.get("/phones", endpoint="phones")
@page("app_user.manage", query=PhonesQuery)
def phones_list(actor, query):
    villages = scope.villages(db.session, actor, town(), query.get("village"))
    rows, after = phones.phones(db.session, actor, town(), villages.ids, query.get("after"))
    more = url_for("console.phones", village=query.get("village"), after=after) \
        if after else None
    return render.render("console/phones.html", villages=villages, phones=rows, more=more)


@bp.get("/phones/new")
@page("app_user.manage", query=NewPhoneQuery)
def phone_new(actor, query):
    chosen = scope.villages(db.session, actor, town(), query.get("village")).chosen
    return _enrol_form(actor, [chosen.code] if chosen else [])


def _enrol_form(actor, ticked, problem=None, name=""):
    """The enrolment form (again, with what was typed and what is wrong)."""
    villages, forms = phones.choices(db.session, actor, town())
    return render.render("console/phone_new.html", status=problem.status if problem else 200,
                         villages=villages, forms=forms, town_wide=actor.area_ids is None,
                         ticked=ticked, name=name,
                         message=i18n.message(problem) if problem else None)


@bp.post("/phones")
@page("app_user.manage", form=EnrolForm)
def phone_enrol(actor, form):
    chosen = request.form.getlist("forms") if form.get("all_forms") == "0" else None
    villages = request.form.getlist("villages")
    try:
        app_user_id, token = phones.enrol(db.session, actor, town(), form["name"],
                                          villages, chosen)
    except Problem as problem:
        if problem.status != 400:
            raise
        db.session.rollback()
        return _enrol_form(actor, villages, problem, form["name"])
    return _with_key(app_user_id, token)


@bp.get("/phones/<int:app_user_id>")
@page("app_user.manage")
def phone(actor, app_user_id):
    found = phones.phone(db.session, actor, town(), app_user_id)
    token, until = _key(app_user_id)
    sheet = None
    if token and phones.key_matches(db.session, app_user_id, token):
        project = db.session.get(Project, town())
        sheet = phones.sheet(_base_url(), town(), project.name, token, found.name,
                             _("%(name)s: browser link", name=found.name))
    return render.render("console/phone.html", phone=found, sheet=sheet, until=until,
                         loopback=_loopback(_base_url()))


@bp.post("/phones/<int:app_user_id>/code")
@page("app_user.manage", form=ActionForm)
def phone_new_code(actor, app_user_id):
    return _with_key(app_user_id, phones.new_code(db.session, actor, town(), app_user_id))


@bp.post("/phones/<int:app_user_id>/revoke")
@page("app_user.manage", form=ActionForm)
def phone_revoke(actor, app_user_id):
    phones.revoke(db.session, actor, town(), app_user_id)
    return redirect(url_for("console.phone", app_user_id=app_user_id), code=303)


def _with_key(app_user_id, token):
    """303 to the phone's page, the key kept for its sheet in this browser only."""
    until = utcnow() + timedelta(minutes=KEY_MINUTES)
    response = make_response(redirect(url_for("console.phone", app_user_id=app_user_id),
                                      code=303))
    response.set_cookie(KEY_COOKIE, f"{token}.{csrf_token()[:16]}.{until:%Y%m%d%H%M%S}",
                        max_age=KEY_MINUTES * 60, httponly=True,
                        path=url_for("console.phone", app_user_id=app_user_id),
                        samesite="Strict", secure=secure_cookies())
    return response


def _key(app_user_id):
    """(the key this browser holds for the phone's sheet, until when) or (None, None)."""
    token, _, rest = request.cookies.get(KEY_COOKIE, "").partition(".")
    bound, _, until = rest.partition(".")
    try:
        until = datetime.strptime(until, "%Y%m%d%H%M%S")
    except ValueError:
        return None, None
    if bound != csrf_token()[:16] or until <= utcnow():
        return None, None
    return token, until


def _base_url():
    return (current_app.config["PUBLIC_URL"].rstrip("/")
            or request.host_url.rstrip("/") + request.script_root)


def _loopback(url):
    host = url.split("//", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return host in ("localhost", "::1", "[::1]") or host.startswith("127.")
