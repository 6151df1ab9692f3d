"""Month locks and what changed since: a lock keeps the report document a meeting closed and the
life_events rows it counted; amendments are the difference between those rows and the rows of
the month now, each change turned into lines of the cells it moves (app.reports.cells).

The counted rows are kept whole (kind, date, village, details, submission; `ReportLock.event_ids`
holds their ids, the stored document keeps their content under ROWS_KEY, which the service
strips before anyone sees the document): an event removed since the lock is gone from
life_events, yet its cells must still be taken back. Rows are matched by content, not by id,
because a review decision or a rebuild writes a submission's events again under new ids.

    late       an event of the month that was not counted at the lock (recorded after it)
    corrected  a counted event whose submission now reports it differently (an edit): −n in
               the old cells, +n in the new, cells that did not change left out
    removed    a counted event no longer there (deleted, rejected, moved to another month)
Pure but for month_rows(), active(), submissions_changed_at(); nothing is committed here.
"""
import datetime as dt
import json
from collections import defaultdict

from sqlalchemy import func, select

from app.db.columns import isoformat, utcnow
from app.events.models import LifeEvent
from app.reports import cells as _cells
from app.reports import document
from app.reports.models import ReportLock
from app.reports.periods import month_key
from app.submissions.models import Submission, SubmissionDef
from app.webhooks import outbox

#: where the stored document keeps the counted rows (never shown)
ROWS_KEY = "_counted_rows"
#: where a lock's document keeps, for each earlier locked month whose late records its report
#: showed, that month's rows as they then were: the next report's baseline (never shown)
LATE_KEY = "_late_baselines"
#: the stored document's keys the service strips
HIDDEN = (ROWS_KEY, LATE_KEY)
#: what a row is compared by (besides its submission): two rows alike in these are one event
_CONTENT = ("kind", "occurred_on", "area_id", "person", "other_person", "household",
            "pregnancy", "details")
TOWN = 0


def month_rows(session, project_id, month, area_ids):
    """The life_events rows of `month` (periods.Month) over `area_ids` (None: the whole
    town) as JSON-safe dicts, with the instanceID of the version that reported each."""
    e = LifeEvent.__table__
    query = (select(e.c.id, e.c.submission_id, e.c.kind, e.c.occurred_on, e.c.area_id,
                    e.c.person, e.c.other_person, e.c.household, e.c.pregnancy, e.c.details,
                    e.c.created_at, SubmissionDef.instance_id)
             .join(SubmissionDef, SubmissionDef.id == e.c.submission_def_id)
             .where(e.c.project_id == project_id, e.c.occurred_on >= month.first,
                    e.c.occurred_on <= month.last)
             .order_by(e.c.id))
    if area_ids is not None:
        query = query.where(e.c.area_id.in_(list(area_ids)))
    return [snapshot(r._mapping) for r in session.execute(query)]


def month_ids(session, project_id, month, area_ids):
    """The ids of month_rows(), alone (a cheap look whether anything changed)."""
    e = LifeEvent.__table__
    query = select(e.c.id).where(e.c.project_id == project_id, e.c.occurred_on >= month.first,
                                 e.c.occurred_on <= month.last)
    if area_ids is not None:
        query = query.where(e.c.area_id.in_(list(area_ids)))
    return set(session.scalars(query))


def snapshot(row):
    """A life_events row (a mapping) as the lock stores it."""
    occurred = row["occurred_on"]
    return {"id": row["id"], "submission_id": row["submission_id"], "kind": row["kind"],
            "occurred_on": occurred.isoformat() if occurred is not None else None,
            "area_id": row["area_id"], "person": row["person"],
            "other_person": row["other_person"], "household": row["household"],
            "pregnancy": row["pregnancy"], "details": dict(row["details"] or {}),
            "instance_id": row["instance_id"],
            "created_at": isoformat(row["created_at"]) if row["created_at"] else None}


def _key(row):
    return (row["submission_id"], json.dumps([row[c] for c in _CONTENT], sort_keys=True,
                                             ensure_ascii=False, default=str))


def changes(locked, current):
    """[(change, submission_id, old rows, new rows)] between the rows counted at a lock and
    the month's rows now, in submission order."""
    waiting = defaultdict(list)
    for row in locked:
        waiting[_key(row)].append(row)
    new = defaultdict(list)
    for row in current:
        matches = waiting.get(_key(row))
        if matches:
            matches.pop()
        else:
            new[row["submission_id"]].append(row)
    gone = defaultdict(list)
    for rows in waiting.values():
        for row in rows:
            gone[row["submission_id"]].append(row)
    out = []
    for submission in sorted(set(gone) | set(new)):
        old, fresh = gone.get(submission, []), new.get(submission, [])
        change = "corrected" if old and fresh else "removed" if old else "late"
        out.append((change, submission, old, fresh))
    return out


