"""People and households for the console: the search (over app.register.search's index), a
person's page (her life course from the life events, each current value with the version and
submission that set it, her versions, her relatives) and a household's page (members past and
present, moves, visits). Plain data out; village scope applied here: a person or household
outside the actor's villages is not found (404), and the search reads only her villages.
"""
import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select, tuple_

from app.console.actors import names as actor_names
from app.events.models import LifeEvent
from app.problems import Problem
from app.projects.models import Area
from app.register import search as index
from app.register.models import (Dataset, Entity, EntityVersion, PersonNameTerm,
                                 PersonSearch)

PAGE = 25
#: the shortest digit query: fewer digits would match a tenth of the town
MIN_DIGITS = 4
AGE_BANDS = {"0-14": (0, 14), "15-49": (15, 49), "50-64": (50, 64), "65-": (65, 200)}
MIGRANT = ("moved_in",)
#: the event details a timeline shows (the rest stay in the submission)
DETAIL_KEYS = ("method", "previous_method", "action", "outcome", "round", "result", "benefit",
               "certificate", "from", "to", "reason", "cause", "weeks", "amount")
S = PersonSearch.__table__
N = PersonNameTerm.__table__


def age(dob, today):
    """Completed years (周岁) on `today`, or None."""
    if dob is None:
        return None
    return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))


def mask_id(number):
    """A resident ID number as lists show it: region code and last 4 (CONSOLE.md §4.5)."""
    if not number:
        return ""
    if len(number) <= 10:
        return "*" * (len(number) - 4) + number[-4:]
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


# ------------------------------------------------------------------------------ the search

@dataclass
class Found:
    uuid: str
    name: str
    sex: str
    age: int | None
    village: tuple
    household: str
    household_label: str
    id_masked: str
    married: bool
    pregnant: bool
    migrant: bool
    deceased: bool


@dataclass
class SearchPage:
    rows: list
    after: int | None           # the cursor of the next page (None: no more)
    kind: str                   # "all", "name", "pinyin", "digits", "short"
    query: dict = field(default_factory=dict)


def classify(q):
    """(kind, key) of a typed query."""
    q = (q or "").strip()
    if not q:
        return "all", ""
    plain = "".join(q.split()).replace("-", "")
    if plain and (plain.isdigit() or (plain[:-1].isdigit() and plain[-1] in "xX")):
        if len(plain) < MIN_DIGITS:
            return "short", plain
        return "digits", plain.upper()
    if index.has_han(q):
        return "name", index.name_key(q)
    key = index.pinyin_key(q)
    return ("pinyin", key) if key else ("all", "")


def _matches(kind, key):
    """The conditions on person_search whose matches a page merges (each read in the
    list's order): one, or for pinyin two (its start, its initials), each an index range."""
    if kind == "digits":
        found = [index.prefix(S.c.id_reversed, key[::-1])]
        if key.isdigit():
            found.append(index.prefix(S.c.phone_reversed, key[::-1]))
        return [or_(*found)]
    if kind == "pinyin":
        # one letter: whoever's initials start with it, her pinyin does too
        return [index.prefix(S.c.pinyin, key)] + (
            [index.prefix(S.c.initials, key)] if len(key) > 1 else [])
    return [None]


def _filters(query, today):
    out = []
    if query.get("sex"):
        out.append(S.c.sex == query["sex"])
    band = AGE_BANDS.get(query.get("age") or "")
    if query.get("wra"):
        out.append(S.c.sex == "female")
        band = (15, 49)
    if band:
        low, high = band
        out.append(S.c.dob <= _years_before(today, low))
        out.append(S.c.dob > _years_before(today, high + 1))
    if query.get("married"):
        out.append(S.c.marital_status.in_(index.MARRIED))
    if query.get("pregnant"):
        out.append(S.c.pregnant.is_(True))
    if query.get("migrant"):
        out.append(S.c.residence_status.in_(MIGRANT))
    return out


def _years_before(day, years):
    try:
        return day.replace(year=day.year - years)
    except ValueError:                      # 29 February
        return day.replace(year=day.year - years, day=28)


