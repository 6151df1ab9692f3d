"""Merging submissions into the register, with ODK Central's Entities semantics
(openrosa-entities.md §2.3–2.7, checklist 67–85), inside intake's transaction.

merge_submission(session, ref) reads the submission's `meta/entity` blocks (one per scope:
the form, a group, or each repeat instance; entities-version 2025.1) and applies them all or
none: create; update on a baseVersion (properties present overwrite, absent ones stay, a blank
label keeps the old one, version = current + 1); create-or-update when both flags are set. An
update based on an older version is applied and marks the entity: `soft`, or `hard` when it
changes a property the server changed since its base to something else. Offline branches
(branchId / trunkVersion) find their base on the branch; when the predecessor has not arrived
the submission is held in the backlog and replayed as soon as it lands, or forced after a
timeout (process_backlog). Every applied change becomes an entity version pointing at its
submission; the merge is journaled for rebuilds.

Concurrency: each entity row is locked (SELECT … FOR UPDATE on PostgreSQL; SQLite's writes are
serialised by its write lock), and (entity, version) is unique, so two workers never both
write version N.
"""
import datetime as dt
import re
import uuid as uuidlib
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import undefer

from app import safexml
from app.audit.record import record
from app.auth.actors import area_scope
from app.db.columns import utcnow
from app.db.driver_sql import DriverStatement
from app.events import record as life
from app.forms.entity_spec import read_entities
from app.forms.models import FormVersion
from app.projects.models import Area
from app.register import datasets, entities, scope
from app.register import rows as register_rows
from app.register.models import Entity, EntityBacklog, EntityMerge, EntityVersion
from app.submissions import rows

XF = "http://www.w3.org/2002/xforms"
H = "http://www.w3.org/1999/xhtml"
BACKLOG_DAYS = 5
AUTO_LABEL = "auto generated"
AREA_PROPERTY = "village"
_INSERT_EVENT = register_rows.INSERT_JOURNAL
_ANY_HELD = select(EntityBacklog.__table__.c.id).limit(1)
_IS_ANY_HELD = DriverStatement(_ANY_HELD)
#: PostgreSQL: journal the merge and ask whether anything waits in the backlog, in one
#: statement (a data-modifying CTE runs whether or not the query reads it)
_JOURNAL_AND_PROBE = _ANY_HELD.add_cte(_INSERT_EVENT.statement.cte("journal"))
_EVENT_THEN_ANY_HELD = DriverStatement(_JOURNAL_AND_PROBE)
#: … and move the list's and one village's revisions too (datasets.take_one_bump): the
#: merge's last statement carries them, one round trip less (docs/performance-history.md,
#: "PostgreSQL: 9 → 7 round trips per entity submission")
_EVENT_BUMPS_THEN_ANY_HELD = DriverStatement(_JOURNAL_AND_PROBE.add_cte(*datasets.bump_ctes()))
_V4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


class MergeError(Exception):
    """One entity block that cannot be applied: a Central problem code and a message."""

    def __init__(self, code, message):
        super().__init__(f"{code} {message}")
        self.code, self.message = code, message


class Outside(MergeError):
    """A block that would change a village outside the sender's (app.register.scope)."""

    def __init__(self, path, area_id):
        super().__init__("403.52", f"village {area_id} is outside the sender's villages")
        self.path, self.area_id = path, area_id


class MergeFailed(Exception):
    """The submission's entity changes were all rolled back; `errors` says why, per block."""

    def __init__(self, errors):
        super().__init__("; ".join(f"{path}: {e.code} {e.message}" for path, e in errors))
        self.errors = errors

    def outside(self):
        """[(block path, area id)] of the blocks refused for their village, if any."""
        return [(e.path, e.area_id) for _path, e in self.errors if isinstance(e, Outside)]


class Held(Exception):
    """An offline update whose base has not arrived: wait in the backlog for it."""

    def __init__(self, entity_uuid, branch_id, base_version):
        super().__init__(f"waiting for {branch_id or entity_uuid} @ {base_version}")
        self.entity_uuid, self.branch_id, self.base_version = entity_uuid, branch_id, base_version


