"""Entity lists made over the API (Central's POST …/datasets and …/properties): names as
Central allows them, Central's 409s, who may, the metadata pyodk reads, what a form published
later does with such a list, and that the register rebuilt from its journal keeps what the API
made."""
import uuid

import pytest
from flask_migrate import upgrade
from sqlalchemy import select, text

from app import create_app
from app.audit.models import AuditEvent
from app.db import db as _db
from app.forms.models import FormAttachment
from app.register import lists_api, rebuild
from app.register.models import Dataset, DatasetProperty, Entity
from tests.factories import make_entity_xform, make_xform
from tests.test_migrations import empty_database_url  # noqa: F401 - a fixture

LISTS = "/v1/projects/1/datasets"


def _audits(db, action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.id)).all()


def test_an_admin_creates_a_list_and_adds_properties_as_central_shows_them(client, login, db):
    admin = login("admin")
    made = client.post(LISTS, headers=admin, json={"name": "trees", "approvalRequired": True})
    assert made.status_code == 200, made.json
    body = made.json
    assert (body["name"], body["projectId"], body["approvalRequired"]) == ("trees", 1, True)
    assert body["createdAt"].endswith("Z")
    assert (body["properties"], body["sourceForms"], body["linkedForms"]) == ([], [], [])
    for name in ("species", "height.m", "_2nd-look"):
        added = client.post(f"{LISTS}/trees/properties", headers=admin, json={"name": name})
        assert added.status_code == 200 and added.json == {"success": True}
    got = client.get(f"{LISTS}/trees", headers=admin).json
    assert [(p["name"], p["odataName"], p["forms"]) for p in got["properties"]] == [
        ("species", "species", []), ("height.m", "height_m", []), ("_2nd-look", "_2nd_look", [])]
    assert all(p["publishedAt"].endswith("Z") for p in got["properties"])
    assert [e.details for e in _audits(db, "dataset.create")] == [
        {"name": "trees", "approvalRequired": True}]
    assert [e.details["properties"] for e in _audits(db, "dataset.update")] == [
        ["species"], ["height.m"], ["_2nd-look"]]
    # approvalRequired is optional, false by default (pyodk always sends it)
    plain = client.post(LISTS, headers=admin, json={"name": "村:户_1"})
    assert plain.status_code == 200 and plain.json["approvalRequired"] is False
    assert {d["name"] for d in client.get(LISTS, headers=admin).json} == {"trees", "村:户_1"}


@pytest.mark.parametrize("name", ["", "1st", "__x", "a.b", "a b", "-a", "a/b", "x" * 256])
def test_a_list_name_must_be_one_central_accepts(client, login, name):
    response = client.post(LISTS, headers=login("admin"), json={"name": name})
    assert response.status_code == 400 and response.json["code"] == "400.251", name


@pytest.mark.parametrize("name", ["", "name", "LABEL", "__x", "1x", ":x", "a:b", "a b",
                                  "y" * 256])
def test_a_property_name_must_be_one_central_accepts(client, login, name):
    admin = login("admin")
    client.post(LISTS, headers=admin, json={"name": "trees"})
    response = client.post(f"{LISTS}/trees/properties", headers=admin, json={"name": name})
    assert response.status_code == 400 and response.json["code"] == "400.251", name


def test_central_409s_for_a_list_or_property_that_exists_in_any_case(client, login, db):
    admin = login("admin")
    assert client.post(LISTS, headers=admin, json={"name": "trees"}).status_code == 200
    again = client.post(LISTS, headers=admin, json={"name": "trees"})
    # pyodk's own suite tells "exists" by exactly this code (tests/utils/entity_lists.py)
    assert again.status_code == 409 and again.json["code"] == "409.3"
    cased = client.post(LISTS, headers=admin, json={"name": "Trees"})
    assert cased.status_code == 409 and cased.json["code"] == "409.16"
    assert client.post(f"{LISTS}/trees/properties", headers=admin,
                       json={"name": "Species"}).status_code == 200
    for name in ("Species", "species", "SPECIES"):
        response = client.post(f"{LISTS}/trees/properties", headers=admin, json={"name": name})
        assert response.status_code == 409 and response.json["code"] == "409.3", name
    assert [p.name for p in db.session.scalar(select(Dataset)).properties] == ["Species"]
    missing = client.post(f"{LISTS}/bushes/properties", headers=admin, json={"name": "x"})
    assert missing.status_code == 404
    assert client.post("/v1/projects/99/datasets", headers=admin,
                       json={"name": "trees"}).status_code == 404


@pytest.mark.parametrize("who", ["supervisor", "viewer", None])
def test_only_an_admin_makes_lists_and_properties(client, login, db, who, personas):
    client.post(LISTS, headers=login("admin"), json={"name": "trees"})
    headers = login(who) if who else {}
    made = client.post(LISTS, headers=headers, json={"name": "bushes"})
    added = client.post(f"{LISTS}/trees/properties", headers=headers, json={"name": "x"})
    status = 403 if who else 401
    assert (made.status_code, added.status_code) == (status, status)
    assert db.session.scalars(select(Dataset.name)).all() == ["trees"]
    assert db.session.scalar(select(Dataset)).properties == []


def test_an_app_user_makes_no_list(client, personas):
    headers = {"Authorization": f"Bearer {personas['worker_a'].token}"}
    assert client.post(LISTS, headers=headers, json={"name": "trees"}).status_code in (401, 403)


def test_a_bad_body_is_a_400_not_a_list(client, login, db):
    admin = login("admin")
    for body in ({}, {"name": 3}, {"name": "x", "approvalRequired": "yes"},
                 {"name": "x", "extra": 1}):
        response = client.post(LISTS, headers=admin, json=body)
        assert response.status_code == 400, body
    assert db.session.scalars(select(Dataset)).all() == []


