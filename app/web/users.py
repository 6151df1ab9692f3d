"""Web users: an admin's page.

    GET  /users                          the list (?after= the next page)
    GET  /users/new, POST /users/new     a new user: name, role, villages, password
    GET  /users/<user_id>                her page
    POST /users/<user_id>                her role and villages
    POST /users/<user_id>/disabled       disable (her sessions end) or enable her
    POST /users/<user_id>/password       set her password (her sessions end)
"""
from flask import current_app, redirect, request, url_for
from marshmallow import fields, validate

from app.auth.models import ROLES
from app.console import users
from app.db import db
from app.problems import Problem
from app.web import i18n, render
from app.web.blueprint import bp, town
from app.web.session import PageForm, PageQuery, page

PASSWORD = validate.Length(min=1, max=1024)


class UsersQuery(PageQuery):
    after = fields.String(validate=validate.Length(max=120))


class NewUserForm(PageForm):
    """`villages` are checkboxes (repeated): the handler reads them all."""
    EXAMPLE = {"username": "li_na", "role": "supervisor", "villages": "dongwan",
               "password": "a-long-password", "again": "a-long-password"}
    username = fields.String(required=True, validate=validate.Length(min=1, max=120))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    villages = fields.String(validate=validate.Length(max=64))
    password = fields.String(required=True, validate=PASSWORD)
    again = fields.String(required=True, validate=PASSWORD)


class RoleForm(PageForm):
    EXAMPLE = {"role": "supervisor", "villages": "dongwan"}
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    villages = fields.String(validate=validate.Length(max=64))


class DisabledForm(PageForm):
    EXAMPLE = {"disabled": "1"}
    disabled = fields.String(required=True, validate=validate.OneOf(["0", "1"]))


class PasswordForm(PageForm):
    EXAMPLE = {"password": "a-long-password", "again": "a-long-password"}
    password = fields.String(required=True, validate=PASSWORD)
    again = fields.String(required=True, validate=PASSWORD)


def _config():
    return current_app.config["AUTH_REALM"], current_app.config["PASSWORD_HASH"]


def _to(user_id):
    return redirect(url_for("console.user", user_id=user_id), code=303)


@bp.get("/users", endpoint="users")
@page("user.manage", query=UsersQuery, scope="town")
def users_list(query):
    rows, after = users.users(db.session, query.get("after"))
    more = url_for("console.users", after=after) if after else None
    return render.render("console/users.html", users=rows, more=more)


@bp.get("/users/new")
@page("user.manage", scope="town")
def user_new():
    return _new_form()


def _new_form(problem=None, typed=None):
    """The new-user form (again, with what was typed, passwords aside, and what is wrong)."""
    typed = typed or {}
    return render.render("console/user_new.html", status=problem.status if problem else 200,
                         roles=ROLES, villages=users.village_choices(db.session, town()),
                         username=typed.get("username", ""),
                         role=typed.get("role", "supervisor"), ticked=typed.get("villages", []),
                         message=i18n.message(problem) if problem else None)


@bp.post("/users/new")
@page("user.manage", form=NewUserForm, scope="town")
def user_create(actor, form):
    villages = request.form.getlist("villages")
    try:
        user_id = users.create(db.session, actor, form["username"], form["role"], villages,
                               form["password"], form["again"], *_config(), project_id=town())
    except Problem as problem:
        db.session.rollback()
        return _new_form(problem, {**form, "villages": villages})
    return _to(user_id)


@bp.get("/users/<int:user_id>")
@page("user.manage", scope="town")
def user(actor, user_id):
    person = users.user(db.session, user_id)
    ticked = (["*"] if person.town_wide else []) + users.villages_in(db.session, user_id, town())
    return render.render("console/user.html", person=person, roles=ROLES,
                         villages=users.village_choices(db.session, town()), ticked=ticked,
                         myself=user_id == actor.id)


@bp.post("/users/<int:user_id>")
@page("user.manage", form=RoleForm, scope="town")
def user_update(actor, form, user_id):
    users.update(db.session, actor, user_id, form["role"], request.form.getlist("villages"),
                 town())
    return _to(user_id)


@bp.post("/users/<int:user_id>/disabled")
@page("user.manage", form=DisabledForm, scope="town")
def user_disabled(actor, form, user_id):
    users.set_disabled(db.session, actor, user_id, form["disabled"] == "1")
    return _to(user_id)


@bp.post("/users/<int:user_id>/password")
@page("user.manage", form=PasswordForm, scope="town")
def user_password(actor, form, user_id):
    users.set_password(db.session, actor, user_id, form["password"], form["again"], *_config())
    return _to(user_id)
