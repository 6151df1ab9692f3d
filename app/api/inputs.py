"""What API clients may send: a load schema per query string and JSON body (marshmallow;
unknown fields are refused, marshmallow's default). Names and shapes follow Central's API and
what pyodk sends; the routes name them in their @takes (app/api/loading.py)."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.api.loading import JSONBoolean, QueryBoolean, QuerySchema
from app.forms.models import FORM_STATES
from app.submissions.models import REVIEW_STATES

#: the largest count, offset or version a client may name (PostgreSQL's integer)
MAX_INT = 2 ** 31 - 1
COUNT = validate.Range(min=0, max=MAX_INT)


class StringOrNumber(fields.Field):
    """Central's bulk `source.size`: pyodk sends a string, scripts a number."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValidationError("Not a valid string or number.")
        return value


class Text(fields.String):
    """A string without NUL characters: PostgreSQL's text columns cannot hold one, so it is a
    400 here rather than a 500 in the database, on both databases alike. Nor a lone UTF-16
    surrogate ("\\ud800", which JSON allows): it has no UTF-8 form, so no database takes it."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ValidationError("A text may not contain a NUL character.")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError("A text may not contain a lone surrogate "
                                  "(no UTF-8 form).") from None
        return text


# Sessions --------------------------------------------------------------------------------------

class SessionBody(Schema):
    email = Text(required=True)
    password = Text(required=True)


# Forms -----------------------------------------------------------------------------------------

class FormUpdateBody(Schema):
    state = Text(validate=validate.OneOf(FORM_STATES))


# Submissions -----------------------------------------------------------------------------------

class SubmissionListQuery(QuerySchema):
    top = fields.Integer(data_key="$top", validate=COUNT)
    skip = fields.Integer(data_key="$skip", validate=COUNT, load_default=0)
    reviewState = Text(validate=validate.OneOf((*REVIEW_STATES, "null")))


class SubmissionUpdateBody(Schema):
    #: null sets it back to received, as a new submission has it
    reviewState = Text(required=True, allow_none=True,
                                validate=validate.OneOf(REVIEW_STATES))


# Datasets and entities -------------------------------------------------------------------------

class DatasetUpdateQuery(QuerySchema):
    convert = QueryBoolean()


class DatasetUpdateBody(Schema):
    approvalRequired = JSONBoolean()


class EntityListQuery(QuerySchema):
    deleted = QueryBoolean(load_default=False)


class EntityVersionsQuery(QuerySchema):
    relevantToConflict = QueryBoolean(load_default=False)


class EntityUpdateQuery(QuerySchema):
    baseVersion = fields.Integer(validate=validate.Range(min=1, max=MAX_INT))
    force = QueryBoolean(load_default=False)
    resolve = QueryBoolean(load_default=False)


def _properties():
    return fields.Dict(keys=Text(), values=Text())


class EntityUpdateBody(Schema):
    label = Text()
    data = _properties()


class NewEntity(Schema):
    uuid = Text()
    label = Text(required=True)
    data = _properties()


class BulkSource(Schema):
    name = Text(required=True)
    size = StringOrNumber()


class EntityCreateBody(NewEntity):
    """One entity {uuid?, label, data}, or many {entities: [...], source: {name, size?}}."""
    label = Text()
    entities = fields.List(fields.Nested(NewEntity), validate=validate.Length(min=1))
    source = fields.Nested(BulkSource)

    @validates_schema
    def _one_or_many(self, data, **kwargs):
        one = {"uuid", "label", "data"} & set(data)
        if "entities" in data and one:
            raise ValidationError(f"Give either entities or one entity, not {', '.join(sorted(one))} "
                                  "beside entities.")
        if "entities" not in data and "source" in data:
            raise ValidationError("source goes with entities.", "source")
        if "entities" not in data and "label" not in data:
            raise ValidationError("Missing data for required field.", "label")


class BulkIdsBody(Schema):
    ids = fields.List(Text(), required=True, validate=validate.Length(min=1))
