"""Duplicate people in the register: the candidate pairs the matcher (app.quality.matching)
bands, found at each create or change of a `people` entity (`check`, in the writer's
transaction) and for a whole project in batch (`recompute`); a supervisor's decisions on them
(`mark`), which are inputs kept by the pair's two uuids; and what a viewer of some villages
may read of them (`listing`, `for_entity`, `open_count`). Plain functions, no Flask.

Pairs are derived: `check` after every write and `recompute` from scratch give the same rows,
so `flask register rebuild --check` compares them (`snapshot`, `compare`).
"""
import math
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, union

from app.audit.record import record
from app.db.columns import utcnow
from app.problems import Problem
from app.quality import matching
from app.quality.models import STATUSES, DuplicateDecision, DuplicatePair, PersonMatchKey
from app.register.models import Dataset, Entity

PEOPLE = "people"
_K, _P = PersonMatchKey.__table__, DuplicatePair.__table__


@dataclass
class _Me:
    uuid: str
    data: dict
    area_id: int | None
    label: str = ""


def person_of(row):
    """A register row as matching.Person; a person's label is her name when the list has no
    full_name (a list made over the API)."""
    data = row.data or {}
    if not data.get("full_name") and row.label:
        data = {**data, "full_name": row.label}
    return matching.from_entity(row.uuid, data)


def _keys_row(entity_id, dataset_id, person):
    return {"entity_id": entity_id, "dataset_id": dataset_id, "village": person.village[:64],
            "birth_year": person.dob.year if person.dob else None, "dob": person.dob,
            "surname": matching.sound(person.name)[1][:32], "household": person.household[:36]}


def _ordered(a, b):
    return (a, b) if a.key < b.key else (b, a)


def _decisions(session, uuids):
    """{(a_uuid, b_uuid): decision} of the pairs touching any of `uuids`."""
    if not uuids:
        return {}
    rows = session.scalars(select(DuplicateDecision).where(or_(
        DuplicateDecision.a_uuid.in_(uuids), DuplicateDecision.b_uuid.in_(uuids)))).all()
    return {(d.a_uuid, d.b_uuid): d for d in rows}


def _pair_row(project_id, dataset_id, a, b, found, ids, areas, decision):
    return {"project_id": project_id, "dataset_id": dataset_id, "a_id": ids[a.key],
            "b_id": ids[b.key], "a_uuid": a.key, "b_uuid": b.key,
            "a_area_id": areas[a.key], "b_area_id": areas[b.key], "score": found.score,
            "band": found.band, "evidence": found.evidence,
            "status": decision.status if decision else "open",
            "decided_by": decision.decided_by if decision else None,
            "decided_at": decision.decided_at if decision else None}


def check(session, dataset_id, entity_id, dataset_name=None, project_id=None, row=None,
          created=False):
    """The incremental check of one `people` entity just created or changed: its blocking
    keys written, the people sharing one looked up on their indexes, every pair with it
    scored again and written (its old pairs replaced). Other lists are left alone. `row`:
    the entity's (uuid, data, area id, label), else read; `created`: it was just made, so it
    has no keys or pairs to replace yet."""
    if dataset_name is None or project_id is None:
        dataset_name, project_id = session.execute(
            select(Dataset.name, Dataset.project_id).where(Dataset.id == dataset_id)).one()
    if dataset_name != PEOPLE:
        return
    me = session.execute(select(Entity.uuid, Entity.data, Entity.area_id, Entity.label)
                         .where(Entity.id == entity_id)).one() if row is None else _Me(*row)
    person = person_of(me)
    if not created:
        session.execute(delete(_K).where(_K.c.entity_id == entity_id))
    session.execute(insert(_K), [_keys_row(entity_id, dataset_id, person)])
    found = _blocked(session, dataset_id, entity_id, person)
    if not created:
        session.execute(delete(_P).where(or_(_P.c.a_id == entity_id, _P.c.b_id == entity_id)))
    scored = []
    for other in found:
        them = person_of(other)
        result = matching.compare(person, them)
        if result.band:
            scored.append((them, other, result))
    if not scored:
        return
    decisions = _decisions(session, [me.uuid])
    ids, areas = {me.uuid: entity_id}, {me.uuid: me.area_id}
    rows = []
    for them, other, result in scored:
        ids[them.key], areas[them.key] = other.id, other.area_id
        a, b = _ordered(person, them)
        rows.append(_pair_row(project_id, dataset_id, a, b, result, ids, areas,
                              decisions.get((a.key, b.key))))
    session.execute(insert(_P), rows)


