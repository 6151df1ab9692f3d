"""Compare two people and merge one into the other; undo it from a person's page.

    GET  /duplicates/<a>/<b>          both side by side, a pick per differing property
                                      (?pick.<property>=kept|merged; ?preview=1 shows A as
                                      the merge would leave it, with the confirm button)
    POST /duplicates/<a>/<b>          the merge, with the picks previewed → A's page
    POST /people/<person>/unmerge     undo the merge of this person → her page

The work is app/console/merging.py's (and app.quality.merging's). Comparing reads two
people's records: audited as person.read of each, page "merge".
"""
from flask import redirect, url_for
from marshmallow import INCLUDE, ValidationError, fields, validates_schema

from app.audit.record import record
from app.console import merging as work
from app.db import db
from app.web import render
from app.web.blueprint import bp, town
from app.web.session import PageForm, PageQuery, audit, page


def _only_picks(data, known):
    for key in data:
        if key not in known and not key.startswith("pick."):
            raise ValidationError(f"unknown field {key}", key)
        if key.startswith("pick.") and len(key) > 260:
            raise ValidationError("a property name is at most 255 characters", key)


class CompareQuery(PageQuery):
    """`pick.<property>`: kept or merged (checked by app.console.merging.picks_from)."""
    class Meta:
        unknown = INCLUDE
    preview = fields.Boolean()

    @validates_schema(pass_original=True)
    def _picks(self, _data, original, **_kw):
        _only_picks(original, {"lang", "preview"})


class MergeForm(PageForm):
    """The picks the preview showed, as `pick.<property>` fields."""
    class Meta:
        unknown = INCLUDE
    EXAMPLE = {}

    @validates_schema(pass_original=True)
    def _picks(self, _data, original, **_kw):
        _only_picks(original, {"csrf"})


class UnmergeForm(PageForm):
    EXAMPLE = {}


@bp.get("/duplicates/<a>/<b>")
@page("submission.update", query=CompareQuery)
def merge_compare(actor, query, a, b):
    shown = work.compare(db.session, actor, town(), a, b, work.picks_from(query))
    audit(actor, "person.read", f"entity:{shown.kept.uuid}", page="merge")
    # the read transaction has ended with the first row: the second is written beside it
    record(db.session, actor, "person.read", f"entity:{shown.merged.uuid}", page="merge")
    return render.render("console/merge.html", c=shown, preview=bool(query.get("preview")))


@bp.post("/duplicates/<a>/<b>")
@page("submission.update", form=MergeForm)
def merge_confirm(actor, form, a, b):
    kept = work.merge(db.session, actor, town(), a, b, work.picks_from(form))
    return redirect(url_for("console.person", person=kept), code=303)


@bp.post("/people/<person>/unmerge")
@page("submission.update", form=UnmergeForm)
def person_unmerge(actor, form, person):
    work.unmerge(db.session, actor, town(), person)
    return redirect(url_for("console.person", person=person), code=303)
