"""Changing entities: create, update, soft delete, restore, purge.

Every change writes an entity version (what the entity is after it, what was received, where
it came from), moves the revision of the list and of the villages whose rows changed (so only
those phones' list hashes move), and writes an audit event, all in the caller's transaction.
Changes made directly (API, CLI) also go to the register's journal (RegisterEvent), which a
rebuild replays; changes made by merging a submission are journaled once, by the merge.
`actor` is who asked (None: the system).
"""
import uuid as uuidlib

from sqlalchemy import bindparam, exists, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from app.audit.record import event_row, record
from app.audit.record import write as write_event
from app.driver_sql import DriverStatement
from app.models_base import utcnow
from app.register import search
from app.register.datasets import LIST_AND_ENTITY, bump
from app.register.models import (AreaRevision, Dataset, Entity, EntityBacklog, EntityVersion,
                                 RegisterEvent)
from app.webhooks import outbox


def normalise_uuid(value):
    """Central's rule: an optional `uuid:` prefix, any case → a lower-case UUID string."""
    value = value.strip()
    if value.lower().startswith("uuid:"):
        value = value[5:]
    return str(uuidlib.UUID(value))


def _actor(actor):
    return (getattr(actor, "kind", None), getattr(actor, "id", None))


def journal(session, dataset, kind, entity_uuid=None, payload=None, actor=None, def_id=None):
    kind_, id_ = _actor(actor)
    session.add(RegisterEvent(project_id=dataset.project_id, kind=kind, dataset_id=dataset.id,
                              entity_uuid=entity_uuid, payload=payload, actor_kind=kind_,
                              actor_id=id_, submission_def_id=def_id))


def create(session, dataset, label, data=None, uuid=None, area_id=None, actor=None,
           source="api", submission=None, facts=None, journaled=None, force_created=False):
    """A new entity at version 1. `submission` = (submission id, def id) when a submission
    made it; `facts` = version facts (branch, conflict …); `journaled` False when the caller
    (the merge) journals the change itself."""
    data = {k: str(v) for k, v in (data or {}).items()}
    entity = Entity(dataset_id=dataset.id, uuid=normalise_uuid(uuid) if uuid else str(uuidlib.uuid4()),
                    label=label, data=data, version=1, area_id=area_id,
                    id_number=id_number_key(data),
                    conflict=(facts or {}).get("conflict"), force_created=force_created)
    session.add(entity)
    session.flush()
    _version(session, entity, {**data, **({"label": label} if label else {})}, source, submission,
             actor, facts)
    bump(session, dataset.id, [area_id])
    search.add(session, dataset.project_id, dataset.name, entity.id, area_id, data)  # its index
    _duplicates(session, dataset.id, entity.id, dataset.name, dataset.project_id,
                (entity.uuid, data, area_id, label), created=True)
    if journaled is None and source == "api":
        journal(session, dataset, "api.create", entity.uuid,
                {"label": label, "data": data, "area_id": area_id}, actor)
    record(session, actor, "entity.create", f"entity:{entity.uuid}", project=dataset.project_id,
           version=1)
    outbox.entity_created(session, dataset.project_id, dataset.name, entity.uuid, area_id,
                          label, data)
    return entity


_E, _V = Entity.__table__, EntityVersion.__table__
_E_COLS = ("dataset_id", "uuid", "label", "version", "data", "id_number", "area_id",
           "force_created", "created_at")
_V_COLS = ("version", "label", "data", "received", "source", "submission_id",
           "submission_def_id", "base_version", "branch_id", "trunk_version",
           "branch_base_version", "conflict", "conflicting_properties", "actor_kind", "actor_id",
           "created_at")
_INSERT_ENTITY = DriverStatement(insert(_E).values(
    {c: bindparam(c, type_=_E.c[c].type) for c in _E_COLS}).returning(_E.c.id))