def search(session, actor, project_id, area_ids, query, today, after=None):
    """One page (25) of the people matching `query` (q and the filters) in `area_ids` (None:
    every village, for town-wide staff), in pinyin order; `after` the last entity id shown."""
    kind, key = classify(query.get("q"))
    if kind == "short":
        return SearchPage([], None, kind, query)
    if area_ids is None:
        area_ids = actor.area_ids
    last = session.scalar(select(S.c.pinyin).where(S.c.entity_id == after)) \
        if after is not None else None
    filters = _filters(query, today)
    if kind == "name":
        pages = [_name_ids(project_id, area_ids, key, filters, last, after)]
    else:
        base = [S.c.project_id == project_id, *filters]
        if area_ids is not None:
            base.append(S.c.area_id.in_(sorted(area_ids)))
        if last is not None:
            base.append(tuple_(S.c.pinyin, S.c.entity_id) > tuple_(last, after))
        pages = [select(S.c.entity_id).where(and_(*base, *([m] if m is not None else [])))
                 .order_by(S.c.pinyin, S.c.entity_id).limit(PAGE + 1)
                 for m in _matches(kind, key)]
    rows = {r.entity_id: r for ids in pages for r in _rows(session, ids)}
    rows = sorted(rows.values(), key=lambda r: (r.pinyin, r.entity_id))
    more = rows[PAGE - 1].entity_id if len(rows) > PAGE else None
    rows = rows[:PAGE]
    villages = _villages(session, {r.area_id for r in rows})
    households = _labels(session, {r.household for r in rows if r.household})
    return SearchPage([Found(r.uuid, r.name, r.sex, age(r.dob, today),
                             villages.get(r.area_id, ("", "", "")), r.household,
                             households.get(r.household, ""), mask_id(r.id_number),
                             r.marital_status in index.MARRIED, r.pregnant,
                             r.residence_status in MIGRANT, r.deceased) for r in rows],
                      more, kind, query)


def _name_ids(project_id, area_ids, key, filters, last, after):
    """The ids of a page of people whose Han name holds `key`: the start of one of its
    endings (person_name_terms), read from that index alone unless a filter needs the
    person's row."""
    found = select(N.c.entity_id, N.c.pinyin).where(index.prefix(N.c.term, key),
                                                    N.c.project_id == project_id)
    if area_ids is not None:
        found = found.where(N.c.area_id.in_(sorted(area_ids)))
    if filters:
        found = found.join(S, S.c.entity_id == N.c.entity_id).where(*filters)
    if last is not None:
        found = found.where(tuple_(N.c.pinyin, N.c.entity_id) > tuple_(last, after))
    return found.distinct().order_by(N.c.pinyin, N.c.entity_id).limit(PAGE + 1)


def _rows(session, ids):
    """The index rows of a page's ids (a query of entity_id), with their entities' uuids:
    the ids are found first (from an index alone, where they can be), the rows then."""
    ids = ids.subquery()
    return session.execute(select(S, Entity.uuid).join(ids, ids.c.entity_id == S.c.entity_id)
                           .join(Entity, Entity.id == S.c.entity_id)).all()


def _villages(session, ids):
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    return {r.id: (r.code, r.name_zh or r.code, r.name_en or r.code) for r in session.execute(
        select(Area.id, Area.code, Area.name_zh, Area.name_en).where(Area.id.in_(ids)))}


def _labels(session, uuids):
    if not uuids:
        return {}
    return dict(session.execute(select(Entity.uuid, Entity.label)
                                .where(Entity.uuid.in_(sorted(uuids)))).all())


# ------------------------------------------------------------------------------ one person

@dataclass
class Value:
    name: str
    value: str
    version: int | None
    source: str
    submission_id: int | None
    actor: str


@dataclass
class Version:
    version: int
    at: dt.datetime
    source: str
    submission_id: int | None
    actor: str
    changed: list
    conflict: str | None


@dataclass
class LifeItem:
    kind: str
    on: dt.date | None
    submission_id: int
    form_id: str
    details: list
    role: str                   # "self", "other" (she is the other person), "pregnancy"
    other: str                  # the other person's uuid ('' when none)


@dataclass
class Person:
    uuid: str
    name: str
    sex: str
    age: int | None
    dob: str
    village: tuple
    household: str
    household_label: str
    id_number: str              # masked unless revealed
    id_revealed: bool
    chips: list
    deleted: bool
    values: list
    versions: list
    timeline: list
    relatives: list             # (relation, uuid, name)
    #: app.console.merging.MergeFacts: the record she was merged into, those merged into her
    merges: object = None


