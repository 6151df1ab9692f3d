"""The console's compare-and-merge page (/duplicates/<a>/<b>) and the unmerge on a person's
page: plain functions of (session, actor, …). Both people must be in the actor's villages
(another village's is "not found", 404.121, as on the person pages); the merge and the unmerge
themselves are app.quality.merging's, the API's one way to do them.
"""
from dataclasses import dataclass

from sqlalchemy import select

from app.console.people import _entity, _villages, mask_id
from app.problems import Problem
from app.quality import merging
from app.register import search as index
from app.register import service
from app.register.lists import dataset_named

#: properties shown first on the cards, in this order; the others follow by name
FIRST = ("full_name", "sex", "dob", "id_number", "phone", "village", "household", "relation",
         "marital_status", "spouse", "residence_status")


@dataclass
class Card:
    uuid: str
    label: str
    version: int
    village: tuple              # (code, Chinese name, English name)
    values: list                # (property, value shown)


@dataclass
class Row:
    name: str                   # a property, or "label"
    kept: str
    merged: str
    pick: str                   # "kept" or "merged": the rule's, or the one asked


@dataclass
class Compare:
    kept: Card
    merged: Card
    rows: list                  # Row of each property whose values differ
    picks: dict                 # {property: pick} as asked (the preview's confirm sends them)
    preview: Card               # A as the merge would leave it


def _shown(name, value):
    return mask_id(value) if name == "id_number" else value


def _order(names):
    return [n for n in FIRST if n in names] + sorted(n for n in names if n not in FIRST)


def _card(session, entity, data=None, label=None):
    data = entity.data if data is None else data
    village = _villages(session, {entity.area_id}).get(entity.area_id, ("", "", ""))
    return Card(entity.uuid, entity.label if label is None else label, entity.version, village,
                [(n, _shown(n, data.get(n, ""))) for n in _order(set(data))
                 if data.get(n, "") != ""])


def _pair(session, actor, project_id, a, b):
    kept = _entity(session, project_id, index.PEOPLE, a, actor)
    merged = _entity(session, project_id, index.PEOPLE, b, actor)
    return kept, merged


def picks_from(values):
    """{property: "kept"|"merged"} from a query or form's `pick.<property>` fields; any other
    value is a bad request (400.79)."""
    picks = {}
    for key, value in values.items():
        if key.startswith("pick."):
            if value not in (merging.KEPT, merging.MERGED):
                raise Problem("400.79", {"summary": f"{key}: use kept or merged",
                                         "fields": key})
            picks[key[5:]] = value
    return picks


def compare(session, actor, project_id, a, b, picks=None):
    """Both people side by side, the properties that differ with the pick for each (the rule's
    unless asked), and A as the merge would leave it. The merge's own checks run first, so a
    pair that cannot be merged is refused here already (409.28x)."""
    kept, merged = _pair(session, actor, project_id, a, b)
    dataset = dataset_named(session, project_id, index.PEOPLE)
    _mergeable(session, kept, merged)
    picks = dict(picks or {})
    label, values = merging.merged_values(dataset, kept, merged, picks)
    rows = []
    for name in merging.differing(kept, merged):
        get = (lambda e: e.label) if name == merging.LABEL else (lambda e, n=name: e.data.get(n, ""))
        rows.append(Row(name, _shown(name, get(kept)), _shown(name, get(merged)),
                        picks.get(name) or merging.default_pick(kept, merged, name)))
    preview = _card(session, kept, values, label)
    preview.version += 1                           # the version the merge writes
    return Compare(_card(session, kept), _card(session, merged), rows, picks, preview)


def _mergeable(session, kept, merged):
    from app.register.models import Entity   # noqa: PLC0415
    if kept.id == merged.id:
        raise Problem("409.281")
    for entity in (kept, merged):
        if entity.merged_into_id is not None:
            raise Problem("409.282", {"uuid": entity.uuid, "into": session.scalar(
                select(Entity.uuid).where(Entity.id == entity.merged_into_id))})
        if entity.deleted_at is not None:
            raise Problem("404.121")


def merge(session, actor, project_id, a, b, picks):
    """Merge B into A as picked; returns A's uuid."""
    kept, merged = _pair(session, actor, project_id, a, b)
    # in id order, as the API's merge: two merges of one pair at once are one and a 409
    service.lock_all(session, [kept, merged])
    merging.merge(session, actor, dataset_named(session, project_id, index.PEOPLE), kept,
                  merged, picks)
    return kept.uuid


def unmerge(session, actor, project_id, b):
    """Undo the merge of B (its own page's uuid, or one listed on A's page); returns A's uuid.
    A must be in the actor's villages too."""
    merged = _entity(session, project_id, index.PEOPLE, b, actor)
    row = merging.live_merge(session, merged.id) if merged.merged_into_id is not None else None
    if row is None:
        raise Problem("409.283", {"uuid": merged.uuid})
    kept = _entity(session, project_id, index.PEOPLE, row.kept.uuid, actor)
    # B and A locked in id order: a merge of A into a third at once waits (as the API's)
    service.lock_all(session, [merged, kept])
    merging.unmerge(session, actor, dataset_named(session, project_id, index.PEOPLE), merged)
    return row.kept.uuid


@dataclass
class MergeFacts:
    """What a person's page shows of merges: the one she was merged into, those merged into
    her (each (uuid, name))."""
    into: tuple | None
    merged: list


def facts(session, actor, entity):
    into = None
    if entity.merged_into_id is not None:
        from app.register.models import Entity   # noqa: PLC0415
        target = session.get(Entity, entity.merged_into_id)
        if actor.sees_area(target.area_id):
            into = (target.uuid, target.data.get("full_name") or target.label)
    merged = [(e.uuid, e.data.get("full_name") or e.label)
              for e in merging.merged_into_it(session, entity.id) if actor.sees_area(e.area_id)]
    return MergeFacts(into, merged)
