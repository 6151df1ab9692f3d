"""Conflicts: the register's entities a supervisor must look at, both sides of each, and
their resolution in one step.

- queue(): one list across entity lists of the entities flagged with a conflict
  (entities.conflict: `soft`, a change made on an older version; `hard`, one that changed a
  property someone else had changed since) and of the offline updates held in the backlog
  for their predecessor; oldest first, keyset-paged on (time, source, id).
- conflict(): one entity's conflict as a per-property table: the base version the first
  conflicting change was made on, what each later version sent (its source, who, when) and
  the current value. The versions that belong to the conflict are those after the last
  resolution (the `entity.resolve` audit row keeps the version it resolved).
- resolve(): the values chosen per property, written with the register's own
  app.register.service.change on the version the page showed, with resolve=True: a change
  made meanwhile is refused (409.133), never overwritten.

Plain data out; village scope applied here (an entity outside the person's villages is 404).
"""
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, or_, select

from app.audit.models import AuditEvent
from app.console.actors import names as actor_names
from app.forms.models import Form
from app.problems import Problem
from app.projects.models import Area
from app.register import entities as register_entities
from app.register import service
from app.register.models import Dataset, Entity, EntityBacklog, EntityVersion
from app.submissions.models import Submission

PAGE = 25
#: held offline updates read from the backlog at a time
HELD_BATCH = 200
KINDS = ("soft", "hard", "held")
#: the longest value a person may type for one property
VALUE_LIMIT = 2000
LABEL = "label"


@dataclass(frozen=True)
class Row:
    """One line of the queue: an entity with a conflict, or a held offline update."""
    kind: str                  # soft | hard | held
    label: str
    list_name: str
    area_id: int | None
    since: datetime
    entity: str | None         # the entity's uuid (None: a held create not yet applied)
    submission_id: int | None  # a held update's submission
    exists: bool = True


@dataclass(frozen=True)
class Queue:
    rows: list
    after: str | None          # the cursor of the next page (None: this is the last)
    villages: dict             # area id -> (name_zh, name_en)


@dataclass(frozen=True)
class Side:
    """One version after the base: what it sent and where it came from."""
    version: int
    source: str                # submission | api | backlog
    submission_id: int | None
    who: str
    who_kind: str | None       # app_user | user | None (the system)
    at: datetime
    base_version: int | None
    offline: bool
    conflict: str | None
    conflicting: tuple
    received: dict


@dataclass(frozen=True)
class Choice:
    value: str
    sides: tuple               # version numbers sending it; 0 = the base
    current: bool


@dataclass(frozen=True)
class PropertyRow:
    name: str
    base: str | None
    values: tuple              # per side: the value it sent, or None (not sent)
    current: str
    conflicting: bool
    choices: tuple


@dataclass(frozen=True)
class Held:
    submission_id: int
    held_at: datetime


@dataclass(frozen=True)
class Detail:
    uuid: str
    label: str
    list_name: str
    village: tuple             # (name_zh, name_en) or None
    version: int
    conflict: str | None
    base_version: int | None
    since: datetime | None
    sides: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    held: list = field(default_factory=list)


# ---------------------------------------------------------------- the queue

def _cursor(row_time, source, row_id):
    return f"{row_time.isoformat()}~{source}~{row_id}"


def _parse_cursor(after):
    try:
        moment, source, row_id = after.split("~")
        moment, row_id = datetime.fromisoformat(moment), int(row_id)
        if source not in ("e", "h") or moment.tzinfo is not None or not 0 <= row_id < 2**63:
            raise ValueError(source)      # never one of ours (a database would refuse it: 500)
        return moment, source, row_id
    except (ValueError, AttributeError):
        raise Problem("400.133") from None


def _after(column, id_column, source, cursor):
    """Rows after the cursor in the queue's order: time, then entities before held items,
    then id."""
    moment, at_source, at_id = cursor
    later = column > moment
    if source == "e":
        same = and_(column == moment, id_column > at_id) if at_source == "e" else None
    else:
        same = column == moment if at_source == "e" else and_(column == moment,
                                                              id_column > at_id)
    return later if same is None else or_(later, same)


