"""The one way each register row is built and written: entities, entity versions and journal
events (register_events). A builder is a plain function from plain inputs to the row's values
(a dict of its columns); a writer puts one row, or a list of the builder's rows, in the
database. Every path calls them: intake's merge, the API, the rebuild's replay and the bench
fills (the demo goes through intake). docs/register.md, "How each row is written", lists
them with the revision moves (app.register.datasets.bump) and the one statement that writes
several of these rows at once on PostgreSQL.
"""
import uuid as uuidlib

from sqlalchemy import bindparam, insert

from app.db.columns import utcnow
from app.db.driver_sql import DriverStatement
from app.register.models import Entity, EntityVersion, RegisterEvent

ENTITY_COLUMNS = ("dataset_id", "uuid", "label", "version", "data", "id_number", "area_id",
                  "conflict", "force_created", "created_at")
VERSION_COLUMNS = ("version", "label", "data", "received", "source", "submission_id",
                   "submission_def_id", "base_version", "branch_id", "trunk_version",
                   "branch_base_version", "conflict", "conflicting_properties", "actor_kind",
                   "actor_id", "created_at")
JOURNAL_COLUMNS = ("project_id", "kind", "dataset_id", "entity_uuid", "submission_def_id",
                   "payload", "actor_kind", "actor_id", "created_at")

ID_NUMBER = "id_number"
ID_NUMBER_KEY_LENGTH = 32          # the indexed column's width; a real number has 18


def id_number_key(data):
    """The `id_number` property as the duplicate check compares it, or None when blank.
    Cut to the column's width: a phone may send anything, and that must not fail a merge."""
    value = (data.get(ID_NUMBER) or "").strip().upper()[:ID_NUMBER_KEY_LENGTH]
    return value or None


def normalise_uuid(value):
    """Central's rule: an optional `uuid:` prefix, any case → a lower-case UUID string."""
    value = value.strip()
    if value.lower().startswith("uuid:"):
        value = value[5:]
    return str(uuidlib.UUID(value))


def actor_of(actor):
    """(kind, id) of who asked, (None, None) for the system."""
    return (getattr(actor, "kind", None), getattr(actor, "id", None))


def properties(data):
    """An entity's properties as stored: every value a string."""
    return {k: str(v) for k, v in (data or {}).items()}


def entity(dataset_id, uuid, label, data, area_id, conflict=None, force_created=False,
           created_at=None, version=1):
    """The `entities` row of a new entity (`data` already through properties())."""
    return {"dataset_id": dataset_id, "uuid": uuid, "label": label, "version": version,
            "data": data, "id_number": id_number_key(data), "area_id": area_id,
            "conflict": conflict, "force_created": force_created,
            "created_at": created_at or utcnow()}


def version(number, label, data, received, source, submission, actor, facts, created_at=None):
    """An `entity_versions` row without its entity_id: the entity after the change (label,
    data), what was `received`, where it came from (`source`, `submission` = (submission id,
    def id) or None, `actor`) and the branch and conflict facts it was judged with."""
    facts = facts or {}
    kind, actor_id = actor_of(actor)
    return {"version": number, "label": label, "data": data, "received": received,
            "source": source, "submission_id": submission[0] if submission else None,
            "submission_def_id": submission[1] if submission else None,
            "base_version": facts.get("base_version"), "branch_id": facts.get("branch_id"),
            "trunk_version": facts.get("trunk_version"),
            "branch_base_version": facts.get("branch_base_version"),
            "conflict": facts.get("conflict"),
            "conflicting_properties": facts.get("conflicting"), "actor_kind": kind,
            "actor_id": actor_id, "created_at": created_at or utcnow()}


def received(label, data):
    """What a change received, as its version keeps it: the properties, and the label under
    "label" when one was sent."""
    return {**data, **({"label": label} if label else {})}


def journal(project_id, kind, actor=None, dataset_id=None, entity_uuid=None, payload=None,
            def_id=None, created_at=None):
    """A `register_events` row: one change to the register, as a rebuild replays it."""
    actor_kind, actor_id = actor_of(actor)
    return {"project_id": project_id, "kind": kind, "dataset_id": dataset_id,
            "entity_uuid": entity_uuid, "submission_def_id": def_id, "payload": payload,
            "actor_kind": actor_kind, "actor_id": actor_id,
            "created_at": created_at or utcnow()}


def _insert(table, columns):
    return insert(table).values({c: bindparam(c, type_=table.c[c].type) for c in columns})


_E, _V, _J = Entity.__table__, EntityVersion.__table__, RegisterEvent.__table__
_INSERT_ENTITY = DriverStatement(_insert(_E, ENTITY_COLUMNS).returning(_E.c.id))
_INSERT_VERSION = DriverStatement(_insert(_V, ("entity_id", *VERSION_COLUMNS)))
#: the journal's insert, also sent as a CTE by the merge's last statement (app.register.merge)
INSERT_JOURNAL = DriverStatement(_insert(_J, JOURNAL_COLUMNS))


def write_entity(session, row):
    """Insert an entity() row; returns its id."""
    return _INSERT_ENTITY.first(session, row).id


def write_entities(session, rows):
    """Insert many entity() rows in one executemany (bench fills)."""
    if rows:
        session.execute(insert(_E), rows)


def write_version(session, entity_id, row):
    """Insert a version() row of entity `entity_id`. (entity, version) is unique, so a second
    writer of version N fails here, at once."""
    _INSERT_VERSION.run(session, {"entity_id": entity_id, **row})


def write_journal(session, row):
    """Insert a journal() row."""
    INSERT_JOURNAL.run(session, row)
