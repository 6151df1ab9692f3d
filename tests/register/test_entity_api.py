"""Checklist items 82 and 89–92: the register in the JSON API, shaped like Central's, scoped to
the asker's villages."""
import uuid

from sqlalchemy import select

from app.audit.models import AuditEvent
from tests.factories import make_entity_xform
from tests.register.test_merge import PROPS, entity_instance

BASE = "/v1/projects/1/datasets/people"


def setup(publish):
    publish(make_entity_xform("people_form", create=True, update=True, properties=PROPS,
                              uses_list=True))


def test_item_89_create_one_many_or_from_csv_with_strict_values(client, publish, login,
                                                                 personas):
    setup(publish)
    headers = login("admin")
    eid = str(uuid.uuid4())
    one = client.post(f"{BASE}/entities", headers=headers, json={
        "uuid": eid, "label": "王芳", "data": {"full_name": "王芳", "village": "dongwan"}})
    assert one.status_code == 200 and one.json["uuid"] == eid
    admin = personas["admin"].id
    version = one.json["currentVersion"]
    assert version.pop("createdAt").endswith("Z")
    assert version == {"version": 1, "label": "王芳", "current": True, "creatorId": admin,
                       "userAgent": "", "baseVersion": None, "branchId": None,
                       "trunkVersion": None, "branchBaseVersion": None,
                       "conflictingProperties": None,
                       "data": {"full_name": "王芳", "village": "dongwan"}}
    assert one.json["creatorId"] == admin
    many = client.post(f"{BASE}/entities", headers=headers, json={
        "entities": [{"label": "A", "data": {"village": "xishan"}}, {"label": "B"}],
        "source": {"name": "people.csv", "size": 2}})
    assert many.json == {"success": True, "count": 2}
    csv = "label,full_name,village\n李娜,李娜,dongwan\n赵敏,赵敏,xishan\n"
    from_csv = client.post(f"{BASE}/entities", headers={**headers, "Content-Type": "text/csv"},
                           data=csv.encode())
    assert from_csv.json == {"success": True, "count": 2}
    assert len(client.get(f"{BASE}/entities", headers=headers).json) == 5
    # the body's shape is the request schema's (400.79), what the list allows the register's
    for bad, code in (({"label": "x", "data": {"age": "3"}}, "400.25"),
                      ({"label": "x", "data": {"phone": 139}}, "400.79"),
                      ({"label": "", "data": {}}, "400.25"), ({"entities": []}, "400.79")):
        response = client.post(f"{BASE}/entities", headers=headers, json=bad)
        assert response.status_code == 400 and response.json["code"] == code, bad
    assert client.post(f"{BASE}/entities", headers=headers, json={
        "uuid": eid, "label": "again"}).status_code == 409


def test_an_entity_names_its_creator_and_who_made_its_current_version(client, collect,
                                                                        publish, login,
                                                                        personas):
    # Central's fields, which pyodk's model requires (tests/e2e/test_pyodk.py)
    setup(publish)
    headers = login("supervisor")
    eid = str(uuid.uuid4())
    collect.submit(entity_instance(eid, "A", create=True, full_name="A"))
    url = f"{BASE}/entities/{eid}"
    made = client.get(url, headers=headers).json
    assert made["creatorId"] == made["currentVersion"]["creatorId"] == personas["worker_a"].id
    assert made["currentVersion"]["userAgent"].startswith("org.odk.collect.android/")
    changed = client.patch(f"{url}?baseVersion=1", headers=headers, json={"label": "B"}).json
    assert changed["currentVersion"]["version"] == 2
    assert changed["creatorId"] == personas["worker_a"].id
    assert changed["currentVersion"]["creatorId"] == personas["supervisor"].id
    assert changed["currentVersion"]["userAgent"] == ""          # not through a phone
    listed = client.get(f"{BASE}/entities", headers=headers).json
    assert [(e["creatorId"], e["currentVersion"]["creatorId"]) for e in listed] == \
        [(personas["worker_a"].id, personas["supervisor"].id)]


