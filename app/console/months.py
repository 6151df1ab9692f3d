"""The months page: the recent months' reports a person may open, for the town (town-wide
staff) and each of her villages, with each report's lock. The reports themselves are
app.reports' pages (/reports/<project>/<YYYY-MM>[?village=]); their own service decides again
who sees which. No Flask."""
from dataclasses import dataclass

from sqlalchemy import select

from app.console import scope
from app.projects.models import Area
from app.reports.models import ReportLock
from app.reports.periods import Month

TOWN = 0                       # a lock's area_id for the town's report (app.reports.service)


@dataclass(frozen=True)
class Report:
    code: str | None           # the village's code; None: the town
    name_zh: str
    name_en: str
    locked: int | None         # the lock's version, None when the month is open


@dataclass(frozen=True)
class MonthRow:
    month: str                 # "2026-05"
    reports: list              # [Report]: the town's first when she may see it


@dataclass(frozen=True)
class MonthsPage:
    months: list               # newest first
    villages: list             # [(code, name_zh, name_en)]: the village filter's choices


def _locks(session, project_id, months):
    rows = session.execute(select(ReportLock.month, ReportLock.area_id, ReportLock.version)
                           .where(ReportLock.project_id == project_id,
                                  ReportLock.month.in_([str(m) for m in months]),
                                  ReportLock.unlocked_at.is_(None)))
    return {(month, area_id): version for month, area_id, version in rows}


def recent_months(session, actor, project_id, today, village=None, count=12):
    """The `count` months up to the one holding `today` (a date in the town's time), each
    with the reports `actor` may open: the town's when she has every village (as
    app.reports.service decides), and one per village of hers (or the one asked for)."""
    villages = scope.villages(session, actor, project_id, village)
    rows = session.execute(select(Area.id, Area.code, Area.name_zh, Area.name_en)
                           .where(Area.project_id == project_id).order_by(Area.code)).all()
    shown = [r for r in rows if villages.ids is None or r.id in villages.ids]
    months = [Month.of(today).plus(-n) for n in range(count)]
    locks = _locks(session, project_id, months)
    town = actor.area_ids is None and village is None
    found = []
    for m in months:
        reports = [Report(None, "", "", locks.get((str(m), TOWN)))] if town else []
        reports += [Report(r.code, r.name_zh or r.code, r.name_en or r.code,
                           locks.get((str(m), r.id))) for r in shown]
        found.append(MonthRow(str(m), reports))
    return MonthsPage(found, villages.choices)
