"""Entities written over the API into a list the API made, as pyodk writes them: one or many
(with Central's source, atomic and bounded), updates on a base version or by force, deletes;
each scoped to the writer's villages, refused to viewers, app users and strangers, audited,
and announced to webhooks."""
import threading
import uuid

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.register import service
from app.projects.models import Area
from app.register.models import AreaRevision, Dataset, Entity, EntityVersion, RegisterEvent
from app.webhooks.models import WebhookDelivery

LIST = "/v1/projects/1/datasets/trees"


@pytest.fixture
def trees(client, login):
    """A list made over the API, with a village property, and the admin's headers."""
    admin = login("admin")
    assert client.post("/v1/projects/1/datasets", headers=admin,
                       json={"name": "trees"}).status_code == 200
    for name in ("species", "village"):
        client.post(f"{LIST}/properties", headers=admin, json={"name": name})
    return admin


def dongwan(db):
    return db.session.scalar(select(Area.id).where(Area.code == "dongwan"))


def _count(db):
    """Entities committed. The test client's requests share the test's session (one app
    context), so a failed request's flushed rows are rolled back here, as the end of the
    request does on a real server."""
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Entity))


def _make(client, headers, label, **data):
    response = client.post(f"{LIST}/entities", headers=headers, json={"label": label,
                                                                     "data": data})
    assert response.status_code == 200, response.json
    return response.json["uuid"]


def test_many_entities_need_centrals_source_and_are_audited_with_it(client, trees, db):
    bare = client.post(f"{LIST}/entities", headers=trees,
                       json={"entities": [{"label": "Oak"}]})
    assert bare.status_code == 400 and bare.json["code"] == "400.253"
    revision = db.session.scalar(select(Dataset.revision))
    made = client.post(f"{LIST}/entities", headers=trees, json={
        "entities": [{"label": "Oak", "data": {"species": "oak", "village": "dongwan"}},
                     {"label": "Elm", "data": {"village": "dongwan"}}, {"label": "Ash"}],
        "source": {"name": "trees.csv", "size": "2"}})
    assert made.json == {"success": True, "count": 3} and _count(db) == 3
    # the list's revision, and each village's, moved once for the request, so phones refetch
    assert db.session.scalar(select(Dataset.revision)) == revision + 1
    assert dict(db.session.execute(select(AreaRevision.area_key, AreaRevision.revision)).all()) \
        == {dongwan(db): 1, 0: 1}
    [event] = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "entity.bulk_create")).all()
    assert event.details == {"count": 3, "source": {"name": "trees.csv", "size": "2"}}


def test_many_entities_are_bounded(client, trees, db, monkeypatch):
    monkeypatch.setattr(service, "MAX_CREATE", 3)
    response = client.post(f"{LIST}/entities", headers=trees, json={
        "entities": [{"label": str(i)} for i in range(4)], "source": {"name": "x"}})
    assert response.status_code == 400 and response.json["code"] == "400.252"
    assert response.json["details"] == {"limit": 3, "count": 4}
    assert _count(db) == 0
    assert client.post(f"{LIST}/entities", headers=trees, json={
        "entities": [{"label": str(i)} for i in range(3)],
        "source": {"name": "x"}}).status_code == 200


@pytest.mark.parametrize("bad, code", [
    ({"label": "Ash", "data": {"height": "3"}}, "400.25"),       # no such property
    ({"label": " "}, "400.25"),                                    # a blank label
    ({"label": "Ash", "uuid": "not-a-uuid"}, "400.25"),
    ({"label": "Ash", "data": {"species": 3}}, "400.79"),         # values are strings
])
def test_many_entities_are_made_all_or_none(client, trees, db, bad, code):
    response = client.post(f"{LIST}/entities", headers=trees, json={
        "entities": [{"label": "Oak"}, {"label": "Elm"}, bad], "source": {"name": "x"}})
    assert response.status_code == 400 and response.json["code"] == code
    assert _count(db) == 0
    assert db.session.scalar(select(func.count()).select_from(RegisterEvent)) == 0
    assert client.post(f"{LIST}/entities", headers=trees, json={
        "entities": [{"label": "Oak"}], "source": {"name": "x"}}).status_code == 200
    assert _count(db) == 1


