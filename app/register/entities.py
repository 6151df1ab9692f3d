"""Changing entities: create, update, soft delete, restore, purge.

Every change writes an entity version (what the entity is after it, what was received, where
it came from), moves the revision of the list and of the villages whose rows changed (so only
those phones' list hashes move), and writes an audit event, all in the caller's transaction.
Changes made directly (API, CLI) also go to the register's journal (RegisterEvent), which a
rebuild replays; changes made by merging a submission are journaled once, by the merge.
`actor` is who asked (None: the system). The rows are built and written by app.register.rows,
the one way every path writes them.
"""
import uuid as uuidlib

from sqlalchemy import bindparam, column, insert, select, text

from app.audit.record import event_row, record
from app.audit.record import write as write_event
from app.db.columns import utcnow
from app.db.driver_sql import DriverStatement
from app.register import rows, search
from app.register.datasets import LIST_AND_ENTITY, bump, list_bump_sql, village_bump_sql
from app.register.models import Entity, EntityBacklog, EntityVersion, RegisterEvent
from app.register.rows import ID_NUMBER, id_number_key, normalise_uuid  # noqa: F401 - theirs
from app.webhooks import outbox


def journal(session, dataset, kind, entity_uuid=None, payload=None, actor=None, def_id=None):
    """Journal a change made directly (API, CLI, a duplicate merged) for rebuilds."""
    rows.write_journal(session, rows.journal(dataset.project_id, kind, actor, dataset.id,
                                             entity_uuid, payload, def_id))


def create(session, dataset, label, data=None, uuid=None, area_id=None, actor=None,
           source="api", submission=None, facts=None, journaled=None, force_created=False,
           load=True):
    """A new entity at version 1. `submission` = (submission id, def id) when a submission
    made it; `facts` = version facts (branch, conflict …); `journaled` False when the caller
    (the merge) journals the change itself. Returns the Entity, or with load=False (the
    merge, which reads nothing back) its id."""
    data = rows.properties(data)
    uuid = normalise_uuid(uuid) if uuid else str(uuidlib.uuid4())
    entity, version, audit = _create_rows(dataset.id, label, data, uuid, area_id, actor, source,
                                          submission, facts, force_created, utcnow(),
                                          dataset.project_id)
    entity_id = rows.write_entity(session, entity)
    rows.write_version(session, entity_id, version)
    write_event(session, audit)
    bump(session, dataset.id, [area_id])
    search.add(session, dataset.project_id, dataset.name, entity_id, area_id, data)  # its index
    _duplicates(session, dataset.id, entity_id, dataset.name, dataset.project_id,
                (uuid, data, area_id, label), created=True)
    if journaled is None and source == "api":
        journal(session, dataset, "api.create", uuid,
                {"label": label, "data": data, "area_id": area_id}, actor)
    outbox.entity_created(session, dataset.project_id, dataset.name, uuid, area_id, label, data)
    return session.get(Entity, entity_id) if load else entity_id


def _create_rows(dataset_id, label, data, uuid, area_id, actor, source, submission, facts,
                 force_created, now, project_id):
    """The rows every create writes: (entity, version 1, audit event of the list's project,
    which app.audit.record.append chains after the entity is written)."""
    facts = facts or {}
    entity = rows.entity(dataset_id, uuid, label, data, area_id, facts.get("conflict"),
                         force_created, now)
    version = rows.version(1, label, data, rows.received(label, data), source, submission,
                           actor, facts, now)
    return entity, version, event_row(actor, "entity.create", f"entity:{uuid}", {"version": 1},
                                      now, project=project_id)


_E, _V = Entity.__table__, EntityVersion.__table__


def _create_ctes():
    """The CTEs of _look_up_and_create: (found, new_entity, version), writing _create_rows'
    entity and version rows (parameters e_*, v_*); its audit event follows through
    app.audit.record.append, which chains it."""
    found = LIST_AND_ENTITY.cte("found")
    entity = (insert(_E).from_select(list(rows.ENTITY_COLUMNS), select(
        found.c.id, *(bindparam(f"e_{c}", type_=_E.c[c].type) for c in rows.ENTITY_COLUMNS[1:]))
        .where(found.c.approval_required.is_(False), found.c.existing_id.is_(None)))
        .returning(_E.c.id).cte("new_entity"))
    version = insert(_V).from_select(["entity_id", *rows.VERSION_COLUMNS], select(
        entity.c.id, *(bindparam(f"v_{c}", type_=_V.c[c].type) for c in rows.VERSION_COLUMNS))
    ).cte("version")
    return found, entity, version