def _cells_of(row, upto, contributions, arrivals):
    """{(area_id, cell): n} the row moves in months up to `upto` ('YYYY-MM'): flows of its
    month and stock changes up to it; later stock changes (a woman leaving 15–49 years on)
    do not touch this month's report."""
    plain = dict(row, occurred_on=_date(row))
    out = defaultdict(int)
    for area_id, month, cell, n in contributions(plain, arrivals):
        if month <= upto:
            out[(area_id or TOWN, cell)] += n
    return out


def lines(found, villages, removed_at=None, contributions=None, locked=(), current=()):
    """Amendment lines (app.reports.document.amendment) of changes(). `villages` {area id:
    code}; `removed_at` {submission id: when it last changed} dates the lines of removals.
    `locked` and `current`: the rows changes() compared (the lock's and the month's now):
    a bride who moves in on her marriage visit counts as the cells count her
    (app.reports.cells.arrivals over each side's rows, whole submissions), not twice.
    `contributions(row, arrivals)` defaults to app.reports.cells.contributions."""
    contributions = contributions or _cells.contributions
    removed_at = removed_at or {}
    out = []
    for change, submission, old, fresh in found:
        month = month_key(_date(old[0] if old else fresh[0]))
        before, after = defaultdict(int), defaultdict(int)
        for rows, side, totals in ((old, locked, before), (fresh, current, after)):
            # the change's own rows and the unchanged rows of its submission on that side
            arrivals = _cells.arrivals(
                [*rows, *(r for r in side if r["submission_id"] == submission)])
            for row in rows:
                for (area_id, cell), n in _cells_of(row, month, contributions,
                                                    arrivals).items():
                    totals[(cell, area_id, row["kind"])] += n
        old_id = old[0]["instance_id"] if old else None
        new_id = fresh[0]["instance_id"] if fresh else None
        recorded = (fresh[0]["created_at"] if fresh
                    else removed_at.get(submission) or isoformat(utcnow()))
        # one line per cell that moved: an edit's old cell −n (from the old version), its new
        # cell +n (from the edit); a cell both versions have, by the difference
        for cell, area_id, kind in sorted(set(before) | set(after), key=str):
            delta = after.get((cell, area_id, kind), 0) - before.get((cell, area_id, kind), 0)
            if delta:
                source = new_id if delta > 0 and new_id else old_id or new_id
                out.append(document.amendment(month, villages.get(area_id), kind, cell, delta,
                                              source, recorded, change))
    return out


def _date(row):
    return dt.date.fromisoformat(row["occurred_on"]) if row["occurred_on"] else None


def events_changed(found):
    """How many events changes() found late, and how many were corrected or removed."""
    late = sum(len(fresh) for change, _s, _old, fresh in found if change == "late")
    corrected = sum(max(len(old), len(fresh)) for change, _s, old, fresh in found
                    if change != "late")
    return late, corrected


def submissions_changed_at(session, submission_ids):
    """{submission id: ISO time it was deleted or last changed} (dates a removal)."""
    if not submission_ids:
        return {}
    rows = session.execute(select(Submission.id, Submission.deleted_at, Submission.updated_at)
                           .where(Submission.id.in_(list(submission_ids))))
    return {r.id: isoformat(r.deleted_at or r.updated_at) for r in rows
            if (r.deleted_at or r.updated_at) is not None}


def active(session, project_id, month, area_id):
    """The lock in force on `month` ('YYYY-MM') for one village or the town (0), or None."""
    return session.scalar(select(ReportLock).where(
        ReportLock.project_id == project_id, ReportLock.month == str(month),
        ReportLock.area_id == area_id, ReportLock.unlocked_at.is_(None))
        .order_by(ReportLock.version.desc()).limit(1))


def active_before(session, project_id, month, area_id, since=None):
    """The locks in force on months before `month` (and from `since` on, when given) for one
    village or the town, oldest month first."""
    query = select(ReportLock).where(
        ReportLock.project_id == project_id, ReportLock.month < str(month),
        ReportLock.area_id == area_id, ReportLock.unlocked_at.is_(None))
    if since is not None:
        query = query.where(ReportLock.month >= str(since))
    return session.scalars(query.order_by(ReportLock.month)).all()


def next_version(session, project_id, month, area_id):
    last = session.scalar(select(func.max(ReportLock.version)).where(
        ReportLock.project_id == project_id, ReportLock.month == str(month),
        ReportLock.area_id == area_id))
    return (last or 0) + 1


def store(session, project_id, month, area_id, doc, rows, by, locked_at):
    """Keep a lock: the document as locked, with the rows it counted."""
    lock = ReportLock(project_id=project_id, month=str(month), area_id=area_id,
                      version=doc["lock"]["version"], locked_at=locked_at, locked_by=by,
                      document={**doc, ROWS_KEY: rows,
                                LATE_KEY: doc.get(LATE_KEY, {})},
                      event_ids=[r["id"] for r in rows])
    session.add(lock)
    session.flush()
    outbox.report_locked(session, lock)
    return lock


def end(lock, by, reason):
    """End a lock (an admin's unlock): its month is open again until the next version."""
    lock.unlocked_at, lock.unlocked_by, lock.unlock_reason = utcnow(), by, reason
