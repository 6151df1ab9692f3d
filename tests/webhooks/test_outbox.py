"""The outbox: deliveries are written in the change's own transaction, by the real flows
(a submission through the OpenRosa route, a review through the API, entities made and changed
by a form, a conflict resolved through the API, a report locked through its route), only for
subscribers of that event, with identifiers and no answers."""
import json

from app.db import db as _db
from app.webhooks import outbox
from tests.factories import make_instance, new_instance_id
from tests.register.test_merge import entity_instance, new_id, people  # noqa: F401
from tests.webhooks.conftest import deliveries

SIMPLE = "/v1/projects/1/forms/simple"


def bodies(db):
    return [json.loads(d.body) for d in deliveries(db)]


def test_nobody_subscribed_writes_nothing(collect, simple_form, db):
    response = collect.submit(make_instance("simple", values={"name": "x", "village": "dongwan"}))
    assert response.status_code == 201
    assert deliveries(db) == []


def test_a_submission_writes_one_delivery_per_subscriber_with_its_commit(collect, simple_form,
                                                                         db, subscribe):
    first = subscribe("http://127.0.0.1:9/a")
    second = subscribe("http://127.0.0.1:9/b", events=["submission.accepted", "entity.created"],
                       personalData=True)
    subscribe("http://127.0.0.1:9/c", events=["submission.reviewed"])       # another event
    iid = new_instance_id()
    xml = make_instance("simple", instance_id=iid, values={"name": "王小梅", "village": "dongwan"})
    assert collect.submit(xml).status_code == 201
    rows = deliveries(db)
    assert sorted(r.subscription_id for r in rows) == [first["id"], second["id"]]
    for row in rows:
        body = json.loads(row.body)
        assert body["id"] == row.uuid and body["event"] == "submission.accepted"
        assert body["project"] == 1 and body["occurredAt"].endswith("Z")
        assert body["data"] == {"form": "simple", "instanceId": iid, "village": "dongwan",
                                "reviewState": None}
        assert "王小梅" not in row.body               # answers are never sent
    assert len({r.uuid for r in rows}) == 2
    # the resend of the same submission is no new event
    assert collect.submit(xml).status_code == 201
    assert len(deliveries(db)) == 2


def test_a_refused_submission_writes_no_delivery(collect, simple_form, db, subscribe):
    subscribe("http://127.0.0.1:9/a")
    iid = new_instance_id()
    assert collect.submit(make_instance("simple", instance_id=iid,
                                        values={"name": "a"})).status_code == 201
    # the same instanceID with other XML: 409, nothing stored, so nothing announced
    refused = collect.submit(make_instance("simple", instance_id=iid, values={"name": "b"}))
    assert refused.status_code == 409
    unknown = collect.submit(make_instance("nosuchform", values={"name": "b"}))
    assert unknown.status_code == 404
    assert len(deliveries(db)) == 1


def test_deliveries_roll_back_with_the_change(db, subscribe):
    subscribe("http://127.0.0.1:9/a", events=["report.locked"])
    session = _db.session
    assert outbox.emit(session, "report.locked", 1, lambda: ({"month": "2025-03"}, None)) == 1
    session.rollback()
    assert deliveries(db) == []
    assert outbox.emit(session, "report.locked", 2, lambda: ({}, None)) == 0   # other project
    built = []
    outbox.emit(session, "entity.created", 1, lambda: built.append(1))        # nobody listens
    assert built == []                          # …so the body is never even built


def test_an_edit_is_accepted_again_with_the_version_it_replaces(collect, simple_form, db,
                                                                subscribe):
    subscribe("http://127.0.0.1:9/a")
    iid, edit = new_instance_id(), new_instance_id()
    collect.submit(make_instance("simple", instance_id=iid, values={"village": "dongwan"}))
    collect.submit(make_instance("simple", instance_id=edit, deprecated_id=iid,
                                 values={"village": "dongwan"}))
    data = [b["data"] for b in bodies(db)]
    assert data[1] == {"form": "simple", "instanceId": edit, "village": "dongwan",
                       "reviewState": "edited", "deprecatedId": iid}


