"""What API clients may send to the app-user routes (app/api/app_user_views.py): Central's
`{displayName}`, plus Doorstep's `villages`."""
from marshmallow import Schema, fields, validate

from app.api.inputs import Text


#: more village codes than a town has (tens): refused before they reach a query, whose bound
#: parameters PostgreSQL caps at 65,535
MAX_VILLAGES = 1000


class AppUserCreateBody(Schema):
    displayName = Text(required=True, validate=validate.Length(min=1, max=200))
    #: Doorstep's extension: the village codes the phone serves; absent, every village (a
    #: village supervisor's own); never empty
    villages = fields.List(Text(validate=validate.Length(min=1, max=64)),
                           validate=validate.Length(min=1, max=MAX_VILLAGES))


class ProjectCreateBody(Schema):
    """Central's `POST /v1/projects` body: a new town's name."""
    name = Text(required=True, validate=validate.Length(min=1, max=200))
