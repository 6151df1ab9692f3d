"""One way to write each register row (app.register.rows): the same person created by a phone
(intake, through the statement that creates and journals at once on PostgreSQL, and through
the plain writer for a create-or-update block), over the JSON API, by the rebuild's replay,
and by the bench fills' bulk writer, gives the same rows: entity, version 1, audit event,
revision moves and journal event, all columns compared except ids, the uuid (unique, so each
path gets its own) and write times. Provenance (source, submission, actor) is compared
against what each path must say. Runs on SQLite and, with DOORSTEP_TEST_DATABASE_URL, on
PostgreSQL."""
import uuid

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.projects.models import Area
from app.register import rebuild
from app.register import rows as register_rows
from app.register.models import AreaRevision, Dataset, Entity, EntityVersion, RegisterEvent
from tests.factories import make_entity_xform
from tests.register.test_merge import PROPS, entity_instance

LABEL, NAME, PHONE = "王小梅", "王小梅", "13900001123"
DATA = {"full_name": NAME, "village": "dongwan", "phone": PHONE}
PROVENANCE = ("source", "submission_id", "submission_def_id", "actor_kind", "actor_id")
SKIP = ("id", "entity_id", "uuid", "created_at", "logged_at", "updated_at")


def _values(row, skip=SKIP):
    return {k: v for k, v in row._mapping.items() if k not in skip}


def _revisions(db, area_id):
    db.session.rollback()
    lists = db.session.scalar(select(Dataset.revision).where(Dataset.name == "people"))
    village = db.session.scalar(select(AreaRevision.revision).where(
        AreaRevision.area_key == area_id)) or 0
    return lists, village


def _written(db, entity_uuid):
    """(entity row, version rows, audit rows) of one entity, as comparable values (who wrote
    the audit row is provenance, as in the version; its hashes say where in the chain it
    came, which differs with each write before it)."""
    db.session.rollback()
    E, V, A = Entity.__table__, EntityVersion.__table__, AuditEvent.__table__
    entity = db.session.execute(select(E).where(E.c.uuid == entity_uuid)).one()
    versions = db.session.execute(select(V).where(V.c.entity_id == entity.id)).all()
    audit = db.session.execute(select(A).where(A.c.target == f"entity:{entity_uuid}")).all()
    return ({k: v for k, v in _values(entity).items() if k != "merged_into_id"},
            [_values(v) for v in versions],
            [{**_values(a, (*SKIP, *AUDIT_PROVENANCE)), "target": "entity:<uuid>"}
             for a in audit])


#: an audit row's author and its place in the project's hash chain
AUDIT_PROVENANCE = ("actor_type", "actor_id", "prev_hash", "hash")


def _last_journal(db):
    db.session.rollback()
    J = RegisterEvent.__table__
    return db.session.execute(select(J).order_by(J.c.id.desc()).limit(1)).one()._mapping


def _create_by_phone(db, collect, entity_uuid, update=False):
    before = _revisions(db, _dongwan(db))
    body = entity_instance(entity_uuid, LABEL, create=True, update=update, base="1" if update
                           else "", full_name=NAME, phone=PHONE)
    assert collect.submit(body).status_code == 201
    return before


def _dongwan(db):
    return db.session.scalar(select(Area.id).where(Area.code == "dongwan"))


def test_phone_api_rebuild_and_bulk_writes_give_the_same_rows(client, collect, publish, login,
                                                              personas, db):
    publish(make_entity_xform("people_form", create=True, update=True, properties=PROPS,
                              uses_list=True))
    dongwan = _dongwan(db)
    by_phone, by_phone_or_update, by_api, in_bulk = (str(uuid.uuid4()) for _ in range(4))

    # a phone's create (PostgreSQL: look-up, create and journal in one statement)
    before = _create_by_phone(db, collect, by_phone)
    assert _revisions(db, dongwan) == (before[0] + 1, before[1] + 1)
    phone_entity, [phone_version], phone_audit = _written(db, by_phone)
    phone_journal = dict(_last_journal(db))

    # a create-or-update block for an entity not there yet: created by the plain writer
    before = _create_by_phone(db, collect, by_phone_or_update, update=True)
    assert _revisions(db, dongwan) == (before[0] + 1, before[1] + 1)
    entity, [version], audit = _written(db, by_phone_or_update)
    assert entity == phone_entity and audit == phone_audit
    assert ({k: v for k, v in version.items() if k not in PROVENANCE}
            == {k: v for k, v in phone_version.items() if k not in PROVENANCE})
    journal = dict(_last_journal(db))
    assert {k: journal[k] for k in register_rows.JOURNAL_COLUMNS if k != "created_at"} == {
        **{k: phone_journal[k] for k in register_rows.JOURNAL_COLUMNS if k != "created_at"},
        "submission_def_id": journal["submission_def_id"]}
    assert phone_journal["kind"] == "submission" and phone_journal["payload"] == {
        "approved": False} and phone_journal["dataset_id"] is None

    # the same person over the JSON API
    before = _revisions(db, dongwan)
    admin = personas["admin"].id
    response = client.post("/v1/projects/1/datasets/people/entities", headers=login("admin"),
                           json={"uuid": by_api, "label": LABEL, "data": DATA})
    assert response.status_code == 200, response.json
    assert _revisions(db, dongwan) == (before[0] + 1, before[1] + 1)
    entity, [version], audit = _written(db, by_api)
    assert entity == phone_entity and audit == phone_audit
    assert {k: version[k] for k in PROVENANCE} == {
        "source": "api", "submission_id": None, "submission_def_id": None,
        "actor_kind": "user", "actor_id": admin}
    assert ({k: v for k, v in version.items() if k not in PROVENANCE}
            == {k: v for k, v in phone_version.items() if k not in PROVENANCE})
    journal = dict(_last_journal(db))
    people = db.session.scalar(select(Dataset.id).where(Dataset.name == "people"))
    assert {k: journal[k] for k in register_rows.JOURNAL_COLUMNS if k != "created_at"} == {
        "project_id": 1, "kind": "api.create", "dataset_id": people, "entity_uuid": by_api,
        "submission_def_id": None, "actor_kind": "user", "actor_id": admin,
        "payload": {"label": LABEL, "data": DATA, "area_id": dongwan}}

    # the bench fills' bulk writer, with the same builder
    register_rows.write_entities(db.session, [register_rows.entity(
        people, in_bulk, LABEL, register_rows.properties(DATA), dongwan)])
    db.session.commit()
    assert _written(db, in_bulk)[0] == phone_entity

    # the rebuild replays the journal through the same writers: every row comes back equal
    everyone = (by_phone, by_phone_or_update, by_api)
    live = {u: _written(db, u) for u in everyone}
    report = rebuild.replace(db.session, 1)
    db.session.commit()
    assert report.entities == 3                   # the bulk row was never journaled
    for entity_uuid in everyone:
        entity, versions, _audit = _written(db, entity_uuid)
        assert entity == live[entity_uuid][0]
        assert versions == live[entity_uuid][1], (versions, live[entity_uuid][1])
