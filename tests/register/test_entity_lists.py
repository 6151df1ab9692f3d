"""Checklist items 21, 22, 25, 26 and the list CSV (86-88): entity lists on the phone."""
import csv
import io

from app.register import entities
from tests.collect import CollectClient
from tests.factories import make_entity_xform
from tests.openrosa.docs import form_entries, media_files


def _lists(publish):
    """A create form declaring `people`, and an update form that reads people.csv."""
    created = publish(make_entity_xform("register_person", "people"))
    publish(make_entity_xform("update_person", "people", create=False, update=True,
                              uses_list=True))
    return created.datasets[0]


def _entry(phone, form="update_person"):
    files = media_files(phone.get(f"{phone.base}/forms/{form}/manifest"))
    return next(f for f in files if f["filename"] == "people.csv")


def _csv(phone, entry):
    response = phone.get(entry["downloadUrl"])
    assert response.status_code == 200
    return response, list(csv.reader(io.StringIO(response.data.decode("utf-8"))))


def test_publishing_declares_the_list_and_its_properties(publish):
    dataset = _lists(publish)
    assert dataset.name == "people"
    assert [p.name for p in dataset.properties] == ["full_name", "village"]


def test_item_21_entity_list_in_manifest_with_integrity_url(collect, publish):
    _lists(publish)
    entry = _entry(collect)
    assert entry["type"] == "entityList"
    assert entry["integrityUrl"] == (f"http://localhost{collect.base}/datasets/people/integrity")
    assert entry["hash"].startswith("md5:")
    assert "manifestUrl" in next(e for e in form_entries(collect.form_list())
                                 if e["formID"] == "update_person")


def test_item_21_approval_required_list_type(collect, publish, db):
    dataset = _lists(publish)
    dataset.approval_required = True
    db.session.commit()
    assert _entry(collect)["type"] == "approvalEntityList"


def test_item_22_87_hash_moves_on_every_change_and_only_then(collect, publish, db):
    dataset = _lists(publish)
    hashes = [_entry(collect)["hash"]]
    assert _entry(collect)["hash"] == hashes[-1]          # stable while nothing changes

    def changed(action):
        action()
        db.session.commit()
        db.session.refresh(dataset)
        hashes.append(_entry(collect)["hash"])
        assert hashes[-1] not in hashes[:-1]

    woman = {}
    changed(lambda: woman.setdefault("e", entities.create(
        db.session, dataset, "王芳", {"full_name": "王芳", "village": "dongwan"},
        area_id=_area(db, "dongwan"))))
    changed(lambda: entities.update(db.session, woman["e"], data={"full_name": "王芳芳"}))
    changed(lambda: entities.delete(db.session, woman["e"]))
    changed(lambda: entities.restore(db.session, woman["e"]))
    changed(lambda: publish(make_entity_xform("register_person", "people", version="2",
                                              properties=("full_name", "village", "phone"))))


def _area(db, code):
    from app.projects.models import Area
    return db.session.query(Area).filter_by(code=code).one().id


def test_item_23_86_88_list_csv_shape(collect, publish, db):
    dataset = _lists(publish)
    older = entities.create(db.session, dataset, "Li, \"Na\"", {"full_name": "Li, \"Na\""},
                            area_id=_area(db, "dongwan"))
    newer = entities.create(db.session, dataset, "王芳", {"village": "dongwan"},
                            area_id=_area(db, "dongwan"))
    entities.update(db.session, newer, data={"full_name": "王芳"})
    gone = entities.create(db.session, dataset, "gone", {}, area_id=_area(db, "dongwan"))
    entities.delete(db.session, gone)
    db.session.commit()
    response, rows = _csv(collect, _entry(collect))
    assert response.headers["Content-Type"].startswith("text/csv")
    assert rows == [["name", "label", "__version", "full_name", "village"],
                    [newer.uuid, "王芳", "2", "王芳", "dongwan"],
                    [older.uuid, 'Li, "Na"', "1", 'Li, "Na"', ""]]
    assert b'"Li, ""Na"""' in response.data                      # RFC 4180 quoting


