"""Moving bytes over HTTP: serving blobs with ETag/304, reading a multipart submission upload.

A body whose Content-Length exceeds MAX_CONTENT_LENGTH is refused before a byte is read;
chunked bodies are capped while they are read (Werkzeug's request stream raises at the limit).
Large parts spool to temporary files, so a 50 MB video never sits in memory.
"""
import gzip
import mimetypes
import re
from urllib.parse import quote

import multipart

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from app import safexml
from app.problems import Problem
from app.submissions import lengths
from app.submissions.intake import Upload

mimetypes.add_type("text/csv", ".csv")
mimetypes.add_type("application/geo+json", ".geojson")


def send_blob(blob, name):
    """A stored blob as a download. ETag is the MD5 the manifest lists, so Collect's HTTP cache
    (and any proxy) gets 304 Not Modified for files it already has. The blob is opened before
    the answer starts, so a store that cannot be reached is a 503, not a cut-off download."""
    unread = request.method == "HEAD" or request.if_none_match.contains_weak(blob.md5)
    body = () if unread else _chunks(current_app.extensions["blob_store"].open(blob.sha256))
    response = current_app.response_class(
        body, content_type=_content_type(name), direct_passthrough=True)
    response.set_etag(blob.md5)
    response.headers["Content-Disposition"] = disposition(name)
    response.content_length = blob.size
    return response.make_conditional(request)


GZIP_MIN_BYTES = 1024


def send_text(make_text, name, etag):
    """Generated text (an entity list CSV) with an ETag equal to its manifest hash. A phone
    that already has this version (If-None-Match) gets 304 before anything is generated; one
    that accepts gzip gets it compressed (lists compress well: docs/performance.md, "Phone
    reads")."""
    if etag in request.if_none_match:
        response = current_app.response_class(status=304)
        response.set_etag(etag)
        return response
    body = make_text().encode("utf-8")
    response = current_app.response_class(body, content_type=_content_type(name))
    response.set_etag(etag)
    response.headers["Content-Disposition"] = disposition(name)
    response.vary.add("Accept-Encoding")
    if len(body) >= GZIP_MIN_BYTES and "gzip" in request.accept_encodings:
        response.set_data(gzip.compress(body, compresslevel=6, mtime=0))
        response.headers["Content-Encoding"] = "gzip"
    return response


def _content_type(name):
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith("text/") else kind


def disposition(name):
    """Both parameters, as ODK Central sends them (RFC 6266 4.3): `filename*` in UTF-8 for
    clients that read it, and a plain ASCII `filename` (other characters as _) for those
    that do not."""
    plain = _NOT_PLAIN.sub("_", name)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name)}"


_NOT_PLAIN = re.compile(r'[^\x20-\x7e]|["\\]')       # outside printable ASCII, or " and \


def _chunks(opened):
    with opened as f:
        while chunk := f.read(1 << 16):
            yield chunk


def read_upload(req):
    """The submission's parts as an intake Upload; 413 / 400 Problems for bad bodies.

    Parsed with `multipart` rather than Werkzeug's parser: Werkzeug compiles two regular
    expressions per request from the boundary, and every phone request has a fresh boundary
    (figures: docs/performance-history.md, "Where the time goes, and what was changed").
    Parts above 64 KiB spool to temporary files, which Upload.close() removes.
    """
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if req.content_length is not None and req.content_length > limit:
        raise Problem("413.1", {"limit": limit})
    content_type, options = multipart.parse_options_header(req.headers.get("Content-Type", ""))
    if content_type != "multipart/form-data" or not options.get("boundary"):
        raise Problem("400.39", {"reason": "expected multipart/form-data with a boundary"})
    upload = Upload(
        xml=b"", device_id=lengths.check("deviceID", req.args.get("deviceID"), lengths.DEVICE_ID),
        user_agent=req.headers.get("User-Agent"),
        header_instance_id=lengths.check("X-OpenRosa-Instance-Id",
                                         req.headers.get("X-OpenRosa-Instance-Id"),
                                         lengths.INSTANCE_ID))
    try:
        parser = multipart.MultipartParser(
            req.stream, options["boundary"], req.content_length or -1, part_limit=256,
            disk_limit=limit, memory_limit=8 << 20)
        for part in parser:
            upload.parts.append(part)
            if part.name == "xml_submission_file":
                if part.size > safexml.MAX_XML_BYTES:     # spooled to disk: not read into memory
                    raise Problem("413.63", {"size": part.size, "limit": safexml.MAX_XML_BYTES})
                upload.xml = part.raw
            elif part.filename is not None:       # a file; text fields (*isIncomplete*) are not
                part.file.seek(0)
                upload.files[part.name] = part.file
    except RequestEntityTooLarge:
        upload.close()
        raise Problem("413.1", {"limit": limit})
    except multipart.MultipartError as e:
        upload.close()
        raise Problem("400.39", {"reason": str(e)})
    except Problem:
        upload.close()
        raise
    except OSError:
        # the phone went away or stopped sending (app/gunicorn_worker.py): nobody to tell
        upload.close()
        raise Problem("408.65")
    if not upload.xml:
        upload.close()
        raise Problem("400.7")
    return upload
