"""What supervisors do with the register (the JSON API's domain side, checklist 89–92): read
entities and their versions, create one or many (JSON or CSV), update on a base version or
by force, resolve conflicts, delete and restore, and change a list's approval setting. Every
read and change is scoped to the actor's villages: an entity outside them is "not found".
"""
import csv
import io

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.audit.record import record
from app.problems import Problem
from app.projects.models import Area
from app.register import entities, scope
from app.register.datasets import bumps_once
from app.register.lists import visible_to
from app.register.merge import AREA_PROPERTY
from app.register.models import Dataset, Entity, EntityVersion
from app.submissions.models import Submission, SubmissionDef


def datasets(session, project_id):
    return session.scalars(select(Dataset).where(Dataset.project_id == project_id)
                           .order_by(Dataset.name)).all()


def visible(actor, entity):
    return actor.area_ids is None or entity.area_id in actor.area_ids


def entity_list(session, actor, dataset, deleted=False):
    # a merged entity is not in the trash: it lives on in the one it was merged into
    query = select(Entity).where(Entity.dataset_id == dataset.id,
                                 (Entity.deleted_at.is_not(None)
                                  & Entity.merged_into_id.is_(None)) if deleted
                                 else Entity.deleted_at.is_(None)).order_by(Entity.id)
    return session.scalars(visible_to(query, actor)).all()


def version_facts(session, dataset, entity_id=None):
    """{entity id: {"creatorId", "current": facts of its current version}} for a list's
    entities (or one of them): who created each, and who made its current version, when,
    with what user agent and on which base. One query for the whole list."""
    query = (select(EntityVersion.entity_id, EntityVersion.version, Entity.version,
                    EntityVersion.actor_id, EntityVersion.created_at, EntityVersion.base_version,
                    EntityVersion.branch_id, EntityVersion.trunk_version,
                    EntityVersion.branch_base_version, EntityVersion.conflicting_properties,
                    SubmissionDef.user_agent)
             .join(Entity, Entity.id == EntityVersion.entity_id)
             .outerjoin(SubmissionDef, SubmissionDef.id == EntityVersion.submission_def_id)
             .where(Entity.dataset_id == dataset.id,
                    (EntityVersion.version == 1) | (EntityVersion.version == Entity.version)))
    if entity_id is not None:
        query = query.where(Entity.id == entity_id)
    out = {}
    for (eid, number, current, actor_id, created_at, base, branch, trunk, branch_base,
         conflicting, user_agent) in session.execute(query):
        facts = out.setdefault(eid, {})
        if number == 1:
            facts["creatorId"] = actor_id
        if number == current:
            facts["current"] = {
                "current": True, "createdAt": created_at, "creatorId": actor_id,
                # pyodk's model wants a string here; Central's would be null for an entity
                # made through its API
                "userAgent": user_agent or "", "baseVersion": base, "branchId": branch,
                "trunkVersion": trunk, "branchBaseVersion": branch_base,
                "conflictingProperties": conflicting}
    return out


def entity_named(session, actor, dataset, uuid, lock=False):
    """The list's entity with this uuid if the actor may see it, else 404.1. With `lock`, its
    row is locked until the transaction ends (PostgreSQL; SQLite's writers hold the database
    lock anyway), so two changes on one base version are one change and one 409.15, as in
    Central, never two writers of one version."""
    try:
        uuid = entities.normalise_uuid(uuid)
    except ValueError:
        raise Problem("404.1") from None
    query = select(Entity).where(Entity.dataset_id == dataset.id, Entity.uuid == uuid)
    entity = session.scalar(query.with_for_update() if lock else query)
    if entity is None or entity.purged_at is not None or not visible(actor, entity):
        raise Problem("404.1")
    return entity