@dataclass
class SubmissionRef:
    """What the merge needs to know about one submission version."""
    project_id: int
    submission_id: int
    def_id: int
    version_id: int
    root: object                       # the instance (lxml element)
    area_id: int = None
    version_md5: str = None
    approved: bool = False
    actor: object = None
    #: the villages this merge may change (app.register.scope); None: every one
    scope: frozenset = None
    submitter: tuple = None            # (kind, id) of who sent it


@dataclass
class Block:
    path: str
    dataset: str
    raw_id: str
    create: bool
    update: bool
    base_version: str
    trunk_version: str
    branch_id: str
    label: str
    data: dict = field(default_factory=dict)


def _truthy(value):
    return (value or "").strip().lower() in ("1", "true")


_SPECS = {}


def form_blocks(session, version_id, md5=None):
    """The entity declarations of a form version (stored at publish; read from the XForm for
    versions published before the questions' paths were kept). A version never changes, so
    with its md5 (intake knows it) they are kept for the life of the process."""
    if md5 is not None and (version_id, md5) in _SPECS:
        return _SPECS[(version_id, md5)]
    spec = _form_blocks(session, version_id)
    if md5 is not None:
        if len(_SPECS) > 256:
            _SPECS.clear()
        _SPECS[(version_id, md5)] = spec
    return spec


def _form_blocks(session, version_id):
    entities_spec = session.scalar(select(FormVersion.entities).where(FormVersion.id == version_id)) or []
    if all("fields" in b for b in entities_spec):
        return entities_spec
    xml = session.scalar(select(FormVersion.xml).where(FormVersion.id == version_id))
    root = safexml.parse(xml.encode("utf-8"))
    model = root.find(f"{{{H}}}head/{{{XF}}}model")
    primary = next(i for i in model.iterfind(f"{{{XF}}}instance") if i.get("id") is None)
    return read_entities(model, next(iter(primary)))[1]


def read_blocks(spec, root):
    """Every entity block in a submission, with the properties its scope's questions hold."""
    blocks = []
    by_scope = {}
    for b in spec:        # versions stored before the template/instance dedupe: keep the full one
        if b["scope"] not in by_scope or len(b.get("fields", {})) > len(by_scope[b["scope"]].get("fields", {})):
            by_scope[b["scope"]] = b
    for entity in root.iter():
        if not isinstance(entity.tag, str) or safexml.local(entity.tag) != "entity":
            continue
        meta = entity.getparent()
        if meta is None or safexml.local(meta.tag) != "meta":
            continue
        scope_elem = meta.getparent()
        declared = by_scope.get(safexml.element_path(scope_elem))
        if declared is None:
            continue
        data = {}
        for prop, nodeset in declared.get("fields", {}).items():
            relative = nodeset[len(declared["scope"]) + 1:].split("/")
            node = scope_elem
            for step in relative:
                node = next((c for c in node if isinstance(c.tag, str)
                             and safexml.local(c.tag) == step), None)
                if node is None:
                    break
            if node is not None:           # absent (not relevant): the property is kept
                data[prop] = (node.text or "") if len(node) == 0 else "".join(node.itertext())
        label_elem = next((c for c in entity if isinstance(c.tag, str)
                           and safexml.local(c.tag) == "label"), None)
        blocks.append(Block(
            path=_concrete(scope_elem), dataset=entity.get("dataset") or "",
            raw_id=entity.get("id") or "", create=_truthy(entity.get("create")),
            update=_truthy(entity.get("update")), base_version=(entity.get("baseVersion") or "").strip(),
            trunk_version=(entity.get("trunkVersion") or "").strip(),
            branch_id=(entity.get("branchId") or "").strip(),
            label=(label_elem.text or "").strip() if label_elem is not None else "", data=data))
        blocks[-1].declared = declared
    return blocks


def _concrete(elem):
    steps = []
    while elem is not None and isinstance(elem.tag, str):
        step = safexml.local(elem.tag)
        parent = elem.getparent()
        if parent is not None and sum(1 for s in parent if s.tag == elem.tag) > 1:
            step += f"[{1 + sum(1 for s in elem.itersiblings(preceding=True) if s.tag == elem.tag)}]"
        steps.append(step)
        elem = parent
    return "/" + "/".join(reversed(steps))