def test_a_uuid_twice_in_one_request_or_already_used_is_centrals_409_3(client, trees, db):
    eid = str(uuid.uuid4())
    twice = client.post(f"{LIST}/entities", headers=trees, json={
        "entities": [{"label": "Oak", "uuid": eid}, {"label": "Elm", "uuid": eid.upper()}],
        "source": {"name": "x"}})
    assert twice.status_code == 409 and twice.json["code"] == "409.3" and _count(db) == 0
    _make(client, trees, "Oak")
    made = client.post(f"{LIST}/entities", headers=trees, json={"label": "Oak", "uuid": eid})
    assert made.status_code == 200 and made.json["uuid"] == eid
    client.delete(f"{LIST}/entities/{eid}", headers=trees)
    again = client.post(f"{LIST}/entities", headers=trees, json={"label": "Elm", "uuid": eid})
    assert again.status_code == 409 and again.json["code"] == "409.3"


def test_an_update_needs_the_current_base_version_unless_forced(client, trees):
    eid = _make(client, trees, "Oak", species="oak")
    url = f"{LIST}/entities/{eid}"
    changed = client.patch(f"{url}?baseVersion=1", headers=trees,
                           json={"data": {"species": "red oak"}})
    assert changed.json["currentVersion"]["version"] == 2
    for query in ("?baseVersion=1", "", "?baseVersion=3"):
        stale = client.patch(f"{url}{query}", headers=trees, json={"label": "Elm"})
        assert stale.status_code == 409 and stale.json["code"] == "409.15", query
    forced = client.patch(f"{url}?force=true", headers=trees, json={"label": "Big oak"})
    assert forced.json["currentVersion"]["label"] == "Big oak"
    assert forced.json["currentVersion"]["data"] == {"species": "red oak"}
    for body in ({"label": ""}, {}):
        response = client.patch(f"{url}?force=true", headers=trees, json=body)
        assert response.status_code == 400 and response.json["code"] == "400.25", body
    assert client.get(url, headers=trees).json["currentVersion"]["version"] == 3


def test_a_delete_is_journaled_audited_and_hides_the_entity(client, trees, db):
    eid = _make(client, trees, "Oak")
    response = client.delete(f"{LIST}/entities/{eid}", headers=trees)
    assert response.status_code == 200 and response.json == {"success": True}
    assert client.get(f"{LIST}/entities/{eid}", headers=trees).json["deletedAt"] is not None
    assert client.get(f"{LIST}/entities", headers=trees).json == []
    assert db.session.scalar(select(RegisterEvent.kind).where(
        RegisterEvent.entity_uuid == eid).order_by(RegisterEvent.id.desc())) == "delete"
    assert db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.target == f"entity:{eid}", AuditEvent.action.like("entity.%e"))
        .order_by(AuditEvent.id)).all() == ["entity.create", "entity.delete"]
    for gone in (eid, uuid.uuid4()):                      # deleted already, or never made
        assert client.delete(f"{LIST}/entities/{gone}", headers=trees).status_code == 404


def test_a_village_supervisor_writes_only_her_villages_entities(client, trees, login, db):
    supervisor = login("supervisor")                        # dongwan
    mine = _make(client, supervisor, "Oak", village="dongwan")
    theirs = _make(client, trees, "Elm", village="xishan")
    nowhere = _make(client, trees, "Ash")
    for data in ({"village": "xishan"}, {}):              # another village, or none
        response = client.post(f"{LIST}/entities", headers=supervisor,
                               json={"label": "Yew", "data": data})
        assert response.status_code == 403, data
    mixed = client.post(f"{LIST}/entities", headers=supervisor, json={
        "entities": [{"label": "Yew", "data": {"village": "dongwan"}},
                     {"label": "Fir", "data": {"village": "xishan"}}], "source": {"name": "x"}})
    assert mixed.status_code == 403 and _count(db) == 3
    for eid in (theirs, nowhere):                          # as if they did not exist
        assert client.patch(f"{LIST}/entities/{eid}?force=true", headers=supervisor,
                            json={"label": "x"}).status_code == 404
        assert client.delete(f"{LIST}/entities/{eid}", headers=supervisor).status_code == 404
    moved = client.patch(f"{LIST}/entities/{mine}?force=true", headers=supervisor,
                         json={"data": {"village": "xishan"}})
    assert moved.status_code == 403
    assert client.patch(f"{LIST}/entities/{mine}?baseVersion=1", headers=supervisor,
                        json={"data": {"species": "oak"}}).status_code == 200
    assert client.delete(f"{LIST}/entities/{mine}", headers=supervisor).status_code == 200
    live = db.session.scalars(select(Entity.label).where(Entity.deleted_at.is_(None))
                              .order_by(Entity.label)).all()
    assert live == ["Ash", "Elm"]
    assert db.session.scalar(select(Entity.data).where(Entity.uuid == theirs)) == {
        "village": "xishan"}