def _entity(session, project_id, list_name, uuid, actor):
    """The entity of the project's list `list_name`, or 404 (also outside her villages)."""
    found = session.execute(
        select(Entity).join(Dataset, Dataset.id == Entity.dataset_id)
        .where(Entity.uuid == uuid, Dataset.project_id == project_id, Dataset.name == list_name,
               Entity.purged_at.is_(None))).scalar_one_or_none()
    if found is None or not actor.sees_area(found.area_id):
        raise Problem("404.121")
    return found


def _actors(session, versions):
    """{(kind, id): name} of each version's author ("" when unknown)."""
    found = actor_names(session, {(v.actor_kind, v.actor_id) for v in versions})
    return {(v.actor_kind, v.actor_id): found.get((v.actor_kind, v.actor_id), "")
            for v in versions}


def _history(session, entity_id):
    """(versions oldest first, the provenance of each current value)."""
    versions = session.scalars(select(EntityVersion).where(EntityVersion.entity_id == entity_id)
                               .order_by(EntityVersion.version)).all()
    actors = _actors(session, versions)
    setter, out = {}, []
    for v in versions:
        who = actors.get((v.actor_kind, v.actor_id), "")
        for key in v.received or {}:
            setter[key] = v
        out.append(Version(v.version, v.created_at, v.source, v.submission_id, who,
                           sorted(v.received or {}), v.conflict))
    return out, setter, actors


def _values(data, setter, actors, revealed):
    out = []
    for key in sorted(data):
        v = setter.get(key)
        value = data[key]
        if key == "id_number" and not revealed:
            value = mask_id(value)
        out.append(Value(key, value, v.version if v else None, v.source if v else "",
                         v.submission_id if v else None,
                         actors.get((v.actor_kind, v.actor_id), "") if v else ""))
    return out


def _timeline(session, project_id, uuid, merged=()):
    """Her life events (as the person, as the other person, and her pregnancies'), in date
    order (undated last), each once; those naming a record merged into hers (`merged`, their
    uuids) too, as events keep the uuids their submissions named."""
    T = LifeEvent
    mine_ids = [uuid, *merged]
    mine = session.scalars(select(T).where(T.project_id == project_id,
                                           or_(T.person.in_(mine_ids),
                                               T.other_person.in_(mine_ids)))).all()
    pregnancies = {e.pregnancy for e in mine if e.pregnancy and e.person in mine_ids}
    if pregnancies:
        seen = {e.id for e in mine}
        mine += [e for e in session.scalars(select(T).where(
            T.project_id == project_id, T.pregnancy.in_(sorted(pregnancies)))) if e.id not in seen]
    mine.sort(key=lambda e: (e.occurred_on is None, e.occurred_on or dt.date.min,
                             e.submission_id, e.position))
    out = []
    for e in mine:
        role = ("self" if e.person in mine_ids else "other" if e.other_person in mine_ids
                else "pregnancy")
        other = e.other_person if role == "self" else e.person
        details = [(k, str(e.details[k])) for k in DETAIL_KEYS
                   if (e.details or {}).get(k) not in (None, "", [])]
        out.append(LifeItem(e.kind, e.occurred_on, e.submission_id, e.form_id, details, role,
                            other or ""))
    return out


def _relatives(session, actor, project_id, entity, timeline):
    """(relation, uuid, name): her household's other members, her spouse, and the children
    whose births name her as the mother; only those in the actor's villages."""
    data = entity.data or {}
    found = []
    household = (data.get("household") or "").strip()
    if household:
        found += [("household", r.uuid, r.name) for r in session.execute(
            select(Entity.uuid, S.c.name).join(Entity, Entity.id == S.c.entity_id)
            .where(S.c.household == household, S.c.project_id == project_id,
                   S.c.entity_id != entity.id).order_by(S.c.pinyin).limit(50))]
    if data.get("spouse"):
        found.append(("spouse", data["spouse"], ""))
    found += [("child", item.other, "") for item in timeline
              if item.kind == "birth" and item.role == "other" and item.other]
    names = _names(session, actor, [u for rel, u, n in found])
    return [(rel, u, n or names[u]) for rel, u, n in found if u in names]


