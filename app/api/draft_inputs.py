"""What the form-draft routes read from the query string (app/api/draft_views.py and POST
/forms): Central's parameters, as pyodk sends them. Bodies are the form's or file's bytes."""
from marshmallow import validate

from app.api.inputs import Text
from app.api.loading import QueryBoolean, QuerySchema


class FormCreateQuery(QuerySchema):
    """POST /forms: a draft unless publish=true (Central's default). Warnings never stop an
    upload in Doorstep: ignoreWarnings is accepted and changes nothing."""
    publish = QueryBoolean(load_default=False)
    ignoreWarnings = QueryBoolean()


class DraftCreateQuery(QuerySchema):
    ignoreWarnings = QueryBoolean()


class DraftPublishQuery(QuerySchema):
    #: the version to publish as (Central rewrites the XForm's version); empty: the draft's own
    version = Text(validate=validate.Length(max=255))