def already_merged(session, submission_id):
    """Item 83: the entities a submission already changed (an edit, or a second approval, of
    it does not apply to them again; an approval still creates what waited for it)."""
    done = set(session.scalars(select(Entity.uuid).join(
        EntityVersion, EntityVersion.entity_id == Entity.id)
        .where(EntityVersion.submission_id == submission_id)))
    if done:        # an update for a merged entity landed on the one kept (_merged_into)
        kept = select(Entity.id).where(Entity.uuid.in_(sorted(done)))
        done |= set(session.scalars(select(Entity.uuid).where(Entity.merged_into_id.in_(kept))))
    return done


def merge_submission(session, ref, force=False, kind="submission", fresh=False, held=False,
                     own_savepoint=True):
    """Apply a submission's entity blocks. Returns "none" (no entities), "skipped" (already
    merged), "held" (in the backlog), or "applied". Raises MergeFailed (nothing applied).
    `fresh`: a submission just received (it cannot have merged before); `held`: it comes out
    of the backlog. Both only spare queries. own_savepoint=False when a failure rolls back the
    caller's transaction anyway (intake's processing)."""
    spec = form_blocks(session, ref.version_id, ref.version_md5)
    if not spec:
        return "none"
    # a block that neither creates nor updates (its condition was false) does nothing
    blocks = [b for b in read_blocks(spec, ref.root) if b.create or b.update]
    if not blocks:
        return "none"
    done = set() if fresh else already_merged(session, ref.submission_id)
    if done:
        blocks = [b for b in blocks if _uuid_or_none(b.raw_id) not in done]
        if not blocks:
            return "skipped"
    # Several blocks, or one that may have to wait, apply in a savepoint of their own, so a
    # failure or a hold undoes what went before. A lone block fails before it writes anything,
    # and then needs none (one round trip less on PostgreSQL, on every submission).
    alone = len(blocks) == 1 and not blocks[0].branch_id and not own_savepoint
    event = register_rows.journal(ref.project_id, kind, ref.actor,
                                  payload={"approved": ref.approved}, def_id=ref.def_id)
    # a lone create that needs no backlog work is journaled by the statement that creates it
    journal = _Journal(event) if alone and not held else None
    try:
        if alone:
            applied = _apply_all(session, ref, blocks, force, journal)
        else:
            with session.begin_nested():
                applied = _apply_all(session, ref, blocks, force)
    except Held as held:
        _hold(session, ref, held)
        return "held"
    if not applied:
        return "none"
    if journal is not None and journal.written:
        waiting = journal.held
    else:
        waiting = _write_journal(session, event, ref, held)
    if waiting:
        for entity_uuid, branch_id, branch_base in applied:
            _release(session, entity_uuid, branch_id, branch_base)
    return "applied"


class _Journal:
    """A merge's journal event, for the statement that creates a lone block's entity to write
    (entities.look_up_and_create); it notes that it did, and whether the backlog holds
    anything."""

    def __init__(self, event):
        self.event, self.written, self.held = event, False, False


def _write_journal(session, event, ref, held):
    """Journal the merge (and move the revisions noted for it); returns whether anything
    waits in the backlog."""
    session.flush()
    if held or session.get_bind().dialect.name != "postgresql":
        _INSERT_EVENT.run(session, event)
        if held:
            _unhold(session, EntityBacklog.submission_id == ref.submission_id)
        return _IS_ANY_HELD.first(session, {}) is not None
    one = datasets.take_one_bump(session)           # one round trip for all of it
    if one is None:
        return _EVENT_THEN_ANY_HELD.first(session, event) is not None
    return _EVENT_BUMPS_THEN_ANY_HELD.first(session, {
        **event, "d": one[0], "k": one[1]}) is not None


