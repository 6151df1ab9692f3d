"""Forms: the town's forms, publishing one, and each form's versions, state, media and policy
for submissions with issues (admins only; app/console/forms.py does the work).

    GET  /forms                          the list
    GET  /forms/new                      the upload form
    POST /forms                          publish an uploaded XLSForm or XForm (and media)
    GET  /forms/<xml_form_id>            versions, state, media, issues policy
    GET  /forms/<xml_form_id>/xform      a version's XForm (?version=; default the current)
    POST /forms/<xml_form_id>/state      open / closing / closed
    POST /forms/<xml_form_id>/issues     hold / update
    POST /forms/<xml_form_id>/media      upload one expected media file
"""
import re

from flask import current_app, redirect, request, url_for
from flask_babel import gettext as _
from marshmallow import fields, validate

from app.console import forms as console_forms
from app.db import db
from app.forms.models import FORM_STATES
from app.problems import Problem
from app.web import i18n, render
from app.web.blueprint import bp, town
from app.web.render import N_
from app.web.session import PageForm, PageQuery, page

#: why ODK Validate cannot run here (app.forms.compile.odk_validate_unavailable), in words
WHY_NOT = {"Java is not installed": N_("Java is not installed"),
           "pyxform's ODK Validate is not installed": N_("pyxform's ODK Validate is not installed")}
#: pyxform's commonest refusals, said again in plain words (shown under its own, which stays)
HINTS = [
    (r"\[row : (?P<row>\d+)\]", N_("Look at row %(row)s of the survey sheet.")),
    (r"Unknown question type '(?P<type>[^']+)'",
     N_("“%(type)s” is not an XLSForm question type: check its spelling in the type column.")),
    (r"the 'name' value '(?P<name>[^']+)' is invalid\. Questions, groups, and repeats must be "
     r"unique", N_("The name “%(name)s” is used twice in one group: each question needs its own.")),
    (r"the 'name' value is invalid\. Names must begin",
     N_("A name must begin with a letter or an underscore and hold no spaces.")),
    (r"There should be a choices sheet",
     N_("A select question needs a choices sheet with the columns list_name, name and label.")),
    (r"The survey element named '(?P<name>[^']+)' has no label or hint",
     N_("The question “%(name)s” has no label.")),
    (r"Unmatched 'begin_group'\. No matching 'end_group' was found for the name '(?P<name>[^']+)'",
     N_("The group “%(name)s” is opened and never closed: add its end_group row.")),
    (r"Unmatched 'begin_repeat'\. No matching 'end_repeat' was found for the name "
     r"'(?P<name>[^']+)'",
     N_("The repeat “%(name)s” is opened and never closed: add its end_repeat row.")),
    (r"Could not find the name '(?P<name>[^']+)'",
     N_("An expression refers to ${%(name)s}, which is no question's name.")),
]
OUTCOMES = ("created", "new version", "unchanged", "media updated", "state", "issues", "media")


class FormQuery(PageQuery):
    done = fields.String(validate=validate.OneOf(OUTCOMES))     # what the last POST did


class XFormQuery(PageQuery):
    version = fields.String(validate=validate.Length(max=255))


class UploadForm(PageForm):
    """The file itself is the multipart part `file` (media files: `media`), read by the
    handler from request.files; the body-size limit (MAX_CONTENT_LENGTH) applies."""
    EXAMPLE = {}


class StateForm(PageForm):
    state = fields.String(required=True, validate=validate.OneOf(FORM_STATES))
    EXAMPLE = {"state": "closing"}


class IssuesForm(PageForm):
    policy = fields.String(required=True, validate=validate.OneOf(["hold", "update"]))
    EXAMPLE = {"policy": "update"}


class MediaForm(PageForm):
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    EXAMPLE = {"name": "logo.png"}


def _validate_off():
    """Why ODK Validate cannot check forms here, in the page's language (None: it can)."""
    reason = console_forms.validate_here()
    return reason and (_(WHY_NOT[reason]) if reason in WHY_NOT else reason)


def hints(message):
    """pyxform's words in a refusal, said again in the page's language (a list, maybe empty)."""
    return [_(words, **found.groupdict()) for pattern, words in HINTS
            for found in [re.search(pattern, message)] if found]


def _refused(problem, filename):
    db.session.rollback()
    message = i18n.message(problem)
    return render.render("console/form_new.html", status=problem.status,
                         validate_off=_validate_off(), filename=filename, message=message,
                         hints=hints(problem.message_en), code=problem.code)


def _store():
    return current_app.extensions["blob_store"]


def _file(part):
    """(file name, bytes) of an uploaded part ('' and b'' when none was chosen)."""
    found = request.files.get(part)
    return (found.filename or "", found.read()) if found else ("", b"")


@bp.get("/forms")
@page("form.update", scope="town")
def forms(actor):
    found = console_forms.form_list(db.session, town())
    return render.render("console/forms.html", forms=found)


@bp.get("/forms/new")
@page("form.create", scope="town")
def form_new(actor):
    return render.render("console/form_new.html", validate_off=_validate_off())


@bp.post("/forms")
@page("form.create", form=UploadForm, scope="town")
def form_upload(actor):
    name, data = _file("file")
    media = {f.filename: f.read() for f in request.files.getlist("media") if f.filename}
    try:
        done = console_forms.upload(db.session, _store(), town(), name, data, media, actor)
    except Problem as problem:
        return _refused(problem, name)
    return redirect(url_for("console.form", xml_form_id=done.xml_form_id, done=done.outcome),
                    code=303)


@bp.get("/forms/<xml_form_id>")
@page("form.update", query=FormQuery, scope="town")
def form(actor, query, xml_form_id):
    detail = console_forms.form_detail(db.session, town(), xml_form_id)
    return render.render("console/form.html", form=detail, done=query.get("done"),
                         states=FORM_STATES)


@bp.get("/forms/<xml_form_id>/xform")
@page("form.update", query=XFormQuery, scope="town")
def form_xform(actor, query, xml_form_id):
    name, xml = console_forms.xform(db.session, town(), xml_form_id, query.get("version"))
    response = current_app.response_class(xml, content_type="text/xml; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _back(xml_form_id, done):
    return redirect(url_for("console.form", xml_form_id=xml_form_id, done=done), code=303)


@bp.post("/forms/<xml_form_id>/state")
@page("form.update", form=StateForm, scope="town")
def form_state(actor, form, xml_form_id):
    console_forms.change_state(db.session, town(), xml_form_id, form["state"], actor)
    return _back(xml_form_id, "state")


@bp.post("/forms/<xml_form_id>/issues")
@page("form.update", form=IssuesForm, scope="town")
def form_issues(actor, form, xml_form_id):
    console_forms.change_issues_policy(db.session, town(), xml_form_id, form["policy"],
                                       actor)
    return _back(xml_form_id, "issues")


@bp.post("/forms/<xml_form_id>/media")
@page("form.update", form=MediaForm, scope="town")
def form_media(actor, form, xml_form_id):
    _name, data = _file("file")
    console_forms.upload_media(db.session, _store(), town(), xml_form_id, form["name"],
                               data, actor)
    return _back(xml_form_id, "media")
