"""The county roll-up in the console (app/reports/county.py): a month's headline figures
and indicators for each of her towns and the county total, for county staff and admins.

    GET /county    ?month=YYYY-MM (default: last month)
"""
from marshmallow import fields, validate

from app.db import db
from app.db.columns import utcnow
from app.reports import county
from app.reports.periods import Month
from app.web import i18n, render
from app.web.blueprint import bp
from app.web.session import PageQuery, audit, page


class CountyQuery(PageQuery):
    month = fields.String(validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$"))


@bp.get("/county")
@page("county.read", query=CountyQuery, scope="shared")
def county_page(actor, query):
    month = query.get("month") or str(Month.of(i18n.local(utcnow()).date()).plus(-1))
    found = county.rollup(db.session, actor, month)
    heads, rows = county.summary(found)
    audit(actor, "report.county.view", f"report:{found['month']}:county",
          month=found["month"], projects=[t["project_id"] for t in found["towns"]])
    return render.render("console/county.html", month=found["month"], heads=heads, rows=rows)
