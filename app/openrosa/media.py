"""Moving bytes over HTTP: serving blobs with ETag/304, reading a multipart submission upload.

Werkzeug parses multipart/form-data as a stream and spools large parts to temporary files, so
a 50 MB video never sits in memory. MAX_CONTENT_LENGTH rejects a body whose Content-Length is
too large before a byte is read, and caps chunked bodies while they are read.
"""
import mimetypes

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from app.problems import Problem
from app.submissions.intake import Upload

mimetypes.add_type("text/csv", ".csv")
mimetypes.add_type("application/geo+json", ".geojson")


def send_blob(blob, name):
    """A stored blob as a download. ETag is the MD5 the manifest lists, so Collect's HTTP cache
    (and any proxy) gets 304 Not Modified for files it already has."""
    response = current_app.response_class(
        _chunks(current_app.extensions["blob_store"], blob.sha256),
        content_type=_content_type(name), direct_passthrough=True)
    response.set_etag(blob.md5)
    response.headers["Content-Disposition"] = _disposition(name)
    response.content_length = blob.size
    return response.make_conditional(request)


def _content_type(name):
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith("text/") else kind


def _disposition(name):
    from urllib.parse import quote
    return f"attachment; filename*=UTF-8''{quote(name)}"


def _chunks(store, sha256):
    with store.open(sha256) as f:
        while chunk := f.read(1 << 16):
            yield chunk


def read_upload(req):
    """The submission's parts as an intake Upload; 413 / 400 Problems for bad bodies."""
    try:
        files = req.files
        xml_part = files.get("xml_submission_file")
        xml = xml_part.read() if xml_part is not None else req.form.get("xml_submission_file", "").encode()
    except RequestEntityTooLarge:
        raise Problem("413.1", {"limit": current_app.config["MAX_CONTENT_LENGTH"]})
    except ValueError as e:
        raise Problem("400.39", {"reason": str(e)})
    if not xml:
        raise Problem("400.7")
    parts = {name: storage.stream for name, storage in files.items(multi=True)
             if name != "xml_submission_file"}
    return Upload(xml=xml, files=parts, device_id=req.args.get("deviceID"),
                  user_agent=req.headers.get("User-Agent"),
                  header_instance_id=req.headers.get("X-OpenRosa-Instance-Id"))
