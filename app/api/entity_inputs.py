"""What clients may send to make entity lists and their properties (Central's
`POST …/datasets` and `POST …/datasets/<name>/properties`, as pyodk sends them)."""
from marshmallow import Schema

from app.api.inputs import Text
from app.api.loading import JSONBoolean


class DatasetCreateBody(Schema):
    name = Text(required=True)
    approvalRequired = JSONBoolean(load_default=False)


class PropertyCreateBody(Schema):
    name = Text(required=True)
