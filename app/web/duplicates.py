"""Possible duplicate people: the pairs the matcher found, to look at and compare.

    GET  /duplicates                     open pairs (?village=CODE, ?band=likely|possible,
                                         ?after= the next page)
    POST /duplicates/<a>/<b>/dismiss     "not a duplicate" (kept across re-runs and rebuilds)

Each pair links to /duplicates/<a>/<b>, where both records are compared and merged. The list
is audited as one read (person.list), a dismissal by the decision's own audit row.
"""
from flask import redirect, url_for
from marshmallow import fields, pre_load, validate

from app.console import duplicates as work
from app.console import scope
from app.db import db
from app.web import render
from app.web.blueprint import bp, town
from app.web.session import PageForm, PageQuery, audit, page


class DuplicatesQuery(PageQuery):
    """The filter form sends every field; an empty one means "all"."""
    @pre_load
    def _all(self, data, **_kw):
        return {k: v for k, v in data.items() if v != ""}

    village = fields.String(validate=validate.Length(max=64))
    band = fields.String(validate=validate.OneOf(work.BANDS))
    after = fields.String(validate=validate.Length(max=64))


class DismissForm(PageForm):
    #: the filters to go back to
    village = fields.String(validate=validate.Length(max=64))
    band = fields.String(validate=validate.OneOf(["", *work.BANDS]))
    EXAMPLE = {}


@bp.get("/duplicates")
@page("submission.read", query=DuplicatesQuery)
def duplicates(actor, query):
    villages = scope.villages(db.session, actor, town(), query.get("village"))
    found = work.page(db.session, actor, town(),
                      villages.chosen.id if villages.chosen else None, query.get("band"),
                      query.get("after"))
    area_names = _area_names()
    audit(actor, "person.list", "duplicates", count=len(found.rows),
          village=query.get("village"), band=query.get("band"))
    return render.render("console/duplicates.html", found=found, villages=villages,
                         query=query, may_decide=actor.can("submission.update"),
                         area_names=area_names)


def _area_names():
    from sqlalchemy import select   # noqa: PLC0415

    from app.projects.models import Area   # noqa: PLC0415
    return {r.id: (r.name_zh or r.code, r.name_en or r.code) for r in db.session.execute(
        select(Area.id, Area.code, Area.name_zh, Area.name_en)
        .where(Area.project_id == town()))}


@bp.post("/duplicates/<a>/<b>/dismiss")
@page("submission.update", form=DismissForm)
def duplicate_dismiss(actor, form, a, b):
    work.dismiss(db.session, actor, town(), a, b)
    back = {k: form[k] for k in ("village", "band") if form.get(k)}
    return redirect(url_for("console.duplicates", **back), code=303)
