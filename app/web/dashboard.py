"""Today: what needs the signed-in person's attention, per village.

    GET /    the dashboard (?village=CODE: one of hers)
"""
from marshmallow import fields

from app.console import scope
from app.extensions import db
from app.web import render
from app.web.blueprint import PROJECT_ID, bp
from app.web.session import PageQuery, page


class DashboardQuery(PageQuery):
    village = fields.String()        # one village's figures (a code); none: all of hers


@bp.get("/")
@page("console.view", query=DashboardQuery)
def dashboard(actor, query):
    villages = scope.villages(db.session, actor, PROJECT_ID, query.get("village"))
    return render.render("console/dashboard.html", villages=villages)