def test_item_90_update_needs_the_current_base_version_unless_forced_and_resolves(client, collect, publish, login):
    setup(publish)
    headers = login("admin")
    eid = str(uuid.uuid4())
    collect.submit(entity_instance(eid, "A", create=True, full_name="A", phone="1"))
    collect.submit(entity_instance(eid, "", update=True, base="1", omit=("full_name",), phone="2"))
    collect.submit(entity_instance(eid, "", update=True, base="1", omit=("full_name",), phone="3"))
    url = f"{BASE}/entities/{eid}"
    assert client.get(url, headers=headers).json["conflict"] == "hard"
    stale = client.patch(f"{url}?baseVersion=1", headers=headers, json={"data": {"phone": "4"}})
    assert stale.status_code == 409 and stale.json["code"] == "409.15"
    ok = client.patch(f"{url}?baseVersion=3&resolve=true", headers=headers,
                      json={"data": {"phone": "4"}})
    assert ok.status_code == 200 and ok.json["conflict"] is None
    assert ok.json["currentVersion"]["version"] == 4
    forced = client.patch(f"{url}?force=true", headers=headers, json={"label": "B"})
    assert forced.json["currentVersion"]["label"] == "B"
    again = client.patch(f"{url}?force=true&resolve=true", headers=headers, json={})
    assert again.status_code == 400 and again.json["code"] == "400.32"


def test_item_91_delete_restore_and_in_bulk(client, publish, login):
    setup(publish)
    headers = login("admin")
    ids = [client.post(f"{BASE}/entities", headers=headers,
                       json={"label": f"P{i}", "data": {"village": "dongwan"}}).json["uuid"]
           for i in range(3)]
    assert client.delete(f"{BASE}/entities/{ids[0]}", headers=headers).status_code == 200
    assert [e["uuid"] for e in client.get(f"{BASE}/entities?deleted=true", headers=headers).json] == ids[:1]
    assert client.post(f"{BASE}/entities/{ids[0]}/restore", headers=headers).status_code == 200
    assert client.post(f"{BASE}/entities/bulk-delete", headers=headers,
                       json={"ids": ids[1:]}).json["count"] == 2
    assert [e["uuid"] for e in client.get(f"{BASE}/entities", headers=headers).json] == ids[:1]
    client.post(f"{BASE}/entities/bulk-restore", headers=headers, json={"ids": ids[1:]})
    assert len(client.get(f"{BASE}/entities", headers=headers).json) == 3


def test_item_92_versions_with_base_branch_conflict_received_and_diffs(client, collect, publish, login):
    setup(publish)
    headers = login("admin")
    eid, branch = str(uuid.uuid4()), str(uuid.uuid4())
    collect.submit(entity_instance(eid, "A", create=True, full_name="A", phone="1", iid="uuid:v1"))
    collect.submit(entity_instance(eid, "", update=True, base="1", omit=("full_name",), phone="2"))
    collect.submit(entity_instance(eid, "", update=True, base="1", trunk="1", branch=branch,
                                   omit=("full_name",), phone="3"))
    versions = client.get(f"{BASE}/entities/{eid}/versions", headers=headers).json
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert versions[0]["source"] == {"type": "submission", "submission": "uuid:v1"}
    last = versions[2]
    assert (last["baseVersion"], last["branchId"], last["trunkVersion"], last["conflict"],
            last["conflictingProperties"]) == (1, branch, 1, "hard", ["phone"])
    assert last["dataReceived"] == {"phone": "3", "village": "dongwan"}
    assert last["diff"] == {"phone": {"old": "2", "new": "3"}}
    conflicted = client.get(f"{BASE}/entities/{eid}/versions?relevantToConflict=true",
                            headers=headers).json
    assert [v["version"] for v in conflicted] == [3]


def test_village_scoping_and_audited_reads(client, publish, login, db):
    setup(publish)
    admin = login("admin")
    there = client.post(f"{BASE}/entities", headers=admin,
                        json={"label": "西山人", "data": {"village": "xishan"}}).json["uuid"]
    here = client.post(f"{BASE}/entities", headers=admin,
                       json={"label": "东湾人", "data": {"village": "dongwan"}}).json["uuid"]
    supervisor = login("supervisor")                 # dongwan only
    assert [e["uuid"] for e in client.get(f"{BASE}/entities", headers=supervisor).json] == [here]
    assert client.get(f"{BASE}/entities/{there}", headers=supervisor).status_code == 404
    assert client.patch(f"{BASE}/entities/{here}?force=true", headers=supervisor,
                        json={"data": {"village": "xishan"}}).status_code == 403
    assert client.post(f"{BASE}/entities", headers=supervisor,
                       json={"label": "x", "data": {"village": "xishan"}}).status_code == 403
    assert client.get(f"{BASE}/entities/{here}", headers=supervisor).status_code == 200
    db.session.rollback()
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "entity.read",
                                                      AuditEvent.target == f"entity:{here}"))


