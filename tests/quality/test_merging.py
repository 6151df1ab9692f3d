"""Merging a duplicate person B into A and unmerging (issue 23, part 2), through the JSON API
on the town's register: A's values win and B fills A's blanks (or a pick chooses), every
reference to B points to A, B leaves the phones' lists (the CSV and its hash, exactly) and the
integrity check says it is gone, a later submission for B lands on A, an unmerge puts both
back, and `register rebuild --check` agrees after each step. Scope, repeats and bad input."""
import csv
import io
import json
import uuid

import pytest
from lxml import etree
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.register import rebuild
from app.register.models import Entity, EntityVersion
from app.webhooks.models import WebhookDelivery
from tests.factories import make_entity_xform
from tests.openrosa.docs import media_files
from tests.register.test_merge import PROPS, entity_instance
from tests.samples import register as sample

PEOPLE = "/v1/projects/1/datasets/people/entities"
PREGNANCIES = "/v1/projects/1/datasets/pregnancies/entities"
A = sample.LIU_MEI                   # dongwan, pregnant, phone 13500001111, id number set
B_DATA = {"full_name": "刘梅", "village": "dongwan", "sex": "female", "dob": "1991-11-23",
          "id_number": "", "phone": "13700002222", "household": sample.H4,
          "marital_status": "first_marriage", "relation": "head", "contraception": "",
          "iud_status": "in_place", "residence_status": "resident"}


def _check(db):
    db.session.rollback()
    report = rebuild.check(db.session, 1)
    db.session.rollback()
    assert report.differences == []


def _entity(db, uuid_):
    db.session.rollback()
    return db.session.scalar(select(Entity).where(Entity.uuid == uuid_))


@pytest.fixture
def admin(login, town):
    return login("admin")


@pytest.fixture
def dup(client, admin):
    """B, a second record of 刘梅 made over the API, and what names her: a child whose mother
    she is and a pregnancy that is hers."""
    b = client.post(PEOPLE, headers=admin, json={"label": "刘梅", "data": B_DATA}).json["uuid"]
    child = client.post(PEOPLE, headers=admin, json={"label": "小宝", "data": {
        "full_name": "小宝", "village": "dongwan", "mother": b, "household": sample.H4}})
    pregnancy = client.post(PREGNANCIES, headers=admin, json={"label": "刘梅 2025-01-01", "data": {
        "woman": b, "woman_name": "刘梅", "village": "dongwan", "lmp": "2025-01-01"}})
    assert child.status_code == 200 and pregnancy.status_code == 200, (child.json, pregnancy.json)
    return {"b": b, "child": child.json["uuid"], "pregnancy": pregnancy.json["uuid"]}


def _merge(client, headers, kept, merged, values=None):
    body = {"from": merged, **({"values": values} if values is not None else {})}
    return client.post(f"{PEOPLE}/{kept}/merge", headers=headers, json=body)


def test_a_merge_keeps_as_values_fills_its_blanks_and_points_every_reference_to_it(
        client, admin, dup, db):
    before = _entity(db, A)
    a_before, version_before = dict(before.data), before.version
    response = _merge(client, admin, A, dup["b"])
    assert response.status_code == 200, response.json
    assert response.json["mergedFrom"] == dup["b"]
    a = _entity(db, A)
    assert a.version == version_before + 1
    assert a.data["phone"] == a_before["phone"] == "13500001111"      # A's non-blank value
    assert a.data["iud_status"] == "in_place" and a_before["iud_status"] == ""   # B filled it
    assert a.data["id_number"] == a_before["id_number"]
    merged_version = db.session.scalar(select(EntityVersion).where(
        EntityVersion.entity_id == a.id, EntityVersion.version == a.version))
    assert merged_version.source == "merge" and merged_version.received == {"iud_status": "in_place"}
    b = _entity(db, dup["b"])
    assert b.merged_into_id == a.id and b.deleted_at is not None and b.version == 1
    child, pregnancy = _entity(db, dup["child"]), _entity(db, dup["pregnancy"])
    assert (child.data["mother"], child.version) == (A, 2)
    assert (pregnancy.data["woman"], pregnancy.version) == (A, 2)
    # B redirects to A: 307, an unmerge may undo it
    got = client.get(f"{PEOPLE}/{dup['b']}", headers=admin)
    assert got.status_code == 307 and got.headers["Location"].endswith(f"{PEOPLE}/{A}")
    # B's versions and provenance stay
    assert [v["version"] for v in client.get(f"{PEOPLE}/{dup['b']}/versions",
                                             headers=admin).json] == [1]
    assert dup["b"] not in {e["uuid"] for e in client.get(PEOPLE, headers=admin).json}
    assert dup["b"] not in {e["uuid"] for e in client.get(f"{PEOPLE}?deleted=true",
                                                          headers=admin).json}
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "entity.merge")).all()
    assert [(e.target, e.details["merged"]) for e in audit] == [(f"entity:{A}", dup["b"])]
    _check(db)