def queue(session, actor, project_id, area_ids, kind=None, after=None, list_name=None,
          limit=PAGE):
    """The queue in the villages `area_ids` (None: every one; scope.villages chose them
    within the actor's), of one kind or all, of one list or all; `after`: a cursor from the
    previous page."""
    cursor = _parse_cursor(after) if after else None
    lists = dict(session.execute(select(Dataset.id, Dataset.name)
                                 .where(Dataset.project_id == project_id)).all())
    if list_name is not None:
        lists = {k: v for k, v in lists.items() if v == list_name}
    found = []
    if kind in (None, "soft", "hard") and lists:
        found += _conflicted(session, lists, area_ids, kind, cursor, limit + 1)
    if kind in (None, "held"):
        found += _held(session, project_id, lists, list_name, area_ids, cursor, limit + 1)
    found.sort(key=lambda r: (r[0], r[1], r[2]))
    page, more = found[:limit], len(found) > limit
    rows = _with_since(session, [r[3] for r in page])
    names = dict((a.id, (a.name_zh or a.code, a.name_en or a.code)) for a in session.execute(
        select(Area.id, Area.code, Area.name_zh, Area.name_en)
        .where(Area.id.in_({r.area_id for r in rows if r.area_id is not None}))))
    last = page[-1] if more else None
    return Queue(rows, _cursor(*last[:3]) if last else None, names)


def _conflicted(session, lists, area_ids, kind, cursor, limit):
    moment = func.coalesce(Entity.updated_at, Entity.created_at)
    # `dataset_id + 0` keeps SQLite off the index on the list (its documented "unary +"
    # idiom): its planner would read every entity of each list instead of the flagged ones'
    # partial index (ix_entities_conflict; docs/console.md, "Speed")
    query = (select(Entity.id, Entity.uuid, Entity.label, Entity.conflict, Entity.area_id,
                    Entity.dataset_id, moment.label("moment"))
             .where((Entity.dataset_id + 0).in_(lists), Entity.conflict.is_not(None),
                    Entity.deleted_at.is_(None)))
    if kind is not None:
        query = query.where(Entity.conflict == kind)
    if area_ids is not None:
        query = query.where(Entity.area_id.in_(area_ids))
    if cursor is not None:
        query = query.where(_after(moment, Entity.id, "e", cursor))
    query = query.order_by(moment, Entity.id).limit(limit)
    return [(r.moment, "e", r.id, Row(r.conflict, r.label, lists[r.dataset_id], r.area_id,
                                       r.moment, r.uuid, None))
            for r in session.execute(query)]


def _held(session, project_id, lists, list_name, area_ids, cursor, limit):
    """Held offline updates after the cursor, in order, read in batches from the backlog
    alone (a small table) and their submissions and entities then looked up by key: joined
    in one statement, a planner may start from the submissions and read them all."""
    forms = set(session.scalars(select(Form.id).where(Form.project_id == project_id)))
    out, position = [], cursor
    while len(out) < limit:
        query = select(EntityBacklog.id, EntityBacklog.entity_uuid, EntityBacklog.submission_id,
                       EntityBacklog.held_at).order_by(EntityBacklog.held_at, EntityBacklog.id)
        if position is not None:
            query = query.where(_after(EntityBacklog.held_at, EntityBacklog.id, "h", position))
        batch = session.execute(query.limit(HELD_BATCH)).all()
        submissions = {i: (form, area) for i, form, area in session.execute(
            select(Submission.id, Submission.form_id, Submission.area_id)
            .where(Submission.id.in_({b.submission_id for b in batch})))}
        found = {u: (label, dataset, area) for u, label, dataset, area in session.execute(
            select(Entity.uuid, Entity.label, Entity.dataset_id, Entity.area_id)
            .where(Entity.uuid.in_({b.entity_uuid for b in batch})))}
        for b in batch:
            form, area = submissions.get(b.submission_id, (None, None))
            label, dataset, entity_area = found.get(b.entity_uuid, ("", None, None))
            area = entity_area if dataset is not None else area
            if form not in forms or (area_ids is not None and area not in area_ids) or (
                    list_name is not None and dataset not in lists):
                continue
            out.append((b.held_at, "h", b.id, Row("held", label, lists.get(dataset, ""), area,
                                                  b.held_at, b.entity_uuid, b.submission_id,
                                                  exists=dataset is not None)))
        if len(batch) < HELD_BATCH:
            break
        position = (batch[-1].held_at, "h", batch[-1].id)
    return out[:limit]


