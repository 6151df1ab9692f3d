"""A crash never loses a submission the phone was told it had: gunicorn (master and workers)
is SIGKILLed in the middle of a stream of uploads; every 201 is in the database with its
photo, and after a restart the phones' resends store the rest exactly once."""
import threading
import time
import uuid

import requests
from sqlalchemy import func, select

from app.submissions.models import SubmissionAttachment, SubmissionDef
from tests.factories import make_instance, make_xform

HEADERS = {"X-OpenRosa-Version": "1.0"}


def _post(url, xml, photo):
    files = [("xml_submission_file", ("s.xml", xml, "text/xml")),
             ("p.jpg", ("p.jpg", photo, "image/jpeg"))]
    try:
        return requests.post(url, files=files, headers=HEADERS, timeout=10).status_code
    except requests.RequestException:
        return None          # the link (here: the server) went away mid-request


def test_sigkill_mid_upload_loses_no_acknowledged_submission(live_server, db, personas, publish):
    publish(make_xform("visit", "1", binary=["photo"]))
    queue = [(f"uuid:{uuid.uuid4()}", f"photo {i}".encode()) for i in range(400)]
    acknowledged, lock = set(), threading.Lock()
    server = live_server(workers=2)
    url = f"{server.url}/v1/key/{personas['worker_a'].token}/projects/1/submission"

    def phone(items):
        for iid, photo in items:
            xml = make_instance("visit", instance_id=iid, values={"photo": "p.jpg"})
            if _post(url, xml, photo) == 201:
                with lock:
                    acknowledged.add(iid)

    phones = [threading.Thread(target=phone, args=(queue[i::4],)) for i in range(4)]
    for p in phones:
        p.start()
    deadline = time.monotonic() + 120
    while len(acknowledged) < 60 and time.monotonic() < deadline:   # well into the stream
        time.sleep(0.01)
    assert len(acknowledged) >= 60, server.output()[-3000:]     # the stream really flowed
    server.kill()                                                 # then crash
    for p in phones:
        p.join()

    db.session.expire_all()
    stored = {d.instance_id: d for d in db.session.scalars(select(SubmissionDef))}
    assert acknowledged <= set(stored)              # nothing acknowledged is missing
    assert len(acknowledged) < len(queue)           # the crash really cut the stream
    for iid in acknowledged:
        assert [a.blob_sha256 is not None for a in stored[iid].attachments] == [True]
    # End this test's transaction: on SQLite an open one holds the write lock, and the
    # restarted server's writes would wait for it.
    db.session.rollback()

    restarted = live_server(workers=2)
    url = f"{restarted.url}/v1/key/{personas['worker_a'].token}/projects/1/submission"
    for iid, photo in queue:                        # phones resend everything not confirmed
        if iid not in acknowledged:
            xml = make_instance("visit", instance_id=iid, values={"photo": "p.jpg"})
            assert _post(url, xml, photo) == 201, restarted.output()[-3000:]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(SubmissionDef)) == len(queue)
    missing_photos = db.session.scalar(select(func.count()).select_from(SubmissionAttachment)
                                       .where(SubmissionAttachment.blob_sha256.is_(None)))
    assert missing_photos == 0
