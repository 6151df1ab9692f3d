"""Checklist items 67–85: submissions merged into the register as ODK Central does, through
real OpenRosa posts; offline branches, the backlog and conflicts."""
import datetime as dt
import uuid

import pytest
from sqlalchemy import select, update

from app.audit.models import AuditEvent
from app.register import merge
from app.register.models import (AreaRevision, Dataset, Entity, EntityBacklog, EntityVersion,
                                 RegisterEvent)
from app.submissions.models import Submission, SubmissionDef
from tests.factories import make_entity_xform

PROPS = ("full_name", "village", "phone")


def entity_instance(entity_id, label="", create=False, update=False, base="", trunk="",
                    branch="", iid=None, form_id="people_form", omit=(), **values):
    values = {"village": "dongwan", **values}
    fields = "".join(f"<{p}>{values.get(p, '')}</{p}>" for p in PROPS if p not in omit)
    attrs = (' create="1"' if create else "") + (' update="1"' if update else "")
    return (f'<data id="{form_id}" version="1">{fields}<meta>'
            f'<instanceID>{iid or f"uuid:{uuid.uuid4()}"}</instanceID>'
            f'<entity dataset="people" id="{entity_id}"{attrs} baseVersion="{base}" '
            f'trunkVersion="{trunk}" branchId="{branch}"><label>{label}</label></entity>'
            f'</meta></data>').encode()


@pytest.fixture
def people(publish):
    publish(make_entity_xform("people_form", create=True, update=True, properties=PROPS,
                              uses_list=True))


def new_id():
    return str(uuid.uuid4())


def get(db, entity_id):
    db.session.rollback()
    return db.session.scalar(select(Entity).where(Entity.uuid == entity_id))


def versions(db, entity_id):
    db.session.rollback()
    return db.session.scalars(select(EntityVersion).join(Entity).where(Entity.uuid == entity_id)
                              .order_by(EntityVersion.version)).all()


def state(db, iid):
    db.session.rollback()
    return db.session.scalar(select(Submission.review_state).where(Submission.instance_id == iid))


def errors(db):
    db.session.rollback()
    return [e.details for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "entity.error"))]


def test_item_67_entity_failures_never_change_the_http_result(collect, people, db):
    response = collect.submit(entity_instance("not-a-uuid", "X", create=True, iid="uuid:s1"))
    assert response.status_code == 201
    assert state(db, "uuid:s1") == "hasIssues"
    assert errors(db)[0]["errors"][0]["code"] == "400.2"


def test_item_68_a_create_makes_version_1(collect, people, db):
    eid = new_id()
    assert collect.submit(entity_instance(f"uuid:{eid.upper()}", "王芳", create=True,
                                          full_name="王芳", phone="139")).status_code == 201
    entity = get(db, eid)
    assert (entity.version, entity.label, entity.data) == (
        1, "王芳", {"full_name": "王芳", "village": "dongwan", "phone": "139"})
    assert entity.area_id is not None                   # the village property places it
    [v] = versions(db, eid)
    assert v.source == "submission" and v.submission_id is not None


def test_item_69_a_second_create_of_the_same_uuid_fails_and_changes_nothing(collect, people, db):
    eid = new_id()
    collect.submit(entity_instance(eid, "First", create=True, full_name="First"))
    collect.submit(entity_instance(eid, "Second", create=True, full_name="Second", iid="uuid:dup"))
    assert get(db, eid).label == "First" and state(db, "uuid:dup") == "hasIssues"
    assert errors(db)[0]["errors"][0]["code"] == "409.3"


def test_item_70_an_update_merges_present_properties_keeps_a_blank_label(collect, people, db):
    eid = new_id()
    collect.submit(entity_instance(eid, "王芳", create=True, full_name="王芳", phone="139"))
    collect.submit(entity_instance(eid, "", update=True, base="1", omit=("full_name",),
                                   phone=""))
    entity = get(db, eid)
    assert (entity.version, entity.label) == (2, "王芳")
    assert entity.data == {"full_name": "王芳", "village": "dongwan", "phone": ""}


