"""Omissions the register shows by itself, without any outside list: overdue pregnancies, the
open pregnancies on the `pregnancies` list with no outcome four weeks after their expected
date (edd). Each is a birth or a loss nobody recorded, or a pregnancy registered twice whose
second row was never closed: either way a worker must go and find out.

Plain functions of a session, the actor's villages and today's date (the town's), no Flask:
the JSON API (app/api/omission_views.py) and the console (app/console/overdue.py) page the
same list in the same order, (edd, entity id), with an opaque keyset cursor. Reading it is
the caller's to audit.
"""
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select

from app.problems import Problem
from app.projects.models import Area
from app.register.models import Dataset, Entity

#: a pregnancy is overdue this many days after its expected date with no outcome (the same
#: four weeks as the monthly report's list, app.reports.lists.OVERDUE_DAYS)
OVERDUE_DAYS = 28
#: the statuses that close a pregnancy (pregnancy_outcome sets one of them)
ENDED = ("delivered", "lost")
PAGE = 50
MAX_PAGE = 500
#: uuids per IN (...) when reading the women
CHUNK = 500


@dataclass(frozen=True)
class Overdue:
    pregnancy: str             # the pregnancy's register uuid
    woman: str                 # the woman's register uuid ('' when the row names none)
    woman_name: str
    village: str               # the village's code
    village_zh: str
    village_en: str
    lmp: str
    edd: str
    days_overdue: int          # days since the expected date
    reported_by: str           # group_leader / health_centre / '' (an outcome form's row)
    reported_on: str           # the day the register got the pregnancy (YYYY-MM-DD)
    status: str                # reported / confirmed
    last_check: str            # the woman's last three checks (YYYY-MM-DD) or ''


@dataclass(frozen=True)
class Page:
    rows: list                 # [Overdue], by expected date then entity
    after: str | None          # the cursor of the next page (None: this is the last)


def cutoff(today):
    """The latest expected date that is overdue on `today`: edd + 28 days <= today."""
    return today - dt.timedelta(days=OVERDUE_DAYS)


def village_ids(session, actor, project_id, code=None):
    """The area ids the list covers for `actor`: hers (None: every village), or the one
    village asked for; a village she does not see is not found, as an unknown one is."""
    if code is None:
        return actor.area_ids
    found = session.scalar(select(Area.id).where(Area.project_id == project_id,
                                                 Area.code == code))
    if found is None or not actor.sees_area(found):
        raise Problem("404.301", {"village": code})
    return frozenset([found])


def _cursor(edd, entity_id):
    return f"{edd}_{entity_id}"


def parse_cursor(after):
    """(edd, entity id) of a cursor this module gave, else Problem 400.301."""
    edd, _, number = (after or "").rpartition("_")
    try:
        dt.date.fromisoformat(edd)
        entity_id = int(number)
    except ValueError:
        raise Problem("400.301") from None
    if not 0 < entity_id < 2 ** 62:
        raise Problem("400.301")
    return edd, entity_id


def _dataset_id(session, project_id, name):
    return session.scalar(select(Dataset.id).where(Dataset.project_id == project_id,
                                                   Dataset.name == name))


def _where(dataset_id, area_ids, today):
    edd = Entity.data["edd"].as_string()
    status = func.coalesce(Entity.data["status"].as_string(), "")
    conds = [Entity.dataset_id == dataset_id, Entity.deleted_at.is_(None),
             status.not_in(ENDED), edd.like("____-__-__"),
             edd <= cutoff(today).isoformat()]
    if area_ids is not None:
        conds.append(Entity.area_id.in_(sorted(area_ids)) if area_ids else Entity.id < 0)
    return conds, edd


def overdue_pregnancies(session, project_id, area_ids, today, after=None, limit=PAGE):
    """One page of overdue pregnancies in `area_ids` (None: every village) on `today`, after
    the cursor `after`."""
    limit = max(1, min(limit, MAX_PAGE))
    dataset_id = _dataset_id(session, project_id, "pregnancies")
    if dataset_id is None:
        return Page([], None)
    conds, edd = _where(dataset_id, area_ids, today)
    if after:
        at_edd, at_id = parse_cursor(after)
        conds.append(or_(edd > at_edd, and_(edd == at_edd, Entity.id > at_id)))
    rows = session.execute(
        select(Entity.id, Entity.uuid, Entity.data, Entity.created_at, Area.code,
               Area.name_zh, Area.name_en)
        .outerjoin(Area, Area.id == Entity.area_id)
        .where(*conds).order_by(edd, Entity.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    checks = _last_checks(session, project_id, [r.data.get("woman") or "" for r in rows])
    found = []
    for r in rows:
        data = r.data or {}
        due = _date(data.get("edd"))
        woman = data.get("woman") or ""
        found.append(Overdue(
            pregnancy=r.uuid, woman=woman, woman_name=data.get("woman_name") or "",
            village=r.code or "", village_zh=r.name_zh or r.code or "",
            village_en=r.name_en or r.code or "", lmp=data.get("lmp") or "",
            edd=data.get("edd") or "", days_overdue=(today - due).days if due else 0,
            reported_by=data.get("reported_by") or "",
            reported_on=r.created_at.date().isoformat() if r.created_at else "",
            status=data.get("status") or "", last_check=checks.get(woman, "")))
    last = rows[-1] if rows else None
    return Page(found, _cursor(last.data.get("edd"), last.id) if more else None)


def count(session, project_id, area_ids, today):
    """How many pregnancies are overdue in `area_ids` on `today` (the dashboard's count)."""
    dataset_id = _dataset_id(session, project_id, "pregnancies")
    if dataset_id is None:
        return 0
    conds, _ = _where(dataset_id, area_ids, today)
    return session.scalar(select(func.count()).select_from(Entity).where(*conds)) or 0


def _last_checks(session, project_id, women):
    """woman uuid -> her `last_checks_date` on the people list."""
    women = sorted({w for w in women if w})
    dataset_id = _dataset_id(session, project_id, "people")
    out = {}
    if dataset_id is None:
        return out
    for i in range(0, len(women), CHUNK):
        for uuid, data in session.execute(select(Entity.uuid, Entity.data).where(
                Entity.dataset_id == dataset_id, Entity.uuid.in_(women[i:i + CHUNK]))):
            out[uuid] = (data or {}).get("last_checks_date") or ""
    return out


def _date(value):
    try:
        return dt.date.fromisoformat((value or "")[:10])
    except ValueError:
        return None


def every_overdue(session, project_id, area_ids, today):
    """The whole list (every page), for the bench and the CLI."""
    out, after = [], None
    while True:
        page = overdue_pregnancies(session, project_id, area_ids, today, after, MAX_PAGE)
        out += page.rows
        if page.after is None:
            return out
        after = page.after
