"""A field worker's whole day against a real gunicorn over real HTTP (requests), with token
URLs, then again with Digest credentials over plain HTTP."""
import hashlib
import socket
import uuid

import pytest
import requests
from requests.auth import HTTPDigestAuth
from sqlalchemy import func, select

from app.submissions.models import Submission, SubmissionDef
from tests.factories import make_instance, make_xform
from tests.openrosa.docs import form_entries, media_files

HEADERS = {"X-OpenRosa-Version": "1.0", "User-Agent": "org.odk.collect.android/v2025.3.1"}


class Resp:
    """requests' response in the shape tests/openrosa/docs.py reads."""
    def __init__(self, r):
        self.data = r.content


@pytest.fixture
def server(live_server, personas, publish):
    publish(make_xform("visit", "1", title="入户走访", binary=["front", "back"],
                       media=["logo.png"]), media={"logo.png": b"\x89PNG the town logo"})
    return live_server()


def _post(url, xml, files=(), auth=None, **extra):
    parts = [("xml_submission_file", ("submission.xml", xml, "text/xml"))]
    parts += [(name, (name, content, "image/jpeg")) for name, content in files]
    return requests.post(url, files=parts, headers=HEADERS, auth=auth, timeout=30, **extra)


def _abandoned_post(url, xml):
    """Send a whole submission and hang up without reading the answer, as a phone whose link
    drops after the server got the request (Collect then retries)."""
    boundary = "b" + uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"xml_submission_file\"; "
            f"filename=\"s.xml\"\r\nContent-Type: text/xml\r\n\r\n").encode() + xml + \
        f"\r\n--{boundary}--\r\n".encode()
    host, port = url.split("//")[1].split("/")[0].split(":")
    path = "/" + url.split("//")[1].split("/", 1)[1]
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nX-OpenRosa-Version: 1.0\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection((host, int(port))) as s:
        s.sendall(head + body)
        s.shutdown(socket.SHUT_WR)


def _day(db, base, auth=None):
    def get(url, headers=None):
        return requests.get(url, headers={**HEADERS, **(headers or {})}, auth=auth, timeout=30)

    listing = get(f"{base}/formList?deviceID=collect:e2e")
    assert listing.status_code == 200 and listing.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert len(listing.raw.headers.getlist("Date")) == 1       # gunicorn's and ours: one
    entry, = form_entries(Resp(listing))
    form = get(entry["downloadUrl"])
    assert entry["hash"] == "md5:" + hashlib.md5(form.content).hexdigest()
    for f in media_files(Resp(get(entry["manifestUrl"]))):
        media = get(f["downloadUrl"])
        assert f["hash"] == "md5:" + hashlib.md5(media.content).hexdigest()
        assert get(f["downloadUrl"], headers={"If-None-Match": media.headers["ETag"]}
                   ).status_code == 304

    head = requests.head(f"{base}/submission?deviceID=collect:e2e", headers=HEADERS, auth=auth)
    assert head.status_code == 204
    assert int(head.headers["X-OpenRosa-Accept-Content-Length"]) > 0

    iid = f"uuid:{uuid.uuid4()}"
    xml = make_instance("visit", instance_id=iid,
                        values={"name": "赵丽", "village": "dongwan", "front": "front.jpg",
                                "back": "back.jpg"})
    url = f"{base}/submission?deviceID=collect:e2e"
    first = _post(url, xml, [("front.jpg", b"front photo")], auth,
                  data={"*isIncomplete*": "yes"})
    assert first.status_code == 201
    assert _post(url, xml, [("back.jpg", b"back photo")], auth).status_code == 201

    if auth is None:          # a raw socket cannot answer a Digest challenge
        _abandoned_post(url, xml)
    retry = _post(url, xml, [("front.jpg", b"front photo")], auth)
    assert retry.status_code == 201

    changed = make_instance("visit", instance_id=iid, values={"name": "changed"})
    conflict = _post(url, changed, (), auth)
    assert conflict.status_code == 409 and b"OpenRosaResponse" in conflict.content

    edit_id = f"uuid:{uuid.uuid4()}"
    edit = make_instance("visit", instance_id=edit_id, deprecated_id=iid,
                         values={"name": "赵丽丽", "village": "dongwan", "front": "front.jpg",
                                 "back": "back.jpg"})
    assert _post(url, edit, [("back.jpg", b"better back photo")], auth).status_code == 201

    chunked = make_instance("visit", values={"name": "chunked"})
    body = iter([b"--c\r\nContent-Disposition: form-data; name=\"xml_submission_file\"; "
                 b"filename=\"s.xml\"\r\nContent-Type: text/xml\r\n\r\n", chunked, b"\r\n--c--\r\n"])
    response = requests.post(url, data=body, auth=auth, timeout=30, headers={
        **HEADERS, "Content-Type": "multipart/form-data; boundary=c"})
    assert response.status_code == 201 and response.request.headers["Transfer-Encoding"] == "chunked"

    db.session.expire_all()
    logical = db.session.scalar(select(Submission).where(Submission.instance_id == iid))
    defs = {d.instance_id: d for d in db.session.scalars(
        select(SubmissionDef).where(SubmissionDef.submission_id == logical.id))}
    assert set(defs) == {iid, edit_id} and logical.review_state == "edited"
    original = {a.name: a.blob_sha256 for a in defs[iid].attachments}
    edited = {a.name: a.blob_sha256 for a in defs[edit_id].attachments}
    assert all(original.values()) and edited["front.jpg"] == original["front.jpg"]
    assert edited["back.jpg"] != original["back.jpg"]
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 2


def test_phone_day_with_token_urls(server, db, personas):
    _day(db, f"{server.url}/v1/key/{personas['worker_a'].token}/projects/1")


def test_phone_day_with_digest_over_plain_http(server, db, personas):
    _day(db, f"{server.url}/v1/projects/1", HTTPDigestAuth("supervisor", "supervisor-password"))
