"""What a client sends to merge a duplicate entity into another (app.api.merge_views)."""
from marshmallow import Schema, fields, validate

from app.api.inputs import Text
from app.quality.merging import KEPT, MERGED


class MergeBody(Schema):
    #: the duplicate (B) merged into the entity named in the path (A)
    source = Text(required=True, data_key="from", validate=validate.Length(min=1, max=64))
    #: per property (or "label"): which side's value the merged entity keeps
    values = fields.Dict(keys=Text(validate=validate.Length(max=255)),
                         values=Text(validate=validate.OneOf((KEPT, MERGED))),
                         validate=validate.Length(max=1000), load_default=dict)