def _blocked_statement():
    """The live people of a list sharing a blocking key with one person, each key an index
    lookup; built once (its compiled form is cached), a missing key bound as NULL."""
    by_id = Entity.__table__.alias("by_id")
    ds = bindparam("ds")
    keys = union(
        select(_K.c.entity_id).where(_K.c.dataset_id == ds, _K.c.village == bindparam("v"),
                                     _K.c.birth_year == bindparam("y")),
        select(_K.c.entity_id).where(_K.c.dataset_id == ds, _K.c.surname == bindparam("s"),
                                     _K.c.dob == bindparam("d")),
        select(_K.c.entity_id).where(_K.c.dataset_id == ds, _K.c.household == bindparam("h")),
        select(by_id.c.id).where(by_id.c.dataset_id == ds,
                                 by_id.c.id_number.in_(bindparam("n", expanding=True))))
    return select(Entity.id, Entity.uuid, Entity.data, Entity.area_id, Entity.label).where(
        Entity.id.in_(keys), Entity.id != bindparam("me"), Entity.deleted_at.is_(None))


_BLOCKED = _blocked_statement()


def _blocked(session, dataset_id, entity_id, person):
    """The live people of the list sharing a blocking key with `person` (matching.block_keys),
    each found on an index."""
    surname = matching.sound(person.name)[1][:32]
    dob = person.dob
    return session.execute(_BLOCKED, {
        "ds": dataset_id, "me": entity_id,
        "v": person.village[:64] if dob and person.village else None,
        "y": dob.year if dob else None,
        "s": surname if dob and surname else None, "d": dob,
        "h": person.household[:36] or None,
        "n": sorted({person.id_number, *matching.id_neighbours(person.id_number)})
        if person.id_number else []}).all()


def recompute(session, project_id, batch=5000):
    """Every pair of the project's `people` lists found again from scratch (keys and pairs
    rewritten, decisions kept). Returns {"people": n, "pairs": n, "likely": n}."""
    totals = {"people": 0, "pairs": 0, "likely": 0}
    for dataset_id in session.scalars(select(Dataset.id).where(
            Dataset.project_id == project_id, Dataset.name == PEOPLE)).all():
        people, ids, areas = [], {}, {}
        key_rows = []
        for row in session.execute(select(Entity.id, Entity.uuid, Entity.data, Entity.area_id,
                                          Entity.label, Entity.deleted_at)
                                   .where(Entity.dataset_id == dataset_id,
                                          Entity.purged_at.is_(None))):
            person = person_of(row)
            key_rows.append(_keys_row(row.id, dataset_id, person))
            if row.deleted_at is None:
                people.append(person)
                ids[row.uuid], areas[row.uuid] = row.id, row.area_id
        session.execute(delete(_K).where(_K.c.dataset_id == dataset_id))
        for i in range(0, len(key_rows), batch):
            session.execute(insert(_K), key_rows[i:i + batch])
        found = list(matching.pairs(people))
        decisions = {(d.a_uuid, d.b_uuid): d for d in session.scalars(
            select(DuplicateDecision).where(DuplicateDecision.project_id == project_id))}
        rows = [_pair_row(project_id, dataset_id, a, b, result, ids, areas,
                          decisions.get((a.key, b.key))) for a, b, result in found]
        session.execute(delete(_P).where(_P.c.dataset_id == dataset_id))
        for i in range(0, len(rows), batch):
            session.execute(insert(_P), rows[i:i + batch])
        totals["people"] += len(people)
        totals["pairs"] += len(rows)
        totals["likely"] += sum(1 for r in rows if r["band"] == matching.LIKELY)
    return totals


# -- decisions ----------------------------------------------------------------------------------
def _visible_pair(session, actor, project_id, a_uuid, b_uuid):
    """The pair (a_uuid, b_uuid in either order) if the actor sees both its people, else
    404.272 (as if it did not exist)."""
    a_uuid, b_uuid = sorted(((a_uuid or "").lower(), (b_uuid or "").lower()))
    pair = session.scalar(select(DuplicatePair).where(
        DuplicatePair.project_id == project_id, DuplicatePair.a_uuid == a_uuid,
        DuplicatePair.b_uuid == b_uuid))
    if pair is None or not (actor.sees_area(pair.a_area_id) and actor.sees_area(pair.b_area_id)):
        raise Problem("404.272")
    return pair


