"""Overdue pregnancies: open pregnancies with no outcome four weeks after the expected date,
by expected date, each row linking to the woman's page (app/console/overdue.py).

    GET /overdue    ?village=CODE (one of hers) &after= (the next page)

The read is audited as pregnancy.overdue.list with the village and how many were shown."""
from datetime import datetime

from flask import request, url_for
from marshmallow import fields, validate

from app.console import overdue as domain
from app.db import db
from app.web import i18n, render
from app.web.blueprint import bp, town
from app.web.session import PageQuery, audit, page


class OverdueQuery(PageQuery):
    village = fields.String(validate=validate.Length(max=64))
    after = fields.String(validate=validate.Length(min=1, max=80))


@bp.get("/overdue")
@page("submission.read", query=OverdueQuery)
def overdue(actor, query):
    today = datetime.now(i18n.zone()).date()
    found = domain.overdue(db.session, actor, town(), today, query.get("village"),
                           query.get("after"))
    audit(actor, "pregnancy.overdue.list", f"project:{town()}",
          village=query.get("village"), shown=len(found.rows))
    more = url_for("console.overdue", **{**request.args.to_dict(), "after": found.after}) \
        if found.after else None
    return render.render("console/overdue.html", found=found, more_url=more)
