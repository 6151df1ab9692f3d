"""Entity lists at publish time: create the lists and properties a form declares, and link the
form's `<list>.csv` attachments to lists of that name, so phones get the live register."""
from contextlib import contextmanager

from sqlalchemy import bindparam, column, func, select, text, update

from app.db.columns import utcnow
from app.db.driver_sql import DriverStatement
from app.problems import Problem
from app.register.models import AreaRevision, Dataset, DatasetProperty, Entity


def declare(session, project_id, blocks):
    """Create missing datasets and properties for the form's entity blocks. Returns datasets."""
    found = []
    for block in blocks:
        dataset = session.scalar(select(Dataset).where(Dataset.project_id == project_id,
                                                       Dataset.name == block["dataset"]))
        if dataset is None:
            clash = session.scalar(select(Dataset.name).where(
                Dataset.project_id == project_id,
                func.lower(Dataset.name) == block["dataset"].lower()))
            if clash:
                raise Problem("409.16", {"name": "form", "what": "list",
                                         "value": block["dataset"], "existing": clash})
        else:
            existing = {p.name.lower(): p.name for p in dataset.properties}
            for prop in block["properties"]:
                if prop.lower() in existing and existing[prop.lower()] != prop:
                    raise Problem("409.16", {"name": "form", "what": "property", "value": prop,
                                             "existing": existing[prop.lower()]})
        if dataset is None:
            dataset = Dataset(project_id=project_id, name=block["dataset"])
            session.add(dataset)
            session.flush()
            _link_waiting(session, dataset)
        known = {p.name for p in dataset.properties}
        new = [p for p in dict.fromkeys(block["properties"]) if p not in known]
        for i, name in enumerate(new, start=len(known)):
            dataset.properties.append(DatasetProperty(name=name, position=i,
                                                      published_at=utcnow()))
        if new:
            bump(session, dataset.id, schema=True)
        found.append(dataset)
    session.flush()
    return found


def link_lists(session, project_id, attachments):
    """Point every expected `<name>.csv` attachment at the project's list `<name>`, if any."""
    for attachment in attachments:
        if attachment.name.endswith(".csv") and attachment.dataset_id is None:
            attachment.dataset_id = session.scalar(select(Dataset.id).where(
                Dataset.project_id == project_id, Dataset.name == attachment.name[:-4]))


def _link_waiting(session, dataset):
    """Link `<list>.csv` attachments published before the list existed (a form that only reads
    the register, such as benefit_payment, may be published before the forms that declare it)."""
    from app.forms.models import Form, FormAttachment, FormVersion  # noqa: PLC0415 - cycle
    versions = select(FormVersion.id).join(Form, Form.id == FormVersion.form_id).where(
        Form.project_id == dataset.project_id)
    session.execute(update(FormAttachment).where(
        FormAttachment.name == f"{dataset.name}.csv", FormAttachment.dataset_id.is_(None),
        FormAttachment.blob_sha256.is_(None), FormAttachment.form_version_id.in_(versions),
    ).values(dataset_id=dataset.id).execution_options(synchronize_session=False))


_D, _E = Dataset.__table__, Entity.__table__
#: A block's list by project and name (p, n), and the id of an entity with the block's uuid (u)
#: if one exists: what the merge looks up first for every entity block, in one statement.
LIST_AND_ENTITY = select(
    _D.c.id, _D.c.project_id, _D.c.name, _D.c.approval_required,
    select(_E.c.id).where(_E.c.uuid == bindparam("u")).scalar_subquery().label("existing_id"),
).where(_D.c.project_id == bindparam("p"), _D.c.name == bindparam("n"))

_PENDING = "doorstep.pending_bumps"


@contextmanager
def bumps_once(session):
    """Within this block bump() only notes which lists and villages changed; leaving it
    without an error moves each of them once. A home visit changes a household and every
    member: one step per list and village instead of two statements per entity."""
    if _PENDING in session.info:          # nested: the outer block does the work
        yield None
        return
    pending = session.info[_PENDING] = {}
    try:
        yield pending                     # clear it to drop what was noted
    finally:
        del session.info[_PENDING]
    for dataset_id, (area_ids, schema) in pending.items():
        bump(session, dataset_id, area_ids, schema)


