"""Reconciliation with outside lists (issue 23):

    GET  /reconcile                  imports she may see, the upload form, each village's
                                     accuracy from the newest import of each kind (?village=)
    POST /reconcile                  upload a file (multipart: kind, village?, file)
    GET  /reconcile/<id>             one import: its lists with their evidence (?status=,
                                     ?village=, ?after= the next page)
    POST /reconcile/<id>/rerun       its results made again from today's register

Reads need submission.read, uploads and reruns submission.update. The results page is
audited as outside.read; the upload as outside.import (app/quality/outside.py)."""
from flask import current_app, redirect, request, url_for
from marshmallow import fields, validate

from app.console import reconcile as domain
from app.console import scope
from app.db import db
from app.problems import Problem
from app.quality import outside
from app.quality.outside_files import KINDS
from app.web import render
from app.web.blueprint import bp, town
from app.web.session import PageForm, PageQuery, audit, page


class ReconcileQuery(PageQuery):
    village = fields.String(validate=validate.Length(max=64))


class ResultsQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(["", *outside.STATUSES]))
    village = fields.String(validate=validate.Length(max=64))
    after = fields.Integer(validate=validate.Range(min=1, max=2 ** 31 - 1))


class UploadForm(PageForm):
    """The file itself is the multipart part `file`, read by the handler."""
    EXAMPLE = {"kind": "hospital_births", "village": "dongwan"}
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    village = fields.String(validate=validate.Length(max=64))


class RerunForm(PageForm):
    EXAMPLE = {}


def _overview(actor, village, problem=None, status=200):
    villages = scope.villages(db.session, actor, town(), village or None)
    shown = domain.overview(db.session, actor, town(), villages.ids if village else None)
    return render.render("console/reconcile.html", status=status, shown=shown,
                         villages=villages, problem=problem, kinds=KINDS,
                         can_import=actor.can("submission.update"))


@bp.get("/reconcile")
@page("submission.read", query=ReconcileQuery)
def reconcile(actor, query):
    return _overview(actor, query.get("village"))


@bp.post("/reconcile")
@page("submission.update", form=UploadForm)
def reconcile_upload(actor, form):
    village = form.get("village") or None
    chosen = scope.villages(db.session, actor, town(), village)   # 403/404 before all
    part = request.files.get("file")
    try:
        if part is None or not part.filename:
            raise Problem("400.291", {"zh": "没有选择文件", "en": "no file chosen"})
        limit = current_app.config.get("OUTSIDE_MAX_BYTES", outside.MAX_BYTES)
        imported, _created = outside.import_file(
            db.session, actor, town(), form["kind"], part.filename, part.read(limit + 1),
            limit, chosen.ids if village else None)
    except Problem as problem:
        if problem.status not in (400, 413):
            raise
        db.session.rollback()
        return _overview(actor, village, problem, problem.status)
    return redirect(url_for("console.reconcile_import", import_id=imported.id), code=303)


@bp.get("/reconcile/<int:import_id>")
@page("submission.read", query=ResultsQuery)
def reconcile_import(actor, query, import_id):
    status, village = query.get("status") or None, query.get("village") or None
    shown, figures, lines, after = domain.detail(db.session, actor, town(), import_id,
                                                 status, village, query.get("after"))
    audit(actor, "outside.read", f"outside_import:{import_id}", status=status,
          village=village, after=query.get("after"), shown=len(lines))
    more = url_for("console.reconcile_import", import_id=import_id,
                   **{**request.args.to_dict(), "after": after}) if after else None
    names = {code: (zh, en) for code, zh, en in
             scope.villages(db.session, actor, town()).choices}
    return render.render("console/reconcile_import.html", imported=shown, figures=figures,
                         names=names,
                         lines=lines, chosen_status=status, village=village, more_url=more,
                         can_import=actor.can("submission.update"))


@bp.post("/reconcile/<int:import_id>/rerun")
@page("submission.update", form=RerunForm)
def reconcile_rerun(actor, form, import_id):
    outside.rerun(db.session, actor, town(), import_id)
    return redirect(url_for("console.reconcile_import", import_id=import_id), code=303)
