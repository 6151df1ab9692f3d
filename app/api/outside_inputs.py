"""What API clients may send to the outside-list routes (app/api/outside_views.py). `kind` is
optional in the schema and checked by the handler after who asks (a viewer's upload is 403,
not a 400 about its query)."""
from marshmallow import fields, validate

from app.api.inputs import Text
from app.api.loading import QuerySchema
from app.quality.outside import STATUSES
from app.quality.outside_files import KINDS

MAX_ID = 2 ** 31 - 1


class ImportQuery(QuerySchema):
    kind = fields.String(validate=validate.OneOf(KINDS))
    filename = Text(validate=validate.Length(min=1, max=255))


class ImportListQuery(QuerySchema):
    kind = fields.String(validate=validate.OneOf(KINDS))
    before = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))


class ResultsQuery(QuerySchema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    village = Text(validate=validate.Length(min=1, max=64))
    after = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))
    limit = fields.Integer(validate=validate.Range(min=1, max=500))
