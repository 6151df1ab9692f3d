"""Merging a duplicate entity B into the entity kept, A, and unmerging it (issue 23, part 2).

A merge writes, in the caller's transaction:
- a new version of A carrying the merged values (source "merge"): for each property, A's value
  when it is not blank, else B's (B fills A's blanks); a pick {property: "kept"|"merged"}
  (the label too, under "label") chooses the other side. A's village follows its `village`
  property, so picking B's village moves A there;
- B marked merged into A (`merged_into_id`) and deleted: it leaves every phone's list, the
  integrity API tells phones it is gone (as a deleted entity), and it is never purged. B's
  versions stay as they were: nothing is written to B;
- a new version of every live entity that referred to B (REFERENCES: a person's spouse, mother
  or father, a pregnancy's woman; a person's household; a person's pregnancy), now naming A;
- an EntityMerge row (what it changed, for the unmerge), the journal event `merge`, the audit
  row `entity.merge`, one webhook event `entity.merged`.

An unmerge puts back exactly what the merge changed: B live again with its own values (and
version); A's properties as before the merge, except those changed after it, which keep their
later value; every reference the merge re-pointed and that still names A names B again. A
change that landed on A after the merge (a late submission for B included) stays on A.

Both are journaled and replayed in order by `register rebuild` through these functions.
Domain code only: who may ask (both entities in her villages) is the caller's to check.
"""
from sqlalchemy import or_, select

from app.audit.record import record
from app.db.columns import utcnow
from app.problems import Problem
from app.projects.models import Area
from app.quality import duplicates
from app.register import entities, search
from app.register.datasets import bump
from app.register.merge import AREA_PROPERTY
from app.register.models import Dataset, Entity, EntityMerge, EntityVersion
from app.webhooks import outbox

KEPT, MERGED = "kept", "merged"
LABEL = "label"

#: list merged -> the (list, property) pairs that hold one of its entities' uuid (docs/forms.md)
REFERENCES = {
    "people": (("people", "spouse"), ("people", "mother"), ("people", "father"),
               ("pregnancies", "woman")),
    "households": (("people", "household"),),
    "pregnancies": (("people", "pregnancy"),),
}


def _settle_candidates(session, actor, dataset, kept_uuid, merged_uuid, status, journaled):
    """The supervisor's decision on the pair as a duplicate (app.quality.duplicates): "merged",
    or "open" again on an unmerge. Decisions are inputs the rebuild copies, so a replay
    leaves them alone."""
    if journaled is None and dataset.name == search.PEOPLE:
        duplicates.mark(session, actor, kept_uuid, merged_uuid, status)


def _blank(value):
    return value is None or str(value).strip() == ""


def merged_values(dataset, kept, merged, picks=None):
    """(label, {property: value}) of A after merging B into it, by the rule: A's non-blank
    value wins, B fills A's blanks, a pick chooses the other side. Raises 400.281 for a pick
    naming no property of the list."""
    picks = dict(picks or {})
    known = {p.name for p in dataset.properties}
    for name in picks:
        if name != LABEL and name not in known:
            raise Problem("400.281", {"name": name, "list": dataset.name})
    values = {}
    for name in sorted(set(kept.data) | set(merged.data)):
        a, b = kept.data.get(name, ""), merged.data.get(name, "")
        values[name] = _chosen(picks.get(name), a, b)
    return _chosen(picks.get(LABEL), kept.label, merged.label), values


def _chosen(pick, a, b):
    if pick == MERGED:
        return b
    if pick == KEPT:
        return a
    return b if _blank(a) else a


def differing(kept, merged):
    """The properties (and label) whose values differ between A and B, in a stable order."""
    names = sorted(k for k in set(kept.data) | set(merged.data)
                   if (kept.data.get(k) or "") != (merged.data.get(k) or ""))
    return ([LABEL] if kept.label != merged.label else []) + names


def default_pick(kept, merged, name):
    a = kept.label if name == LABEL else kept.data.get(name, "")
    return MERGED if _blank(a) else KEPT