def test_duplicate_candidates_share_a_resident_id_number(client, publish, login):
    publish(make_entity_xform("id_form", create=True, properties=("full_name", "village", "id_number")))
    headers = login("admin")
    made = [client.post(f"{BASE}/entities", headers=headers, json={
        "label": name, "data": {"village": "dongwan", "id_number": "610425199606080628"}}).json["uuid"]
        for name in ("张丽", "张莉")]
    first = client.get(f"{BASE}/entities/{made[0]}", headers=headers).json
    assert first["duplicateCandidates"] == [made[1]]


def test_an_id_number_of_any_length_is_kept_and_compared_by_its_first_32_characters(
        client, publish, login):
    publish(make_entity_xform("id_form", create=True, properties=("full_name", "village", "id_number")))
    headers = login("admin")
    junk = "6104251996060806281234567890" * 8
    made = [client.post(f"{BASE}/entities", headers=headers, json={
        "label": "张丽", "data": {"village": "dongwan", "id_number": junk + slip}})
        for slip in ("甲", "乙")]
    assert [r.status_code for r in made] == [200, 200]
    first = client.get(f"{BASE}/entities/{made[0].json['uuid']}", headers=headers).json
    assert first["currentVersion"]["data"]["id_number"] == junk + "甲"
    # the same name and the same number to 32 characters: a pair (the rest is not compared)
    assert first["duplicateCandidates"] == [made[1].json["uuid"]]


def test_item_82_turning_approval_off_needs_convert(client, collect, publish, login):
    setup(publish)
    headers = login("admin")
    assert client.patch(BASE, headers=headers, json={"approvalRequired": True}).json["approvalRequired"]
    eid = str(uuid.uuid4())
    collect.submit(entity_instance(eid, "等待", create=True))
    refused = client.patch(BASE, headers=headers, json={"approvalRequired": False})
    assert refused.status_code == 400 and refused.json["code"] == "400.29"
    done = client.patch(f"{BASE}?convert=true", headers=headers, json={"approvalRequired": False})
    assert done.status_code == 200 and done.json["approvalRequired"] is False
    assert client.get(f"{BASE}/entities/{eid}", headers=headers).json["currentVersion"]["version"] == 1


def test_duplicate_candidates_in_another_village_are_not_shown(client, publish, login):
    publish(make_entity_xform("id_form", create=True, properties=("full_name", "village", "id_number")))
    admin = login("admin")
    made = [client.post(f"{BASE}/entities", headers=admin, json={
        "label": name, "data": {"village": village, "id_number": "610425199606080628"}}).json["uuid"]
        for name, village in (("张丽", "dongwan"), ("张莉", "xishan"))]
    seen_by_town = client.get(f"{BASE}/entities/{made[0]}", headers=admin).json
    seen_by_village = client.get(f"{BASE}/entities/{made[0]}", headers=login("supervisor")).json
    assert seen_by_town["duplicateCandidates"] == [made[1]]
    assert seen_by_village["duplicateCandidates"] == []


def test_item_82_convert_leaves_a_create_held_for_another_village_waiting(client, collect,
                                                                          publish, login):
    # worker_a (dongwan) registers someone in xishan: held for xishan's supervisor, whatever
    # the list's approval policy becomes
    setup(publish)
    headers = login("admin")
    client.patch(BASE, headers=headers, json={"approvalRequired": True})
    eid = str(uuid.uuid4())
    assert collect.submit(entity_instance(eid, "外村", create=True, village="xishan")).status_code == 201
    done = client.patch(f"{BASE}?convert=true", headers=headers, json={"approvalRequired": False})
    assert done.status_code == 200
    assert client.get(f"{BASE}/entities/{eid}", headers=headers).status_code == 404
