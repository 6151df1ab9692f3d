"""What clients may send to read the overdue pregnancies (app/api/omission_views.py): a
village code and a page cursor, both optional, and the page size."""
from marshmallow import fields, validate

from app.api.loading import QuerySchema
from app.quality import omissions


class OverdueQuery(QuerySchema):
    village = fields.String(validate=validate.Length(min=1, max=64))
    #: the cursor a previous page gave as `next` (checked by app.quality.omissions)
    cursor = fields.String(validate=validate.Length(min=1, max=80))
    limit = fields.Integer(load_default=omissions.PAGE,
                           validate=validate.Range(min=1, max=omissions.MAX_PAGE))
