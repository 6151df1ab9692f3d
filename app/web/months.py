"""Reports reachable from the console: the recent months, each with a link to the town's
report (town-wide staff) and to each of her villages' (app/console/months.py). The report
pages are app/reports/views.py's; they accept the console's cookie for a GET.

    GET /months    ?village=CODE (one of hers)
"""
from flask import url_for
from marshmallow import fields

from app.console import months as console_months
from app.db import db
from app.db.columns import utcnow
from app.web import i18n, render
from app.web.blueprint import bp, town
from app.web.session import PageQuery, page


class MonthsQuery(PageQuery):
    village = fields.String()


@bp.get("/months")
@page("submission.read", query=MonthsQuery)
def reports(actor, query):
    found = console_months.recent_months(db.session, actor, town(),
                                         i18n.local(utcnow()).date(), query.get("village"))
    return render.render("console/months.html", page=found, village=query.get("village"),
                         report_url=report_url)


def report_url(month, village=None):
    """A report page of app/reports/views.py, in the console's language."""
    args = {"village": village} if village else {}
    if i18n.current() == "en":
        args["lang"] = "en"
    return url_for("reports_html.page", project=town(), month=month, **args)