def lock_all(session, found):
    """Lock several entities' rows, in id order (so two requests naming the same pair the
    other way round wait for each other instead of deadlocking), and read them again.
    PostgreSQL; SQLite's writers are serialised anyway."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Entity.id).where(Entity.id.in_(sorted(e.id for e in found)))
                        .order_by(Entity.id).with_for_update())
        for entity in found:
            session.refresh(entity)
    return found


def merged_into(session, entity):
    """The live entity a merged one now lives on in (following merges of merges), or None."""
    seen = set()
    while entity.merged_into_id is not None and entity.id not in seen:
        seen.add(entity.id)
        entity = session.get(Entity, entity.merged_into_id)
    return None if not seen else entity


def refuse_merged(session, entity):
    """409.282 for a change asked of an entity merged into another: it is changed there."""
    if entity.merged_into_id is not None:
        raise Problem("409.282", {"uuid": entity.uuid,
                                  "into": session.get(Entity, entity.merged_into_id).uuid})


def versions(session, entity):
    """Every version, oldest first, each with what it changed from the one before."""
    rows = session.scalars(select(EntityVersion).where(EntityVersion.entity_id == entity.id)
                           .order_by(EntityVersion.version)).all()
    instance_ids = dict(session.execute(
        select(SubmissionDef.id, SubmissionDef.instance_id).where(
            SubmissionDef.id.in_([v.submission_def_id for v in rows if v.submission_def_id]))).all())
    out, previous = [], None
    for v in rows:
        before = {} if previous is None else {**previous.data, "label": previous.label}
        after = {**v.data, "label": v.label}
        diff = {k: {"old": before.get(k), "new": after.get(k)}
                for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)}
        out.append({"version": v.version, "label": v.label, "data": v.data,
                    "dataReceived": v.received, "baseVersion": v.base_version,
                    "branchId": v.branch_id, "trunkVersion": v.trunk_version,
                    "branchBaseVersion": v.branch_base_version, "conflict": v.conflict,
                    "conflictingProperties": v.conflicting_properties or [], "diff": diff,
                    "source": {"type": v.source,
                               "submission": instance_ids.get(v.submission_def_id)},
                    "createdAt": v.created_at})
        previous = v
    return out


def duplicates(session, actor, entity):
    """The uuids of the entity's open duplicate candidates (app.quality.duplicates) the actor
    may see: a pair with someone in another village is left out, as if it did not exist."""
    from app.quality import duplicates as pairs   # noqa: PLC0415 - quality builds on us
    return [row["b"]["uuid"] if row["a"]["uuid"] == entity.uuid else row["a"]["uuid"]
            for row in pairs.for_entity(session, actor, entity.uuid)
            if row["status"] == "open"]


def _clean(dataset, body, require_label=True):
    if not isinstance(body, dict):
        raise Problem("400.25", {"reason": "an entity must be a JSON object"})
    label = body.get("label", "")
    data = body.get("data") or {}
    if not isinstance(label, str) or not isinstance(data, dict):
        raise Problem("400.25", {"reason": "label must be a string and data an object"})
    if require_label and not label.strip():
        raise Problem("400.25", {"reason": "label is required"})
    known = {p.name for p in dataset.properties}
    unknown = sorted(set(data) - known)
    if unknown:
        raise Problem("400.25", {"reason": f"unknown properties: {', '.join(unknown)}"})
    if any(not isinstance(v, str) for v in data.values()):
        raise Problem("400.25", {"reason": "property values must be strings"})
    return label.strip(), data


def _area_for(session, actor, dataset, data, current=None):
    village = data.get(AREA_PROPERTY)
    if village is not None:
        area = session.scalar(select(Area.id).where(Area.project_id == dataset.project_id,
                                                    Area.code == village))
        if area is None and village:
            raise Problem("400.25", {"reason": f"unknown village {village}"})
    else:
        area = current
    if actor.area_ids is not None and area not in actor.area_ids:
        raise Problem("403.2")
    return area


#: the most entities one request may create: all are made in one transaction, which must
#: end within a worker's timeout (a larger import is sent in parts)
MAX_CREATE = 10_000


def create_many(session, actor, dataset, items, source=None):
    """Create entities from [{uuid?, label, data}] (all or none, at most MAX_CREATE). A bulk
    create names its `source` ({"name", "size"}), kept in its one audit row."""
    if not items:
        raise Problem("400.25", {"reason": "no entities given"})
    if len(items) > MAX_CREATE:
        raise Problem("400.252", {"limit": MAX_CREATE, "count": len(items)})
    made = []
    with bumps_once(session):            # each list and village's revision moves once
        for item in items:
            made.append(_create_one(session, actor, dataset, item))
    if source is not None:
        record(session, actor, "entity.bulk_create", f"dataset:{dataset.id}",
               count=len(made), source=source)
    return made


def _create_one(session, actor, dataset, item):
    """One entity of create_many: checked, in the actor's villages, made."""
    label, data = _clean(dataset, item)
    uuid = item.get("uuid")
    if uuid:
        try:
            uuid = entities.normalise_uuid(uuid)
        except ValueError:
            raise Problem("400.25", {"reason": f"{uuid} is not a UUID"}) from None
        if session.scalar(select(Entity.id).where(Entity.uuid == uuid)) is not None:
            raise Problem("409.3", {"uuid": uuid})
    area = _area_for(session, actor, dataset, data)
    try:
        return entities.create(session, dataset, label, data, uuid, area, actor)
    except IntegrityError:               # the same uuid created at this moment by another
        raise Problem("409.3", {"uuid": uuid}) from None


