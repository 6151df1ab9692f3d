"""The conflicts pages: conflicts made as phones make them (updates on one base version sent
through the OpenRosa submission endpoint), the queue across lists with held offline updates,
both sides per property with their sources, resolving in one step on the version shown, the
stale page refused, and village scope."""
import re
import uuid

import pytest
from sqlalchemy import select, update

from app.audit.models import AuditEvent
from app.auth import accounts
from app.register import service
from app.register.models import Dataset, Entity, EntityVersion
from app.submissions.models import Submission
from tests import conftest as top
from tests.collect import CollectClient
from tests.register.test_merge import entity_instance, people  # noqa: F401 - a fixture
from tests.web.conftest import Console, sign_in

ROW = re.compile(r'<tr>\s*<td>(.*?)</tr>', re.S)


def new_id():
    return str(uuid.uuid4())


def phone(client, personas, name):
    return CollectClient(client, f"/v1/key/{personas[name].token}/projects/1")


def send(handset, body):
    response = handset.submit(body)
    assert response.status_code == 201, response.get_data(as_text=True)


def _read(db, query, scalars=False):
    """Read in a transaction of its own and end it: left open on SQLite it would hold the
    write lock (every transaction begins IMMEDIATE) while the server under test writes."""
    db.session.rollback()
    try:
        found = db.session.scalars(query).all() if scalars else db.session.scalar(query)
        for obj in found if scalars else [found]:
            if hasattr(obj, "_sa_instance_state"):
                db.session.expunge(obj)
        return found
    finally:
        db.session.rollback()


def entity(db, eid):
    return _read(db, select(Entity).where(Entity.uuid == eid))


def submission_id(db, iid):
    return _read(db, select(Submission.id).where(Submission.instance_id == iid))


def audits(db, action, target=None):
    query = select(AuditEvent).where(AuditEvent.action == action)
    if target is not None:
        query = query.where(AuditEvent.target == target)
    return _read(db, query, scalars=True)


@pytest.fixture
def hard(client, personas, people, db):  # noqa: F811
    """王芳 (village dongwan) at version 3 with a hard conflict: worker_a's phone and the group
    leader's both synced version 1, and both changed her phone number, to 2 and to 3."""
    eid = new_id()
    send(phone(client, personas, "worker_a"),
         entity_instance(eid, "王芳", create=True, full_name="王芳", phone="1"))
    send(phone(client, personas, "worker_a"),
         entity_instance(eid, "", update=True, base="1", omit=("full_name",), phone="2",
                         iid="uuid:from-a"))
    send(phone(client, personas, "leader"),
         entity_instance(eid, "", update=True, base="1", omit=("full_name",), phone="3",
                         iid="uuid:from-leader"))
    assert entity(db, eid).conflict == "hard"
    return eid


def test_two_phones_updating_one_version_make_a_conflict_shown_with_both_sides_and_sources(
        hard, console, db):
    supervisor = console("supervisor")
    body = supervisor.get("/conflicts?lang=en").get_data(as_text=True)
    [row] = ROW.findall(body)
    assert "王芳" in row and f"/conflicts/{hard}" in row and "Conflict" in row
    assert "People" in row and "Dongwan" in row
    page = supervisor.get(f"/conflicts/{hard}?lang=en")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    # base version 1, then each phone's version with who sent it and the submission it came in
    assert "Base (version 1)" in body
    for version, who, iid in ((2, "worker_a", "uuid:from-a"), (3, "leader", "uuid:from-leader")):
        assert f"Version {version} · {who}" in body
        assert f'href="/submissions/{submission_id(db, iid)}"' in body
    phone_row = re.search(r'<th scope="row"><code>phone</code>.*?</tr>', body, re.S).group(0)
    cells = re.findall(r"<td data-label=\"([^\"]+)\">(.*?)</td>", phone_row, re.S)
    assert [(label, re.sub(r"<[^>]+>", "", v).strip()) for label, v in cells] == [
        ("Base (version 1)", "1"), ("Version 2 · worker_a", "2"),
        ("Version 3 · leader", "3"), ("Now", "3")]
    assert "Conflict" in phone_row                      # the property both changed is marked
    assert "changed the same thing someone else had changed since" in body   # plain words
    assert "full_name" not in body                      # nobody changed it: nothing to choose