def test_a_pick_takes_bs_value_over_as(client, admin, dup, db):
    response = _merge(client, admin, A, dup["b"], {"phone": "merged", "iud_status": "kept"})
    assert response.status_code == 200, response.json
    a = _entity(db, A)
    assert (a.data["phone"], a.data["iud_status"]) == ("13700002222", "")
    _check(db)


def _phone_list(phone):
    files = media_files(phone.get(f"{phone.base}/forms/update_person/manifest"))
    entry = next(f for f in files if f["filename"] == "people.csv")
    return entry, phone.get(entry["downloadUrl"]).data.decode("utf-8")


def test_a_phones_list_after_a_merge_loses_b_and_shows_a_merged(client, admin, dup, db, town,
                                                                  publish):
    publish(make_entity_xform("update_person", "people", create=False, update=True,
                              uses_list=True))
    phone, other = town.phone("worker_a"), town.phone("worker_b")
    entry, before = _phone_list(phone)
    other_entry, _ = _phone_list(other)
    assert _merge(client, admin, A, dup["b"]).status_code == 200
    after_entry, after = _phone_list(phone)
    assert after_entry["hash"] != entry["hash"]
    assert _phone_list(other)[0]["hash"] == other_entry["hash"]      # xishan's list unchanged
    rows = list(csv.reader(io.StringIO(before)))
    header = rows[0]
    expected = []
    for row in rows:
        if row[0] == dup["b"]:
            continue                                                  # B is gone
        if row[0] in (A, dup["child"]):
            e = _entity(db, row[0])
            row = [e.uuid, e.label, str(e.version), *(e.data.get(p, "") for p in header[3:])]
        expected.append(row)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(expected)
    assert after == out.getvalue()
    assert "in_place" in after.split(A)[1].split("\n")[0] or "iud_status" not in header
    # Collect's integrity check tells the phone B is gone, A and the child are not
    ids = ",".join([dup["b"], A, dup["child"]])
    states = {e.get("id"): e.findtext("deleted") for e in etree.fromstring(
        phone.get(after_entry["integrityUrl"] + f"?id={ids}").data)[0]}
    assert states == {dup["b"]: "true", A: "false", dup["child"]: "false"}


def test_an_unmerge_restores_both_and_keeps_as_later_changes(client, admin, dup, db):
    a_before = _entity(db, A)
    data_before, label_before = dict(a_before.data), a_before.label
    b_before = dict(_entity(db, dup["b"]).data)
    assert _merge(client, admin, A, dup["b"], {"phone": "merged"}).status_code == 200
    version = _entity(db, A).version
    later = client.patch(f"{PEOPLE}/{A}?baseVersion={version}", headers=admin,
                         json={"data": {"contraception": "iud"}})
    assert later.status_code == 200, later.json
    _check(db)
    response = client.post(f"{PEOPLE}/{dup['b']}/unmerge", headers=admin)
    assert response.status_code == 200, response.json
    assert response.json["unmergedFrom"] == A
    b = _entity(db, dup["b"])
    assert (b.merged_into_id, b.deleted_at, b.version, b.data) == (None, None, 1, b_before)
    a = _entity(db, A)
    assert a.data == {**data_before, "contraception": "iud"} and a.label == label_before
    assert _entity(db, dup["child"]).data["mother"] == dup["b"]
    assert _entity(db, dup["pregnancy"]).data["woman"] == dup["b"]
    assert client.get(f"{PEOPLE}/{dup['b']}", headers=admin).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "entity.unmerge")) == 1
    _check(db)
    # and once more: merged again, then unmerged again
    assert _merge(client, admin, A, dup["b"]).status_code == 200
    assert client.post(f"{PEOPLE}/{dup['b']}/unmerge", headers=admin).status_code == 200
    _check(db)


def test_a_submission_that_later_arrives_for_b_lands_on_a(client, admin, dup, db, town, publish):
    publish(make_entity_xform("people_form", create=True, update=True, properties=PROPS,
                              uses_list=True))
    assert _merge(client, admin, A, dup["b"]).status_code == 200
    merged_version = _entity(db, A).version
    phone = town.phone("worker_a")           # had B at version 1, and not the merge
    late = entity_instance(dup["b"], update=True, base="1", full_name="刘梅",
                           phone="13911112222")
    assert phone.submit(late).status_code == 201
    a, b = _entity(db, A), _entity(db, dup["b"])
    assert (a.version, a.data["phone"]) == (merged_version + 1, "13911112222")
    assert b.version == 1 and b.data["phone"] == "13700002222"
    landed = db.session.scalar(select(EntityVersion).where(EntityVersion.entity_id == a.id,
                                                           EntityVersion.version == a.version))
    assert (landed.source, landed.base_version, landed.conflict) == (
        "submission", merged_version, None)
    _check(db)


