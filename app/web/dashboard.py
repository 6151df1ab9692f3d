"""Today: what needs the signed-in person's attention, per village.

    GET /    the dashboard (?village=CODE: one of hers)
"""
from marshmallow import fields, validate

from app.console import dashboard as today
from app.console import scope
from app.db import db
from app.web import i18n, render
from app.web.blueprint import bp, town
from app.web.session import PageQuery, page


class DashboardQuery(PageQuery):
    village = fields.String(validate=validate.Length(max=64))  # one village (a code); none: hers


@bp.get("/")
@page("console.view", query=DashboardQuery)
def dashboard(actor, query):
    villages = scope.villages(db.session, actor, town(), query.get("village"))
    counts = today.today(db.session, actor, town(), villages.ids, i18n.zone(),
                         with_phones=actor.can("app_user.manage"))
    return render.render("console/dashboard.html", villages=villages, today=counts)
