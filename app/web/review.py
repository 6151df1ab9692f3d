"""Review: the queue across all forms, one submission as its form shows it, review actions
and comments, and correcting a submission in the browser (a new version through intake).

    GET  /review                                     the queue (filters; ?after= pages)
    GET  /submissions/<id>                           the submission (the queue's filters kept)
    GET  /submissions/<id>/attachments/<name>        one of its files (audited)
    GET  /submissions/<id>/xml                       its XML as received (audited)
    POST /submissions/<id>/review                    approve / reject / has issues, comment
    GET  /submissions/<id>/edit                      the correction form
    POST /submissions/<id>/edit                      send the correction
"""
from datetime import date

from flask import Response, current_app, redirect, url_for
from marshmallow import INCLUDE, fields, validate

from app.console import review as reviewing
from app.db import db
from app.openrosa.media import disposition, send_blob
from app.web import i18n, render
from app.web.blueprint import bp, town
from app.web.session import PageForm, PageQuery, audit, page

#: files and XML are downloads, never pages of this site
SANDBOX = "default-src 'none'; sandbox"


#: days the queue's date filters accept (a day at either end of Python's calendar, in the
#: town's time zone, falls outside it: a 500)
DAYS = validate.Range(min=date(1900, 1, 1), max=date(9999, 1, 1))


class QueueQuery(PageQuery):
    village = fields.String()
    form = fields.String(validate=validate.Length(max=255))
    state = fields.String(validate=validate.OneOf(reviewing.STATES))
    since = fields.Date(validate=DAYS)
    until = fields.Date(validate=DAYS)
    submitter = fields.String(validate=validate.Regexp(r"^(app_user|user):\d{1,9}$"))
    after = fields.String(validate=validate.Length(max=60))


class ReviewForm(PageForm):
    EXAMPLE = {"state": "approved", "comment": "已核实"}
    state = fields.String(validate=validate.OneOf(reviewing.ACTIONS))
    comment = fields.String(validate=validate.Length(max=2000))


class CorrectionForm(PageForm):
    """`base`: the version the form was made from; the answers come as v/data/… fields."""
    EXAMPLE = {"base": "uuid:example"}
    base = fields.String(required=True, validate=validate.Length(max=255))

    class Meta:
        unknown = INCLUDE


def _kept(query):
    """The queue's filters, to carry from the queue to a submission and back."""
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v)
            for k, v in query.items() if k in reviewing.FILTERS and v}


@bp.get("/review")
@page("submission.read", query=QueueQuery)
def review(actor, query):
    data = reviewing.queue(db.session, actor, town(), query, i18n.current())
    return render.render("console/review.html", **data, kept=_kept(query), query=query,
                         states=reviewing.STATES)


@bp.get("/submissions/<int:submission_id>")
@page("submission.read", query=QueueQuery)
def submission(actor, query, submission_id):
    data = reviewing.submission(db.session, actor, town(), submission_id, query,
                                i18n.current())
    audit(actor, "submission.read", f"submission:{submission_id}")
    return render.render("console/submission.html", s=data, kept=_kept(query),
                         actions=reviewing.ACTIONS)


@bp.get("/submissions/<int:submission_id>/attachments/<name>")
@page("submission.read")
def submission_attachment(actor, submission_id, name):
    found = reviewing.attachment(db.session, actor, town(), submission_id, name)
    audit(actor, "submission.read", f"submission:{submission_id}", part=name)
    response = send_blob(found, found.name)
    response.headers["Content-Security-Policy"] = SANDBOX
    return response


@bp.get("/submissions/<int:submission_id>/xml")
@page("submission.read")
def submission_xml(actor, submission_id):
    name, xml = reviewing.raw_xml(db.session, actor, town(), submission_id)
    audit(actor, "submission.read", f"submission:{submission_id}", part="xml")
    return Response(xml, content_type="application/xml; charset=utf-8", headers={
        "Content-Disposition": disposition(name), "Content-Security-Policy": SANDBOX})


@bp.post("/submissions/<int:submission_id>/review")
@page("submission.update", query=QueueQuery, form=ReviewForm)
def submission_review(actor, query, form, submission_id):
    reviewing.review(db.session, actor, town(), submission_id, form.get("state"),
                     form.get("comment"))
    return redirect(url_for("console.submission", submission_id=submission_id,
                            **_kept(query)), 303)


@bp.get("/submissions/<int:submission_id>/edit")
@page("submission.update", query=QueueQuery)
def submission_edit(actor, query, submission_id):
    data = reviewing.correction(db.session, actor, town(), submission_id, i18n.current())
    audit(actor, "submission.read", f"submission:{submission_id}", part="edit")
    return render.render("console/submission_edit.html", s=data, kept=_kept(query))


@bp.post("/submissions/<int:submission_id>/edit")
@page("submission.update", query=QueueQuery, form=CorrectionForm)
def submission_edit_post(actor, query, form, submission_id):
    reviewing.correct(db.session, current_app.extensions["blob_store"], actor, town(),
                      submission_id, form["base"], form)
    return redirect(url_for("console.submission", submission_id=submission_id,
                            **_kept(query)), 303)