@pytest.mark.parametrize("who, status", [("viewer", 403), ("worker_a", 401), (None, 401)])
def test_viewers_app_users_and_strangers_write_no_entity(client, trees, login, personas, db,
                                                        who, status):
    eid = _make(client, trees, "Oak", village="dongwan")
    if who == "viewer":
        headers = login("viewer")
    elif who:
        headers = {"Authorization": f"Bearer {personas[who].token}"}
    else:
        headers = {}
    calls = (client.post(f"{LIST}/entities", headers=headers, json={"label": "Elm"}),
             client.post(f"{LIST}/entities", headers=headers, json={
                 "entities": [{"label": "Elm"}], "source": {"name": "x"}}),
             client.patch(f"{LIST}/entities/{eid}?force=true", headers=headers,
                          json={"label": "Elm"}),
             client.delete(f"{LIST}/entities/{eid}", headers=headers))
    assert [c.status_code for c in calls] == [status] * 4
    assert db.session.scalars(select(Entity.label)).all() == ["Oak"]
    assert db.session.scalar(select(Entity.deleted_at)) is None


def test_writes_over_the_api_are_announced_to_webhooks(client, trees, db):
    hook = client.post("/v1/projects/1/webhooks", headers=trees, json={
        "url": "http://example.org/", "events": ["entity.created", "entity.updated"]})
    assert hook.status_code in (200, 201), hook.json
    eid = _make(client, trees, "Oak")
    client.post(f"{LIST}/entities", headers=trees, json={
        "entities": [{"label": "Elm"}, {"label": "Ash"}], "source": {"name": "x"}})
    client.patch(f"{LIST}/entities/{eid}?baseVersion=1", headers=trees,
                 json={"data": {"species": "oak"}})
    events = db.session.scalars(select(WebhookDelivery.event).order_by(WebhookDelivery.id)).all()
    assert events == ["entity.created"] * 3 + ["entity.updated"]


def test_changes_on_one_base_version_at_once_are_one_change_and_409s(app, client, trees, db):
    """Central locks the entity for a change: of several PATCHes on the same baseVersion at the
    same moment, one applies and the others are 409.15, never a 500 from two writers of one
    version (each thread its own client, session and connection)."""
    eid = _make(client, trees, "Oak")
    start = threading.Barrier(6)
    statuses = []

    def patch(i):
        own = app.test_client()
        start.wait()
        statuses.append(own.patch(f"{LIST}/entities/{eid}?baseVersion=1", headers=trees,
                                  json={"label": f"Oak {i}"}).status_code)
    threads = [threading.Thread(target=patch, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] + [409] * 5
    db.session.rollback()
    assert db.session.scalars(select(EntityVersion.version).join(Entity).where(
        Entity.uuid == eid).order_by(EntityVersion.version)).all() == [1, 2]


def test_one_uuid_created_at_once_by_several_is_one_entity_and_409s(app, trees, db):
    eid = str(uuid.uuid4())
    start = threading.Barrier(6)
    statuses = []

    def create(i):
        own = app.test_client()
        start.wait()
        statuses.append(own.post(f"{LIST}/entities", headers=trees,
                                 json={"uuid": eid, "label": f"Oak {i}"}).status_code)
    threads = [threading.Thread(target=create, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] + [409] * 5
    assert _count(db) == 1
