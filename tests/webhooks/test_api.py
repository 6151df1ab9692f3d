"""The subscriptions API: admins only (403 for supervisors, viewers and phones; 401 without
credentials), every body through its schema (400.79), URLs checked (400.211), one webhook per
URL (409.211), unknown ids 404.211; the secret is shown once; changes are audited."""
import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.webhooks.models import WebhookSubscription
from tests.webhooks.conftest import deliveries

HOOKS = "/v1/projects/1/webhooks"


@pytest.fixture
def admin(login):
    return login("admin")


def test_an_admin_subscribes_and_sees_the_secret_once(client, db, admin):
    made = client.post(HOOKS, headers=admin, json={
        "url": "http://192.168.1.20:8080/doorstep", "events": ["entity.created", "report.locked"],
        "description": "派出所 police station"})
    assert made.status_code == 200, made.json
    body = made.json
    assert len(body["secret"]) == 64 and body["active"] is True
    assert body["events"] == ["entity.created", "report.locked"]
    assert body["personalData"] is False          # identifiers only unless an admin says so
    shown = client.get(f"{HOOKS}/{body['id']}", headers=admin).json
    assert "secret" not in shown and shown["deliveries"] == {"pending": 0, "delivered": 0,
                                                             "dead": 0}
    assert [h["url"] for h in client.get(HOOKS, headers=admin).json] == [body["url"]]
    assert all("secret" not in h for h in client.get(HOOKS, headers=admin).json)
    db.session.rollback()
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "webhook.create"))
    assert event.target == f"webhook:{body['id']}" and body["secret"] not in str(event.details)


@pytest.mark.parametrize("persona", ["supervisor", "viewer"])
def test_other_people_are_refused(client, db, login, persona):
    headers = login(persona)
    assert client.get(HOOKS, headers=headers).status_code == 403
    made = client.post(HOOKS, headers=headers,
                       json={"url": "http://example.org/", "events": ["entity.created"]})
    assert made.status_code == 403 and made.json["code"] == "403.2"
    db.session.rollback()
    assert db.session.scalars(select(WebhookSubscription)).all() == []


def test_phones_and_strangers_are_refused(client, personas):
    token = personas["worker_a"].token
    assert client.get(f"{HOOKS}?st={token}").status_code == 403
    assert client.get(f"/v1/key/{token}/projects/1/webhooks").status_code == 404
    assert client.get(HOOKS).status_code == 401


@pytest.mark.parametrize("body, code", [
    ({"url": "ftp://example.org/", "events": ["entity.created"]}, "400.211"),
    ({"url": "http://user:pw@example.org/", "events": ["entity.created"]}, "400.211"),
    ({"url": "http:///nohost", "events": ["entity.created"]}, "400.211"),
    ({"url": "http://example.org:port/", "events": ["entity.created"]}, "400.211"),
    ({"url": "http://example.org/#x", "events": ["entity.created"]}, "400.211"),
    ({"url": "http://example.org/" + "a" * 2000, "events": ["entity.created"]}, "400.79"),
    ({"url": "http://example.org/", "events": ["entity.deleted"]}, "400.79"),
    ({"url": "http://example.org/", "events": []}, "400.79"),
    ({"url": "http://example.org/"}, "400.79"),
    ({"events": ["entity.created"]}, "400.79"),
    ({"url": "http://example.org/", "events": ["entity.created"], "secret": "mine"}, "400.79"),
    ({"url": "http://example.org/", "events": ["entity.created"], "personalData": "yes"},
     "400.79"),
    ({"url": 5, "events": ["entity.created"]}, "400.79"),
])
def test_bad_bodies_are_400(client, db, admin, body, code):
    response = client.post(HOOKS, headers=admin, json=body)
    assert (response.status_code, response.json["code"]) == (400, code), response.json
    assert response.json["message_zh"]