def _look_up_and_create():
    """PostgreSQL: find the block's list by name and, when it needs no approval and holds no
    entity with this uuid, create the entity and its version 1; one round
    trip instead of two on every entity create. Returns the list's row (as the merge's own
    lookup, datasets.LIST_AND_ENTITY, finds) and the new entity's id, or no row when there is
    no such list."""
    found, entity, version = _create_ctes()
    return (select(found, select(entity.c.id).scalar_subquery().label("created_id"))
            .add_cte(entity).add_cte(version))


def _look_up_create_and_journal():
    """_look_up_and_create, and when it creates: the merge's journal event (a rows.journal()
    row, parameters j_*), the moves of the list's revision and of one village's (village key
    k), and the backlog probe (`held`): what the merge otherwise sends as its last statement.
    A submission that creates one entity, the commonest kind, then costs one round trip less.
    When nothing is created none of it is written, created_id says so, and the merge goes on
    as usual. The two revision moves are datasets.bump's, made conditional on the create
    (which its plain statements cannot be)."""
    found, entity, version = _create_ctes()
    events = RegisterEvent.__table__
    journal = insert(events).from_select(list(rows.JOURNAL_COLUMNS), select(
        *(bindparam(f"j_{c}", type_=events.c[c].type) for c in rows.JOURNAL_COLUMNS))
        .select_from(entity)).cte("journal")
    # datasets.bump's two statements, moving nothing unless the entity was created
    created_sql = "EXISTS (SELECT 1 FROM new_entity)"
    list_revision = text(list_bump_sql(f"id IN (SELECT id FROM found) AND {created_sql}")
                         ).columns(column("d")).cte("list_revision")
    village_revision = text(village_bump_sql(
        f"SELECT found.id, :k, 1 FROM found WHERE {created_sql}")).columns(column("d")).cte(
        "village_revision")
    held = select(EntityBacklog.__table__.c.id).limit(1).scalar_subquery()
    return (select(found, select(entity.c.id).scalar_subquery().label("created_id"),
                   held.label("held"))
            .add_cte(entity).add_cte(version).add_cte(journal)
            .add_cte(list_revision).add_cte(village_revision))


#: PostgreSQL only, for their measured gain: they spare an entity submission round trips
#: (docs/performance-history.md, "PostgreSQL: 9 → 7 round trips per entity submission");
#: SQLite, with no round trips to save, writes the same rows with create()'s writers.
_LOOK_UP_AND_CREATE = DriverStatement(_look_up_and_create())
_LOOK_UP_CREATE_AND_JOURNAL = DriverStatement(_look_up_create_and_journal())


def look_up_and_create(session, project_id, dataset_name, label, data, uuid, area_id, actor,
                       submission, branch_id=None, journal=None):
    """PostgreSQL, for the merge of a block that creates: (the list's row or None, whether the
    entity was created). It is created when the list exists, needs no approval and has no
    entity with this uuid; otherwise nothing is written and the caller goes on as it would
    after its own lookup. `journal`: the merge's journal event (a rows.journal() row),
    written with the entity, with both revisions moved then too; the row's `held` then tells
    whether anything waits in the backlog."""
    data = rows.properties(data)
    entity, version, audit = _create_rows(None, label, data, uuid, area_id, actor, "submission",
                                          submission, {"branch_id": branch_id}, False, utcnow(),
                                          project_id)
    del entity["dataset_id"]                # the list found by name
    values = {**{f"e_{k}": v for k, v in entity.items()},
              **{f"v_{k}": v for k, v in version.items()},
              "p": project_id, "n": dataset_name, "u": uuid}
    if journal is None:
        found = _LOOK_UP_AND_CREATE.first(session, values)
    else:
        values.update({f"j_{k}": journal[k] for k in rows.JOURNAL_COLUMNS}, k=area_id or 0)
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


def update(session, entity, label=None, data=None, actor=None, source="api", submission=None,
           facts=None, area_id=..., journaled=None, dataset=None, announce=True):
    """Overlay `data` on the current properties (empty strings overwrite); a blank label keeps
    the old one; version + 1. `area_id` moves the entity to another village. `announce`
    False: the caller sends its own webhook event (a merge's one `entity.merged`)."""
    received = rows.properties(data)
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
    _version(session, entity, rows.received(label, received), source, submission, actor,
             facts)
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
    rows.write_version(session, entity.id, rows.version(
        entity.version, entity.label, dict(entity.data), received, source, submission, actor,
        facts))


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
