"""Central's app users and form assignments over the JSON API (issue 22):

    GET    /v1/projects/<id>/app-users                        live app users she manages
    POST   /v1/projects/<id>/app-users                        {displayName, villages?} → with token
    GET    /v1/projects/<id>/app-users/<actorId>
    DELETE /v1/projects/<id>/app-users/<actorId>              revoke (Central deletes)
    GET    /v1/projects/<id>/assignments/forms[/<roleId>]     [{actorId, roleId, xmlFormId}]
    GET    /v1/projects/<id>/forms/<formId>/assignments       [{actorId, roleId}]
    GET    /v1/projects/<id>/forms/<formId>/assignments/<roleId>          [actor]
    POST   /v1/projects/<id>/forms/<formId>/assignments/<roleId>/<actorId>   grant the form
    DELETE /v1/projects/<id>/forms/<formId>/assignments/<roleId>/<actorId>   take it away

All need app_user.manage (admins; supervisors for the phones of their villages, app/auth/
app_users.py); <roleId> is an id or a system name (app/auth/roles.py), as in Central.
"""
from flask import jsonify

from app.api.app_user_inputs import AppUserCreateBody
from app.api.app_user_schemas import ActorSchema, AppUserSchema
from app.api.loading import takes
from app.api.views import bp
from app.auth import app_users, assignments, roles
from app.auth import http as auth
from app.db import db
from app.forms.queries import readable_form
from app.projects import queries as projects

APP_USERS = "/projects/<int:project_id>/app-users"
FORM_ASSIGNMENTS = "/projects/<int:project_id>/forms/<path:xml_form_id>/assignments"


def _manager(project_id):
    actor = auth.require("app_user.manage", project_id, challenge=False)
    projects.one(db.session, actor, project_id)
    return actor


@bp.get(APP_USERS)
@takes(permission="app_user.manage")
def list_app_users(project_id):
    actor = _manager(project_id)
    return jsonify(AppUserSchema(many=True).dump(app_users.live(db.session, actor, project_id)))


@bp.post(APP_USERS)
@takes(body=AppUserCreateBody, permission="app_user.manage")
def create_app_user(project_id, body):
    actor = _manager(project_id)
    app_user, token = app_users.create(db.session, actor, project_id, body["displayName"],
                                       body.get("villages"))
    result = AppUserSchema().dump(app_user) | {"token": token}   # shown this once only
    db.session.commit()
    return jsonify(result)


@bp.get(f"{APP_USERS}/<int:app_user_id>")
@takes(permission="app_user.manage")
def get_app_user(project_id, app_user_id):
    actor = _manager(project_id)
    return jsonify(AppUserSchema().dump(app_users.one(db.session, actor, project_id,
                                                      app_user_id)))


@bp.delete(f"{APP_USERS}/<int:app_user_id>")
@takes(permission="app_user.manage")
def revoke_app_user(project_id, app_user_id):
    actor = _manager(project_id)
    app_users.revoke(db.session, actor, project_id, app_user_id)
    db.session.commit()
    return jsonify(success=True)


def _summary(project_id, role_id="app-user"):
    """Central's summary of who holds a role on each form; only app-user is held on forms."""
    actor = _manager(project_id)
    role = roles.role(role_id)
    if role != roles.APP_USER:
        return jsonify([])
    return jsonify([{"actorId": app_user_id, "roleId": role.id, "xmlFormId": form_id}
                    for app_user_id, form_id in assignments.project_grants(
                        db.session, actor, project_id)])


@bp.get("/projects/<int:project_id>/assignments/forms")
@takes(permission="app_user.manage")
def list_project_form_assignments(project_id):
    return _summary(project_id)


@bp.get("/projects/<int:project_id>/assignments/forms/<role_id>")
@takes(permission="app_user.manage")
def list_project_form_assignments_of_role(project_id, role_id):
    return _summary(project_id, role_id)


def _form(project_id, xml_form_id):
    actor = _manager(project_id)
    form, _version = readable_form(db.session, actor, project_id, xml_form_id)
    return actor, form


@bp.get(FORM_ASSIGNMENTS)
@takes(permission="app_user.manage")
def list_form_assignments(project_id, xml_form_id):
    actor, form = _form(project_id, xml_form_id)
    return jsonify([{"actorId": a.id, "roleId": roles.APP_USER.id}
                    for a in assignments.holders(db.session, actor, form)])


@bp.get(f"{FORM_ASSIGNMENTS}/<role_id>")
@takes(permission="app_user.manage")
def list_form_assignments_of_role(project_id, xml_form_id, role_id):
    actor, form = _form(project_id, xml_form_id)
    role = roles.role(role_id)
    holders = assignments.holders(db.session, actor, form) if role == roles.APP_USER else []
    return jsonify(ActorSchema(many=True).dump(holders))


@bp.post(f"{FORM_ASSIGNMENTS}/<role_id>/<int:app_user_id>")
@takes(permission="app_user.manage")
def assign_form(project_id, xml_form_id, role_id, app_user_id):
    actor, form = _form(project_id, xml_form_id)
    assignments.grant(db.session, actor, form, roles.role(role_id), app_user_id)
    db.session.commit()
    return jsonify(success=True)


@bp.delete(f"{FORM_ASSIGNMENTS}/<role_id>/<int:app_user_id>")
@takes(permission="app_user.manage")
def unassign_form(project_id, xml_form_id, role_id, app_user_id):
    actor, form = _form(project_id, xml_form_id)
    assignments.ungrant(db.session, actor, form, roles.role(role_id), app_user_id)
    db.session.commit()
    return jsonify(success=True)