def live_merge(session, merged_id):
    """The merge that holds `merged_id` merged now, or None."""
    return session.scalar(select(EntityMerge).where(EntityMerge.merged_id == merged_id,
                                                    EntityMerge.unmerged_at.is_(None))
                          .order_by(EntityMerge.id.desc()).limit(1))


def merged_into_it(session, kept_id):
    """The entities merged into `kept_id` now (not unmerged), oldest merge first."""
    return session.scalars(select(Entity).join(EntityMerge, EntityMerge.merged_id == Entity.id)
                           .where(EntityMerge.kept_id == kept_id,
                                  EntityMerge.unmerged_at.is_(None))
                           .order_by(EntityMerge.id)).all()


def merge(session, actor, dataset, kept, merged, picks=None, journaled=None):
    """Merge `merged` (B) into `kept` (A), both entities of `dataset`. Returns the
    EntityMerge. `journaled` False when replayed by the rebuild."""
    if kept.id == merged.id:
        raise Problem("409.281")
    for entity in (kept, merged):
        if entity.dataset_id != dataset.id or entity.purged_at is not None:
            raise Problem("404.1")
        if entity.merged_into_id is not None:
            raise Problem("409.282", {"uuid": entity.uuid,
                                      "into": session.get(Entity, entity.merged_into_id).uuid})
        if entity.deleted_at is not None:      # as Central: a deleted entity is not found
            raise Problem("404.1")
    picks = {k: v for k, v in (picks or {}).items()}
    label, values = merged_values(dataset, kept, merged, picks)
    before = kept.version
    received = {k: v for k, v in values.items() if kept.data.get(k) != v}
    entities.update(session, kept, label if label != kept.label else None, received, actor,
                    source="merge", area_id=_area(session, dataset, kept, received),
                    journaled=False, dataset=dataset, announce=False)
    now = utcnow()
    merged.merged_into_id = kept.id
    merged.deleted_at = now
    search.remove(session, merged.id)                         # the people search's row
    bump(session, dataset.id, [merged.area_id])
    references = _repoint(session, actor, dataset, merged.uuid, kept.uuid, exclude=kept.id)
    row = EntityMerge(dataset_id=dataset.id, kept_id=kept.id, merged_id=merged.id,
                      kept_version_before=before, kept_version_after=kept.version,
                      merged_version=merged.version, picks=picks, references=references,
                      actor_kind=getattr(actor, "kind", None), actor_id=getattr(actor, "id", None),
                      merged_at=now)
    session.add(row)
    if journaled is None:
        entities.journal(session, dataset, "merge", kept.uuid,
                         {"merged": merged.uuid, "picks": picks}, actor)
    record(session, actor, "entity.merge", f"entity:{kept.uuid}", merged=merged.uuid,
           version=kept.version, references=len(references))
    _settle_candidates(session, actor, dataset, kept.uuid, merged.uuid, "merged", journaled)
    outbox.entities_merged(session, kept, merged.uuid, dataset, received, label)
    session.flush()
    return row


