"""What clients may ask of the duplicate people list (app/api/duplicate_views.py)."""
from marshmallow import fields, validate

from app.api.inputs import Text
from app.api.loading import QuerySchema


class DuplicatesQuery(QuerySchema):
    #: a village's code: pairs with either person in it
    village = Text(validate=validate.Length(max=64))
    band = fields.String(validate=validate.OneOf(["likely", "possible"]))
    status = fields.String(load_default="open",
                           validate=validate.OneOf(["open", "dismissed", "merged"]))
    #: the `next` of the previous page
    cursor = Text(validate=validate.Length(max=64))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