def _names(session, actor, uuids):
    """uuid -> name of the people among `uuids` the actor may see (others are left out: a
    relative who moved to another village is not named to this village's supervisor)."""
    if not uuids:
        return {}
    return {r.uuid: (r.data or {}).get("full_name") or r.label for r in session.execute(
        select(Entity.uuid, Entity.label, Entity.data, Entity.area_id)
        .where(Entity.uuid.in_(sorted(set(uuids))))) if actor.sees_area(r.area_id)}


def person(session, actor, project_id, uuid, today, reveal=False):
    """Her page's data (404.121 when she is not in the actor's villages)."""
    entity = _entity(session, project_id, index.PEOPLE, uuid, actor)
    data = dict(entity.data or {})
    versions, setter, actors = _history(session, entity.id)
    from app.console import merging   # noqa: PLC0415 - merging builds on this module
    merges = merging.facts(session, actor, entity)
    timeline = _timeline(session, project_id, entity.uuid, [u for u, _n in merges.merged])
    row = index.row(entity.id, project_id, entity.area_id, data)
    chips = [c for c, on in (("married", row["marital_status"] in index.MARRIED),
                             ("migrant", row["residence_status"] in MIGRANT),
                             ("moved_out", row["residence_status"] == "moved_out"),
                             ("pregnant", row["pregnant"]), ("deceased", row["deceased"]),
                             ("conflict", bool(entity.conflict))) if on]
    household = row["household"]
    return Person(
        entity.uuid, data.get("full_name") or entity.label, row["sex"], age(row["dob"], today),
        data.get("dob", ""), _villages(session, {entity.area_id}).get(entity.area_id,
                                                                        ("", "", "")),
        household, _labels(session, {household}).get(household, "") if household else "",
        (row["id_number"] or "") if reveal else mask_id(row["id_number"]), reveal, chips,
        entity.deleted_at is not None, _values(data, setter, actors, reveal), versions[::-1],
        timeline, _relatives(session, actor, project_id, entity, timeline), merges)


# ------------------------------------------------------------------------------ a household

@dataclass
class Member:
    uuid: str
    name: str
    relation: str
    sex: str
    age: int | None
    status: str                 # residence status, or "deceased" / "left"
    current: bool


@dataclass
class Household:
    uuid: str
    label: str
    village: tuple
    data: dict
    members: list
    events: list                # LifeItem of the household's events (moves, births …)
    visits: list                # Version of the household entity (each visit that changed it)
    names: dict                 # uuid -> name of the people its events name


def household(session, actor, project_id, uuid, today):
    """A household's page data (404.121 outside the actor's villages)."""
    entity = _entity(session, project_id, "households", uuid, actor)
    current = [r for r in session.execute(
        select(Entity.uuid, Entity.data, S.c.dob, S.c.deceased, S.c.area_id)
        .join(Entity, Entity.id == S.c.entity_id)
        .where(S.c.household == uuid, S.c.project_id == project_id)
        .order_by(S.c.pinyin).limit(100)) if actor.sees_area(r.area_id)]
    members = [Member(r.uuid, (r.data or {}).get("full_name", ""),
                      (r.data or {}).get("relation", ""), (r.data or {}).get("sex", ""),
                      age(r.dob, today),
                      "deceased" if r.deceased else (r.data or {}).get("residence_status", ""),
                      not r.deceased and (r.data or {}).get("residence_status") != "moved_out")
               for r in current]
    events = session.scalars(select(LifeEvent).where(LifeEvent.project_id == project_id,
                                                     LifeEvent.household == uuid)
                             .order_by(LifeEvent.occurred_on, LifeEvent.submission_id,
                                       LifeEvent.position).limit(500)).all()
    known = {m.uuid for m in members}
    names = _names(session, actor, {e.person for e in events if e.person})
    left = sorted({e.person for e in events if e.person in names and e.person not in known})
    members += [Member(u, names.get(u, ""), "", "", None, "left", False) for u in left]
    timeline = [LifeItem(e.kind, e.occurred_on, e.submission_id, e.form_id,
                         [(k, str(e.details[k])) for k in DETAIL_KEYS
                          if (e.details or {}).get(k) not in (None, "", [])],
                         "self", e.person or "") for e in events]
    versions, _setter, _actors = _history(session, entity.id)
    return Household(entity.uuid, entity.label,
                     _villages(session, {entity.area_id}).get(entity.area_id, ("", "", "")),
                     dict(entity.data or {}), members, timeline,
                     [v for v in versions[::-1] if v.source in ("submission", "backlog")], names)