_INSERT_VERSION = DriverStatement(insert(_V).values(
    {c: bindparam(c, type_=_V.c[c].type) for c in ("entity_id", *_V_COLS)}))


def _create_in_one_statement():
    """PostgreSQL: the entity and its version 1 in one round trip (a data-modifying CTE)
    instead of two; the audit event follows through app.audit.record.append, which chains
    it."""
    entity = (insert(_E).values({c: bindparam(f"e_{c}", type_=_E.c[c].type) for c in _E_COLS})
              .returning(_E.c.id).cte("new_entity"))
    return (insert(_V).from_select(
        ["entity_id", *_V_COLS],
        select(entity.c.id, *(bindparam(f"v_{c}", type_=_V.c[c].type) for c in _V_COLS)))
        .returning(_V.c.entity_id).add_cte(entity))


_CREATE = _create_in_one_statement()


def _create_ctes():
    """The CTEs of _look_up_and_create: (found, new_entity, version)."""
    found = LIST_AND_ENTITY.cte("found")
    entity = (insert(_E).from_select(list(_E_COLS), select(
        found.c.id, *(bindparam(f"e_{c}", type_=_E.c[c].type) for c in _E_COLS[1:]))
        .where(found.c.approval_required.is_(False), found.c.existing_id.is_(None)))
        .returning(_E.c.id).cte("new_entity"))
    version = insert(_V).from_select(["entity_id", *_V_COLS], select(
        entity.c.id, *(bindparam(f"v_{c}", type_=_V.c[c].type) for c in _V_COLS))).cte("version")
    return found, entity, version


def _look_up_and_create():
    """PostgreSQL: find the block's list by name and, when it needs no approval and holds no
    entity with this uuid, create the entity and its version 1 (the caller appends the audit
    event); one round trip instead of two on every entity create. Returns the list's row (as the merge's own
    lookup, datasets.LIST_AND_ENTITY, finds) and the new entity's id, or no row when there is
    no such list."""
    found, entity, version = _create_ctes()
    return (select(found, select(entity.c.id).scalar_subquery().label("created_id"))
            .add_cte(entity).add_cte(version))


def _look_up_create_and_journal():
    """_look_up_and_create, and when it creates: the merge's journal event (parameters j_*),
    the moves of the list's revision and of one village's (village key k), and the backlog
    probe (`held`): what the merge otherwise sends as its last statement. A submission that
    creates one entity, the commonest kind, then costs one round trip less. When nothing is
    created none of it is written, created_id says so, and the merge goes on as usual."""
    found, entity, version = _create_ctes()
    created = exists(select(entity.c.id))
    events = RegisterEvent.__table__
    journal = insert(events).from_select(list(JOURNAL_COLUMNS), select(
        *(bindparam(f"j_{c}", type_=events.c[c].type) for c in JOURNAL_COLUMNS))
        .select_from(entity)).cte("journal")
    lists = Dataset.__table__
    list_revision = (update(lists).where(lists.c.id.in_(select(found.c.id).where(created)))
                     .values(revision=lists.c.revision + 1).cte("list_revision"))
    villages = AreaRevision.__table__
    upsert = pg_insert(villages).from_select(
        ["dataset_id", "area_key", "revision"],
        select(found.c.id, bindparam("k", type_=villages.c.area_key.type),
               literal(1, villages.c.revision.type)).where(created))
    village_revision = upsert.on_conflict_do_update(
        index_elements=["dataset_id", "area_key"],
        set_={"revision": villages.c.revision + 1}).cte("village_revision")
    held = select(EntityBacklog.__table__.c.id).limit(1).scalar_subquery()
    return (select(found, select(entity.c.id).scalar_subquery().label("created_id"),
                   held.label("held"))
            .add_cte(entity).add_cte(version).add_cte(journal)
            .add_cte(list_revision).add_cte(village_revision))


#: the columns of a merge's journal event (app.register.merge)
JOURNAL_COLUMNS = ("project_id", "kind", "submission_def_id", "payload", "actor_kind",
                   "actor_id", "created_at")
