"""Conflicts: entities a supervisor must look at, and their resolution in one step.

    GET  /conflicts             the queue (?village=CODE, ?kind=soft|hard|held, ?list=NAME,
                                ?after=cursor)
    GET  /conflicts/<entity>    both sides of one entity's conflict, per property
    POST /conflicts/<entity>    the values chosen and "resolved", on the version shown

The work is app/console/conflicts.py's; resolving calls the register's own change function,
so a change made meanwhile is refused with a page saying so (409), never overwritten.
"""
from flask import redirect, url_for
from marshmallow import INCLUDE, fields, pre_load, validate

from app.console import conflicts as work
from app.console import scope
from app.db import db
from app.problems import Problem
from app.web import i18n, render
from app.web.blueprint import bp, town
from app.web.session import PageForm, PageQuery, audit, page


def N_(message):              # noqa: N802 - marks a message for extraction, translated later
    return message


#: the register's lists, as a person calls them
LISTS = {"people": N_("People"), "households": N_("Households"),
         "pregnancies": N_("Pregnancies")}
KINDS = {"soft": N_("Parallel update"), "hard": N_("Conflict"), "held": N_("Waiting offline")}
SOURCES = {"submission": N_("Form sent"), "api": N_("Edited by a person"),
           "backlog": N_("Offline update applied after waiting")}


class QueueQuery(PageQuery):
    """The filter form sends every field; an empty one means "all"."""
    @pre_load
    def _all(self, data, **_kw):
        return {k: v for k, v in data.items() if v != ""}

    village = fields.String(validate=validate.Length(max=64))
    kind = fields.String(validate=validate.OneOf(work.KINDS))
    list = fields.String(validate=validate.Length(max=255))
    after = fields.String(validate=validate.Length(max=100))


class DetailQuery(PageQuery):
    resolved = fields.Integer()           # the version a resolution just made (confirmation)


class ResolveForm(PageForm):
    """`version`: the entity's version the page showed; `pick.<property>` / `typed.<property>`
    per property (app.console.conflicts.picks)."""
    class Meta:
        unknown = INCLUDE

    version = fields.Integer(required=True)
    EXAMPLE = {"version": "1"}


@bp.get("/conflicts")
@page("submission.read", query=QueueQuery)
def conflicts(actor, query):
    villages = scope.villages(db.session, actor, town(), query.get("village"))
    found = work.queue(db.session, actor, town(), villages.ids, query.get("kind"),
                       query.get("after"), query.get("list"))
    audit(actor, "person.list", "conflicts", count=len(found.rows), village=query.get("village"))
    return render.render("console/conflicts.html", found=found, villages=villages, query=query,
                         lists=LISTS, kinds=KINDS)


@bp.get("/conflicts/<entity>")
@page("submission.read", query=DetailQuery)
def conflict(actor, query, entity):
    found = work.conflict(db.session, actor, town(), entity)
    audit(actor, "person.read", f"entity:{found.uuid}", page="conflict")
    return render.render("console/conflict.html", c=found, resolved=query.get("resolved"),
                         may_resolve=actor.can("submission.update"), lists=LISTS, kinds=KINDS,
                         sources=SOURCES)


@bp.post("/conflicts/<entity>")
@page("submission.update", form=ResolveForm)
def conflict_resolve(actor, form, entity):
    try:
        version = work.resolve(db.session, actor, town(), entity, form["version"],
                               work.picks(form))
    except Problem as e:
        if e.code not in ("409.133", "409.131"):
            raise
        db.session.rollback()
        return render.render("console/conflict_stale.html", status=e.status,
                             message=i18n.message(e), code=e.code, entity=entity)
    return redirect(url_for("console.conflict", entity=entity, resolved=version), code=303)
