"""Changing entities: create, update, soft delete, restore, purge. Every change moves the list's
revision and writes an audit event in the same transaction. (Merging submissions into entities
builds on these.) `actor` is who asked (None: the system)."""
import uuid as uuidlib

from app.audit.record import record
from app.models_base import utcnow
from app.register.datasets import bump
from app.register.models import Entity


def normalise_uuid(value):
    """Central's rule: an optional `uuid:` prefix, any case → a lower-case UUID string."""
    value = value.strip()
    if value.lower().startswith("uuid:"):
        value = value[5:]
    return str(uuidlib.UUID(value))


def create(session, dataset, label, data=None, uuid=None, area_id=None, actor=None):
    entity = Entity(dataset_id=dataset.id, uuid=normalise_uuid(uuid) if uuid else str(uuidlib.uuid4()),
                    label=label, data={k: str(v) for k, v in (data or {}).items()},
                    version=1, area_id=area_id)
    session.add(entity)
    session.flush()
    _changed(session, actor, "entity.create", entity)
    return entity


def update(session, entity, label=None, data=None, actor=None):
    """Overlay `data` on the current properties; a blank label keeps the old one."""
    entity.data = {**entity.data, **{k: str(v) for k, v in (data or {}).items()}}
    if label:
        entity.label = label
    entity.version += 1
    entity.updated_at = utcnow()
    _changed(session, actor, "entity.update", entity)
    return entity


def delete(session, entity, actor=None):
    entity.deleted_at = utcnow()
    _changed(session, actor, "entity.delete", entity)


def restore(session, entity, actor=None):
    entity.deleted_at = None
    _changed(session, actor, "entity.restore", entity)


def purge(session, entity, actor=None):
    """Forget a deleted entity's content; keep the tombstone so phones learn it is gone."""
    entity.purged_at = entity.deleted_at = entity.deleted_at or utcnow()
    entity.label, entity.data = "", {}
    _changed(session, actor, "entity.purge", entity)


def _changed(session, actor, action, entity):
    bump(session, entity.dataset_id)
    record(session, actor, action, f"entity:{entity.uuid}", version=entity.version)