def test_item_71_create_and_update_updates_an_existing_entity_and_creates_a_new_one(collect, people, db):
    existing, fresh = new_id(), new_id()
    collect.submit(entity_instance(existing, "A", create=True, full_name="A"))
    collect.submit(entity_instance(existing, "A2", create=True, update=True, base="1"))
    collect.submit(entity_instance(fresh, "B", create=True, update=True, base=""))
    assert get(db, existing).version == 2 and get(db, existing).label == "A2"
    assert get(db, fresh).version == 1


def test_item_72_no_flag_no_change(collect, people, db):
    eid = new_id()
    assert collect.submit(entity_instance(eid, "X")).status_code == 201
    assert get(db, eid) is None


def test_item_73_branch_ids_must_be_uuids_and_trunk_needs_a_branch(collect, people, db):
    eid = new_id()
    collect.submit(entity_instance(eid, "A", create=True))
    collect.submit(entity_instance(eid, "", update=True, base="1", trunk="1", branch="nope",
                                   iid="uuid:b1"))
    collect.submit(entity_instance(eid, "", update=True, base="1", trunk="1", iid="uuid:b2"))
    assert state(db, "uuid:b1") == state(db, "uuid:b2") == "hasIssues"
    branch = new_id()
    collect.submit(entity_instance(eid, "", update=True, base="1", trunk="1", branch=branch,
                                   phone="1"))
    assert get(db, eid).version == 2 and versions(db, eid)[1].branch_id == branch


def test_item_74_parallel_updates_soft_and_hard_conflicts(collect, people, db):
    eid = new_id()
    collect.submit(entity_instance(eid, "A", create=True, full_name="A", phone="1"))
    # two phones both based on version 1
    collect.submit(entity_instance(eid, "", update=True, base="1", omit=("full_name",), phone="2"))
    collect.submit(entity_instance(eid, "", update=True, base="1", omit=("phone",), full_name="A"))
    assert get(db, eid).conflict == "soft"              # different properties: parallel update
    collect.submit(entity_instance(eid, "", update=True, base="1", omit=("full_name",), phone="3"))
    entity = get(db, eid)
    assert entity.conflict == "hard" and versions(db, eid)[-1].conflicting_properties == ["phone"]
    collect.submit(entity_instance(eid, "", update=True, base="1", omit=("phone", "full_name")))
    assert get(db, eid).conflict == "hard"              # never downgraded until resolved


def test_item_75_a_chain_arriving_in_reverse_order_is_held_then_applied(collect, people, db):
    eid, branch = new_id(), new_id()
    # one phone, offline: created the entity, then updated it twice; sent newest first
    third = entity_instance(eid, "", update=True, base="2", branch=branch, phone="3")
    second = entity_instance(eid, "", update=True, base="1", branch=branch, phone="2")
    first = entity_instance(eid, "A", create=True, branch=branch, full_name="A", phone="1")
    for body in (third, second):
        assert collect.submit(body).status_code == 201
    assert get(db, eid) is None and len(db.session.scalars(select(EntityBacklog)).all()) == 2
    assert collect.submit(first).status_code == 201
    entity = get(db, eid)
    assert (entity.version, entity.data["phone"], entity.conflict) == (3, "3", None)
    assert db.session.scalars(select(EntityBacklog)).all() == []


def revisions(db):
    """(the people list's revision, {village key: revision}), read in a transaction of its
    own that is ended again: left open on SQLite, it would hold the write lock (Doorstep
    begins every transaction IMMEDIATE) across whatever the test does next."""
    db.session.rollback()
    try:
        dataset = db.session.scalar(select(Dataset).where(Dataset.name == "people"))
        return dataset.revision, dict(db.session.execute(
            select(AreaRevision.area_key, AreaRevision.revision)
            .where(AreaRevision.dataset_id == dataset.id)).all())
    finally:
        db.session.rollback()