def mark(session, actor, a_uuid, b_uuid, status, project_id=None):
    """Record a decision on the pair of a_uuid and b_uuid (either order): "dismissed" (not a
    duplicate), "merged" (app.quality merging), or "open" again. The decision is kept by
    the two uuids, so a batch run or a rebuild keeps it, and applies to their pair whether
    or not the matcher has one (two people merged that it never paired). Both people must
    be visible to the actor (404.272); `status` one of the three (400.272). Returns the
    pair, or None when there is none."""
    if status not in STATUSES:
        raise Problem("400.272", {"value": str(status)})
    a_uuid, b_uuid = sorted(((a_uuid or "").lower(), (b_uuid or "").lower()))
    found = session.execute(select(Entity.area_id, Dataset.project_id).join(
        Dataset, Dataset.id == Entity.dataset_id).where(Entity.uuid.in_([a_uuid, b_uuid]))).all()
    if a_uuid == b_uuid or len(found) != 2 or not all(
            actor is None or actor.sees_area(r.area_id) for r in found) \
            or (project_id is not None and {r.project_id for r in found} != {project_id}):
        raise Problem("404.272")
    project_id = found[0].project_id
    now = utcnow()
    actor_id = getattr(actor, "id", None)
    decision = session.scalar(select(DuplicateDecision).where(
        DuplicateDecision.a_uuid == a_uuid, DuplicateDecision.b_uuid == b_uuid))
    if decision is None:
        decision = DuplicateDecision(project_id=project_id, a_uuid=a_uuid, b_uuid=b_uuid,
                                     status=status)
        session.add(decision)
    decision.status, decision.decided_by, decision.decided_at = status, actor_id, now
    pair = session.scalar(select(DuplicatePair).where(DuplicatePair.a_uuid == a_uuid,
                                                      DuplicatePair.b_uuid == b_uuid))
    if pair is not None:
        pair.status, pair.decided_by, pair.decided_at = status, actor_id, now
    record(session, actor, f"duplicates.{status}", f"entity:{a_uuid}", other=b_uuid)
    session.flush()
    return pair


def decide(session, actor, project_id, a_uuid, b_uuid, status):
    """A supervisor's "not a duplicate" (dismissed) or "open again" on a pair she sees in
    full; a merged pair is changed only by unmerging (409.272)."""
    pair = _visible_pair(session, actor, project_id, a_uuid, b_uuid)
    if pair.status == "merged":
        raise Problem("409.272")
    return mark(session, actor, pair.a_uuid, pair.b_uuid, status, project_id)


def write_cursor(cursor):
    """A page's (score, id) as the opaque text a client sends back."""
    return None if cursor is None else f"{cursor[0]!r}_{cursor[1]}"


def read_cursor(text):
    """(score, id) from write_cursor's text, or None; anything else is 400.271."""
    if not text:
        return None
    try:
        score, last = text.split("_")
        score, last = float(score), int(last)
    except ValueError:
        raise Problem("400.271") from None
    # an id beyond the column's 32 bits overflows the driver (a 500): no page gave it
    if not math.isfinite(score) or not 0 < last < 2 ** 31:
        raise Problem("400.271")
    return score, last


# -- reading ------------------------------------------------------------------------------------
def _scoped(query, actor):
    if actor.area_ids is None:
        return query
    areas = sorted(actor.area_ids)
    return query.where(DuplicatePair.a_area_id.in_(areas), DuplicatePair.b_area_id.in_(areas))


def _live(query, merged=False):
    """Joined to both people and kept to pairs of two live ones; `merged`: a person merged
    into another counts as live too (a merged pair always has one, and would never be
    listed otherwise)."""
    a, b = Entity.__table__.alias("a"), Entity.__table__.alias("b")
    query = query.join(a, a.c.id == DuplicatePair.a_id).join(b, b.c.id == DuplicatePair.b_id)
    if merged:
        return (query.where(or_(a.c.deleted_at.is_(None), a.c.merged_into_id.is_not(None)),
                            or_(b.c.deleted_at.is_(None), b.c.merged_into_id.is_not(None))),
                a, b)
    return query.where(a.c.deleted_at.is_(None), b.c.deleted_at.is_(None)), a, b


