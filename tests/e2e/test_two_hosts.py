"""Two hosts, one database (docs/operations.md "Two hosts, one database"): two real gunicorn
servers with their own data and instance directories, the same PostgreSQL database, the same
object store (moto's S3 server on loopback) and the same DOORSTEP_SECRET_KEY take the phones
together. Phones alternate between them sending new people, photos and updates of the same
women, some from both hosts at the same moment, and retries land on the other host. After:
every acknowledged submission is stored once, every photo reads the same from both hosts, the
conflicts are those the same sequence gives on one host, and the register equals its replay.
PostgreSQL only: SQLite is one host by design."""
import hashlib
import shutil
import tempfile
import threading
import uuid

import pytest
import requests
from sqlalchemy import func, select

from app.register import rebuild
from app.register.models import Entity, EntityVersion
from app.storage import stores
from app.submissions.models import Submission
from tests.e2e.live import LiveServer
from tests.factories import make_entity_xform, make_instance, make_xform
from tests.register.test_merge import PROPS, entity_instance
from tests.storage.conftest import CREDENTIALS, moto_server, s3_client

pytestmark = pytest.mark.postgresql_only


@pytest.fixture
def hosts(app, db, monkeypatch):
    """Two gunicorn hosts (two workers each) on this test's database and one S3 bucket; the
    test's own app keeps its blobs in the same bucket (publishing, reading back)."""
    with moto_server() as endpoint:
        s3_client(endpoint).create_bucket(Bucket="town")
        config = {**CREDENTIALS, "STORAGE_URL": "s3://town/blobs",
                  "STORAGE_ENDPOINT_URL": endpoint}
        monkeypatch.setitem(app.extensions, "blob_store", stores.s3({**app.config, **config}))
        env = {f"DOORSTEP_{k}": v for k, v in config.items()}
        dirs, servers = [], []
        try:
            for _ in range(2):
                data = tempfile.mkdtemp(prefix="doorstep-host-")
                dirs.append(data)
                servers.append(LiveServer(app.config["SQLALCHEMY_DATABASE_URI"], data,
                                          workers=2, secret="one-secret-for-both", env=env))
            yield [s.wait() for s in servers]
        finally:
            for server in servers:
                server.stop()
            for data in dirs:
                shutil.rmtree(data, ignore_errors=True)


def _urls(servers, personas):
    return [f"{s.url}/v1/key/{personas['worker_a'].token}/projects/1/submission"
            for s in servers]


