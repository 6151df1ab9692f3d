"""Phones retry while the first attempt is still being stored: simultaneous POSTs of one
instanceID to several gunicorn workers store it exactly once."""
import threading
import uuid

import pytest
import requests
from sqlalchemy import func, select

from app.submissions.models import Submission, SubmissionAttachment, SubmissionDef
from tests.factories import make_instance, make_xform

HEADERS = {"X-OpenRosa-Version": "1.0"}


@pytest.fixture
def server(live_server, personas, publish):
    publish(make_xform("visit", "1", binary=["photo"]))
    return live_server(workers=4)


def _fire(url, bodies):
    """POST all bodies at the same moment (a barrier), one thread each."""
    barrier, results = threading.Barrier(len(bodies)), [None] * len(bodies)

    def post(i, xml, files):
        parts = [("xml_submission_file", ("s.xml", xml, "text/xml"))]
        parts += [(n, (n, c, "image/jpeg")) for n, c in files]
        barrier.wait()
        results[i] = requests.post(url, files=parts, headers=HEADERS, timeout=60).status_code

    threads = [threading.Thread(target=post, args=(i, xml, files))
               for i, (xml, files) in enumerate(bodies)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _count(db, model):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def test_simultaneous_identical_posts_store_once(server, db, personas):
    url = f"{server.url}/v1/key/{personas['worker_a'].token}/projects/1/submission"
    xml = make_instance("visit", instance_id=f"uuid:{uuid.uuid4()}",
                        values={"name": "x", "photo": "p.jpg"})
    statuses = _fire(url, [(xml, [("p.jpg", b"photo")])] * 8)
    assert statuses == [201] * 8
    assert (_count(db, Submission), _count(db, SubmissionDef), _count(db, SubmissionAttachment)) \
        == (1, 1, 1)


def test_simultaneous_different_documents_one_wins(server, db, personas):
    url = f"{server.url}/v1/key/{personas['worker_a'].token}/projects/1/submission"
    iid = f"uuid:{uuid.uuid4()}"
    bodies = [(make_instance("visit", instance_id=iid, values={"name": str(i)}), [])
              for i in range(6)]
    statuses = _fire(url, bodies)
    assert sorted(statuses) == [201] + [409] * 5
    assert _count(db, SubmissionDef) == 1
