"""What API clients read of projects, app users, roles and assignments: Central's shapes
(lib/model/frames.js: Project, FieldKey, Actor, Role, Assignment), dump only.

Central stores an app user's token and lists it; Doorstep stores it hashed (app/auth/
secrets.py), so `token` is given once, in the answer to its creation, and is null in every
other answer.
"""
from marshmallow import Schema, fields

from app.api.schemas import Timestamp


class ProjectSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.Constant(None)
    archived = fields.Constant(None)       # Central leaves it null until archived
    keyId = fields.Constant(None)           # Doorstep has no managed encryption
    createdAt = Timestamp(attribute="created_at")
    updatedAt = fields.Constant(None)
    deletedAt = fields.Constant(None)


class ActorSchema(Schema):
    """An app user as Central's Actor: what `…/assignments/<roleId>` lists."""
    id = fields.Integer()
    type = fields.Constant("field_key")
    displayName = fields.String(attribute="display_name")
    createdAt = Timestamp(attribute="created_at")
    updatedAt = fields.Constant(None)
    deletedAt = fields.Constant(None)       # a revoked app user is never shown


class AppUserSchema(ActorSchema):
    projectId = fields.Integer(attribute="project_id")
    token = fields.Constant(None)
    #: Doorstep's extension: the village codes it serves; null, every village
    villages = fields.Method("_villages")

    def _villages(self, app_user):
        return None if app_user.all_areas else sorted(a.code for a in app_user.areas)


class RoleSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    system = fields.String()
    createdAt = fields.Constant(None)
    updatedAt = fields.Constant(None)
    verbs = fields.List(fields.String())
