"""The audit log: who read or changed what, and when (admins only; app/console/audit.py).

    GET /audit   ?actor=user:3|app_user:5|system &village=CODE &target=<uuid, submission id
                 or kind:key> &action=NAME &since=YYYY-MM-DD &until=YYYY-MM-DD &after=CURSOR

Reading the log is not itself logged: its rows name records by id, not people by name.
"""
from urllib.parse import quote

from flask import current_app, request, url_for
from werkzeug.exceptions import HTTPException
from marshmallow import fields, validate

from app.console import audit as log
from app.db import db
from app.web import i18n, render
from app.web.blueprint import bp, town
from app.web.render import N_
from app.web.session import PageQuery, page

#: the log's actions in words (an action not here is shown as it is stored)
ACTIONS = {
    "person.read": N_("Read a person's or household's page"),
    "entity.read": N_("Read a register record (API)"),
    "entity.list": N_("Downloaded a register list"),
    "entity.export": N_("Exported a register list"),
    "submission.export": N_("Exported a form's submissions"),
    "entity.create": N_("Added to the register"),
    "entity.update": N_("Changed the register"),
    "entity.resolve": N_("Resolved a conflict"),
    "entity.error": N_("Register update failed"),
    "submission.read": N_("Read a submission"),
    "submission.list": N_("Listed submissions"),
    "submission.update": N_("Reviewed a submission"),
    "submission.update.version": N_("Edited a submission"),
    "submission.delete": N_("Deleted a submission"),
    "submission.hold.outside": N_("Held: outside the sender's villages"),
    "submission.backlog.hold": N_("Held an offline update"),
    "submission.backlog.reprocess": N_("Applied a held offline update"),
    "form.publish": N_("Published a form"),
    "form.update.state": N_("Changed a form's state"),
    "form.update.issues": N_("Changed a form's policy for submissions with issues"),
    "form.attachment.update": N_("Uploaded a form's media file"),
    "report.view": N_("Opened a report"),
    "report.download": N_("Downloaded a report"),
    "report.lock": N_("Locked a report"),
    "report.unlock": N_("Unlocked a report"),
    "user.web_session.create": N_("Signed in to the console"),
    "user.web_session.end": N_("Signed out of the console"),
    "user.session.create": N_("Signed in to the API"),
    "user.create": N_("Created a web user"),
    "user.update.password": N_("Changed a password"),
    "app_user.create": N_("Enrolled a phone"),
    "app_user.revoke": N_("Revoked a phone"),
}


class AuditQuery(PageQuery):
    who = fields.String(data_key="actor", validate=validate.Length(max=40))
    village = fields.String(validate=validate.Length(max=64))
    target = fields.String(validate=validate.Length(max=120))
    action = fields.String(validate=validate.Length(max=64))
    since = fields.Date()
    until = fields.Date()
    after = fields.String(validate=validate.Length(max=40))


#: the console page of each kind of record, by path (whichever page module serves it)
PATHS = {"person": "/people/{}", "household": "/households/{}",
         "submission": "/submissions/{}", "form": "/forms/{}", "app_user": "/phones/{}",
         "user": "/users/{}"}


def _page(path):
    """This path when a console page answers it here, else None (a page not written yet)."""
    try:
        endpoint, _args = current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return None
    return request.script_root + path if endpoint.startswith("console.") else None


def link(found):
    """The URL of what a row's target names (None: nothing to open)."""
    if found is None:
        return None
    kind, key = found
    if kind == "report":
        month, where = key
        args = {} if where == "town" else {"village": where}
        return url_for("reports_html.page", project=town(), month=month, **args)
    return _page(PATHS[kind].format(quote(str(key), safe="")))


@bp.get("/audit")
@page("audit.read", query=AuditQuery, scope="town")
def audit(actor, query):
    filters = {k: v for k, v in query.items() if k != "lang"}
    found = log.audit_log(db.session, actor, town(), i18n.zone(), **filters)
    more = None
    if found.after:
        args = {("actor" if k == "who" else k): v for k, v in filters.items() if k != "after"}
        more = url_for("console.audit", **args, after=found.after)
    return render.render("console/audit.html", log=found, filters=filters, more=more,
                         actions=ACTIONS, link=link)
