"""The county roll-up in the console (app/reports/county.py): a month's headline figures
and indicators for each of her towns and the county total, for county staff and admins.

    GET /county    ?month=YYYY-MM (default: last month)
"""
from marshmallow import fields, validate

from app.extensions import db
from app.models_base import utcnow
from app.reports import county
from app.reports.document import find
from app.reports.periods import Month
from app.web import i18n, render
from app.web.blueprint import bp
from app.web.session import PageQuery, audit, page

#: the indicators the table shows, with the column each is read on (their report's headline)
INDICATORS = (("birth_rate", "month"), ("death_rate", "month"),
              ("natural_growth_rate", "month"), ("contraceptive_prevalence", "end"),
              ("long_acting_rate", "end"))


class CountyQuery(PageQuery):
    month = fields.String(validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$"))


@bp.get("/county")
@page("county.read", query=CountyQuery, scope="shared")
def county_page(actor, query):
    month = query.get("month") or str(Month.of(i18n.local(utcnow()).date()).plus(-1))
    found = county.rollup(db.session, actor, month)
    total = found["county"]
    audit(actor, "report.county.view", f"report:{found['month']}:county",
          month=found["month"], projects=[t["project_id"] for t in found["towns"]])
    return render.render("console/county.html", month=found["month"],
                         rows=[_line(r) for r in found["towns"]], total=_line(total),
                         heads=_heads(total))


def _heads(row):
    """(zh, en) of each column: the counts' rows, then the indicators."""
    labels = {(s["id"], r["id"]): (r["zh"], r["en"]) for s in row["sections"] for r in s["rows"]}
    by_id = {i["id"]: i for i in row["indicators"]}
    return ([labels[(section, row_id)] for section, row_id, _c in county.SHOWN_COUNTS]
            + [(by_id[n]["zh"], by_id[n]["en"]) for n, _c in INDICATORS])


def _line(row):
    by_id = {i["id"]: i for i in row["indicators"]}
    return {"name": row["name"],
            "values": [find(row, *c) for c in county.SHOWN_COUNTS]
            + [by_id[n]["values"].get(column) for n, column in INDICATORS]}