_LOOK_UP_AND_CREATE = DriverStatement(_look_up_and_create())
_LOOK_UP_CREATE_AND_JOURNAL = DriverStatement(_look_up_create_and_journal())


def _create_rows(dataset_id, label, data, uuid, area_id, actor, submission, branch_id, now,
                 project_id):
    """The rows a create from a submission writes: (entity, version 1, audit event)."""
    entity = {"dataset_id": dataset_id, "uuid": uuid, "label": label, "version": 1,
              "data": data, "area_id": area_id, "force_created": False, "created_at": now,
              "id_number": id_number_key(data)}
    received = {**data, **({"label": label} if label else {})}
    version = _version_values(1, label, data, received, "submission", submission, actor,
                              {"branch_id": branch_id}, now)
    return entity, version, event_row(actor, "entity.create", f"entity:{uuid}", {"version": 1},
                                      now, project=project_id)


def _create_values(*args):
    """(the parameters of _CREATE and _LOOK_UP_AND_CREATE: _create_rows(*args) prefixed,
    the audit event)."""
    entity, version, audit = _create_rows(*args)
    return {**{f"e_{k}": v for k, v in entity.items()},
            **{f"v_{k}": v for k, v in version.items()}}, audit


def look_up_and_create(session, project_id, dataset_name, label, data, uuid, area_id, actor,
                       submission, branch_id=None, journal=None):
    """PostgreSQL, for the merge of a block that creates: (the list's row or None, whether the
    entity was created). It is created when the list exists, needs no approval and has no
    entity with this uuid; otherwise nothing is written and the caller goes on as it would
    after its own lookup. `journal`: the merge's journal event (the columns of
    JOURNAL_COLUMNS), written with the entity, with both revisions moved then too; the row's
    `held` then tells whether anything waits in the backlog."""
    data = {k: str(v) for k, v in (data or {}).items()}
    values, audit = _create_values(None, label, data, uuid, area_id, actor, submission,
                                   branch_id, utcnow(), project_id)
    del values["e_dataset_id"]              # the list found by name
    values.update(p=project_id, n=dataset_name, u=uuid)
    if journal is None:
        found = _LOOK_UP_AND_CREATE.first(session, values)
    else:
        values.update({f"j_{k}": journal[k] for k in JOURNAL_COLUMNS}, k=area_id or 0)
        found = _LOOK_UP_CREATE_AND_JOURNAL.first(session, values)
    if found is None or found.created_id is None:
        return found, False
    write_event(session, audit)
    if journal is None:
        bump(session, found.id, [area_id])
    search.add(session, project_id, dataset_name, found.created_id, area_id, data)  # its index
    _duplicates(session, found.id, found.created_id, dataset_name, project_id,
                (uuid, data, area_id, label), created=True)
    outbox.entity_created(session, project_id, dataset_name, uuid, area_id, label, data)
    return found, True


def create_from_submission(session, dataset, label, data, uuid, area_id, actor, submission,
                           branch_id=None):
    """create() for the merge's hot path: the same rows (entity, version 1, revisions,
    duplicate candidates, audit) written with prebuilt Core statements, no ORM objects."""
    data = {k: str(v) for k, v in (data or {}).items()}
    connection = session.connection()
    args = (dataset.id, label, data, uuid, area_id, actor, submission, branch_id, utcnow(),
            dataset.project_id)
    if connection.dialect.name == "postgresql":
        values, audit_row = _create_values(*args)
        entity_id = connection.execute(_CREATE, values).scalar_one()
    else:
        entity, version, audit_row = _create_rows(*args)
        entity_id = _INSERT_ENTITY.first(session, entity).id
        _INSERT_VERSION.run(session, {"entity_id": entity_id, **version})
    write_event(session, audit_row)
    bump(session, dataset.id, [area_id])
    search.add(session, dataset.project_id, dataset.name, entity_id, area_id, data)  # its index
    _duplicates(session, dataset.id, entity_id, dataset.name, dataset.project_id,
                (uuid, data, area_id, label), created=True)
    outbox.entity_created(session, dataset.project_id, dataset.name, uuid, area_id, label,
                          data)


