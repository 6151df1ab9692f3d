"""The county roll-up in the console (app/reports/county.py): a month's headline figures
and indicators for each of her towns and the county total, for county staff and admins.

    GET /county               ?month=YYYY-MM (default: last month)
    GET /county/<month>.xlsx  the same as a workbook (app/reports/xlsx.py), in the page's
                              language: the JSON API's /v1/reports/county/<month>.xlsx,
                              for the signed-in browser
"""
import io

from flask import current_app
from marshmallow import fields, validate

from app.db import db
from app.db.columns import utcnow
from app.openrosa.media import disposition
from app.reports import county, xlsx
from app.reports.periods import Month
from app.web import i18n, render
from app.web.blueprint import bp
from app.web.session import PageQuery, audit, page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


@bp.get("/county/<month>.xlsx")
@page("county.read", scope="shared")
def county_xlsx(actor, month):
    found = county.rollup(db.session, actor, month)
    out = io.BytesIO()
    xlsx.write_county(found, *county.summary(found), out, i18n.current())
    audit(actor, "report.county.download", f"report:{found['month']}:county",
          month=found["month"], projects=[t["project_id"] for t in found["towns"]])
    response = current_app.response_class(out.getvalue(), mimetype=XLSX)
    response.headers["Content-Disposition"] = disposition(f"county-{found['month']}.xlsx")
    response.headers["Cache-Control"] = "no-store"
    return response
