"""The county roll-up in the console (app/reports/county.py): a month's headline figures
and indicators for each of her towns and the county total, for county staff and admins.

    GET /county               ?month=YYYY-MM (default: last month)
    GET /county/<month>.xlsx  the same as a workbook (app/reports/xlsx.py), in the page's
                              language: the JSON API's /v1/reports/county/<month>.xlsx,
                              for the signed-in browser
"""
import io

from marshmallow import fields, validate

from app.db import db
from app.db.columns import utcnow
from app.reports import county, xlsx
from app.reports.periods import Month
from app.web import i18n, render
from app.web.blueprint import bp
from app.web.exports import XLSX, download
from app.web.session import PageQuery, audit, page


class CountyQuery(PageQuery):
    month = fields.String(validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$"))


@bp.get("/county")
@page("county.read", query=CountyQuery, scope="shared")
def county_page(actor, query):
    month = query.get("month") or str(Month.of(i18n.local(utcnow()).date()).plus(-1))
    found = county.rollup(db.session, actor, month)
    heads, rows = county.summary(found)
    _audit(actor, found, "report.county.view")
    return render.render("console/county.html", month=found["month"], heads=heads, rows=rows)


@bp.get("/county/<month>.xlsx")
@page("county.read", scope="shared")
def county_xlsx(actor, month):
    found = county.rollup(db.session, actor, month)
    out = io.BytesIO()
    xlsx.write_county(found, *county.summary(found), out, i18n.current())
    _audit(actor, found, "report.county.download")
    return download(out.getvalue(), f"county-{found['month']}.xlsx", XLSX)


def _audit(actor, found, action):
    """The roll-up's audit row, as app.reports.county.audit writes it for the API."""
    audit(actor, action, f"report:{found['month']}:county", month=found["month"],
          projects=[t["project_id"] for t in found["towns"]])
