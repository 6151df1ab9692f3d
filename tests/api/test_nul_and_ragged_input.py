"""A NUL character, which PostgreSQL's text columns cannot hold, and a ragged CSV row are the
client's mistakes: a 400 on both databases, never a 500, with nothing changed."""
from sqlalchemy import func, select

from app.register.models import Entity
from app.submissions.models import Submission
from tests.factories import make_entity_xform, make_instance
from tests.register.test_merge import PROPS

PEOPLE = "/v1/projects/1/datasets/people/entities"


def test_a_nul_in_a_log_in_name_is_an_unknown_user_not_a_500(client, personas):
    response = client.post("/v1/sessions", json={"email": "ad\u0000min", "password": "x"})
    assert response.status_code == 400 and response.json["code"] == "400.79"
    basic = client.get("/v1/projects/1/forms", auth=("ad\u0000min", "admin-password"))
    assert basic.status_code == 401


def test_a_nul_in_a_device_id_is_400_64_and_nothing_is_stored(collect, simple_form, db):
    response = collect.submit(make_instance(values={"name": "a"}), query="?deviceID=abc%00def")
    assert response.status_code == 400 and b"NUL" in response.data
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0


def test_a_nul_in_an_entity_label_or_property_is_400_79(client, publish, login):
    publish(make_entity_xform("people_form", create=True, update=True, properties=PROPS,
                              uses_list=True))
    headers = login("admin")
    for body in ({"label": "a\u0000b"}, {"label": "a", "data": {"full_name": "x\u0000"}}):
        response = client.post(PEOPLE, headers=headers, json=body)
        assert response.status_code == 400 and response.json["code"] == "400.79", body


def test_a_csv_row_longer_than_its_header_or_holding_a_nul_is_400_25(client, publish, login, db):
    publish(make_entity_xform("people_form", create=True, update=True, properties=PROPS,
                              uses_list=True))
    headers = {**login("admin"), "Content-Type": "text/csv"}
    for text in ("label,full_name,village\nA,B,dongwan,EXTRA\n",
                 "label,full_name,village\nA,B\u0000,dongwan\n"):
        response = client.post(PEOPLE, headers=headers, data=text.encode())
        assert response.status_code == 400 and response.json["code"] == "400.25", text
    assert db.session.scalar(select(func.count()).select_from(Entity)) == 0
