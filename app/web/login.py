"""Signing in and out, and the console's error pages.

    GET  /login    the sign-in form (?next= a page of this site to go back to)
    POST /login    user name and password, under the log-in throttle of the API
    POST /logout   end this browser's session

Signing in is the one form without a session: its CSRF token is a random value in a
short-lived cookie that the form must repeat (double submit), so another site cannot sign a
browser in to an account of its choosing.
"""
import logging
import re
import secrets as random
from datetime import timedelta

from flask import current_app, make_response, redirect, request, url_for
from marshmallow import Schema, fields, validate
from werkzeug.exceptions import HTTPException

from app.auth import http as auth
from app.auth import web_sessions
from app.db import db
from app.problems import Problem
from app.web import i18n, render, session
from app.web.blueprint import bp

log = logging.getLogger(__name__)
LOGIN_CSRF = "doorstep_login_csrf"


class LoginQuery(session.PageQuery):
    next = fields.String(validate=validate.Length(max=2000))


class LoginForm(Schema):
    csrf = fields.String(required=True)
    username = fields.String(required=True, validate=validate.Length(min=1, max=120))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    next = fields.String(validate=validate.Length(max=2000))


#: a path of this site: "/" then no second "/" or "\\", and no space or control character
#: anywhere (browsers drop tabs and newlines from a URL, so "/<TAB>/host" would be "//host")
_LOCAL_PATH = re.compile(r"/(?![/\\])[^\x00-\x20\x7f\\]*")


def safe_next(value):
    """Only a path of this site (never //host or a scheme): an open redirect would let a
    link through Doorstep's sign-in page lead to someone else's."""
    if value and _LOCAL_PATH.fullmatch(value):
        return value
    return url_for("console.dashboard")


def _form(next_url, problem=None, username=""):
    token = random.token_urlsafe(32)
    response = render.render("console/login.html", status=problem.status if problem else 200,
                             login_csrf=token, next=next_url, username=username,
                             message=i18n.message(problem) if problem else None)
    response.set_cookie(LOGIN_CSRF, token, max_age=3600, httponly=True, samesite="Strict",
                        secure=session.secure_cookies())
    return response


class LogoutForm(Schema):
    """Only the CSRF token, checked by the handler (a missing one is a 403 like a wrong one)."""
    csrf = fields.String()
    EXAMPLE = {}


@bp.get("/login")
@session.public(query=LoginQuery)
def login(query):
    if session.signed_in() is not None:
        return redirect(safe_next(query.get("next")))
    return _form(query.get("next", ""))


@bp.post("/login")
@session.public(form=LoginForm)
def login_post(form):
    cookie = request.cookies.get(LOGIN_CSRF, "")
    if not cookie or not random.compare_digest(cookie, form["csrf"]):
        raise Problem("403.91")
    actor = auth.by_password(form["username"], form["password"])
    if actor is None:
        db.session.commit()                  # the failed attempt the throttle counts
        return _form(form.get("next", ""), Problem("401.92"), form["username"])
    db.session.rollback()
    hours = timedelta(hours=current_app.config["CONSOLE_SESSION_HOURS"])
    token = web_sessions.open_session(db.session, actor, hours)
    db.session.commit()
    response = make_response(redirect(safe_next(form.get("next")), code=303))
    # no max_age: the cookie dies with the browser (a shared clinic computer), the server's
    # idle and absolute limits end the session whatever the browser keeps
    response.set_cookie(session.COOKIE, token, httponly=True, samesite="Lax",
                        secure=session.secure_cookies())
    response.delete_cookie(LOGIN_CSRF)
    return response


@bp.post("/logout")
@session.public(form=LogoutForm)
def logout(form):
    actor = session.signed_in()
    token = request.cookies.get(session.COOKIE, "")
    if actor is not None:
        session.check_csrf(token, form.get("csrf"))
        web_sessions.close_session(db.session, token, actor)
        db.session.commit()
    response = make_response(redirect(url_for("console.login"), code=303))
    response.delete_cookie(session.COOKIE)
    return response


@bp.errorhandler(Problem)
def _problem(problem):
    db.session.rollback()
    return render.error_page(problem)


_HTTP = {404: "404.1", 405: "404.1", 413: "413.1"}


@bp.errorhandler(HTTPException)
def _http(e):
    db.session.rollback()
    if e.code == 413:
        return render.error_page(Problem("413.1", {"limit": current_app.config[
            "MAX_CONTENT_LENGTH"]}))
    response = render.error_page(Problem(_HTTP.get(e.code, "404.1")))
    response.status_code = e.code or 500
    return response


@bp.errorhandler(Exception)
def _unexpected(e):
    """A fault of ours is still a page a person can read (logged, never shown)."""
    log.exception("unexpected error on %s %s", request.method, request.path)
    db.session.rollback()
    return render.error_page(Problem("500.91"))