def _apply_all(session, ref, blocks, force, journal=None):
    errors, applied = [], []
    areas = {}
    if any(AREA_PROPERTY in b.data for b in blocks):
        areas = dict(session.execute(select(Area.code, Area.id)
                                     .where(Area.project_id == ref.project_id)).all())
    with datasets.bumps_once(session):
        for block in blocks:
            try:
                result = _apply(session, ref, block, force, areas, journal)
                if result:
                    applied.append(result)
            except MergeError as e:
                errors.append((block.path, e))
        if errors:
            raise MergeFailed(errors)
    return applied


def _apply(session, ref, block, force, areas, journal=None):
    declared = block.declared
    if not block.dataset:
        raise MergeError("404.7", "the entity block names no list")
    entity_uuid = _uuid_or_none(block.raw_id)
    if _creates_at_once(session, block, entity_uuid):
        area_id = _in_scope(ref, block, _area(block, ref, areas))
        dataset, created = entities.look_up_and_create(
            session, ref.project_id, block.dataset, block.label, block.data, entity_uuid,
            area_id, ref.actor, (ref.submission_id, ref.def_id),
            block.branch_id or None, journal and journal.event)
        if created:
            if journal is not None:
                journal.written, journal.held = True, dataset.held is not None
            return (entity_uuid, None, None)
    else:
        dataset = session.connection().execute(datasets.LIST_AND_ENTITY, {
            "p": ref.project_id, "n": block.dataset, "u": entity_uuid or ""}).first()
    if dataset is None:
        raise MergeError("404.7", f"no entity list {block.dataset!r}")
    if block.create and not declared["create"] or block.update and not declared["update"]:
        raise MergeError("403.2", "the form version does not allow this action")
    if block.trunk_version and not block.branch_id:
        raise MergeError("400.2", "trunkVersion without branchId")
    if block.branch_id and not _is_uuid(block.branch_id):
        raise MergeError("400.2", f"branchId {block.branch_id!r} is not a UUID")
    if entity_uuid is None:
        raise MergeError("400.2", f"entity id {block.raw_id!r} is not a UUID")
    if block.update:
        try:
            return _update(session, ref, block, dataset, entity_uuid, force, areas)
        except MergeError as e:
            if not (block.create and e.code in ("404.8", "400.2")):
                raise
    if block.create:
        return _create(session, ref, block, dataset, entity_uuid, areas)
    return None


def _creates_at_once(session, block, entity_uuid):
    """A block that only creates and passes every check that needs no database: on PostgreSQL
    the list lookup and the create are then one statement (entities.look_up_and_create), which
    writes nothing when the list needs approval or has the entity already; the checks below
    then run on the row it found, as after the lookup alone."""
    return (block.create and not block.update and block.declared["create"]
            and not block.trunk_version and (not block.branch_id or _is_uuid(block.branch_id))
            and entity_uuid is not None and _V4.match(entity_uuid) is not None
            and bool(block.label) and session.get_bind().dialect.name == "postgresql")


def _uuid_or_none(value):
    try:
        return entities.normalise_uuid(value)
    except ValueError:
        return None


def _is_uuid(value):
    try:
        uuidlib.UUID(value)
        return True
    except ValueError:
        return False


def _area(block, ref, areas, current=None):
    village = block.data.get(AREA_PROPERTY)
    if village in areas:
        return areas[village]
    return current if current is not None else ref.area_id


def _in_scope(ref, block, *area_ids):
    """The last of `area_ids` (the village the block leaves the entity in), once each is
    within the sender's villages; raises Outside for the first that is not."""
    for area_id in area_ids:
        if scope.outside(ref.scope, area_id):
            raise Outside(f"{block.path}/meta/entity", area_id)
    return area_ids[-1]


def _locked(session, dataset, entity_uuid):
    query = select(Entity).where(Entity.uuid == entity_uuid).options(
        undefer(Entity.merged_into_id))        # an update follows a merge (_merged_into)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalar(query)