def test_an_edit_of_a_late_submission_for_b_does_not_apply_to_a_again(client, admin, dup, db,
                                                                        town, publish):
    publish(make_entity_xform("people_form", create=True, update=True, properties=PROPS,
                              uses_list=True))
    assert _merge(client, admin, A, dup["b"]).status_code == 200
    phone = town.phone("worker_a")
    late = entity_instance(dup["b"], update=True, base="1", full_name="刘梅",
                           phone="13911112222", iid="uuid:late-1")
    assert phone.submit(late).status_code == 201
    version = _entity(db, A).version
    edit = entity_instance(dup["b"], update=True, base="1", full_name="刘梅",
                           phone="13911113333", iid="uuid:late-2").replace(
        b"<meta>", b"<meta><deprecatedID>uuid:late-1</deprecatedID>")
    assert phone.submit(edit).status_code == 201
    a = _entity(db, A)
    assert (a.version, a.data["phone"]) == (version, "13911112222")
    _check(db)


def test_a_stale_late_submission_for_b_lands_on_a_with_a_conflict(client, admin, dup, db,
                                                                   town, publish):
    publish(make_entity_xform("people_form", create=True, update=True, properties=PROPS,
                              uses_list=True))
    assert _merge(client, admin, A, dup["b"]).status_code == 200
    version = _entity(db, A).version
    assert client.patch(f"{PEOPLE}/{A}?baseVersion={version}", headers=admin,
                        json={"data": {"phone": "13800008888"}}).status_code == 200
    late = entity_instance(dup["b"], update=True, base="1", full_name="刘梅",
                           phone="13911112222")
    assert town.phone("worker_a").submit(late).status_code == 201
    a = _entity(db, A)
    landed = db.session.scalar(select(EntityVersion).where(EntityVersion.entity_id == a.id,
                                                           EntityVersion.version == a.version))
    assert (landed.base_version, landed.conflict, landed.conflicting_properties) == (
        version, "hard", ["phone"])
    _check(db)


def test_another_villages_supervisor_neither_merges_nor_sees(client, dup, db, login, personas):
    from app.auth import accounts
    from tests import conftest as top
    accounts.create_user(db.session, "supervisor_x", "supervisor_x-password", "supervisor",
                         top.REALM, ["xishan"], hash_method="scrypt:1024:8:1")
    db.session.commit()
    outsider = login("supervisor_x")
    refused = _merge(client, outsider, A, dup["b"])
    assert refused.status_code == 404 and refused.json["code"] == "404.1"
    # dongwan's supervisor: A and B yes, but not with xishan's 赵燕
    supervisor = login("supervisor")
    across = _merge(client, supervisor, A, sample.ZHAO_YAN)
    assert across.status_code == 404 and across.json["code"] == "404.1"
    viewer = _merge(client, login("viewer"), A, dup["b"])
    assert viewer.status_code == 403
    assert _entity(db, dup["b"]).merged_into_id is None
    assert _merge(client, supervisor, A, dup["b"]).status_code == 200
    # the outsider learns nothing of B either
    assert client.get(f"{PEOPLE}/{dup['b']}", headers=outsider).status_code == 404
    gone = client.post(f"{PEOPLE}/{dup['b']}/unmerge", headers=outsider)
    assert gone.status_code == 404
    _check(db)


def test_merging_twice_itself_or_with_a_bad_pick_is_a_clear_refusal(client, admin, dup, db):
    bad = _merge(client, admin, A, dup["b"], {"no_such": "kept"})
    assert bad.status_code == 400 and bad.json["code"] == "400.281"
    odd = _merge(client, admin, A, dup["b"], {"phone": "both"})
    assert odd.status_code == 400 and odd.json["code"] == "400.79"
    itself = _merge(client, admin, A, A)
    assert itself.status_code == 409 and itself.json["code"] == "409.281"
    assert _merge(client, admin, A, dup["b"]).status_code == 200
    again = _merge(client, admin, A, dup["b"])
    assert again.status_code == 409 and again.json["code"] == "409.282"
    assert again.json["details"]["into"] == A
    into_b = _merge(client, admin, dup["b"], A)
    assert into_b.status_code == 409 and into_b.json["code"] == "409.282"
    # B is changed, deleted or restored only through its unmerge
    patch = client.patch(f"{PEOPLE}/{dup['b']}?force=true", headers=admin,
                         json={"data": {"phone": "1"}})
    assert patch.status_code == 409 and patch.json["code"] == "409.282"
    delete = client.delete(f"{PEOPLE}/{dup['b']}", headers=admin)
    assert delete.status_code == 409 and delete.json["code"] == "409.282"
    restore = client.post(f"{PEOPLE}/{dup['b']}/restore", headers=admin)
    assert restore.status_code == 409 and restore.json["code"] == "409.282"
    not_merged = client.post(f"{PEOPLE}/{A}/unmerge", headers=admin)
    assert not_merged.status_code == 409 and not_merged.json["code"] == "409.283"
    assert client.post(f"{PEOPLE}/{dup['b']}/unmerge", headers=admin).status_code == 200
    twice = client.post(f"{PEOPLE}/{dup['b']}/unmerge", headers=admin)
    assert twice.status_code == 409 and twice.json["code"] == "409.283"
    _check(db)