def unmerge(session, actor, dataset, merged, journaled=None):
    """Undo the merge that holds `merged` (B): B live again as it was, A's values as before
    the merge but for those changed since, references put back. Returns the EntityMerge."""
    if merged.dataset_id != dataset.id or merged.purged_at is not None:
        raise Problem("404.1")
    row = live_merge(session, merged.id) if merged.merged_into_id is not None else None
    if row is None:
        raise Problem("409.283", {"uuid": merged.uuid})
    kept = session.get(Entity, row.kept_id)
    if kept.deleted_at is not None:
        raise Problem("409.284", {"uuid": merged.uuid, "into": kept.uuid})
    label, values = _restored(session, kept, row)
    received = {k: v for k, v in values.items() if kept.data.get(k) != v}
    entities.update(session, kept, label if label != kept.label else None, received, actor,
                    source="unmerge", area_id=_area(session, dataset, kept, received),
                    journaled=False, dataset=dataset)
    merged.merged_into_id = None
    merged.deleted_at = None
    search.add(session, dataset.project_id, dataset.name, merged.id, merged.area_id,
               merged.data)
    bump(session, dataset.id, [merged.area_id])
    back = {}
    for uuid, prop in row.references:
        back.setdefault(uuid, []).append(prop)
    for uuid, props in back.items():
        query = select(Entity).where(Entity.uuid == uuid)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()     # as the merge's _repoint: a phone's update waits
        entity = session.scalar(query)
        if entity is None or entity.deleted_at is not None:
            continue
        # only those still naming A: a reference changed since the merge keeps its new value
        received = {p: merged.uuid for p in props if entity.data.get(p) == kept.uuid}
        if received:
            entities.update(session, entity, None, received, actor, source="unmerge",
                            journaled=False)
    row.unmerged_at = utcnow()
    if journaled is None:
        entities.journal(session, dataset, "unmerge", merged.uuid, {"kept": kept.uuid}, actor)
    record(session, actor, "entity.unmerge", f"entity:{merged.uuid}", kept=kept.uuid,
           version=kept.version)
    _settle_candidates(session, actor, dataset, kept.uuid, merged.uuid, "open", journaled)
    outbox.entity_unmerged(session, merged, kept.uuid, dataset)
    session.flush()
    return row


def _restored(session, kept, row):
    """A's (label, values) after an unmerge: the value before the merge for each property the
    merge set and nothing changed since; the current value for the others."""
    found = {v.version: v for v in session.scalars(select(EntityVersion).where(
        EntityVersion.entity_id == kept.id,
        EntityVersion.version.in_([row.kept_version_before, row.kept_version_after])))}
    before, after = found[row.kept_version_before], found[row.kept_version_after]
    values = {}
    for name in sorted(set(kept.data) | set(before.data) | set(after.data)):
        now = kept.data.get(name, "")
        values[name] = before.data.get(name, "") if now == after.data.get(name, "") else now
    label = before.label if kept.label == after.label else kept.label
    return label, values


def _area(session, dataset, kept, received):
    """A's village after the change: the one its `village` property now names."""
    if AREA_PROPERTY not in received:
        return kept.area_id
    area = session.scalar(select(Area.id).where(Area.project_id == dataset.project_id,
                                                Area.code == received[AREA_PROPERTY]))
    return area if area is not None else kept.area_id


def _repoint(session, actor, dataset, old, new, exclude):
    """Point every live reference to `old` at `new` (one new version of each referring
    entity); returns [[uuid, property]] of those changed, in a stable order."""
    by_list = {}
    for list_name, prop in REFERENCES.get(dataset.name, ()):
        by_list.setdefault(list_name, []).append(prop)
    changed = []
    for list_name, wanted in by_list.items():
        referring = session.scalar(select(Dataset).where(Dataset.project_id == dataset.project_id,
                                                         Dataset.name == list_name))
        props = [p for p in wanted if referring is not None
                 and p in {d.name for d in referring.properties}]
        if not props:
            continue
        # one scan of the list's JSON for all its properties: a merge is a rare, deliberate
        # act (docs/merging.md has the figures)
        query = select(Entity).where(
            Entity.dataset_id == referring.id, Entity.deleted_at.is_(None),
            Entity.id != exclude, or_(*(Entity.data[p].as_string() == old for p in props)))
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()     # a phone's update of one waits for the merge
        found = session.scalars(query.order_by(Entity.id)).all()
        for entity in found:
            received = {p: new for p in props if entity.data.get(p) == old}
            entities.update(session, entity, None, received, actor, source="merge",
                            journaled=False, dataset=referring)
            changed += [[entity.uuid, p] for p in sorted(received)]
    return changed


def referred_uuids(session, kept):
    """A's uuid and those of the entities merged into it (a person page shows their life
    events too: events keep the uuids their submissions named)."""
    return [kept.uuid, *(e.uuid for e in merged_into_it(session, kept.id))]