def _create(session, ref, block, dataset, entity_uuid, areas):
    if not _V4.match(entity_uuid):
        raise MergeError("400.2", f"entity id {entity_uuid} is not a version 4 UUID")
    if dataset.approval_required and not ref.approved:
        _in_scope(ref, block, _area(block, ref, areas))      # held for the right village
        return None                       # created when a supervisor approves (item 81)
    existing = _locked(session, dataset, entity_uuid) if dataset.existing_id else None
    if existing is not None:
        # another list's (or town's) entity of that uuid is never touched: a 409 as Central's
        if existing.force_created and existing.deleted_at is None \
                and existing.dataset_id == dataset.id:
            # the real create of an entity a timed-out update had to invent: apply as update
            area_id = _in_scope(ref, block, existing.area_id,
                                _area(block, ref, areas, existing.area_id))
            existing.force_created = False
            entities.update(session, existing, block.label, block.data, ref.actor, "submission",
                            (ref.submission_id, ref.def_id),
                            {"base_version": existing.version, "conflict": "soft"},
                            area_id, journaled=False)
            return (entity_uuid, None, None)
        raise MergeError("409.3", f"an entity {entity_uuid} already exists")
    if not block.label:
        raise MergeError("400.2", "the new entity has no label")
    entities.create(session, dataset, block.label, block.data, entity_uuid,
                    _in_scope(ref, block, _area(block, ref, areas)), ref.actor, "submission",
                    (ref.submission_id, ref.def_id), {"branch_id": block.branch_id or None},
                    journaled=False, load=False)
    return (entity_uuid, None, None)


def _update(session, ref, block, dataset, entity_uuid, force, areas):
    if block.base_version == "":
        raise MergeError("400.2", "baseVersion is missing")
    if not block.base_version.isdigit():
        raise MergeError("400.11", f"baseVersion {block.base_version!r} is not an integer")
    sent_base = int(block.base_version)
    trunk = int(block.trunk_version) if block.trunk_version.isdigit() else None
    entity = _locked(session, dataset, entity_uuid)
    if entity is None or entity.dataset_id != dataset.id:
        if block.branch_id and not force:
            raise Held(entity_uuid, block.branch_id, sent_base)
        if force:
            return _force_create(session, ref, block, dataset, entity_uuid, areas)
        raise MergeError("404.8", f"no entity {entity_uuid}")
    redirected = None
    if entity.merged_into_id is not None:
        entity, redirected = _merged_into(session, entity, sent_base)
    if entity.deleted_at is not None:
        raise MergeError("404.11", f"entity {entity_uuid} was deleted")
    # another village's entity, or a move of one into or out of the sender's villages
    area_id = _in_scope(ref, block, entity.area_id, _area(block, ref, areas, entity.area_id))
    if redirected is not None:
        return _update_merged(session, ref, block, dataset, entity, force, area_id, sent_base,
                              redirected)
    base = _base_version(session, entity, block, sent_base, trunk)
    if base is None:
        if force:
            base = entity.version
        else:
            raise Held(entity_uuid, block.branch_id, sent_base)
    if trunk is not None and trunk > entity.version and not force:
        raise MergeError("404.9", f"trunkVersion {trunk} is newer than the entity")
    if not 1 <= base <= entity.version:
        raise MergeError("404.9", f"base version {base} does not exist")
    conflict, conflicting = _conflict(session, entity, base, block, trunk)
    facts = {"base_version": base, "branch_id": block.branch_id or None,
             "trunk_version": trunk, "branch_base_version": sent_base if block.branch_id else None,
             "conflict": conflict, "conflicting": conflicting or None}
    entities.update(session, entity, block.label, block.data, ref.actor,
                    "backlog" if force else "submission", (ref.submission_id, ref.def_id), facts,
                    area_id, journaled=False, dataset=dataset)
    return (entity_uuid, block.branch_id or None, sent_base if block.branch_id else None)


def _merged_into(session, entity, sent_base):
    """An update naming an entity merged into another (a phone that had not yet fetched its
    list again): (the live entity it lives on in, (the base on it, whether the phone's copy
    was already stale)). The base is the version the merge wrote on the entity kept: what the
    phone knew of the merged one is in it. Stale: the phone's baseVersion was older than the
    merged entity's version at the merge (as an update on an old version, at least soft)."""
    base, stale, seen = None, False, set()
    while entity.merged_into_id is not None and entity.id not in seen:
        seen.add(entity.id)
        row = session.scalar(select(EntityMerge).where(
            EntityMerge.merged_id == entity.id, EntityMerge.unmerged_at.is_(None))
            .order_by(EntityMerge.id.desc()).limit(1))
        stale = stale or (base is None and sent_base < row.merged_version)
        base = row.kept_version_after
        query = select(Entity).where(Entity.id == row.kept_id)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        entity = session.scalar(query)
    return entity, (base, stale)


