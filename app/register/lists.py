"""Entity lists as phones see them: the manifest change token, the CSV, the integrity states.

The CSV (checklist item 86) has `name,label,__version` then one column per property, one row
per live entity the phone's user may see (her villages), newest first. Its property columns
are only those the forms she may download read (forms.list_reads, stored with each version
at publish): the union over those forms, so every form on her phone sees the same columns
(Collect keeps one copy of each list, shared by its forms). Its manifest hash is a change
token, not the CSV's MD5 (as Central): it moves with the list's revision and its columns, and
differs per village scope, so a cached copy for one worker is never taken for another's.
"""
import csv
import hashlib
import io

from sqlalchemy import bindparam, select

from app.audit.record import record
from app.db.driver_sql import DriverStatement
from app.forms.list_reads import EVERY
from app.forms.models import Form, FormVersion
from app.problems import Problem
from app.register.models import AreaRevision, Dataset, Entity, EntityVersion


def dataset_named(session, project_id, name):
    dataset = session.scalar(select(Dataset).where(Dataset.project_id == project_id,
                                                   Dataset.name == name))
    if dataset is None:
        raise Problem("404.1")
    return dataset


def list_columns(session, dataset, actor):
    """The list's properties, in the list's order, that the current versions of the forms
    this actor may download read; every property when one of them reads them all, or was
    published before what forms read was kept (list_reads NULL)."""
    attachment = f"{dataset.name}.csv"
    wanted = set()
    for form_id, state, reads in _FORM_READS.rows(session, {"p": dataset.project_id}):
        if not actor.sees_form(form_id) or (state == "closed" and actor.kind == "app_user"):
            continue
        columns = _read_by(reads, attachment)
        if columns == EVERY:
            return [p.name for p in dataset.properties]
        wanted.update(columns)
    return [p.name for p in dataset.properties if p.name in wanted]


def columns_read_by(dataset, reads):
    """The list's properties, in the list's order, that one form version reads (`reads`: its
    list_reads; None, published before they were kept: every property)."""
    columns = _read_by(reads, f"{dataset.name}.csv")
    return [p.name for p in dataset.properties if columns == EVERY or p.name in columns]


def _read_by(reads, attachment):
    return EVERY if reads is None else reads.get(attachment, ())


#: what each form's current version reads, for list_columns (a handful of rows per project);
#: on the driver's cursor, as it runs for every list in every manifest a phone asks for
_FORM_READS = DriverStatement(
    select(Form.id, Form.state, FormVersion.list_reads)
    .join(FormVersion, FormVersion.id == Form.current_version_id)
    .where(Form.project_id == bindparam("p")))


def list_hash(session, dataset, actor, columns=None):
    """The change token of the list as this actor sees it: the whole list's revision for town
    staff; for a village worker, the revisions of her villages' rows only (and the list's
    columns), so a change in another village leaves her hash, and her phone, alone. The
    columns her forms read are part of it: a form that reads one more moves it."""
    if columns is None:
        columns = list_columns(session, dataset, actor)
    if actor.area_ids is None:
        token = f"{dataset.id}:{dataset.revision}:all"
    else:
        keys = sorted(actor.area_ids)
        revisions = dict(session.execute(
            select(AreaRevision.area_key, AreaRevision.revision)
            .where(AreaRevision.dataset_id == dataset.id, AreaRevision.area_key.in_(keys))).all())
        scope = ",".join(f"{k}={revisions.get(k, 0)}" for k in keys)
        token = f"{dataset.id}:{dataset.schema_revision}:{scope}"
    return hashlib.md5(f"{token}:{','.join(columns)}".encode()).hexdigest()


def visible_to(query, actor):
    """Limit an Entity query to the actor's villages (none for town-level staff)."""
    if actor.area_ids is not None:
        query = query.where(Entity.area_id.in_(actor.area_ids))
    return query


def entity_csv(session, dataset, actor, columns=None):
    return list_csv(session, dataset, actor, columns)[0]


def list_csv(session, dataset, actor, columns=None):
    """(the CSV text, how many entity rows it holds)."""
    props = list_columns(session, dataset, actor) if columns is None else columns
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "label", "__version", *props])
    query = visible_to(select(Entity.uuid, Entity.label, Entity.version, Entity.data)
                     .where(Entity.dataset_id == dataset.id, Entity.deleted_at.is_(None))
                     .order_by(Entity.id.desc()), actor)
    rows = 0
    for uuid, label, version, data in session.execute(query):
        writer.writerow([uuid, label, version, *(data.get(p, "") for p in props)])
        rows += 1
    return out.getvalue(), rows


def record_download(session, actor, dataset_id, rows, columns):
    """The audit event of a list served in full to a person's phone or client (a 304 serves
    nothing and is not one): the same action as the JSON API's list read, with the property
    columns it disclosed."""
    record(session, actor, "entity.list", f"dataset:{dataset_id}", count=rows, route="openrosa",
           columns=columns)


def deleted_states(session, dataset, actor, uuids):
    """{uuid: True|False} for the requested ids the actor may know of: those in her villages
    (deleted or purged: True), and those she wrote herself (created or changed: they were on
    her phone) that have left her villages since (True, so her phone drops them). Every other
    id is left out, as Central leaves out ids it never saw: an id of another village answers
    exactly as an unknown one. Answering True for unknown ids instead would make Collect
    delete the entities it created offline and has not sent yet (Collect's
    cleanUpDeletedOfflineEntities asks about exactly those)."""
    wanted = [u.strip().lower() for u in uuids if u.strip()]
    if not wanted:
        return {}
    rows = session.execute(select(Entity.id, Entity.uuid, Entity.deleted_at, Entity.area_id)
                           .where(Entity.dataset_id == dataset.id, Entity.uuid.in_(wanted))).all()
    if actor.area_ids is None:
        return {uuid: deleted_at is not None for _id, uuid, deleted_at, _area in rows}
    # A restricted actor never sees rows without a village (the same rule as the CSV).
    hidden = [entity_id for entity_id, _u, _d, area_id in rows if area_id not in actor.area_ids]
    written = set(session.scalars(
        select(EntityVersion.entity_id).distinct().where(
            EntityVersion.entity_id.in_(hidden), EntityVersion.actor_kind == actor.kind,
            EntityVersion.actor_id == actor.id))) if hidden else set()
    return {uuid: deleted_at is not None or area_id not in actor.area_ids
            for entity_id, uuid, deleted_at, area_id in rows
            if area_id in actor.area_ids or entity_id in written}
