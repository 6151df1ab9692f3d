"""Hostile and unusual submission XML through a real gunicorn (issue #16, items 3 to 5):
element bombs are refused in well under a second and no worker's memory grows past a bound,
whatever is accepted; any encoding XML allows is stored (201), a DTD is refused whatever
encoding hides it, and what a column cannot hold is a 400 that leaves no blob behind."""
import os
import time

import pytest
import requests
from sqlalchemy import func, select

from app import safexml
from app.submissions.models import SubmissionDef
from tests.factories import make_instance, make_xform, new_instance_id

HEADERS = {"X-OpenRosa-Version": "1.0"}
RSS_BOUND_KB = 300 * 1024       # the bound on one worker's memory
QUICK = 5.0                     # seconds: generous on a busy 2-core machine (measured ~0.1 s)


@pytest.fixture
def server(live_server, personas, publish):
    publish(make_xform("visit", "1", binary=["photo"]))
    server = live_server(max_bytes=100_000_000, workers=1)
    server.submission_url = (f"{server.url}/v1/key/{personas['worker_a'].token}"
                             "/projects/1/submission")
    return server


def _post(server, xml, files=(), query=""):
    parts = [("xml_submission_file", ("s.xml", xml, "text/xml"))]
    parts += [(name, (name, content, "image/jpeg")) for name, content in files]
    return requests.post(server.submission_url + query, files=parts, headers=HEADERS,
                         timeout=120)


def _workers_peak_rss_kb(server):
    """VmHWM (peak resident memory) of each gunicorn worker, read from /proc."""
    pid = server.process.pid
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        workers = [int(p) for p in f.read().split()]
    assert workers
    peaks = []
    for worker in workers:
        with open(f"/proc/{worker}/status") as f:
            peaks += [int(line.split()[1]) for line in f if line.startswith("VmHWM:")]
    return peaks


def _stored(db):
    db.session.expire_all()
    count = db.session.scalar(select(func.count()).select_from(SubmissionDef))
    db.session.rollback()
    return count


def _blob_files(app):
    root = os.path.join(app.config["DATA_DIR"], "blobs")
    return sorted(f for _, _, files in os.walk(root) for f in files)


def _bomb(elements):
    head = b'<?xml version="1.0"?><data id="visit" version="1">'
    return head + b"<a/>" * elements + b"<meta><instanceID>uuid:bomb</instanceID></meta></data>"


@pytest.mark.parametrize("elements, status", [(8_000_000, 413), (2_400_000, 400)],
                         ids=["32MB-over-the-size-limit", "9.6MB-over-the-element-limit"])
def test_element_bomb_is_refused_quickly_and_worker_memory_stays_bounded(server, db, elements,
                                                                         status):
    started = time.monotonic()
    response = _post(server, _bomb(elements))
    elapsed = time.monotonic() - started
    assert response.status_code == status, response.text[:500]
    assert b"elements" in response.content or b"bytes" in response.content
    assert elapsed < QUICK, elapsed
    assert max(_workers_peak_rss_kb(server)) < RSS_BOUND_KB
    assert _stored(db) == 0


def test_the_largest_accepted_xml_keeps_worker_memory_bounded(server, db):
    """Just under the node limit, in its costliest shape (elements the form does not know,
    each a validation issue) with a 3 MB text: stored, and the worker stays under the bound."""
    xml = (b'<?xml version="1.0"?><data id="visit" version="1">'
           + b"<x/>" * (safexml.MAX_NODES - 100) + b"<name>" + "王".encode() * 1_000_000 + b"</name>"
           + f"<meta><instanceID>{new_instance_id()}</instanceID></meta></data>".encode())
    assert len(xml) < safexml.MAX_XML_BYTES
    response = _post(server, xml)
    assert response.status_code == 201, response.text[:500]
    print("peak RSS of the worker (kB):", _workers_peak_rss_kb(server))
    assert max(_workers_peak_rss_kb(server)) < RSS_BOUND_KB
    assert _stored(db) == 1


ENCODED = {
    "ISO-8859-1": ("Zoë Müller", "latin-1"),
    "GB18030": ("王小明 𠀀", "gb18030"),
    "GBK": ("王小明", "gbk"),
    "UTF-16": ("王小明", "utf-16"),
}


@pytest.mark.parametrize("declared", list(ENCODED))
def test_xml_in_any_encoding_is_stored_once_and_read_back(server, db, declared):
    name, codec = ENCODED[declared]
    iid = new_instance_id()
    xml = (f'<?xml version="1.0" encoding="{declared}"?><data id="visit" version="1">'
           f"<name>{name}</name><meta><instanceID>{iid}</instanceID></meta></data>"
           ).encode(codec)
    assert _post(server, xml).status_code == 201
    assert _post(server, xml).status_code == 201           # a retry: idempotent
    db.session.expire_all()
    stored = db.session.scalars(select(SubmissionDef)).one()
    assert f"<name>{name}</name>" in stored.xml
    assert safexml.parse(stored.xml.encode("utf-8")).find("name").text == name
    db.session.rollback()


UTF7_DTD = ('<?xml version="1.0" encoding="UTF-7"?>+ADw-!DOCTYPE data +AFs-+ADw-!ENTITY x '
            'SYSTEM +ACI-file:///etc/passwd+ACI-+AD4-+AF0-+AD4-+ADw-data id=+ACI-visit+ACI- '
            'version=+ACI-1+ACI-+AD4-+ADw-name+AD4-+ACY-x;+ADw-/name+AD4-+ADw-/data+AD4-'
            ).encode("ascii")
UTF16_XXE = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE data [<!ENTITY x SYSTEM '
             '"file:///etc/passwd">]><data id="visit" version="1"><name>&x;</name></data>'
             ).encode("utf-16")


@pytest.mark.parametrize("xml", [UTF7_DTD, UTF16_XXE], ids=["utf-7", "utf-16"])
def test_a_dtd_is_refused_whatever_the_declared_encoding(server, db, xml):
    response = _post(server, xml)
    assert response.status_code == 400
    assert b"document type declarations are not allowed" in response.content
    assert _stored(db) == 0


@pytest.mark.parametrize("where", ["instanceID", "deviceID", "attachment", "instanceName"])
def test_a_value_too_long_for_its_column_is_a_400_and_leaves_no_blob(server, db, app, where):
    long = "x" * (600 if where == "instanceName" else 300)
    iid = long if where == "instanceID" else new_instance_id()
    photo = long if where == "attachment" else "p.jpg"
    xml = make_instance("visit", instance_id=iid, values={"photo": photo})
    if where == "instanceName":
        xml = xml.replace(b"<meta>", f"<meta><instanceName>{long}</instanceName>".encode())
    query = f"?deviceID={long}" if where == "deviceID" else ""
    blobs_before = _blob_files(app)
    response = _post(server, xml, files=[(photo, f"never stored before: {iid}".encode())], query=query)
    assert response.status_code == 400, response.text[:500]
    assert b"too long" in response.content
    assert _stored(db) == 0
    assert _blob_files(app) == blobs_before
