"""What API clients read of the overdue pregnancies: one row per open pregnancy four weeks
past its expected date (app.quality.omissions.Overdue), dump only."""
from marshmallow import Schema, fields


class VillageSchema(Schema):
    code = fields.String(attribute="village")
    nameZh = fields.String(attribute="village_zh")
    nameEn = fields.String(attribute="village_en")


class OverdueSchema(Schema):
    pregnancy = fields.String()
    woman = fields.String()
    womanName = fields.String(attribute="woman_name")
    village = fields.Function(lambda row: VillageSchema().dump(row))
    lmp = fields.String()
    edd = fields.String()
    daysOverdue = fields.Integer(attribute="days_overdue")
    reportedBy = fields.String(attribute="reported_by")
    reportedOn = fields.String(attribute="reported_on")
    status = fields.String()
    lastCheck = fields.String(attribute="last_check")


class OverduePageSchema(Schema):
    """A page: its rows, the cursor of the next (null on the last) and the day counted on."""
    value = fields.List(fields.Nested(OverdueSchema), attribute="rows")
    next = fields.String(attribute="after", allow_none=True)
    asOf = fields.String(attribute="as_of")