def _update_merged(session, ref, block, dataset, entity, force, area_id, sent_base, redirected):
    """An update for a merged entity, applied to the entity it was merged into, judged on the
    version the merge wrote (_merged_into). Its offline branch facts are kept as sent."""
    base, stale = redirected
    conflict, conflicting = _conflict(session, entity, base, block, None)
    if stale and conflict is None:
        conflict = "soft"
    facts = {"base_version": base, "branch_id": block.branch_id or None, "trunk_version": None,
             "branch_base_version": sent_base if block.branch_id else None,
             "conflict": conflict, "conflicting": conflicting or None}
    entities.update(session, entity, block.label, block.data, ref.actor,
                    "backlog" if force else "submission", (ref.submission_id, ref.def_id), facts,
                    area_id, journaled=False, dataset=dataset)
    return (entity.uuid, block.branch_id or None, sent_base if block.branch_id else None)


def _force_create(session, ref, block, dataset, entity_uuid, areas):
    """A timed-out update for an entity that never arrived: create it, marked (item 76)."""
    entities.create(session, dataset, block.label or AUTO_LABEL, block.data, entity_uuid,
                    _in_scope(ref, block, _area(block, ref, areas)), ref.actor, "backlog",
                    (ref.submission_id, ref.def_id),
                    {"branch_id": block.branch_id or None, "conflict": "soft",
                     "branch_base_version": int(block.base_version or 0) or None},
                    journaled=False, force_created=True, load=False)
    return (entity_uuid, block.branch_id or None, int(block.base_version or 0) or None)


def _base_version(session, entity, block, sent_base, trunk):
    """Central's _computeBaseVersion: the version this update was made on, or None if it is
    on an offline branch whose predecessor has not arrived."""
    if not block.branch_id:
        return sent_base
    if trunk is not None and sent_base == trunk:
        return sent_base                       # the branch starts here
    if sent_base == 1 and trunk is None:
        return 1                               # created offline, then updated
    previous = session.scalar(select(EntityVersion.version).where(
        EntityVersion.entity_id == entity.id, EntityVersion.branch_id == block.branch_id,
        EntityVersion.branch_base_version == sent_base - 1))
    return previous


def _conflict(session, entity, base, block, trunk):
    """(None|"soft"|"hard", conflicting property names)."""
    if base < entity.version:
        versions = session.execute(select(EntityVersion.version, EntityVersion.label,
                                          EntityVersion.data)
                                   .where(EntityVersion.entity_id == entity.id,
                                          EntityVersion.version >= base)
                                   .order_by(EntityVersion.version)).all()
        if not versions or versions[0].version != base:
            return "soft", []
        _v, base_label, base_data = versions[0]
        changed = set()
        for _version, label, data in versions[1:]:
            changed |= {k for k in set(data) | set(base_data) if data.get(k) != base_data.get(k)}
            if label != base_label:
                changed.add("label")
        received = dict(block.data)
        if block.label:
            received["label"] = block.label
        current = {**entity.data, "label": entity.label}
        conflicting = sorted(k for k, v in received.items() if k in changed and current.get(k) != v)
        return ("hard" if conflicting else "soft"), conflicting
    if block.branch_id and trunk is not None:
        # item 77: another device's change landed after this branch's trunk version
        interrupted = session.scalar(select(EntityVersion.id).where(
            EntityVersion.entity_id == entity.id, EntityVersion.version > trunk,
            (EntityVersion.branch_id.is_(None)) | (EntityVersion.branch_id != block.branch_id))
            .limit(1))
        if interrupted is not None:
            return "soft", []
    return None, []