def test_a_property_added_moves_every_phones_list_hash(client, login, db):
    admin = login("admin")
    client.post(LISTS, headers=admin, json={"name": "trees"})
    dataset = db.session.scalar(select(Dataset))
    before = dataset.schema_revision
    client.post(f"{LISTS}/trees/properties", headers=admin, json={"name": "species"})
    db.session.refresh(dataset)
    assert dataset.schema_revision == before + 1


def test_a_form_published_later_writes_into_the_list_the_api_made(client, login, publish, db):
    admin = login("admin")
    client.post(LISTS, headers=admin, json={"name": "people"})
    client.post(f"{LISTS}/people/properties", headers=admin, json={"name": "full_name"})
    publish(make_entity_xform("register_person", "people"))
    got = client.get(f"{LISTS}/people", headers=admin).json
    assert got["sourceForms"] == [{"xmlFormId": "register_person", "name": "register_person"}]
    by_name = {p["name"]: p["forms"] for p in got["properties"]}
    assert by_name["full_name"] == [{"xmlFormId": "register_person", "name": "register_person"}]
    assert "village" in by_name                        # the form's other property, added
    # each dated when it joined: by the API, or by the form's publish
    assert None not in db.session.scalars(select(DatasetProperty.published_at)).all()
    assert db.session.scalar(select(Dataset.name)) == "people"


def test_a_form_reading_a_list_not_made_yet_is_linked_when_the_api_makes_it(client, login,
                                                                           publish, db):
    publish(make_xform("lookup", "1", media=["trees.csv"]))
    attachment = db.session.scalar(select(FormAttachment).where(
        FormAttachment.name == "trees.csv"))
    assert attachment.dataset_id is None
    client.post(LISTS, headers=login("admin"), json={"name": "trees"})
    db.session.refresh(attachment)
    assert attachment.dataset_id == db.session.scalar(select(Dataset.id))
    linked = client.get(f"{LISTS}/trees", headers=login("admin")).json["linkedForms"]
    assert linked == [{"xmlFormId": "lookup", "name": "lookup"}]


def test_the_rebuilt_register_keeps_what_the_api_made(client, login, db, personas):
    """Entities made over the API are entity-only sources, as in Central: their list and
    properties are reference rows the rebuild copies, their creates, updates and deletes are
    journaled and replayed, with their authors."""
    admin = login("admin")
    client.post(LISTS, headers=admin, json={"name": "trees"})
    for name in ("species", "village"):
        client.post(f"{LISTS}/trees/properties", headers=admin, json={"name": name})
    one = client.post(f"{LISTS}/trees/entities", headers=admin, json={
        "label": "Oak", "data": {"species": "oak", "village": "dongwan"}}).json["uuid"]
    assert client.post(f"{LISTS}/trees/entities", headers=admin, json={
        "entities": [{"label": "Elm", "data": {"species": "elm"}},
                     {"label": "Ash", "data": {"species": "ash"}}],
        "source": {"name": "trees.csv", "size": 2}}).status_code == 200
    supervisor = login("supervisor")
    assert client.patch(f"{LISTS}/trees/entities/{one}?baseVersion=1", headers=supervisor,
                        json={"data": {"species": "red oak"}}).status_code == 200
    elm = db.session.scalar(select(Entity.uuid).where(Entity.label == "Elm"))
    assert client.delete(f"{LISTS}/trees/entities/{elm}", headers=admin).status_code == 200
    report = rebuild.check(db.session, 1)
    assert report.differences == [] and report.entities == 3
    rebuild.replace(db.session, 1)
    db.session.commit()
    listed = {e["currentVersion"]["label"]: e for e in
              client.get(f"{LISTS}/trees/entities", headers=admin).json}
    assert set(listed) == {"Oak", "Ash"}
    oak = listed["Oak"]
    assert oak["currentVersion"]["data"] == {"species": "red oak", "village": "dongwan"}
    assert oak["creatorId"] == personas["admin"].id
    assert oak["currentVersion"]["creatorId"] == personas["supervisor"].id
    assert rebuild.check(db.session, 1).differences == []


def test_property_names_follow_centrals_rules():
    assert lists_api.property_name_problem("名字") is None       # any letter, as \p{L}
    assert lists_api.property_name_problem("a١") is not None     # JS \d is ASCII only
    assert lists_api.list_name_problem("uuid:5f0e4f1c-09d6-4c5c-9f0e-3a4d7f1f6b1a") is None


def test_upgrading_to_0029_dates_existing_properties_by_their_list(empty_database_url,  # noqa: F811
                                                                  tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x",
                      "DATA_DIR": str(tmp_path / "data"), "INSTANCE_DIR": str(tmp_path)})
    with app.app_context():
        upgrade(revision="0026")
        with _db.engine.begin() as c:
            c.execute(text("INSERT INTO datasets (project_id, name, approval_required, revision,"
                           " created_at) VALUES (1, 'people', false, 0, '2026-01-02 03:04:05')"))
            c.execute(text("INSERT INTO dataset_properties (dataset_id, name, position)"
                           " VALUES (1, 'full_name', 0)"))
        upgrade()
        with _db.engine.connect() as c:
            found = c.execute(text("SELECT published_at FROM dataset_properties")).scalar()
        assert str(found).startswith("2026-01-02 03:04:05")
        _db.engine.dispose()


def test_a_uuid_list_name_as_pyodks_suite_makes_is_usable_in_urls(client, login):
    name = f"uuid:{uuid.uuid4()}"
    admin = login("admin")
    assert client.post(LISTS, headers=admin, json={"name": name}).status_code == 200
    assert client.get(f"{LISTS}/{name.replace(':', '%3A')}", headers=admin).json["name"] == name
