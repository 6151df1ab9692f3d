"""Today: what needs a supervisor's attention, per village of hers. Counts only (no one's
personal data), each read from an index so the page stays fast at 100,000 people:

- received today / this month: submissions by arrival (ix_submissions_area_received, the
  village and the arrival time: a range of it per village);
- waiting for review: held out of the register, neither deleted nor rejected, and of those
  the ones marked as having issues (the partial index ix_submissions_held, which holds only
  the held ones);
- conflicts: entities in conflict (the partial index ix_entities_conflict);
- duplicates waiting: open pairs of people the matcher banded (duplicate_pairs, app.quality),
  both of them live and in her villages, counted in the village of the pair's first person;
- held offline updates: the entity backlog (a few rows), joined to their submission;
- phones: the live phones she manages, least recently heard from first.
"""
from dataclasses import dataclass, field
from datetime import datetime, time, timezone

from sqlalchemy import case, func, or_, select, text

from app.console import phones
from app.db.columns import utcnow
from app.projects.models import Area
from app.quality.models import DuplicatePair
from app.register.models import Entity, EntityBacklog
from app.submissions.models import Submission


@dataclass
class Counts:
    code: str = ""
    name_zh: str = ""
    name_en: str = ""
    received_today: int = 0
    received_month: int = 0
    waiting: int = 0
    issues: int = 0
    conflicts: int = 0
    duplicates: int = 0
    held: int = 0

    def add(self, other):
        for name in NUMBERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


NUMBERS = ("received_today", "received_month", "waiting", "issues", "conflicts", "duplicates",
           "held")


@dataclass
class Today:
    day: object                      # the town's date today
    month_start: object              # the first of its month
    villages: list                   # [Counts], one per village, in code order
    total: Counts
    phones: list = field(default_factory=list)   # [phones.Phone], least recently heard first
    silent: int = 0                  # of those, silent for phones.SILENT_AFTER or more


def _utc(day, zone):
    """The start of a day of the town as a stored (naive UTC) datetime."""
    return datetime.combine(day, time(), zone).astimezone(timezone.utc).replace(tzinfo=None)


def today(session, actor, project_id, area_ids, zone, now=None, with_phones=True):
    """The counts of the villages `area_ids` (None: all of hers) on the town's day of `now`,
    and (with_phones) the phones she manages there."""
    now = now or utcnow()
    day = now.replace(tzinfo=timezone.utc).astimezone(zone).date()
    month_start = day.replace(day=1)
    areas = session.execute(select(Area.id, Area.code, Area.name_zh, Area.name_en)
                            .where(Area.project_id == project_id).order_by(Area.code)).all()
    chosen = {a.id: Counts(a.code, a.name_zh or a.code, a.name_en or a.code) for a in areas
              if (area_ids is None and actor.sees_area(a.id))
              or (area_ids is not None and a.id in area_ids)}
    ids = list(chosen)
    if ids:
        _count(session, chosen, _received(ids, _utc(day, zone), _utc(month_start, zone)),
               "received_today", "received_month")
        _count(session, chosen, _waiting(), "waiting", "issues")
        _count(session, chosen, _conflicts(ids), "conflicts")
        _count(session, chosen, _duplicates(ids), "duplicates")
        _count(session, chosen, _held(), "held")
    total = Counts()
    for counts in chosen.values():
        total.add(counts)
    found, silent = [], 0
    if with_phones:
        found = phones.silent_phones(session, actor, project_id, area_ids, now)
        silent = phones.silent_count(session, actor, project_id, area_ids, now)
    return Today(day, month_start, list(chosen.values()), total, found, silent)


def _count(session, chosen, query, *names):
    """Add the counts a query gives by village, for the chosen villages (a query over the
    few held rows reads them all: a village filter would lead the planner to a larger
    index)."""
    for area_id, *values in session.execute(query):
        if area_id in chosen:
            for name, value in zip(names, values):
                setattr(chosen[area_id], name, getattr(chosen[area_id], name) + int(value or 0))


def _received(ids, day_start, month_start):
    return (select(Submission.area_id,
                   func.sum(case((Submission.created_at >= day_start, 1), else_=0)),
                   func.count())
            .where(Submission.area_id.in_(ids), Submission.created_at >= month_start)
            .group_by(Submission.area_id))


def _waiting():
    # grouped as ix_submissions_held is ordered (form, village), so the planner reads that
    # small index in order rather than every submission by village; summed by village below
    return (select(Submission.area_id, func.count(),
                   func.sum(case((Submission.review_state == "hasIssues", 1), else_=0)))
            # written as the partial index is, so both databases use it
            .where(text("NOT submissions.in_register AND submissions.deleted_at IS NULL"),
                   or_(Submission.review_state.is_(None),
                       Submission.review_state != "rejected"))
            .group_by(Submission.form_id, Submission.area_id))


def _conflicts(ids):
    return (select(Entity.area_id, func.count())
            # written as the partial index ix_entities_conflict is
            .where(text("entities.conflict IS NOT NULL AND entities.deleted_at IS NULL"),
                   Entity.area_id.in_(ids))
            .group_by(Entity.area_id))


def _duplicates(ids):
    a, b = Entity.__table__.alias("a"), Entity.__table__.alias("b")
    return (select(DuplicatePair.a_area_id, func.count())
            .join(a, a.c.id == DuplicatePair.a_id).join(b, b.c.id == DuplicatePair.b_id)
            .where(DuplicatePair.status == "open", DuplicatePair.a_area_id.in_(ids),
                   DuplicatePair.b_area_id.in_(ids), a.c.deleted_at.is_(None),
                   b.c.deleted_at.is_(None))
            .group_by(DuplicatePair.a_area_id))


def _held():
    # the backlog's few submissions, each looked up by its key
    return (select(Submission.area_id, func.count())
            .where(Submission.id.in_(select(EntityBacklog.submission_id)))
            .group_by(Submission.area_id))