def listing(session, actor, project_id, village=None, band=None, status="open", after=None,
            limit=50, audited=True):
    """One page of the pairs the actor sees, best score first (then newest): (rows, next
    cursor or None). `village`: an area id (either side in it); `after`: (score, id) of the last row
    of the previous page. Audited (the rows show people) unless the caller audits it."""
    query = select(DuplicatePair)
    query, a, b = _live(query, merged=status == "merged")
    query = _scoped(query.where(DuplicatePair.project_id == project_id), actor)
    if village is not None:
        query = query.where(or_(DuplicatePair.a_area_id == village,
                                DuplicatePair.b_area_id == village))
    if band:
        query = query.where(DuplicatePair.band == band)
    if status:
        query = query.where(DuplicatePair.status == status)
    if after is not None:
        score, last = after
        query = query.where(or_(DuplicatePair.score < score,
                                and_(DuplicatePair.score == score, DuplicatePair.id < last)))
    query = query.add_columns(a.c.label.label("a_label"), b.c.label.label("b_label"))
    # one direction for both keys: a backward walk of ix_duplicate_pairs_list
    found = session.execute(query.order_by(DuplicatePair.score.desc(), DuplicatePair.id.desc())
                            .limit(limit + 1)).all()
    rows = [_row(r[0], r.a_label, r.b_label) for r in found[:limit]]
    if audited:
        record(session, actor, "duplicates.read", f"project:{project_id}", count=len(rows),
               village=village, band=band, status=status)
    cursor = (found[limit - 1][0].score, found[limit - 1][0].id) if len(found) > limit else None
    return rows, cursor


def _row(pair, a_label, b_label):
    return {"id": pair.id, "a": {"uuid": pair.a_uuid, "label": a_label, "areaId": pair.a_area_id},
            "b": {"uuid": pair.b_uuid, "label": b_label, "areaId": pair.b_area_id},
            "score": pair.score, "band": pair.band, "evidence": pair.evidence or {},
            "status": pair.status, "decidedBy": pair.decided_by, "decidedAt": pair.decided_at}


def for_entity(session, actor, uuid):
    """The pairs of the entity with this uuid the actor sees (both people in her villages),
    each as listing's row; the other person's uuid is row["b"] or row["a"]."""
    uuid = (uuid or "").lower()
    query, a, b = _live(select(DuplicatePair).where(or_(DuplicatePair.a_uuid == uuid,
                                                         DuplicatePair.b_uuid == uuid)))
    query = _scoped(query, actor).add_columns(a.c.label.label("a_label"),
                                              b.c.label.label("b_label"))
    return [_row(r[0], r.a_label, r.b_label) for r in session.execute(
        query.order_by(DuplicatePair.score.desc(), DuplicatePair.id))]


def open_count(session, project_ids, area_ids=None):
    """How many open pairs (both people live) of these projects, in these villages (None:
    all): the console dashboard's number."""
    query, _a, _b = _live(select(func.count()).select_from(DuplicatePair))
    query = query.where(DuplicatePair.project_id.in_(list(project_ids)),
                        DuplicatePair.status == "open")
    if area_ids is not None:
        areas = sorted(area_ids)
        query = query.where(DuplicatePair.a_area_id.in_(areas),
                            DuplicatePair.b_area_id.in_(areas))
    return session.scalar(query)


# -- rebuild ------------------------------------------------------------------------------------
def snapshot(session, project_id):
    """The project's pairs of live people as comparable values, by their two uuids."""
    query, _a, _b = _live(select(DuplicatePair).where(DuplicatePair.project_id == project_id))
    return {(p.a_uuid, p.b_uuid): (round(p.score, 3), p.band, p.evidence, p.status)
            for p in session.scalars(query)}


def compare(live, rebuilt):
    out = []
    for key in sorted(set(live) | set(rebuilt)):
        if live.get(key) != rebuilt.get(key):
            out.append(f"duplicate pair {key[0]} {key[1]}: live {live.get(key)!r}, "
                       f"rebuilt {rebuilt.get(key)!r}")
    return out