def update(session, entity, label=None, data=None, actor=None, source="api", submission=None,
           facts=None, area_id=..., journaled=None, dataset=None, announce=True):
    """Overlay `data` on the current properties (empty strings overwrite); a blank label keeps
    the old one; version + 1. `area_id` moves the entity to another village. `announce`
    False: the caller sends its own webhook event (a merge's one `entity.merged`)."""
    received = {k: str(v) for k, v in (data or {}).items()}
    old_area, old_data = entity.area_id, entity.data
    entity.data = {**entity.data, **received}
    if label:
        entity.label = label
    entity.version += 1
    entity.updated_at = utcnow()
    facts = dict(facts or {})
    if facts.get("conflict"):
        # hard is never downgraded until someone resolves it
        entity.conflict = "hard" if "hard" in (entity.conflict, facts["conflict"]) else "soft"
    if area_id is not ...:
        entity.area_id = area_id
    # the entity's UPDATE is left to the next flush (the merge flushes once per submission)
    _version(session, entity, {**received, **({"label": label} if label else {})}, source,
             submission, actor, facts)
    bump(session, entity.dataset_id, [old_area, entity.area_id])
    if ID_NUMBER in received:
        key = id_number_key(received)
        if key != entity.id_number:         # a home visit resends every number unchanged
            entity.id_number = key
    search.changed(session, entity, old_area, old_data, dataset)  # the people search's row
    if any(old_data.get(k) != entity.data.get(k) for k in MATCHED) or old_area != entity.area_id:
        _duplicates(session, entity.dataset_id, entity.id,
                    dataset.name if dataset else None, dataset.project_id if dataset else None,
                    (entity.uuid, entity.data, entity.area_id, entity.label))
    if journaled is None and source == "api":
        journal(session, dataset or _dataset(session, entity), "api.update", entity.uuid,
                {"label": label or "", "data": received, "area_id": entity.area_id,
                 "conflict": facts.get("conflict")}, actor)
    record(session, actor, "entity.update", f"entity:{entity.uuid}",
           **({"project": dataset.project_id} if dataset is not None else {}),
           version=entity.version)
    if announce:
        outbox.entity_updated(session, entity, dataset, old_data, received, label)
    return entity


def resolve(session, entity, actor=None, journaled=None):
    """Clear the conflict flag (a supervisor looked at it)."""
    entity.conflict = None
    bump(session, entity.dataset_id, [entity.area_id])
    if journaled is None:
        journal(session, _dataset(session, entity), "api.resolve", entity.uuid, None, actor)
    record(session, actor, "entity.resolve", f"entity:{entity.uuid}", version=entity.version)
    outbox.entity_merged(session, entity, _dataset(session, entity))


def delete(session, entity, actor=None, journaled=None):
    entity.deleted_at = utcnow()
    search.remove(session, entity.id)                             # the people search's row
    _changed(session, actor, "delete", entity, journaled)


def restore(session, entity, actor=None, journaled=None):
    if entity.merged_into_id is not None:      # only an unmerge brings a merged entity back
        from app.problems import Problem   # noqa: PLC0415
        raise Problem("409.282", {"uuid": entity.uuid,
                                  "into": session.get(Entity, entity.merged_into_id).uuid})
    if entity.deleted_at is not None:                             # the people search's row
        dataset = _dataset(session, entity)
        search.add(session, dataset.project_id, dataset.name, entity.id, entity.area_id,
                   entity.data)
    entity.deleted_at = None
    _changed(session, actor, "restore", entity, journaled)


