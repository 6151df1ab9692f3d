"""Draft testing's OpenRosa face (Central's): a phone set up with the draft's URL,
/v1/test/<token>/projects/<id>/forms/<xmlFormId>/draft, lists, downloads and fills that one
draft and sends test submissions, which app/forms/draft_testing.py keeps apart from real ones.

The draft's token is the only credential (as Central); a token that is not the draft's own, or
a draft that was published, deleted or replaced by a new one, is 404.4. Same header rules and
error documents as the phone's other endpoints (app/openrosa/protocol.py).
"""
from urllib.parse import quote

from flask import Blueprint, Response, current_app, request

from app.db import db
from app.forms import draft_testing
from app.openrosa import documents, media, protocol

bp = Blueprint("openrosa_draft", __name__)
XML_TYPE = "text/xml; charset=utf-8"
DRAFT = "/forms/<path:xml_form_id>/draft"

bp.before_request(protocol.check_version_header)
bp.after_request(protocol.add_headers)


@bp.url_value_preprocessor
def _pull_prefix(endpoint, values):
    request.environ["doorstep.draft_token"] = values.pop("token")
    request.environ["doorstep.project_id"] = values.pop("project_id")


def _draft(xml_form_id):
    return draft_testing.draft_by_token(db.session, request.environ["doorstep.project_id"],
                                        xml_form_id, request.environ["doorstep.draft_token"])


def _draft_url(xml_form_id, suffix):
    root = current_app.config["PUBLIC_URL"].rstrip("/") or request.host_url.rstrip("/")
    return (f"{root}{request.script_root}/v1/test/{request.environ['doorstep.draft_token']}"
            f"/projects/{request.environ['doorstep.project_id']}/forms/"
            f"{quote(xml_form_id, safe='')}/draft{suffix}")


@bp.route(f"{DRAFT}/formList", methods=["GET", "HEAD"])
def form_list(xml_form_id):
    draft = _draft(xml_form_id)
    entry = {"form_id": draft.xml_form_id, "name": draft.title or draft.xml_form_id,
             "version": draft.version, "hash": draft.md5,
             "download_url": _draft_url(xml_form_id, ".xml"),
             "manifest_url": _draft_url(xml_form_id, "/manifest") if draft.attachments else None}
    return Response(documents.form_list([entry]), content_type=XML_TYPE)


@bp.route(f"{DRAFT}.xml")
def form_xml(xml_form_id):
    draft = _draft(xml_form_id)
    return Response(draft.xml.encode("utf-8"), content_type="application/xml; charset=utf-8")


@bp.route(f"{DRAFT}/manifest")
def manifest(xml_form_id):
    draft = _draft(xml_form_id)
    files = [{"filename": a.name, "hash": a.blob.md5,
              "download_url": _draft_url(xml_form_id, f"/attachments/{quote(a.name, safe='')}")}
             for a in draft.attachments if a.blob is not None]
    return Response(documents.manifest(files), content_type=XML_TYPE)


@bp.route(f"{DRAFT}/attachments/<name>")
def attachment(xml_form_id, name):
    draft = _draft(xml_form_id)
    found = next((a for a in draft.attachments if a.name == name and a.blob), None)
    if found is None:
        return Response(status=404)
    return media.send_blob(found.blob, name)


@bp.route(f"{DRAFT}/submission", methods=["HEAD", "GET"])
def submission_preflight(xml_form_id):
    _draft(xml_form_id)
    response = Response(status=204)     # Collect requires exactly 204 (app/openrosa/views.py)
    del response.headers["Content-Type"]
    return response


@bp.route(f"{DRAFT}/submission", methods=["POST"])
def submission(xml_form_id):
    draft = _draft(xml_form_id)
    upload = media.read_upload(request)
    try:
        draft_testing.receive(db.session, current_app.extensions["blob_store"], draft, upload)
        db.session.commit()
    finally:
        upload.close()
    return Response(documents.success(protocol.english_first()), status=201,
                    content_type=XML_TYPE)