def test_a_review_through_the_api_fires_submission_reviewed(collect, simple_form, db, client,
                                                            login, subscribe):
    subscribe("http://127.0.0.1:9/a", events=["submission.reviewed"])
    iid = new_instance_id()
    collect.submit(make_instance("simple", instance_id=iid, values={"village": "dongwan"}))
    assert deliveries(db) == []
    response = client.patch(f"{SIMPLE}/submissions/{iid}", headers=login("supervisor"),
                            json={"reviewState": "rejected"})
    assert response.status_code == 200, response.json
    [body] = bodies(db)
    assert body["event"] == "submission.reviewed"
    assert body["data"] == {"form": "simple", "instanceId": iid, "village": "dongwan",
                            "reviewState": "rejected"}


def test_entities_made_and_changed_by_a_form_fire_created_and_updated(collect, people, db,
                                                                      subscribe):
    events = ["entity.created", "entity.updated"]
    thin = subscribe("http://127.0.0.1:9/thin", events=events)
    full = subscribe("http://127.0.0.1:9/full", events=events, personalData=True)
    eid = new_id()
    collect.submit(entity_instance(eid, "Wang Fang", create=True, full_name="Wang Fang",
                                   phone="123"))
    # a home visit sends every property again; only the phone changed
    collect.submit(entity_instance(eid, "", update=True, base="1", full_name="Wang Fang",
                                   phone="456"))
    rows = deliveries(db)
    by = {(r.subscription_id, json.loads(r.body)["event"]): json.loads(r.body)["data"]
          for r in rows}
    assert len(rows) == 4
    assert by[thin["id"], "entity.created"] == {
        "list": "people", "uuid": eid, "version": 1, "village": "dongwan",
        "changed": ["full_name", "label", "phone", "village"]}
    assert by[thin["id"], "entity.updated"] == {
        "list": "people", "uuid": eid, "version": 2, "village": "dongwan", "changed": ["phone"]}
    assert "Wang Fang" not in "".join(r.body for r in rows if r.subscription_id == thin["id"])
    assert by[full["id"], "entity.updated"]["values"] == {"phone": "456"}
    assert by[full["id"], "entity.updated"]["label"] == "Wang Fang"
    assert by[full["id"], "entity.created"]["values"]["full_name"] == "Wang Fang"


def test_a_conflict_resolved_through_the_api_fires_entity_merged(collect, people, db, client,
                                                                 login, subscribe):
    subscribe("http://127.0.0.1:9/a", events=["entity.merged"])
    eid = new_id()
    collect.submit(entity_instance(eid, "A", create=True, full_name="A", phone="1"))
    collect.submit(entity_instance(eid, "", update=True, base="1", omit=("full_name",), phone="2"))
    collect.submit(entity_instance(eid, "", update=True, base="1", omit=("phone",), full_name="B"))
    assert deliveries(db) == []
    url = f"/v1/projects/1/datasets/people/entities/{eid}"
    response = client.patch(f"{url}?force=true&resolve=true", headers=login("admin"), json={})
    assert response.status_code == 200, response.json
    [body] = bodies(db)
    assert body["event"] == "entity.merged"
    assert body["data"]["uuid"] == eid and body["data"]["version"] == 3


def test_a_report_locked_through_its_route_fires_report_locked(client, db, login, subscribe):
    subscribe("http://127.0.0.1:9/a", events=["report.locked"])
    response = client.post("/v1/projects/1/reports/months/2025-03/lock",
                           json={"village": "dongwan"}, headers=login("supervisor"))
    assert response.status_code == 200, response.json
    town = client.post("/v1/projects/1/reports/months/2025-03/lock", json={},
                       headers=login("admin"))
    assert town.status_code == 200, town.json
    assert [b["data"] for b in bodies(db)] == [
        {"month": "2025-03", "village": "dongwan", "version": 1},
        {"month": "2025-03", "village": None, "version": 1}]