def purge(session, entity, actor=None, journaled=None):
    """Forget a deleted entity's content; keep the tombstone so phones learn it is gone."""
    entity.purged_at = entity.deleted_at = entity.deleted_at or utcnow()
    search.remove(session, entity.id)                             # the people search's row
    entity.label, entity.data, entity.id_number = "", {}, None
    _changed(session, actor, "purge", entity, journaled)


def _changed(session, actor, action, entity, journaled):
    bump(session, entity.dataset_id, [entity.area_id])
    if journaled is None:
        journal(session, _dataset(session, entity), action, entity.uuid, None, actor)
    record(session, actor, f"entity.{action}", f"entity:{entity.uuid}", version=entity.version)


def _dataset(session, entity):
    from app.register.models import Dataset   # noqa: PLC0415 - avoids a cycle at import
    return session.get(Dataset, entity.dataset_id)


def _version(session, entity, received, source, submission, actor, facts):
    _version_row(session, entity.id, entity.version, entity.label, dict(entity.data), received,
                 source, submission, actor, facts, utcnow())


def _version_row(session, entity_id, version, label, data, received, source, submission, actor,
                 facts, created_at):
    """One entity version, written with a prebuilt insert (so a second writer of version N
    fails here, at once, on the unique (entity, version))."""
    _INSERT_VERSION.run(session, {
        "entity_id": entity_id, **_version_values(version, label, data, received, source,
                                                  submission, actor, facts, created_at)})


def _version_values(version, label, data, received, source, submission, actor, facts,
                    created_at):
    facts = facts or {}
    kind, actor_id = _actor(actor)
    return {"version": version, "label": label, "data": data, "received": received,
            "source": source, "submission_id": submission[0] if submission else None,
            "submission_def_id": submission[1] if submission else None,
            "base_version": facts.get("base_version"), "branch_id": facts.get("branch_id"),
            "trunk_version": facts.get("trunk_version"),
            "branch_base_version": facts.get("branch_base_version"),
            "conflict": facts.get("conflict"),
            "conflicting_properties": facts.get("conflicting"), "actor_kind": kind,
            "actor_id": actor_id, "created_at": created_at}


ID_NUMBER = "id_number"


ID_NUMBER_KEY_LENGTH = 32          # the indexed column's width; a real number has 18


def id_number_key(data):
    """The `id_number` property as the duplicate check compares it, or None when blank.
    Cut to the column's width: a phone may send anything, and that must not fail a merge."""
    value = (data.get(ID_NUMBER) or "").strip().upper()[:ID_NUMBER_KEY_LENGTH]
    return value or None


#: the properties the duplicate check compares: a change to one of them checks again
MATCHED = ("full_name", "id_number", "sex", "dob", "village", "household", "phone", "spouse",
           "mother")


def _duplicates(session, dataset_id, entity_id, dataset_name=None, project_id=None, row=None,
                created=False):
    """The duplicate check of a `people` entity (app.quality.duplicates.check), in the
    writer's transaction: index lookups on its blocking keys, the pairs scored and written.
    `row`: its (uuid, data, area id, label), which the caller holds; `created`: just made."""
    from app.quality import duplicates   # noqa: PLC0415 - quality builds on the register
    duplicates.check(session, dataset_id, entity_id, dataset_name, project_id, row, created)


PURGE_AFTER_DAYS = 30


def purge_deleted(session, days=PURGE_AFTER_DAYS, now=None):
    """Purge entities deleted more than `days` ago (item 91: the trash empties itself after
    30 days, as in Central). Returns how many."""
    import datetime as dt   # noqa: PLC0415
    cutoff = (now or utcnow()) - dt.timedelta(days=days)
    # a merged entity is kept whole: an unmerge brings it back as it was
    found = session.scalars(select(Entity).where(Entity.deleted_at.is_not(None),
                                                 Entity.deleted_at <= cutoff,
                                                 Entity.merged_into_id.is_(None),
                                                 Entity.purged_at.is_(None))).all()
    for entity in found:
        purge(session, entity)
    return len(found)