def bump(session, dataset_id, area_ids=(), schema=False):
    """Move the list's revision, and that of each village whose rows changed (None: rows
    without a village); with schema=True (a property added) every phone's hash moves. Done in
    SQL (revision = revision + 1), so concurrent changes never lose a step."""
    pending = session.info.get(_PENDING)
    if pending is not None:
        areas, was_schema = pending.get(dataset_id, (set(), False))
        pending[dataset_id] = (areas | set(area_ids), was_schema or schema)
        return
    connection = session.connection()
    keys = sorted({a or 0 for a in area_ids})
    if not schema and len(keys) == 1 and connection.dialect.name == "postgresql":
        # the common case (one village) in one round trip
        connection.execute(_BOTH_BUMPS, {"d": dataset_id, "k": keys[0]})
        return
    (_SCHEMA_BUMP if schema else _BUMP).run(session, {"d": dataset_id})
    for key in keys:                     # one or two villages: no executemany machinery
        _AREA_BUMP_ON_DRIVER.run(session, {"d": dataset_id, "k": key})


def list_bump_sql(which="id = :d", schema=False):
    """The one statement that moves a list's revision (and, with `schema`, its schema
    revision): the list `which` names, :d by default."""
    also = ", schema_revision = schema_revision + 1" if schema else ""
    return (f"UPDATE {Dataset.__tablename__} SET revision = revision + 1{also} "
            f"WHERE {which}")


def village_bump_sql(rows="VALUES (:d, :k, 1)"):
    """The one statement that moves a village's revision in a list: an upsert of the
    (list, village key, 1) `rows` give, :d and :k by default."""
    table = AreaRevision.__tablename__
    return (f"INSERT INTO {table} (dataset_id, area_key, revision) {rows} "
            f"ON CONFLICT (dataset_id, area_key) DO UPDATE SET revision = {table}.revision + 1")


# Written as SQL, which both dialects share: SQLAlchemy's on_conflict_do_update() constructs
# have no cache key, so they would be compiled afresh on every submission, inside the write
# lock (docs/performance-history.md, "The write lock, the worker shape and the entity path").
_BUMP = DriverStatement(text(list_bump_sql()))
_SCHEMA_BUMP = DriverStatement(text(list_bump_sql(schema=True)))
_AREA_BUMP = text(village_bump_sql())
_AREA_BUMP_ON_DRIVER = DriverStatement(_AREA_BUMP)

#: PostgreSQL: the list's revision and one village's in one statement (a data-modifying CTE),
#: one round trip less on every one-village change (docs/performance-history.md, "9 → 7
#: round trips per entity submission": 291 → 415 submissions/s in its first pair)
_BOTH_BUMPS = text(f"WITH list AS ({list_bump_sql()}) {village_bump_sql()}")


def bump_ctes():
    """PostgreSQL: the two revision moves of _BOTH_BUMPS as CTEs (parameters d and k), to add
    in front of a statement that is sent anyway (see take_one_bump)."""
    return (text(list_bump_sql()).columns(column("d")).cte("list_revision"),
            text(village_bump_sql()).columns(column("d")).cte("village_revision"))


def take_one_bump(session):
    """Inside bumps_once: when what it has noted is one list in one village (a submission
    that created or changed one entity), take it out and return (list id, village key), for
    the caller to move both revisions in a statement it sends anyway; else None."""
    pending = session.info.get(_PENDING)
    if not pending or len(pending) != 1:
        return None
    ((dataset_id, (area_ids, schema)),) = pending.items()
    keys = {a or 0 for a in area_ids}
    if schema or len(keys) != 1:
        return None
    del pending[dataset_id]
    return dataset_id, keys.pop()