def test_a_lone_create_is_journaled_once_and_moves_its_list_and_village(collect, people, db):
    # On PostgreSQL the create's own statement writes the journal and moves both revisions
    # (entities.look_up_and_create with a journal); the result must be the same as elsewhere.
    collect.submit(entity_instance(new_id(), "First", create=True, full_name="First"))
    list_before, villages_before = revisions(db)
    eid = new_id()
    collect.submit(entity_instance(eid, "王芳", create=True, full_name="王芳", iid="uuid:one"))
    list_after, villages_after = revisions(db)
    entity = get(db, eid)
    assert list_after == list_before + 1
    assert villages_after[entity.area_id] == villages_before[entity.area_id] + 1
    def_id = db.session.scalar(select(SubmissionDef.id)
                               .where(SubmissionDef.instance_id == "uuid:one"))
    [event] = db.session.scalars(select(RegisterEvent)
                                 .where(RegisterEvent.submission_def_id == def_id)).all()
    assert (event.kind, event.payload, event.actor_kind) == (
        "submission", {"approved": False}, "app_user")
    # a create that fails writes no journal event and moves nothing
    collect.submit(entity_instance(eid, "Again", create=True, full_name="Again", iid="uuid:two"))
    assert revisions(db) == (list_after, villages_after)
    def_id = db.session.scalar(select(SubmissionDef.id)
                               .where(SubmissionDef.instance_id == "uuid:two"))
    assert db.session.scalars(select(RegisterEvent)
                              .where(RegisterEvent.submission_def_id == def_id)).all() == []


def test_a_create_without_a_branch_releases_an_update_that_waited_for_it(collect, people, db):
    eid, branch = new_id(), new_id()
    collect.submit(entity_instance(eid, "", update=True, base="1", branch=branch, phone="2"))
    assert get(db, eid) is None and len(db.session.scalars(select(EntityBacklog)).all()) == 1
    # created online (Enketo sends no branch): a lone create, which on PostgreSQL also asks
    # whether anything waits in the backlog in the same statement
    collect.submit(entity_instance(eid, "A", create=True, full_name="A", phone="1"))
    entity = get(db, eid)
    assert (entity.version, entity.data["phone"]) == (2, "2")
    assert db.session.scalars(select(EntityBacklog)).all() == []


def test_item_76_held_updates_are_forced_after_the_timeout_and_a_late_create_updates(collect, people, db):
    eid, branch = new_id(), new_id()
    collect.submit(entity_instance(eid, "", update=True, base="1", branch=branch, phone="2"))
    db.session.execute(update(EntityBacklog).values(held_at=dt.datetime(2026, 1, 1)))
    db.session.commit()
    assert merge.process_backlog(db.session) == 1
    db.session.commit()
    entity = get(db, eid)
    assert (entity.label, entity.conflict, entity.force_created) == ("auto generated", "soft", True)
    collect.submit(entity_instance(eid, "王芳", create=True, branch=branch, full_name="王芳",
                                   phone="1"))
    entity = get(db, eid)
    assert (entity.version, entity.label, entity.force_created) == (2, "王芳", False)


def test_item_77_a_chain_interrupted_by_another_phone_is_soft(collect, people, db):
    eid, branch = new_id(), new_id()
    collect.submit(entity_instance(eid, "A", create=True, full_name="A"))
    # another phone changes the phone number after this phone's trunk (version 1)
    collect.submit(entity_instance(eid, "", update=True, base="1", omit=("full_name",), phone="9"))
    # this phone's offline chain: two changes of the name, made on version 1
    collect.submit(entity_instance(eid, "", update=True, base="1", trunk="1", branch=branch,
                                   omit=("phone",), full_name="B"))
    collect.submit(entity_instance(eid, "", update=True, base="2", trunk="1", branch=branch,
                                   omit=("phone",), full_name="C"))
    last = versions(db, eid)[-1]
    # its base (version 3, its own previous change) is current, yet another phone wrote
    # after its trunk: still a parallel update
    assert (last.version, last.base_version, last.conflict) == (4, 3, "soft")
    assert get(db, eid).data == {"full_name": "C", "village": "dongwan", "phone": "9"}


def test_item_78_a_trunk_newer_than_the_server_is_never_applied(collect, people, db):
    eid = new_id()
    collect.submit(entity_instance(eid, "A", create=True))
    collect.submit(entity_instance(eid, "", update=True, base="5", trunk="5", branch=new_id(),
                                   iid="uuid:t"))
    assert get(db, eid).version == 1 and state(db, "uuid:t") == "hasIssues"


