"""A form's preview: the current version filled in ODK Web Forms in the console, where
nothing is kept or sent (app/webforms/templates/webforms/form.html with `preview`), for
anyone signed in who reads forms; app/console/preview.py does the work.

    GET  /forms/<xml_form_id>/preview           the page (the browser forms' engine)
    GET  /preview/<xml_form_id>/xform           the current version's XForm
    GET  /preview/<xml_form_id>/manifest        an OpenRosa manifest of its media
    GET  /preview/<xml_form_id>/media/<name>    one media file or entity list (a list: her
                                                villages' rows only, audited)

The files are not under /forms/: the OpenRosa face answers /forms/<path>.xml and
/forms/<path>/manifest at the root for Collect (app/openrosa/views.py).

The page's script fetches the last three with the console's cookie (same origin), so
they are console routes under the same guard as every page (@page); scope "shared": a form
is the town's, what it carries of a village's is cut to the person's villages.
"""
from flask import current_app, render_template, url_for

from app.console import preview
from app.db import db
from app.forms.queries import readable_form, served_attachment
from app.openrosa import documents, media
from app.register import lists
from app.web import i18n
from app.web.blueprint import bp, town
from app.web.session import audit, page
from app.webforms import pages as webforms, policy


def _store():
    return current_app.extensions["blob_store"]


@bp.get("/forms/<xml_form_id>/preview")
@page("form.list", scope="shared")
def form_preview(actor, xml_form_id):
    _form, version = readable_form(db.session, actor, town(), xml_form_id)
    body = render_template(
        "webforms/form.html", **webforms.scripted_context(), preview=True,
        form_id=xml_form_id, title=version.title or xml_form_id, hash=version.md5,
        xml=url_for("console.form_preview_xml", xml_form_id=xml_form_id),
        manifest=(url_for("console.form_preview_manifest", xml_form_id=xml_form_id)
                  if version.attachments else ""),
        name=actor.name, base="", sw="", home=None, console=_back(actor, xml_form_id))
    return i18n.remember(policy.page(body))


def _back(actor, xml_form_id):
    """Out of the preview: the form's page for whoever may open it, else her dashboard."""
    return (url_for("console.form", xml_form_id=xml_form_id) if actor.can("form.update")
            else url_for("console.dashboard"))


@bp.get("/preview/<xml_form_id>/xform")
@page("form.list", scope="shared")
def form_preview_xml(actor, xml_form_id):
    _form, version = readable_form(db.session, actor, town(), xml_form_id)
    return current_app.response_class(version.xml.encode("utf-8"),
                                      content_type="application/xml; charset=utf-8")


@bp.get("/preview/<xml_form_id>/manifest")
@page("form.list", scope="shared")
def form_preview_manifest(actor, xml_form_id):
    _form, version = readable_form(db.session, actor, town(), xml_form_id)
    files = [{"filename": f.name, "hash": f.hash,
              "download_url": url_for("console.form_preview_media", xml_form_id=xml_form_id,
                                      name=f.name)}
             for f in preview.media(db.session, _store(), actor, town(), version)]
    return current_app.response_class(documents.manifest(files),
                                      content_type="text/xml; charset=utf-8")


@bp.get("/preview/<xml_form_id>/media/<name>")
@page("form.list", scope="shared")
def form_preview_media(actor, xml_form_id, name):
    _form, version = readable_form(db.session, actor, town(), xml_form_id)
    found = served_attachment(version, name)
    if found.dataset is not None:
        return _entity_list(actor, version, found.dataset, name)
    cut = preview.village_cut(db.session, _store(), actor, town(), found)
    if cut is not None:
        return media.send_text(lambda: cut[0].decode("utf-8"), name, cut[1])
    return media.send_blob(found.blob, name)


def _entity_list(actor, version, dataset, name):
    """Her villages' rows of the list; the audit row is written before a byte is sent."""
    columns = preview.list_columns(version, dataset)
    dataset_id = dataset.id

    def text():
        csv, rows = lists.list_csv(db.session, dataset, actor, columns)
        audit(actor, "entity.list", f"dataset:{dataset_id}", count=rows, route="console",
              columns=columns)
        return csv
    return media.send_text(text, name, lists.list_hash(db.session, dataset, actor, columns))