def _hold(session, ref, held):
    if session.scalar(select(EntityBacklog.id).where(EntityBacklog.submission_id == ref.submission_id)):
        return
    session.add(EntityBacklog(submission_id=ref.submission_id, submission_def_id=ref.def_id,
                              entity_uuid=held.entity_uuid, branch_id=held.branch_id,
                              base_version=held.base_version))
    record(session, None, "submission.backlog.hold", f"submission:{ref.submission_id}",
           entity=held.entity_uuid, branchId=held.branch_id, baseVersion=held.base_version)
    session.flush()


def _unhold(session, condition):
    """Remove backlog rows (in SQL) and forget any loaded copies, so that a row inserted later
    with a reused id is not mistaken for one of them."""
    session.execute(EntityBacklog.__table__.delete().where(condition))
    for obj in [o for o in session.identity_map.values() if isinstance(o, EntityBacklog)]:
        session.expunge(obj)


def _release(session, entity_uuid, branch_id, branch_base):
    """Replay held submissions that were waiting for what was just applied (item 75)."""
    waiting = []
    if branch_id is not None and branch_base is not None:
        waiting += session.scalars(select(EntityBacklog).where(
            EntityBacklog.branch_id == branch_id,
            EntityBacklog.base_version == branch_base + 1)).all()
    waiting += session.scalars(select(EntityBacklog).where(
        EntityBacklog.entity_uuid == entity_uuid, EntityBacklog.base_version == 1)).all()
    for item in {w.id: w for w in waiting}.values():
        replay(session, item, force=False)


def replay(session, item, force):
    """Process a held submission again (released, or forced after the timeout)."""
    ref = ref_for_def(session, item.submission_def_id)
    # released later, it may still change only what its sender may change now
    ref.scope = area_scope(session, *ref.submitter)
    record(session, None, "submission.backlog.reprocess", f"submission:{item.submission_id}",
           forced=force)
    try:
        return merge_submission(session, ref, force=force,
                                kind="backlog.force" if force else "submission", held=True)
    except MergeFailed as e:
        _unhold(session, EntityBacklog.id == item.id)
        record(session, None, "entity.error", f"submission:{item.submission_id}", error=str(e))
        if e.outside():
            scope.hold(session, item.submission_id, e.outside())
        # its changes never reached the register, so its life events do not count either
        # (written at intake, when it only waited for its predecessor)
        rows.update_submission(session, item.submission_id, in_register=False)
        life.resync(session, item.submission_id)
        return "failed"


def ref_for_def(session, def_id):
    from app.forms.models import Form            # noqa: PLC0415
    from app.submissions.models import Submission, SubmissionDef   # noqa: PLC0415
    row = session.execute(
        select(SubmissionDef.id, SubmissionDef.submission_id, SubmissionDef.form_version_id,
               SubmissionDef.xml, Submission.area_id, Submission.review_state, Form.project_id,
               Submission.submitter_kind, Submission.submitter_id)
        .join(Submission, Submission.id == SubmissionDef.submission_id)
        .join(Form, Form.id == SubmissionDef.form_id)
        .where(SubmissionDef.id == def_id)).one()
    return SubmissionRef(project_id=row.project_id, submission_id=row.submission_id,
                         def_id=row.id, version_id=row.form_version_id,
                         root=safexml.parse(row.xml.encode("utf-8")), area_id=row.area_id,
                         approved=row.review_state == "approved",
                         submitter=(row.submitter_kind, row.submitter_id))


def process_backlog(session, older_than_days=BACKLOG_DAYS, now=None):
    """Force-apply held submissions older than the timeout, oldest first (item 76). Returns
    how many were processed."""
    cutoff = (now or utcnow()) - dt.timedelta(days=older_than_days)
    items = session.scalars(select(EntityBacklog).where(EntityBacklog.held_at <= cutoff)
                            .order_by(EntityBacklog.held_at, EntityBacklog.base_version,
                                      EntityBacklog.id)).all()
    done = 0
    for item in items:
        if session.get(EntityBacklog, item.id) is None:
            continue                              # released by an earlier one in this run
        replay(session, item, force=True)
        done += 1
    return done
