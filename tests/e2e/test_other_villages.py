"""Issue 16, item 8, through a real gunicorn: nothing a village worker or supervisor is
answered tells her whether an entity of another village exists."""
import requests

from app.projects.models import Area
from app.register import entities
from tests.collect import OPENROSA
from tests.factories import make_entity_xform

NEVER_SEEN = "0f0e0d0c-0b0a-4908-8706-050403020100"


def _people(db, publish):
    """One woman in dongwan and one in xishan sharing a resident ID number."""
    [dataset] = publish(make_entity_xform(
        "register_person", "people", properties=("full_name", "village", "id_number"))).datasets
    made = []
    for village, name in (("dongwan", "张丽"), ("xishan", "张莉")):
        area = db.session.query(Area).filter_by(code=village).one().id
        made.append(entities.create(db.session, dataset, name, {
            "full_name": name, "village": village, "id_number": "610425199606080628"},
            area_id=area).uuid)
    db.session.commit()
    return made


def test_integrity_answers_another_villages_entity_as_one_never_seen(
        live_server, db, publish, personas):
    _here, there = _people(db, publish)
    server = live_server()
    url = f"{server.url}/v1/key/{personas['worker_a'].token}/projects/1/datasets/people/integrity"
    known = requests.get(url, params={"id": there}, headers=OPENROSA, timeout=30)
    unknown = requests.get(url, params={"id": NEVER_SEEN}, headers=OPENROSA, timeout=30)
    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content
    assert there not in known.text


def test_duplicate_candidates_leave_out_another_villages_entity(
        live_server, db, publish, personas):
    here, there = _people(db, publish)
    server = live_server()

    def detail(username):
        token = requests.post(f"{server.url}/v1/sessions", json={
            "email": username, "password": f"{username}-password"}, timeout=30).json()["token"]
        response = requests.get(f"{server.url}/v1/projects/1/datasets/people/entities/{here}",
                                headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert response.status_code == 200
        return response.json()["duplicateCandidates"]

    assert detail("admin") == [there]
    assert detail("supervisor") == []                    # dongwan's supervisor
