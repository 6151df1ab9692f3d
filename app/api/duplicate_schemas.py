"""What API clients read of duplicate pairs (app.quality.duplicates rows), dump only."""
from marshmallow import Schema, fields

from app.api.schemas import Timestamp


class PairPersonSchema(Schema):
    uuid = fields.String()
    label = fields.String()
    village = fields.String()


class DuplicatePairSchema(Schema):
    a = fields.Nested(PairPersonSchema)
    b = fields.Nested(PairPersonSchema)
    score = fields.Float()
    band = fields.String()
    #: {field: level}: name same/sounds_same/similar/different, id_number same/one_digit/
    #: transposed/different, dob same/swapped/near/different, household, phone, village, sex …
    evidence = fields.Dict()
    status = fields.String()
    decidedBy = fields.Integer(allow_none=True)
    decidedAt = Timestamp()


class DuplicatePageSchema(Schema):
    pairs = fields.List(fields.Nested(DuplicatePairSchema))
    #: the cursor of the next page, null on the last
    next = fields.String(allow_none=True)