def rows_from_csv(dataset, text):
    """Central's CSV import: a header of `label` and list properties (and `uuid` if given)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    allowed = {"label", "uuid", "name"} | {p.name for p in dataset.properties}
    if not reader.fieldnames or "label" not in reader.fieldnames:
        raise Problem("400.25", {"reason": "the CSV needs a label column"})
    unknown = sorted(set(reader.fieldnames) - allowed)
    if unknown:
        raise Problem("400.25", {"reason": f"unknown columns: {', '.join(unknown)}"})
    items = []
    for row in reader:
        if None in row:
            raise Problem("400.25", {"reason": f"row {reader.line_num} has more cells than the header"})
        if any("\x00" in (v or "") for v in row.values()):
            raise Problem("400.25", {"reason": f"row {reader.line_num} holds a NUL character"})
        uuid = row.pop("uuid", None) or row.pop("name", None)
        label = row.pop("label", "")
        items.append({"label": label or "", "data": {k: v or "" for k, v in row.items()},
                      **({"uuid": uuid} if uuid else {})})
    return items


def change(session, actor, dataset, entity, body, base_version=None, force=False, resolve=False):
    """PATCH: update label/properties on the current version (or by force), and/or resolve."""
    refuse_merged(session, entity)
    if entity.deleted_at is not None:
        raise Problem("404.1")
    if not force:
        if base_version is None or str(base_version) != str(entity.version):
            raise Problem("409.15", {"current": entity.version, "base": base_version})
    label, data = _clean(dataset, body or {}, require_label=False)
    if resolve and entity.conflict is None:
        raise Problem("400.32")
    if label or data:
        area = _area_for(session, actor, dataset, data, entity.area_id)
        entities.update(session, entity, label or None, data, actor, area_id=area, dataset=dataset)
    if resolve:
        entities.resolve(session, entity, actor)
    return entity


def pending_approval(session, dataset):
    """Submissions waiting for approval whose forms create entities in this list; not those
    held for reaching outside their sender's villages, which wait for that village's
    supervisor whatever the list's policy (app.register.scope)."""
    from app.forms.models import FormVersion   # noqa: PLC0415
    version_ids = [v.id for v in session.scalars(select(FormVersion))
                   if any(b.get("dataset") == dataset.name and b.get("create")
                          for b in (v.entities or []))]
    if not version_ids:
        return []
    rows = session.execute(select(Submission, SubmissionDef.issues).join(
        SubmissionDef, (SubmissionDef.submission_id == Submission.id) & SubmissionDef.current.is_(True))
        .where(SubmissionDef.form_version_id.in_(version_ids), Submission.deleted_at.is_(None),
               func.coalesce(Submission.review_state, "") .in_(["", "hasIssues", "edited"]))).all()
    return [s for s, issues in rows
            if not any(i.get("code") == scope.ISSUE for i in issues or [])]


def set_approval(session, actor, dataset, required, convert=None):
    """Item 82: turning approval off with submissions waiting needs convert=true|false."""
    from app.register.step import merge_approved   # noqa: PLC0415
    if dataset.approval_required and not required:
        waiting = pending_approval(session, dataset)
        if waiting and convert is None:
            raise Problem("400.29", {"count": len(waiting)})
        dataset.approval_required = False
        session.flush()
        if convert:
            for submission in waiting:
                merge_approved(session, submission, actor)
    else:
        dataset.approval_required = required
    return dataset