def _fire_at(targets):
    """POST (url, xml, files) triples at the same moment (one barrier over every host), one
    thread each; the statuses in order."""
    barrier, results = threading.Barrier(len(targets)), [None] * len(targets)

    def post(i, url, xml, files):
        parts = [("xml_submission_file", ("s.xml", xml, "text/xml"))]
        parts += [(n, (n, c, "image/jpeg")) for n, c in files]
        barrier.wait()
        results[i] = requests.post(url, files=parts, timeout=60,
                                   headers={"X-OpenRosa-Version": "1.0"}).status_code

    threads = [threading.Thread(target=post, args=(i, *t)) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _scenario(urls):
    """The day's sequence over `urls` (phones alternate among them; with one URL, one host).
    Returns (acknowledged instance IDs, photos {instance ID: bytes}, the people's ids by
    role)."""
    acked, photos = [], {}
    host = lambda i: urls[i % len(urls)]            # noqa: E731 - the phone's next host
    people = {role: str(uuid.uuid4()) for role in ("hard", "soft", "calm", "retried")}
    # new people, one after the other, alternating hosts
    for i, (role, eid) in enumerate(people.items()):
        iid = f"uuid:{uuid.uuid4()}"
        xml = entity_instance(eid, role, create=True, iid=iid, full_name=role, phone="1")
        assert _fire_at([(host(i), xml, [])]) == [201]
        acked.append(iid)
    # photos, alternating hosts
    for i in range(6):
        iid = f"uuid:{uuid.uuid4()}"
        photo = f"photo {i} ".encode() * 500
        xml = make_instance("visit", instance_id=iid, values={"name": str(i), "photo": "p.jpg"})
        assert _fire_at([(host(i), xml, [("p.jpg", photo)])]) == [201]
        acked.append(iid)
        photos[iid] = photo
    # six phones change one woman's phone number at once, all from version 1: a hard conflict
    updates = []
    for i in range(6):
        iid = f"uuid:{uuid.uuid4()}"
        updates.append((host(i), entity_instance(people["hard"], "", update=True, base="1",
                                                 iid=iid, omit=("full_name",),
                                                 phone=str(100 + i)), []))
        acked.append(iid)
    # two phones change different things of another woman at once, from version 1: soft
    for i, values in enumerate(({"phone": "2"}, {"full_name": "soft two"})):
        iid = f"uuid:{uuid.uuid4()}"
        omit = tuple(p for p in PROPS if p not in values and p != "village")
        updates.append((host(i), entity_instance(people["soft"], "", update=True, base="1",
                                                 iid=iid, omit=omit, **values), []))
        acked.append(iid)
    # a phone whose answer was lost retries the same update on the other host at once
    iid = f"uuid:{uuid.uuid4()}"
    retry = entity_instance(people["retried"], "", update=True, base="1", iid=iid,
                            omit=("full_name",), phone="9")
    updates += [(host(0), retry, []), (host(1), retry, [])]
    acked.append(iid)
    assert _fire_at(updates) == [201] * len(updates)
    # one update of the calm woman, on her latest version: no conflict
    iid = f"uuid:{uuid.uuid4()}"
    calm = entity_instance(people["calm"], "", update=True, base="1", iid=iid,
                           omit=("full_name",), phone="5")
    assert _fire_at([(host(1), calm, [])]) == [201]
    acked.append(iid)
    return acked, photos, people


def _register(db, people):
    """{role: (version, sorted version numbers, conflict)} of the scenario's people."""
    db.session.rollback()
    out = {}
    for role, eid in people.items():
        entity = db.session.scalar(select(Entity).where(Entity.uuid == eid))
        numbers = sorted(db.session.scalars(select(EntityVersion.version)
                                            .where(EntityVersion.entity_id == entity.id)))
        out[role] = (entity.version, numbers, entity.conflict)
    db.session.rollback()
    return out


def _session(server, persona):
    response = requests.post(f"{server.url}/v1/sessions", timeout=30,
                             json={"email": persona.name, "password": persona.password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_two_hosts_on_one_database_lose_nothing_and_flag_conflicts_as_one_host(
        hosts, personas, publish, db):
    publish(make_entity_xform("people_form", create=True, update=True, properties=PROPS,
                              uses_list=True))
    publish(make_xform("visit", "1", binary=["photo"]))
    a, b = hosts
    acked, photos, people = _scenario(_urls(hosts, personas))
    db.session.rollback()
    stored = dict(db.session.execute(
        select(Submission.instance_id, func.count()).where(Submission.instance_id.in_(acked))
        .group_by(Submission.instance_id)).all())
    assert stored == {iid: 1 for iid in acked}          # every acknowledged one, exactly once
    two_hosts = _register(db, people)
    assert two_hosts == {"hard": (7, list(range(1, 8)), "hard"),
                         "soft": (3, [1, 2, 3], "soft"),
                         "calm": (2, [1, 2], None),
                         "retried": (2, [1, 2], None)}
    # every photo reads the same from both hosts (one object store, whatever host took it);
    # a session made on one host is good on the other (one database, one secret)
    headers = _session(a, personas["admin"])
    for iid, photo in photos.items():
        for server in (a, b):
            response = requests.get(f"{server.url}/v1/projects/1/forms/visit/submissions/"
                                    f"{iid}/attachments/p.jpg", headers=headers, timeout=30)
            assert response.status_code == 200, (server.url, response.text)
            assert hashlib.sha256(response.content).digest() == hashlib.sha256(photo).digest()
    # the same sequence on one host flags the same conflicts
    _, _, alone = _scenario(_urls(hosts[:1], personas))
    assert _register(db, alone) == two_hosts
    report = rebuild.check(db.session, 1)
    db.session.rollback()
    assert report.differences == []
