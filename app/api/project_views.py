"""Central's projects and roles over the JSON API: `GET /v1/projects`, `POST /v1/projects`
(admin: a new town, docs/towns.md), `GET /v1/projects/<id>`, `GET /v1/roles`,
`GET /v1/roles/<id or system name>`. Staff only: a phone's token is 403."""
from flask import jsonify

from app.api.app_user_inputs import ProjectCreateBody
from app.api.app_user_schemas import ProjectSchema, RoleSchema
from app.api.loading import takes
from app.api.views import bp
from app.auth import http as auth
from app.auth import roles
from app.db import db
from app.projects import queries, service


@bp.get("/projects")
@takes(permission="project.read")
def list_projects():
    actor = auth.require("project.read", challenge=False)
    return jsonify(ProjectSchema(many=True).dump(queries.readable(db.session, actor)))


@bp.post("/projects")
@takes(body=ProjectCreateBody, permission="project.create")
def create_project(body):
    actor = auth.require("project.create", challenge=False)
    project = service.create_project(db.session, body["name"], actor)
    db.session.commit()
    return jsonify(ProjectSchema().dump(project))


@bp.get("/projects/<int:project_id>")
@takes(permission="project.read")
def get_project(project_id):
    actor = auth.require("project.read", challenge=False)
    return jsonify(ProjectSchema().dump(queries.one(db.session, actor, project_id)))


@bp.get("/roles")
@takes(permission="project.read")
def list_roles():
    auth.require("project.read", challenge=False)
    return jsonify(RoleSchema(many=True).dump(roles.ROLES))


@bp.get("/roles/<role_id>")
@takes(permission="project.read")
def get_role(role_id):
    auth.require("project.read", challenge=False)
    return jsonify(RoleSchema().dump(roles.role(role_id)))