def test_the_supervisors_edit_and_a_phones_update_on_the_older_version(client, personas,
                                                                        people, console, db,  # noqa: F811
                                                                        login):
    eid = new_id()
    send(phone(client, personas, "worker_a"),
         entity_instance(eid, "王芳", create=True, full_name="王芳", phone="1"))
    response = client.patch(f"/v1/projects/1/datasets/people/entities/{eid}?baseVersion=1",
                            json={"data": {"phone": "139"}}, headers=login("supervisor"))
    assert response.status_code == 200, response.json
    # the phone had synced version 1 and changes the name offline
    send(phone(client, personas, "worker_a"),
         entity_instance(eid, "", update=True, base="1", omit=("phone",), full_name="王芳芳",
                         iid="uuid:late"))
    assert entity(db, eid).conflict == "soft"
    body = console("admin").get(f"/conflicts/{eid}?lang=en").get_data(as_text=True)
    assert "Version 2 · supervisor" in body and "Edited by a person" in body
    assert "Version 3 · worker_a" in body and "Form sent" in body
    assert f'href="/submissions/{submission_id(db, "uuid:late")}"' in body
    assert "Parallel update" in body and "but it changed other things" in body
    assert "<code>phone</code>" in body and "<code>full_name</code>" in body


def test_reading_a_conflict_is_audited(hard, console, db):
    console("supervisor").get(f"/conflicts/{hard}")
    [row] = audits(db, "person.read", f"entity:{hard}")
    assert row.details == {"page": "conflict"}


