"""Distinct counts kept as report cells: a person counted once however many events she has.
Two are kept, each a flow cell at the village and month of the subject's first event:
`three_checks_women:{round}` (a woman's first check of a three-checks round; section F's women
checked) and `reward_payees:{benefit}:{year}` (a household's or person's first payment of a
benefit in a year; section I's beneficiaries paid).

"First" is the earliest event by (date, submission id, position), so it is the same whatever
order the events arrive in. When a submission's events are written or removed, `delta` looks
up the other events of the subjects they touch (by the person or household index) and moves
each first's +1 from where it was to where it is now, in the same upsert as the other cells;
`totals` gives them from all the events at once (the rebuild, the check and the demo's ground
truth). On PostgreSQL the lookups of one subject take turns (an advisory lock per subject
until the transaction ends): two payments to one household sent at once would otherwise each
be its first."""
import datetime as dt

from sqlalchemy import bindparam, select, text

from app.reports.cells import _date, _details, _field, token
from app.reports.periods import month_key

WOMEN_CHECKED = "three_checks_women"
PAYEES = "reward_payees"
KINDS = ("three_checks", "reward_paid")
_LOCK = text("SELECT pg_advisory_xact_lock(hashtext(:k))")


def key_of(row):
    """(cell name, subject, subject column) of a life_events row that counts towards a distinct
    cell, or None."""
    kind = _field(row, "kind")
    if kind not in KINDS:
        return None
    details = _details(_field(row, "details"))
    person = _field(row, "person")
    if kind == "three_checks":
        if not person:
            return None
        return f"{WOMEN_CHECKED}:{token(details, 'round')}", person, "person"
    day = _date(_field(row, "occurred_on"))
    year = day.year if day is not None else 0
    cell = f"{PAYEES}:{token(details, 'benefit')}:{year:04d}"
    household = _field(row, "household")
    if person:
        return cell, person, "person"
    if household:
        return cell, household, "household"
    return None


def _order(row):
    day = _date(_field(row, "occurred_on"))
    return (day or dt.date.max, _field(row, "submission_id") or 0, _field(row, "position") or 0)


def _identity(row):
    return _field(row, "submission_id"), _field(row, "position")


def _cell(project_id, row, name):
    area_id = _field(row, "area_id")
    area_id = area_id if isinstance(area_id, int) and not isinstance(area_id, bool) else 0
    return project_id, area_id, month_key(_date(_field(row, "occurred_on"))), name


def totals(rows):
    """{(project_id, area_id, month, cell): n} of the distinct cells that `rows` (all the
    events of the projects concerned) give."""
    first = {}
    for row in rows:
        key = key_of(row)
        if key is None:
            continue
        found = (_field(row, "project_id"), key[0], key[1], key[2])
        if found not in first or _order(row) < _order(first[found]):
            first[found] = row
    out = {}
    for (project_id, name, _subject, _column), row in first.items():
        cell = _cell(project_id, row, name)
        out[cell] = out.get(cell, 0) + 1
    return out


def _stored(session, project_id, kind, column, subject):
    from app.events.models import LifeEvent   # noqa: PLC0415 - events build on reports
    T = LifeEvent.__table__
    query = select(T.c.project_id, T.c.submission_id, T.c.position, T.c.kind, T.c.occurred_on,
                   T.c.area_id, T.c.person, T.c.household, T.c.details).where(
        T.c[column] == bindparam("s"), T.c.kind == kind, T.c.project_id == project_id)
    if column == "household":
        query = query.where(T.c.person.is_(None))
    return [r._mapping for r in session.execute(query, {"s": subject})]


def delta(session, added, removed):
    """{(project_id, area_id, month, cell): n} moving each distinct count the rows `added`
    (just written) and `removed` (just deleted) touch from its first event before the change
    to its first after it; the session already holds the change."""
    touched = {}
    for row in list(added) + list(removed):
        key = key_of(row)
        if key is not None:
            touched.setdefault((_field(row, "project_id"), _field(row, "kind")) + key, None)
    if not touched:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        # Two transactions paying one household at once would each see only its own event
        # and both count a first: each subject's lookups take turns (in one order, so no
        # deadlock), and the later one then sees the earlier one's committed events.
        for key in sorted({f"firsts:{p}:{k}:{c}:{s}" for p, k, _n, s, c in touched}):
            session.execute(_LOCK, {"k": key})
    out = {}
    looked_up = {}
    for project_id, kind, name, subject, column in touched:
        lookup = (project_id, kind, column, subject)
        if lookup not in looked_up:
            looked_up[lookup] = _stored(session, project_id, kind, column, subject)

        def mine(rows):
            return [r for r in rows if _field(r, "project_id") == project_id
                    and key_of(r) == (name, subject, column)]
        after = mine(looked_up[lookup])
        new = {_identity(r) for r in mine(added)}
        before = [r for r in after if _identity(r) not in new] + mine(removed)
        was = _cell(project_id, min(before, key=_order), name) if before else None
        now = _cell(project_id, min(after, key=_order), name) if after else None
        if was != now:
            if was is not None:
                out[was] = out.get(was, 0) - 1
            if now is not None:
                out[now] = out.get(now, 0) + 1
    return {k: n for k, n in out.items() if n}
