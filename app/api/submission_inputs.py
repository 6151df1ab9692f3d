"""What clients may send when they write submissions over Central's JSON API (creating one,
a new version by PUT, an attachment, a comment): query strings and JSON bodies, loaded by the
routes' @takes (app/api/loading.py). Names follow Central's API and what pyodk sends."""
from marshmallow import Schema, ValidationError, validate, validates

from app.api.inputs import Text
from app.api.loading import QuerySchema
from app.submissions import lengths

#: a comment's longest body, the console's review form's own limit (app/web/review.py)
MAX_COMMENT = 2000


class SubmissionWriteQuery(QuerySchema):
    """POST and PUT of submission XML: Central's ?deviceID= (pyodk's `device_id`)."""
    deviceID = Text(validate=validate.Length(max=lengths.DEVICE_ID))


class CommentBody(Schema):
    body = Text(required=True, validate=validate.Length(max=MAX_COMMENT))

    @validates("body")
    def _not_blank(self, value, **kwargs):
        if not value.strip():
            raise ValidationError("A comment needs some text.")