def _with_since(session, rows):
    """Entity rows' `since`: when their unresolved conflict began (the page's rows only)."""
    uuids = [r.entity for r in rows if r.kind != "held"]
    if not uuids:
        return rows
    resolved = _resolved(session, uuids)
    began = {}
    for uuid, version, created_at in session.execute(
            select(Entity.uuid, EntityVersion.version, EntityVersion.created_at)
            .join(EntityVersion, EntityVersion.entity_id == Entity.id)
            .where(Entity.uuid.in_(uuids), EntityVersion.conflict.is_not(None))
            .order_by(EntityVersion.version)):
        if version > resolved.get(uuid, 0) and uuid not in began:
            began[uuid] = created_at
    return [Row(r.kind, r.label, r.list_name, r.area_id, began.get(r.entity, r.since),
                r.entity, r.submission_id, r.exists) if r.kind != "held" else r for r in rows]


def _resolved(session, uuids):
    """{uuid: the last version a person resolved} (the `entity.resolve` audit rows, indexed
    by action; resolutions are few)."""
    out = {}
    targets = {f"entity:{u}": u for u in uuids}
    for target, details in session.execute(
            select(AuditEvent.target, AuditEvent.details)
            .where(AuditEvent.action == "entity.resolve", AuditEvent.target.in_(targets))):
        version = (details or {}).get("version") or 0
        uuid = targets[target]
        out[uuid] = max(out.get(uuid, 0), version)
    return out


# ---------------------------------------------------------------- one conflict

def _entity(session, actor, project_id, uuid, lock=False):
    """The entity and its list, or 404: unknown, deleted, or outside the actor's villages."""
    try:
        uuid = register_entities.normalise_uuid(uuid)
    except ValueError:
        raise Problem("404.1") from None
    query = (select(Entity, Dataset).join(Dataset, Dataset.id == Entity.dataset_id)
             .where(Entity.uuid == uuid, Dataset.project_id == project_id))
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Entity)
    found = session.execute(query).first()
    if found is None:
        raise Problem("404.1")
    entity, dataset = found
    if entity.deleted_at is not None or not actor.sees_area(entity.area_id):
        raise Problem("404.1")
    return entity, dataset


def conflict(session, actor, project_id, uuid):
    """One entity's conflict, both (or all) sides (Detail). An entity without a conflict is
    shown as such (no sides)."""
    entity, dataset = _entity(session, actor, project_id, uuid)
    village = session.execute(select(Area.name_zh, Area.name_en, Area.code)
                              .where(Area.id == entity.area_id)).first()
    held = [Held(s, at) for s, at in session.execute(
        select(EntityBacklog.submission_id, EntityBacklog.held_at)
        .where(EntityBacklog.entity_uuid == entity.uuid).order_by(EntityBacklog.held_at))]
    head = dict(uuid=entity.uuid, label=entity.label, list_name=dataset.name,
                village=(village[0] or village[2], village[1] or village[2]) if village else None,
                version=entity.version, conflict=entity.conflict, held=held)
    if entity.conflict is None:
        return Detail(base_version=None, since=None, **head)
    versions = session.scalars(select(EntityVersion).where(EntityVersion.entity_id == entity.id)
                               .order_by(EntityVersion.version)).all()
    resolved = _resolved(session, [entity.uuid]).get(entity.uuid, 0)
    open_ = [v for v in versions if v.version > resolved and v.conflict]
    first = open_[0] if open_ else versions[-1]
    bases = [v.base_version for v in open_ if v.base_version]
    base_number = min(bases) if bases else (first.version - 1 or None)
    base = next((v for v in versions if v.version == base_number), None)
    later = [v for v in versions if base is None or v.version > base.version]
    sides = _sides(session, later)
    current = {**entity.data, LABEL: entity.label}
    rows = _rows(dataset, base, sides, current)
    return Detail(base_version=base.version if base else None, since=first.created_at,
                  sides=sides, rows=rows, **head)


