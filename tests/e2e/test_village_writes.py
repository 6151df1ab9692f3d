"""Issue 16, item 1, through a real gunicorn: what dongwan's phone key, and dongwan's supervisor
over Digest, send about xishan is stored but held (hasIssues, `outside_villages`) and changes
nothing; an edit of xishan's submission is refused (403.53); xishan's supervisor approves over
the JSON API and only then do the changes land, and the register still rebuilds the same."""
import uuid

import pytest
import requests
from requests.auth import HTTPDigestAuth
from sqlalchemy import select

from app.auth import accounts
from app.projects.models import Area
from app.register import rebuild
from app.register.models import Entity
from app.submissions.models import Submission, SubmissionDef
from tests.conftest import REALM
from tests.e2e.test_phone_day import HEADERS, Resp
from tests.openrosa.docs import message
from tests.register.test_village_writes import NEW_PERSON, town_xml
from tests.samples.register import ZHAO_YAN


@pytest.fixture
def server(live_server, town, db):
    accounts.create_user(db.session, "supervisor_b", "supervisor_b-password", "supervisor",
                         REALM, ["xishan"], hash_method="scrypt:1024:8:1")
    db.session.commit()
    return live_server()


def post(url, xml, auth=None):
    return requests.post(url, files=[("xml_submission_file", ("submission.xml", xml, "text/xml"))],
                         headers=HEADERS, auth=auth, timeout=120)


def token_url(server, town, persona):
    return f"{server.url}/v1/key/{town.personas[persona].token}/projects/1/submission"


def read(db, query):
    db.session.rollback()              # a fresh snapshot; holds no lock while gunicorn writes
    try:
        return db.session.execute(query).all()
    finally:
        db.session.rollback()


def entity(db, uuid_):
    found = read(db, select(Entity.version, Area.code, Entity.data)
                 .outerjoin(Area, Area.id == Entity.area_id).where(Entity.uuid == uuid_))
    return found[0] if found else None


def held(db, iid):
    [(state, code)] = read(db, select(Submission.review_state, Area.code)
                           .outerjoin(Area, Area.id == Submission.area_id)
                           .where(Submission.instance_id == iid))
    return state, code


def login(server, username):
    response = requests.post(f"{server.url}/v1/sessions", timeout=120,
                             json={"email": username, "password": f"{username}-password"})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def approve(server, headers, iid):
    return requests.patch(f"{server.url}/v1/projects/1/forms/person/submissions/{iid}",
                          json={"reviewState": "approved"}, headers=headers, timeout=120)


def test_writes_about_another_village_are_held_until_its_supervisor_approves(server, town, db):
    digest = HTTPDigestAuth("supervisor", "supervisor-password")        # dongwan's
    by_digest = f"{server.url}/v1/projects/1/submission"

    # 1. dongwan's key registers a person in xishan
    created = f"uuid:{uuid.uuid4()}"
    assert post(token_url(server, town, "worker_a"), town_xml(
        "person_registered", created, village="xishan", person_village="xishan")
    ).status_code == 201
    assert entity(db, NEW_PERSON) is None and held(db, created) == ("hasIssues", "xishan")

    # 2. dongwan's supervisor, over Digest, updates xishan's Zhao Yan (and moves her over)
    updated = f"uuid:{uuid.uuid4()}"
    assert post(by_digest, town_xml(
        "person_away", updated, entity={"id": ZHAO_YAN, "baseVersion": "1"}, person=ZHAO_YAN,
        person_id=ZHAO_YAN, full_name="赵燕"), digest).status_code == 201
    assert entity(db, ZHAO_YAN)[:2] == (1, "xishan")
    assert held(db, updated) == ("hasIssues", "xishan")

    # 3. xishan's own submission cannot be overwritten from dongwan, by key or by Digest
    theirs = f"uuid:{uuid.uuid4()}"
    other = "b7c0ffee-0000-4000-8000-000000000001"
    assert post(token_url(server, town, "worker_b"), town_xml(
        "person_registered", theirs, village="xishan", person_village="xishan",
        entity={"id": other}, person_new_id=other, person_id=other, full_name="西山新人")
    ).status_code == 201
    for url, auth in ((token_url(server, town, "worker_a"), None), (by_digest, digest)):
        edit = town_xml("person_registered", f"uuid:{uuid.uuid4()}", village="xishan",
                        person_village="xishan", full_name="改名").replace(
            b"</instanceID>", f"</instanceID><deprecatedID>{theirs}</deprecatedID>".encode())
        refused = post(url, edit, auth)
        assert refused.status_code == 403
        nature, text = message(Resp(refused))
        assert nature == "error" and "outside yours" in text and "所辖村以外" in text
    assert held(db, theirs) == (None, "xishan")
    assert len(read(db, select(SubmissionDef.id).join(Submission).where(
        Submission.instance_id == theirs))) == 1

    # dongwan's supervisor does not even see what waits for xishan
    assert approve(server, login(server, "supervisor"), created).status_code == 404
    # xishan's supervisor sees why it waits, approves, and only then does it apply
    supervisor_b = login(server, "supervisor_b")
    shown = requests.get(f"{server.url}/v1/projects/1/forms/person/submissions/{created}",
                         headers=supervisor_b, timeout=120).json()["issues"]
    assert [(i["code"], i["value"]) for i in shown] == [("outside_villages", "xishan")]
    for iid in (created, updated):
        assert approve(server, supervisor_b, iid).status_code == 200
    assert entity(db, NEW_PERSON)[:2] == (1, "xishan")
    version, village, data = entity(db, ZHAO_YAN)
    assert (version, village, data["residence_status"]) == (2, "dongwan", "away")
    db.session.rollback()
    assert rebuild.check(db.session, 1).differences == []
    db.session.rollback()