def test_a_merge_announces_entity_merged_once(client, admin, dup, db):
    hook = client.post("/v1/projects/1/webhooks", headers=admin, json={
        "url": "https://hooks.example.org/a",
        "events": ["entity.merged", "entity.updated", "entity.unmerged"]})
    assert hook.status_code == 200, hook.json
    assert _merge(client, admin, A, dup["b"]).status_code == 200
    db.session.rollback()
    bodies = [json.loads(d.body) for d in db.session.scalars(
        select(WebhookDelivery).order_by(WebhookDelivery.id))]
    merged = [b for b in bodies if b["event"] == "entity.merged"]
    assert len(merged) == 1
    assert (merged[0]["data"]["uuid"], merged[0]["data"]["mergedFrom"]) == (A, dup["b"])
    # the references re-pointed are plain updates; A's own change is the merge's event
    assert sorted(b["data"]["uuid"] for b in bodies if b["event"] == "entity.updated") == sorted(
        [dup["child"], dup["pregnancy"]])
    assert _merge(client, admin, A, dup["b"]).status_code == 409      # no second event
    assert client.post(f"{PEOPLE}/{dup['b']}/unmerge", headers=admin).status_code == 200
    db.session.rollback()
    events = [json.loads(d.body)["event"] for d in db.session.scalars(select(WebhookDelivery))]
    assert events.count("entity.merged") == 1 and events.count("entity.unmerged") == 1


def test_a_merge_of_a_person_with_no_references_writes_only_a_and_b(client, admin, db):
    b = client.post(PEOPLE, headers=admin, json={"label": "何静", "data": {
        "full_name": "何静", "village": "dongwan", "phone": "13000000000"}}).json["uuid"]
    count = db.session.scalar(select(func.count()).select_from(EntityVersion))
    assert _merge(client, admin, sample.HE_JING, b).status_code == 200
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(EntityVersion)) == count + 1
    assert _entity(db, sample.HE_JING).data["phone"] == "13000000000"
    assert str(uuid.UUID(b)) == b
    _check(db)


def test_two_merges_of_one_pair_at_once_are_one_merge_and_one_409(app, admin, dup, db):
    """A into B and B into A at the same moment: rows locked in one order, so one waits for
    the other (never a deadlock, never a 500) and then finds the pair merged."""
    import threading
    barrier = threading.Barrier(2)
    answers = []

    def send(kept, merged):
        client = app.test_client()
        barrier.wait()
        answers.append(_merge(client, admin, kept, merged).status_code)

    db.session.rollback()
    threads = [threading.Thread(target=send, args=pair)
               for pair in ((A, dup["b"]), (dup["b"], A))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(answers) == [200, 409]
    _check(db)


def test_an_unmerge_and_a_merge_of_the_kept_one_at_once_leave_a_replayable_register(
        app, client, admin, dup, db):
    """Unmerging B from A while A is merged into D: the unmerge locks A too, so one waits for
    the other and the loser is a 409 (both succeeded before, and the rebuild could not replay
    the journal: the unmerge came after A was gone)."""
    import threading
    d = client.post(PEOPLE, headers=admin, json={"label": "刘梅", "data": {
        **B_DATA, "phone": "13800003333"}}).json["uuid"]
    assert _merge(client, admin, A, dup["b"]).status_code == 200
    db.session.rollback()
    barrier = threading.Barrier(2)
    answers = {}

    def unmerge():
        other = app.test_client()
        barrier.wait()
        answers["unmerge"] = other.post(f"{PEOPLE}/{dup['b']}/unmerge", headers=admin)

    def merge():
        other = app.test_client()
        barrier.wait()
        answers["merge"] = _merge(other, admin, d, A)

    threads = [threading.Thread(target=unmerge), threading.Thread(target=merge)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    codes = sorted(r.status_code for r in answers.values())
    assert codes in ([200, 200], [200, 409]), {k: r.json for k, r in answers.items()}
    if codes == [200, 409]:
        assert answers["unmerge"].json["code"] == "409.284"
    _check(db)