def test_item_24_list_etag_is_the_manifest_hash(collect, publish):
    _lists(publish)
    entry = _entry(collect)
    response, _ = _csv(collect, entry)
    assert response.headers["ETag"] == f'"{entry["hash"][4:]}"'
    again = collect.get(entry["downloadUrl"], headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_each_worker_gets_only_her_villages(client, collect, publish, db, personas):
    dataset = _lists(publish)
    entities.create(db.session, dataset, "A", {}, area_id=_area(db, "dongwan"))
    entities.create(db.session, dataset, "B", {}, area_id=_area(db, "xishan"))
    db.session.commit()
    phone_b = CollectClient(client, f"/v1/key/{personas['worker_b'].token}/projects/1")
    labels_a = [r[1] for r in _csv(collect, _entry(collect))[1][1:]]
    labels_b = [r[1] for r in _csv(phone_b, _entry(phone_b))[1][1:]]
    assert (labels_a, labels_b) == (["A"], ["B"])
    assert _entry(collect)["hash"] != _entry(phone_b)["hash"]


def _integrity(collect, publish, db):
    """Entities live, deleted, purged and in another village; integrity asked for all of them
    and for an id the server never saw."""
    dataset = _lists(publish)
    area = _area(db, "dongwan")
    live = entities.create(db.session, dataset, "live", {}, area_id=area)
    deleted = entities.create(db.session, dataset, "deleted", {}, area_id=area)
    purged = entities.create(db.session, dataset, "purged", {}, area_id=area)
    elsewhere = entities.create(db.session, dataset, "xishan", {}, area_id=_area(db, "xishan"))
    entities.delete(db.session, deleted)
    entities.delete(db.session, purged)
    entities.purge(db.session, purged)
    db.session.commit()
    never = "0f0e0d0c-0b0a-4908-8706-050403020100"
    ids = ",".join([live.uuid, deleted.uuid, purged.uuid.upper(), elsewhere.uuid, never])
    response = collect.get(_entry(collect)["integrityUrl"] + f"?id={ids}")
    return response, (live, deleted, purged, elsewhere)


def test_item_25_integrity_response_envelope(collect, publish, db):
    response, _ = _integrity(collect, publish, db)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert response.headers["X-OpenRosa-Version"] == "1.0"
    from lxml import etree
    root = etree.fromstring(response.data)
    assert root.tag == "data" and root[0].tag == "entities"
    assert all(e.tag == "entity" and e.findtext("deleted") in ("true", "false") for e in root[0])


def _states(response):
    from lxml import etree
    return {e.get("id"): e.findtext("deleted") for e in etree.fromstring(response.data)[0]}


def test_item_26_deleted_and_purged_true_live_false_unknown_and_other_village_absent(
        collect, publish, db):
    response, (live, deleted, purged, elsewhere) = _integrity(collect, publish, db)
    assert _states(response) == {live.uuid: "false", deleted.uuid: "true", purged.uuid: "true"}


def test_integrity_answers_another_villages_id_exactly_as_an_unknown_one(collect, publish, db):
    _response, (_live, _deleted, _purged, elsewhere) = _integrity(collect, publish, db)
    url = _entry(collect)["integrityUrl"]
    known = collect.get(f"{url}?id={elsewhere.uuid}")
    unknown = collect.get(f"{url}?id=0f0e0d0c-0b0a-4908-8706-050403020100")
    assert known.status_code == unknown.status_code == 200
    assert known.data == unknown.data and _states(known) == {}


def test_town_staff_learn_every_known_id_and_nothing_of_unknown_ones(client, publish, db, login):
    _response, (live, deleted, purged, elsewhere) = _integrity(
        CollectClient(client, "/v1/projects/1", login("admin")), publish, db)
    assert _states(_response) == {live.uuid: "false", deleted.uuid: "true",
                                  purged.uuid: "true", elsewhere.uuid: "false"}


def test_an_entity_she_made_that_left_her_villages_is_deleted_for_her_phone(collect, publish, db):
    import uuid

    from tests.register.test_merge import entity_instance
    _lists(publish)
    mine = str(uuid.uuid4())
    made = entity_instance(mine, "新人", create=True, form_id="register_person",
                           omit=("phone",), full_name="新人")
    assert collect.submit(made).status_code == 201
    url = _entry(collect)["integrityUrl"]
    assert _states(collect.get(f"{url}?id={mine}")) == {mine: "false"}
    from app.register.models import Entity
    entity = db.session.query(Entity).filter_by(uuid=mine).one()
    entities.update(db.session, entity, data={"village": "xishan"}, area_id=_area(db, "xishan"))
    db.session.commit()
    assert _states(collect.get(f"{url}?id={mine}")) == {mine: "true"}


def test_integrity_needs_the_openrosa_header_and_a_known_list(client, collect, publish):
    _lists(publish)
    assert client.get(f"{collect.base}/datasets/people/integrity?id=x").status_code == 400
    assert collect.get(f"{collect.base}/datasets/nope/integrity?id=x").status_code == 404


def test_every_entity_change_is_audited(publish, db):
    from sqlalchemy import select

    from app.audit.models import AuditEvent
    dataset = _lists(publish)
    e = entities.create(db.session, dataset, "x", {})
    entities.update(db.session, e, data={"full_name": "y"})
    entities.delete(db.session, e)
    entities.restore(db.session, e)
    entities.delete(db.session, e)
    entities.purge(db.session, e)
    db.session.commit()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.target == f"entity:{e.uuid}")
                                .order_by(AuditEvent.id)).all()
    assert [x.action for x in events] == ["entity.create", "entity.update", "entity.delete",
                                          "entity.restore", "entity.delete", "entity.purge"]


def _list_reads(db):
    from sqlalchemy import select

    from app.audit.models import AuditEvent
    db.session.rollback()
    return [(e.actor_type, e.actor_id, e.target, e.details) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "entity.list").order_by(AuditEvent.id))]


def test_every_list_download_by_staff_or_phone_is_audited_and_a_304_is_not(
        client, collect, publish, db, login, personas):
    dataset = _lists(publish)
    entities.create(db.session, dataset, "A", {}, area_id=_area(db, "dongwan"))
    db.session.commit()
    staff = CollectClient(client, "/v1/projects/1", login("supervisor"))
    response, _ = _csv(staff, _entry(staff))
    assert collect.get(_entry(collect)["downloadUrl"]).status_code == 200
    again = staff.get(_entry(staff)["downloadUrl"],
                      headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    target = f"dataset:{dataset.id}"
    assert _list_reads(db) == [
        ("user", personas["supervisor"].id, target, {"count": 1, "route": "openrosa",
                                                     "columns": ["full_name", "village"]}),
        ("app_user", personas["worker_a"].id, target, {"count": 1, "route": "openrosa",
                                                       "columns": ["full_name", "village"]})]