def test_private_addresses_are_allowed_and_one_webhook_per_url(client, db, admin):
    for url in ("http://10.0.0.5/hook", "https://hospital.lan/in", "http://[::1]:9000/"):
        assert client.post(HOOKS, headers=admin,
                           json={"url": url, "events": ["entity.created"]}).status_code == 200
    again = client.post(HOOKS, headers=admin,
                        json={"url": "http://10.0.0.5/hook", "events": ["report.locked"]})
    assert (again.status_code, again.json["code"]) == (409, "409.211")


def test_change_pause_and_delete(client, db, admin, subscribe, collect, simple_form):
    made = subscribe("http://127.0.0.1:9/a")
    url = f"{HOOKS}/{made['id']}"
    changed = client.patch(url, headers=admin, json={
        "events": ["submission.accepted", "submission.reviewed"], "active": False,
        "personalData": True, "url": "http://127.0.0.1:9/b"})
    assert changed.status_code == 200, changed.json
    assert (changed.json["active"], changed.json["personalData"], changed.json["url"]) == (
        False, True, "http://127.0.0.1:9/b")
    assert client.patch(url, headers=admin, json={"active": "no"}).json["code"] == "400.79"
    assert client.patch(url, headers=admin, json={"url": "gopher://x"}).json["code"] == "400.211"
    assert client.patch(url, headers=admin, json={"active": True}).status_code == 200
    from tests.factories import make_instance
    collect.submit(make_instance("simple", values={"village": "dongwan"}))
    assert len(deliveries(db)) == 1
    assert client.delete(url, headers=admin).status_code == 200
    assert deliveries(db) == []                 # its queue goes with it
    assert client.get(url, headers=admin).json["code"] == "404.211"
    assert client.delete(url, headers=admin).status_code == 404
    assert client.patch(f"{HOOKS}/99", headers=admin, json={}).json["code"] == "404.211"
    db.session.rollback()
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.action.like("webhook.%")).order_by(AuditEvent.id)).all()
    assert actions == ["webhook.create", "webhook.update", "webhook.update", "webhook.delete"]


def test_deliveries_and_replay_routes_check_their_input(client, db, admin, subscribe):
    made = subscribe("http://127.0.0.1:9/a")
    url = f"{HOOKS}/{made['id']}"
    assert client.get(f"{url}/deliveries?status=lost", headers=admin).json["code"] == "400.79"
    assert client.get(f"{url}/deliveries?limit=0", headers=admin).json["code"] == "400.79"
    assert client.get(f"{url}/deliveries?status=dead", headers=admin).json == []
    assert client.post(f"{url}/replay", headers=admin, json={}).json["code"] == "400.79"
    assert client.post(f"{url}/replay", headers=admin,
                       json={"ids": ["not-a-uuid"]}).json["code"] == "400.79"
    replayed = client.post(f"{url}/replay", headers=admin, json={"dead": True})
    assert replayed.status_code == 200 and replayed.json == {"replayed": 0}


def test_a_new_secret_is_shown_once_and_signs_what_is_sent_from_then_on(
        client, db, admin, login, subscribe, receiver, collect, simple_form):
    from tests.factories import make_instance
    from tests.webhooks.conftest import send
    hook = receiver().start()
    made = subscribe(hook.url)
    collect.submit(make_instance("simple", values={"village": "dongwan"}))     # queued
    renewed = client.post(f"{HOOKS}/{made['id']}/secret", headers=admin)
    assert renewed.status_code == 200 and renewed.json["secret"] != made["secret"]
    assert client.post(f"{HOOKS}/{made['id']}/secret",
                       headers=login("supervisor")).status_code == 403
    assert send(db).delivered == 1
    assert hook.verified(renewed.json["secret"]) and not hook.verified(made["secret"])
    db.session.rollback()
    assert db.session.scalar(select(AuditEvent.target).where(
        AuditEvent.action == "webhook.secret")) == f"webhook:{made['id']}"

