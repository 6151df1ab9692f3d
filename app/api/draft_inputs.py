"""What the form-draft routes read from the query string (app/api/draft_views.py and POST
/forms): Central's parameters, as pyodk sends them. Bodies are the form's or file's bytes."""
import re

from marshmallow import ValidationError, validate

from app.api.inputs import Text
from app.api.loading import QueryBoolean, QuerySchema

#: what XML 1.0 cannot hold (its Char production): the version is written into the XForm
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(value):
    if _NOT_XML.search(value):
        raise ValidationError("A version may not contain control characters XML cannot hold.")
    return True


class FormCreateQuery(QuerySchema):
    """POST /forms: a draft unless publish=true (Central's default). Warnings never stop an
    upload in Doorstep: ignoreWarnings is accepted and changes nothing."""
    publish = QueryBoolean(load_default=False)
    ignoreWarnings = QueryBoolean()


class DraftCreateQuery(QuerySchema):
    ignoreWarnings = QueryBoolean()


class DraftPublishQuery(QuerySchema):
    #: the version to publish as (Central rewrites the XForm's version); empty: the draft's own
    version = Text(validate=[validate.Length(max=255), _xml_text])

