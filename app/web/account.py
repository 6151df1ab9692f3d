"""Her own account: language, password, the browsers signed in as her.

    GET  /account              the page
    POST /account/password     change her password (current, new twice): her other sessions end
    POST /account/sessions     sign out every other browser of hers
"""
from flask import current_app, redirect, url_for
from marshmallow import fields, validate

from app.console import users
from app.db import db
from app.problems import Problem
from app.web import i18n, render
from app.web.blueprint import bp
from app.web.session import PageForm, page, session_token

PASSWORD = validate.Length(min=1, max=1024)


class OwnPasswordForm(PageForm):
    EXAMPLE = {"current": "the-old-password", "password": "a-long-password",
               "again": "a-long-password"}
    current = fields.String(required=True, validate=PASSWORD)
    password = fields.String(required=True, validate=PASSWORD)
    again = fields.String(required=True, validate=PASSWORD)


class SessionsForm(PageForm):
    EXAMPLE = {}


def _back():
    return redirect(url_for("console.account"), code=303)


@bp.get("/account")
@page("console.view", scope="own")
def account(actor):
    return _page(actor)


def _page(actor, problem=None):
    return render.render("console/account.html", status=problem.status if problem else 200,
                         me=users.account(db.session, actor, session_token()),
                         message=i18n.message(problem) if problem else None)


@bp.post("/account/password")
@page("console.view", form=OwnPasswordForm, scope="own")
def account_password(actor, form):
    try:
        users.change_own_password(db.session, actor, session_token(), form["current"],
                                  form["password"], form["again"],
                                  current_app.config["AUTH_REALM"],
                                  current_app.config["PASSWORD_HASH"])
    except Problem as problem:            # shown beside the form, which she fills again
        db.session.rollback()
        return _page(actor, problem)
    return _back()


@bp.post("/account/sessions")
@page("console.view", form=SessionsForm, scope="own")
def account_sessions(actor):
    users.end_other_sessions(db.session, actor, session_token())
    return _back()
