"""People and households: find a person, her life course, a household.

    GET /people                   search (?q= name, pinyin, ID or phone digits; filters;
                                  ?village=CODE; ?after= the next page)
    GET /people/<person>          her page (?reveal=id shows the full ID number)
    GET /households/<household>   a household: members past and present, moves, visits

Each read is audited: a search as person.search with its query (not each person found), a
page as person.read / household.read of its entity.
"""
from datetime import datetime

from flask import request, url_for
from marshmallow import fields, validate

from app.console import people as domain
from app.console import scope
from app.db import db
from app.events.kinds import KINDS
from app.web import i18n, render
from app.web.blueprint import bp, town
from app.web.session import PageQuery, audit, page


class PeopleQuery(PageQuery):
    q = fields.String(validate=validate.Length(max=100))
    village = fields.String()
    sex = fields.String(validate=validate.OneOf(["", "female", "male"]))
    age = fields.String(validate=validate.OneOf(["", *domain.AGE_BANDS]))
    wra = fields.Boolean()
    married = fields.Boolean()
    pregnant = fields.Boolean()
    migrant = fields.Boolean()
    after = fields.Integer(validate=validate.Range(min=1))


class PersonQuery(PageQuery):
    reveal = fields.String(validate=validate.OneOf(["id"]))


def _today():
    return datetime.now(i18n.zone()).date()


@bp.get("/people")
@page("submission.read", query=PeopleQuery)
def people(actor, query):
    villages = scope.villages(db.session, actor, town(), query.get("village"))
    found = domain.search(db.session, actor, town(), villages.ids, query, _today(),
                          query.get("after"))
    audit(actor, "person.search", "", **{k: v for k, v in query.items() if k != "lang"},
          shown=len(found.rows))
    more = url_for("console.people", **{**request.args.to_dict(), "after": found.after}) \
        if found.after else None
    return render.render("console/people.html", found=found, villages=villages, query=query,
                         more_url=more)


@bp.get("/people/<person>")
@page("submission.read", query=PersonQuery)
def person(actor, query, person):
    shown = domain.person(db.session, actor, town(), person, _today(),
                          reveal=query.get("reveal") == "id")
    audit(actor, "person.read", f"entity:{shown.uuid}", id_number_shown=shown.id_revealed)
    return render.render("console/person.html", person=shown, kinds=KINDS)


@bp.get("/households/<household>")
@page("submission.read")
def household(actor, household):
    shown = domain.household(db.session, actor, town(), household, _today())
    audit(actor, "household.read", f"entity:{shown.uuid}")
    return render.render("console/household.html", household=shown, kinds=KINDS)