def _sides(session, versions):
    names = actor_names(session, {(v.actor_kind, v.actor_id) for v in versions})
    return [Side(v.version, v.source, v.submission_id,
                 names.get((v.actor_kind, v.actor_id), ""), v.actor_kind, v.created_at,
                 v.base_version, v.branch_id is not None, v.conflict,
                 tuple(v.conflicting_properties or ()), dict(v.received or {}))
            for v in versions]


def _rows(dataset, base, sides, current):
    """One row per property some side changed (the label first, then the list's order)."""
    before = {**base.data, LABEL: base.label} if base is not None else {}
    order = [LABEL] + [p.name for p in dataset.properties]
    sent = set().union(*(s.received for s in sides)) if sides else set()
    conflicting = set().union(*(s.conflicting for s in sides)) if sides else set()
    names = [n for n in order if n in sent] + sorted(sent - set(order))
    rows = []
    for name in names:
        values = tuple(s.received.get(name) for s in sides)
        old = before.get(name) if base is not None else None
        if base is not None and name not in conflicting and all(
                v is None or v == old for v in values) and current.get(name, "") == (old or ""):
            continue               # sent again unchanged: nothing to choose
        rows.append(PropertyRow(name, old, values, current.get(name, ""), name in conflicting,
                                _choices(base, old, sides, values, current.get(name, ""))))
    return rows


def _choices(base, old, sides, values, now):
    """The distinct values a person may keep: the current one first, then each side's, then
    the base's."""
    found = {now: [], }
    for side, value in zip(sides, values):
        if value is not None:
            found.setdefault(value, []).append(side.version)
    if base is not None and old is not None:
        found.setdefault(old, []).append(0)
    return tuple(Choice(value, tuple(versions), value == now) for value, versions in found.items())


# ---------------------------------------------------------------- resolving

def picks(form):
    """{property: value} from a resolve form's fields: `pick.<name>` = "value:<text>" (a
    side's value) or "typed" (then `typed.<name>`); a value typed while another is chosen
    is refused. Other fields are ignored."""
    out = {}
    for key, choice in form.items():
        if not key.startswith("pick."):
            continue
        name = key[5:]
        typed = form.get(f"typed.{name}", "")
        if choice == "typed":
            value = typed
        elif isinstance(choice, str) and choice.startswith("value:"):
            if typed:             # typed, then another value chosen: never guess which
                raise Problem("400.132", {"name": name})
            value = choice[6:]
        else:
            raise Problem("400.131", {"name": name})
        if not isinstance(value, str) or len(value) > VALUE_LIMIT or "\x00" in value:
            raise Problem("400.131", {"name": name})
        out[name] = value
    return out


def resolve(session, actor, project_id, uuid, version, chosen):
    """Write the chosen values (only those that differ from the current ones) and mark the
    conflict resolved, on the version the person saw. Returns the entity's version after."""
    entity, dataset = _entity(session, actor, project_id, uuid, lock=True)
    if version != entity.version:
        raise Problem("409.133", {"base": version, "current": entity.version})
    if entity.conflict is None:
        raise Problem("409.131")
    known = {p.name for p in dataset.properties}
    unknown = sorted(set(chosen) - known - {LABEL})
    if unknown:
        raise Problem("400.131", {"name": ", ".join(unknown)})
    label = chosen.get(LABEL, "").strip()
    if label == entity.label:
        label = ""
    data = {k: v for k, v in chosen.items() if k != LABEL and entity.data.get(k, "") != v}
    try:
        service.change(session, actor, dataset, entity, {"label": label, "data": data},
                       base_version=version, resolve=True)
    except Problem as e:
        if e.code == "409.15":
            raise Problem("409.133", {"base": version, "current": entity.version}) from None
        raise
    return entity.version
