"""OpenRosa endpoints in ODK Central's URL layout. Handlers stay thin: resolve the actor, call
one domain function, render one document.

The same blueprint is registered under /v1/key/<token>/projects/<id> (app users, token in the
path), /v1/projects/<id> (staff, Basic/Digest/bearer), and at the root for project 1, so a
person can type just the host name into Collect.
"""
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, current_app, request

from app.auth import http as auth
from app.db import transactions
from app.db import db
from app.forms import village_files
from app.forms.queries import listed_forms, readable_form, served_attachment
from app.openrosa import documents, media, protocol
from app.projects.service import DEFAULT_PROJECT_ID
from app.register import lists
from app.submissions import intake

bp = Blueprint("openrosa", __name__)
XML_TYPE = "text/xml; charset=utf-8"
SMALL_BODY = 64 << 10    # bytes: a submission without attachments, sent with its headers


@bp.url_value_preprocessor
def _pull_prefix(endpoint, values):
    values = values if values is not None else {}
    request.environ["doorstep.url_token"] = values.pop("token", None)
    request.environ["doorstep.project_id"] = values.pop("project_id", DEFAULT_PROJECT_ID)


def _project_id():
    return request.environ["doorstep.project_id"]


bp.before_request(protocol.check_version_header)
bp.after_request(protocol.add_headers)


def base_url():
    """Absolute base of this request's OpenRosa URLs, keeping a /key/<token>/ prefix."""
    root = current_app.config["PUBLIC_URL"].rstrip("/") or request.host_url.rstrip("/")
    token = request.environ["doorstep.url_token"]
    key = f"/key/{token}" if token else ""
    return f"{root}{request.script_root}/v1{key}/projects/{_project_id()}"


def _form_url(xml_form_id, suffix=""):
    """Absolute URL under this form; a ?st= token the caller used is carried along (item 11)."""
    url = f"{base_url()}/forms/{quote(xml_form_id, safe='')}{suffix}"
    st = request.args.get("st")
    return f"{url}?{urlencode({'st': st})}" if st else url


# A trailing "/" with strict_slashes=False matches both forms without a redirect: Collect
# follows redirects, but a redirected POST loses its body (checklist item 5).
@bp.route("/formList/", methods=["GET", "HEAD"], strict_slashes=False)
def form_list():
    actor = auth.require("form.list", _project_id())
    rows = listed_forms(db.session, actor, _project_id(), request.args.get("formID"))
    entries = [{"form_id": f.xml_form_id, "name": v.title or f.xml_form_id,
                "version": v.version, "hash": v.md5,
                "download_url": _form_url(f.xml_form_id, ".xml"),
                "manifest_url": _form_url(f.xml_form_id, "/manifest") if v.attachments else None}
               for f, v in rows]
    return Response(documents.form_list(entries), content_type=XML_TYPE)


@bp.route("/forms/<path:xml_form_id>.xml")
def form_xml(xml_form_id):
    actor = auth.require("form.list", _project_id())
    _form, version = readable_form(db.session, actor, _project_id(), xml_form_id)
    return Response(version.xml.encode("utf-8"), content_type="application/xml; charset=utf-8")


@bp.route("/forms/<path:xml_form_id>/manifest")
def manifest(xml_form_id):
    actor = auth.require("form.list", _project_id())
    transactions.begin_reads(db.session)        # reads only: no SQLite write lock
    _form, version = readable_form(db.session, actor, _project_id(), xml_form_id)
    files = [_media_entry(actor, xml_form_id, a) for a in version.attachments if a.served]
    return Response(documents.manifest(files), content_type=XML_TYPE)


def _media_entry(actor, xml_form_id, attachment):
    entry = {"filename": attachment.name,
             "download_url": _form_url(xml_form_id,
                                       f"/attachments/{quote(attachment.name, safe='')}")}
    dataset = attachment.dataset
    if dataset is None:
        cut = _village_cut(actor, attachment)
        return {**entry, "hash": cut[1] if cut else attachment.blob.md5}
    # Entity lists: a change token, the list type, and where to check deletions (items 21, 22).
    return {**entry, "hash": lists.list_hash(db.session, dataset, actor),
            "type": "approvalEntityList" if dataset.approval_required else "entityList",
            "integrity_url": f"{base_url()}/datasets/{quote(dataset.name, safe='')}/integrity"}


@bp.route("/forms/<path:xml_form_id>/attachments/<name>")
def attachment(xml_form_id, name):
    actor = auth.require("form.list", _project_id())
    transactions.begin_reads(db.session)        # no write lock while a list is written out
    _form, version = readable_form(db.session, actor, _project_id(), xml_form_id)
    found = served_attachment(version, name)
    if found.dataset is not None:
        columns = lists.list_columns(db.session, found.dataset, actor)
        return media.send_text(lambda: _served_list(actor, found.dataset, columns), name,
                               lists.list_hash(db.session, found.dataset, actor, columns))
    cut = _village_cut(actor, found)
    if cut is not None:
        return media.send_text(lambda: cut[0].decode("utf-8"), name, cut[1])
    return media.send_blob(found.blob, name)


def _village_cut(actor, attachment):
    return village_files.for_actor(db.session, current_app.extensions["blob_store"],
                                   _project_id(), actor, attachment.name, attachment.blob)


def _served_list(actor, dataset, columns):
    """The list's CSV; its audit event is committed before a byte of it is sent."""
    dataset_id = dataset.id
    text, rows = lists.list_csv(db.session, dataset, actor, columns)
    transactions.end_reads(db.session)
    lists.record_download(db.session, actor, dataset_id, rows, columns)
    db.session.commit()
    return text


@bp.route("/datasets/<name>/integrity")
def integrity(name):
    actor = auth.require("form.list", _project_id())
    dataset = lists.dataset_named(db.session, _project_id(), name)
    states = lists.deleted_states(db.session, dataset, actor,
                                  request.args.get("id", "").split(","))
    return Response(documents.integrity(states), content_type=XML_TYPE)


@bp.route("/submission/", methods=["GET", "HEAD"], strict_slashes=False)
def submission_preflight():
    # Collect sends HEAD first and requires exactly 204 (a 200 looks like a captive portal);
    # it reads X-OpenRosa-Accept-Content-Length only from a 204.
    auth.require("submission.create", _project_id())
    response = Response(status=204)
    del response.headers["Content-Type"]        # no body, so no type (as Central answers)
    return response


@bp.route("/submission/", methods=["POST"], strict_slashes=False)
def submission():
    # A refused phone must hear 401/403 before it sends a large upload, not after (it would
    # send it twice), and a stranger must not make a worker receive one: unless the body is
    # small, the credentials are checked first, in a read transaction of their own, ended
    # before the body (no lock or connection is held while a slow upload arrives). A small
    # body is already on its way with the headers; then only a request without credentials
    # is challenged first, and the actor lookup opens the one transaction that stores the
    # submission (an extra transaction per submission showed on PostgreSQL, docs/performance-history.md).
    if request.content_length is not None and request.content_length <= SMALL_BODY:
        auth.challenge_anonymous()
        actor = None
    else:
        actor = auth.require("submission.create", _project_id())
    upload = media.read_upload(request)
    try:
        if actor is None:
            actor = auth.require("submission.create", _project_id(), end_transaction=False)
        # the request's Session itself: each use of the scoped proxy looks the session up
        # again, a few dozen times in one submission
        intake.receive(db.session(), current_app.extensions["blob_store"], actor,
                       _project_id(), upload)
    finally:
        upload.close()
    return Response(documents.success(protocol.english_first()), status=201,
                    content_type=XML_TYPE)