def test_resolving_with_a_chosen_value_changes_the_entity_clears_the_conflict_and_is_audited(
        hard, console, db):
    supervisor = console("supervisor")
    response = supervisor.post(f"/conflicts/{hard}", {"version": "3", "pick.phone": "value:2"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/conflicts/{hard}?resolved=4"
    woman = entity(db, hard)
    assert (woman.version, woman.data["phone"], woman.conflict) == (4, "2", None)
    last = _read(db, select(EntityVersion).where(EntityVersion.entity_id == woman.id,
                                                 EntityVersion.version == 4))
    assert (last.source, last.received, last.actor_kind) == ("api", {"phone": "2"}, "user")
    assert [a.details["version"] for a in audits(db, "entity.update", f"entity:{hard}")
            if a.actor_type == "user"] == [4]
    assert len(audits(db, "entity.resolve", f"entity:{hard}")) == 1
    body = supervisor.get(response.headers["Location"] + "&lang=en").get_data(as_text=True)
    assert "Resolved. The record is now at version 4." in body
    assert "no conflict to resolve" in body
    assert hard not in supervisor.get("/conflicts").get_data(as_text=True)


def test_a_resolution_from_the_console_is_replayed_by_a_rebuild(hard, console, db):
    from app.register import rebuild
    assert console("supervisor").post(f"/conflicts/{hard}", {
        "version": "3", "pick.phone": "typed", "typed.phone": "5"}).status_code == 303
    db.session.rollback()
    assert rebuild.check(db.session, 1).differences == []
    db.session.rollback()


def test_a_typed_value_is_written(hard, console, db):
    response = console("admin").post(f"/conflicts/{hard}", {
        "version": "3", "pick.phone": "typed", "typed.phone": "13800000000",
        "pick.label": "typed", "typed.label": "王芳 (东湾)"})
    assert response.status_code == 303
    woman = entity(db, hard)
    assert (woman.data["phone"], woman.label, woman.conflict) == ("13800000000", "王芳 (东湾)",
                                                                  None)


def test_keeping_the_current_values_only_marks_it_resolved(hard, console, db):
    response = console("supervisor").post(f"/conflicts/{hard}", {"version": "3",
                                                                  "pick.phone": "value:3"})
    assert response.headers["Location"] == f"/conflicts/{hard}?resolved=3"
    woman = entity(db, hard)
    assert (woman.version, woman.conflict) == (3, None)
    assert audits(db, "entity.resolve", f"entity:{hard}")


def test_a_resolve_on_a_version_changed_meanwhile_is_refused_and_changes_nothing(
        hard, console, client, personas, db):
    supervisor = console("supervisor")
    page = supervisor.get(f"/conflicts/{hard}").get_data(as_text=True)
    assert 'name="version" value="3"' in page
    # meanwhile another offline update on version 1 arrives
    send(phone(client, personas, "worker_a"),
         entity_instance(hard, "", update=True, base="1", omit=("full_name",), phone="4"))
    response = supervisor.post(f"/conflicts/{hard}?lang=en", {"version": "3",
                                                              "pick.phone": "value:2"})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "changed since you opened it" in body and f'href="/conflicts/{hard}"' in body
    woman = entity(db, hard)
    assert (woman.version, woman.data["phone"], woman.conflict) == (4, "4", "hard")
    assert not audits(db, "entity.resolve")


def test_a_conflict_resolved_by_someone_else_meanwhile_is_refused(hard, console, db):
    admin, supervisor = console("admin"), console("supervisor")
    assert admin.post(f"/conflicts/{hard}", {"version": "3"}).status_code == 303
    response = supervisor.post(f"/conflicts/{hard}", {"version": "3", "pick.phone": "value:2"})
    assert response.status_code == 409 and "已由他人处理" in response.get_data(as_text=True)
    assert entity(db, hard).data["phone"] == "3"


def test_an_unknown_property_or_a_bad_pick_is_refused(hard, console, db):
    supervisor = console("supervisor")
    assert supervisor.post(f"/conflicts/{hard}", {"version": "3", "pick.nope": "value:x"}
                           ).status_code == 400
    assert supervisor.post(f"/conflicts/{hard}", {"version": "3", "pick.phone": "2"}
                           ).status_code == 400
    # a value typed while another is chosen: neither is guessed
    response = supervisor.post(f"/conflicts/{hard}?lang=en", {
        "version": "3", "pick.phone": "value:2", "typed.phone": "5"})
    assert response.status_code == 400 and "choose" in response.get_data(as_text=True)
    assert entity(db, hard).conflict == "hard"


def test_a_viewer_reads_a_conflict_but_may_not_resolve_it(hard, console, db):
    viewer = console("viewer")
    body = viewer.get(f"/conflicts/{hard}").get_data(as_text=True)
    assert "王芳" in body and 'name="pick.phone"' not in body
    assert viewer.post(f"/conflicts/{hard}", {"version": "3"}).status_code == 403
    assert entity(db, hard).conflict == "hard"


def test_village_scope_hides_another_villages_conflicts(hard, console, db, app):
    accounts.create_user(db.session, "supervisor_x", "x-password", "supervisor", top.REALM,
                         ["xishan"], hash_method="scrypt:1024:8:1")
    db.session.commit()
    client = app.test_client()
    assert sign_in(app, client, "supervisor_x", "x-password").status_code == 303
    other = Console(app, client)
    assert other.get(f"/conflicts/{hard}").status_code == 404
    assert other.get("/conflicts?village=dongwan").status_code == 403
    assert hard not in other.get("/conflicts").get_data(as_text=True)
    assert other.post(f"/conflicts/{hard}", {"version": "3"}).status_code == 404
    assert entity(db, hard).conflict == "hard"
    assert hard in console("supervisor").get("/conflicts?village=dongwan").get_data(as_text=True)


def test_held_offline_updates_are_listed_with_their_age(client, personas, people, console,  # noqa: F811
                                                        db):
    eid, branch = new_id(), new_id()
    handset = phone(client, personas, "worker_a")
    send(handset, entity_instance(eid, "王芳", create=True, full_name="王芳", phone="1"))
    # the phone's second offline change arrives before its first
    send(handset, entity_instance(eid, "", update=True, base="3", trunk="1", branch=branch,
                                  omit=("full_name",), phone="3", iid="uuid:second"))
    held = submission_id(db, "uuid:second")
    supervisor = console("supervisor")
    body = supervisor.get("/conflicts?kind=held&lang=en").get_data(as_text=True)
    [row] = ROW.findall(body)
    assert "Waiting offline" in row and f'href="/submissions/{held}"' in row
    assert f"/conflicts/{eid}" in row and "王芳" in row
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", row)     # since when it waits
    assert ROW.findall(supervisor.get("/conflicts?kind=hard").get_data(as_text=True)) == []
    detail = supervisor.get(f"/conflicts/{eid}?lang=en").get_data(as_text=True)
    assert f'href="/submissions/{held}"' in detail and "waiting since" in detail


def test_the_queue_is_keyset_paged_by_25_across_lists(people, console, db, personas):  # noqa: F811
    s = db.session
    lists = {d.name: d for d in s.scalars(select(Dataset))}
    actor, made = _admin(s, personas), []
    for n in range(27):
        [one] = service.create_many(s, actor, lists["people"],
                                    [{"label": f"人{n:02d}", "data": {"village": "dongwan"}}])
        made.append(one.uuid)
    s.flush()
    s.execute(update(Entity).values(conflict="soft"))
    s.commit()
    admin = console("admin")
    seen, url = [], "/conflicts"
    while url:
        body = admin.get(url).get_data(as_text=True)
        rows = ROW.findall(body)
        assert len(rows) <= 25
        seen += re.findall(r'/conflicts/([0-9a-f-]{36})"', "".join(rows))
        more = re.search(r'<p class="more"><a href="([^"]+)"', body)
        url = more.group(1).replace("&amp;", "&") if more else None
    assert seen == made                                     # oldest first, each once


def _admin(session, personas):
    from app.auth.actors import from_user
    from app.auth.models import User
    return from_user(session.get(User, personas["admin"].id))


def test_a_malformed_cursor_is_a_400_page(console, people):  # noqa: F811
    assert console("admin").get("/conflicts?after=nonsense").status_code == 400


def test_the_filter_form_narrows_by_kind_list_and_village_and_blank_means_all(hard, console):
    supervisor = console("supervisor")
    for query, shown in (("village=&kind=&list=", True), ("kind=hard&list=people", True),
                         ("village=dongwan&kind=soft", False), ("list=households", False)):
        response = supervisor.get(f"/conflicts?{query}")
        assert response.status_code == 200, query
        assert (hard in response.get_data(as_text=True)) is shown, query


def test_one_queue_pages_conflicts_and_held_updates_in_time_order(client, personas, people,  # noqa: F811
                                                                  db):
    from app.console import conflicts as work
    handset = phone(client, personas, "worker_a")
    expected = []
    for n in range(3):
        eid = new_id()
        send(handset, entity_instance(eid, f"人{n}", create=True, full_name=f"人{n}", phone="1"))
        send(handset, entity_instance(eid, "", update=True, base="1", omit=("full_name",),
                                      phone="2"))
        send(handset, entity_instance(eid, "", update=True, base="1", omit=("full_name",),
                                      phone="3"))
        expected.append(("hard", eid))
        # then a phone's offline update that waits for its predecessor
        waiting = new_id()
        send(handset, entity_instance(waiting, "", update=True, base="2", trunk="1",
                                      branch=new_id(), phone="9", iid=f"uuid:{waiting}"))
        expected.append(("held", waiting))
    s = db.session
    s.rollback()
    actor = _admin(s, personas)
    seen, after = [], None
    while True:
        page = work.queue(s, actor, 1, None, after=after, limit=2)
        assert len(page.rows) <= 2
        seen += [(r.kind, r.entity) for r in page.rows]
        if page.after is None:
            break
        after = page.after
    s.rollback()
    assert seen == expected
    held = [r for r in work.queue(s, actor, 1, None, kind="held").rows]
    s.rollback()
    assert [r.exists for r in held] == [False] * 3 and all(r.submission_id for r in held)
