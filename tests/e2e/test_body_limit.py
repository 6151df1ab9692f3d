"""Checklist item 44 through a real gunicorn: bodies above the advertised maximum get 413 with
an OpenRosa message, whether they announce their length or arrive chunked."""
import pytest
import requests
from sqlalchemy import func, select

from app.submissions.models import Submission
from tests.factories import make_instance, make_xform

HEADERS = {"X-OpenRosa-Version": "1.0"}


@pytest.fixture
def server(live_server, personas, publish):
    publish(make_xform("visit", "1", binary=["photo"]))
    return live_server(max_bytes=20_000)


def test_item_44_oversized_bodies_through_gunicorn(server, db, personas):
    url = f"{server.url}/v1/key/{personas['worker_a'].token}/projects/1/submission"
    head = requests.head(url, headers=HEADERS, timeout=10)
    assert head.headers["X-OpenRosa-Accept-Content-Length"] == "20000"
    xml = make_instance("visit", values={"photo": "p.jpg"})
    files = [("xml_submission_file", ("s.xml", xml, "text/xml")),
             ("p.jpg", ("p.jpg", b"x" * 30_000, "image/jpeg"))]
    sized = requests.post(url, files=files, headers=HEADERS, timeout=10)
    assert sized.status_code == 413
    assert sized.headers["X-OpenRosa-Version"] == "1.0" and b"20000" in sized.content

    body = iter([b"--c\r\nContent-Disposition: form-data; name=\"xml_submission_file\"; "
                 b"filename=\"s.xml\"\r\nContent-Type: text/xml\r\n\r\n", xml,
                 b"\r\n--c\r\nContent-Disposition: form-data; name=\"p.jpg\"; "
                 b"filename=\"p.jpg\"\r\n\r\n"] + [b"x" * 5_000] * 6 + [b"\r\n--c--\r\n"])
    chunked = requests.post(url, data=body, timeout=10, headers={
        **HEADERS, "Content-Type": "multipart/form-data; boundary=c"})
    assert chunked.request.headers["Transfer-Encoding"] == "chunked"
    assert chunked.status_code == 413, server.output()[-3000:]
    # The refused connections are still open (sized and chunked keep them): their unread
    # bodies must not hold gunicorn's threads, or this next phone would wait (app/drain.py).
    small = requests.post(url, files=[("xml_submission_file", ("s.xml", xml, "text/xml")),
                                      ("p.jpg", ("p.jpg", b"x" * 1_000, "image/jpeg"))],
                          headers=HEADERS, timeout=10)
    assert small.status_code == 201, server.output()[-3000:]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 1   # only the small
    db.session.rollback()