def test_item_81_approval_required_creates_on_approval_once(collect, people, db, client, login):
    db.session.execute(update(Dataset).values(approval_required=True))
    db.session.commit()
    eid = new_id()
    collect.submit(entity_instance(eid, "A", create=True, iid="uuid:ap"))
    assert get(db, eid) is None
    url = "/v1/projects/1/forms/people_form/submissions/uuid:ap"
    headers = login("admin")
    for _ in range(2):
        assert client.patch(url, json={"reviewState": "approved"}, headers=headers).status_code == 200
    assert get(db, eid).version == 1 and len(versions(db, eid)) == 1


def test_item_83_an_edit_does_not_apply_again(collect, people, db):
    eid = new_id()
    collect.submit(entity_instance(eid, "A", create=True, iid="uuid:e1"))
    edit = entity_instance(eid, "A", create=True, iid="uuid:e2").replace(
        b"<meta>", b"<meta><deprecatedID>uuid:e1</deprecatedID>")
    assert collect.submit(edit).status_code == 201
    assert len(versions(db, eid)) == 1 and state(db, "uuid:e1") == "edited"


def test_item_85_an_update_of_a_deleted_entity_fails(collect, people, db):
    from app.register import entities
    eid = new_id()
    collect.submit(entity_instance(eid, "A", create=True))
    entities.delete(db.session, get(db, eid))
    db.session.commit()
    collect.submit(entity_instance(eid, "", update=True, base="1", iid="uuid:del"))
    assert state(db, "uuid:del") == "hasIssues"
    assert errors(db)[0]["errors"][0]["code"] == "404.11"


def test_item_76_the_process_backlog_command(collect, people, db, app):
    from click.testing import CliRunner

    from app.cli import register_group
    eid = new_id()
    collect.submit(entity_instance(eid, "", update=True, base="1", branch=new_id(), phone="2"))
    result = CliRunner().invoke(register_group, ["process-backlog"], obj=app.extensions)
    assert "0 held submissions applied." in result.output           # not old enough yet
    result = CliRunner().invoke(register_group, ["process-backlog", "--days", "0"],
                                obj=app.extensions)
    assert result.exit_code == 0 and "1 held submissions applied." in result.output
    assert get(db, eid).label == "auto generated"


def test_the_timer_inside_the_server_applies_timed_out_items(collect, people, db, app):
    from app.register import timer
    eid = new_id()
    collect.submit(entity_instance(eid, "", update=True, base="1", branch=new_id(), phone="2"))
    db.session.execute(update(EntityBacklog).values(held_at=dt.datetime(2026, 1, 1)))
    db.session.commit()
    timer.run_once(app)
    assert get(db, eid) is not None and db.session.scalars(select(EntityBacklog)).all() == []


def test_two_phones_updating_the_same_woman_offline(collect, people, db):
    def offline(eid, branch, base, **values):
        omit = tuple(p for p in ("full_name", "phone") if p not in values)
        return entity_instance(eid, "", update=True, base=str(base), trunk="1", branch=branch,
                               omit=omit, **values)
    soft, hard = new_id(), new_id()
    for eid in (soft, hard):
        collect.submit(entity_instance(eid, "王芳", create=True, full_name="王芳", phone="1"))
    # both phones synced at version 1, then went out of reach
    phone_a, phone_b = new_id(), new_id()
    collect.submit(offline(soft, phone_a, 1, phone="2"))
    collect.submit(offline(soft, phone_b, 1, full_name="王芳芳"))   # something else: soft
    collect.submit(offline(hard, phone_a, 1, phone="2"))
    collect.submit(offline(hard, phone_b, 1, phone="3"))            # the same thing: hard
    assert get(db, soft).conflict == "soft"
    assert get(db, soft).data == {"full_name": "王芳芳", "village": "dongwan", "phone": "2"}
    assert get(db, hard).conflict == "hard"
    assert versions(db, hard)[-1].conflicting_properties == ["phone"]
    assert get(db, hard).data["phone"] == "3"                      # last write wins, flagged


def test_item_91_the_trash_is_purged_after_30_days(collect, people, db):
    from app.register import entities
    eid = new_id()
    collect.submit(entity_instance(eid, "A", create=True))
    entities.delete(db.session, get(db, eid))
    db.session.commit()
    assert entities.purge_deleted(db.session) == 0
    assert entities.purge_deleted(db.session, now=dt.datetime.now() + dt.timedelta(days=31)) == 1
    db.session.commit()
    assert get(db, eid).purged_at is not None and get(db, eid).label == ""
