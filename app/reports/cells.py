"""Monthly summary cells of the life events (table report_cells): how many events of each
kind and detail a village has in each month (flow cells), and by how much each stock
(population, women 15-49, married women 15-49, pregnant women, methods in use) changed in
each month (stock-change cells; a stock at the end of a month is the sum of its changes in
that month and every month before, BEFORE included).

`contributions` is the whole rule (docs/reports/cells.md lists the cells): a pure function
of one life_events row. The cells are kept in the events' own transaction by
app.events.record (`apply`: + when rows are written, - when they are removed), so reports read
a few hundred cells instead of the events or the submissions. `rebuild` recomputes them from
the events and `compare` says where the stored cells differ (`flask register rebuild
--check`).
"""
import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from typing import NamedTuple

from sqlalchemy import delete, func, insert, select, text

from app.db.driver_sql import DriverStatement
from app.reports import bases
from app.reports.periods import BEFORE, month_key

#: weeks of gestation from which a termination needs its approval number (the town's plan)
APPROVAL_WEEKS = 15
#: weeks from which a termination is counted as a late one (the plan's 14-week row)
LATE_WEEKS = 14
#: the age window of the women's stocks: [dob + 15 years, dob + 50 years)
WINDOW = (15, 50)

SEXES = ("male", "female")
BIRTH_PLACES = ("hospital", "clinic", "home", "other")
NEWBORN_DEATH_PLACES = ("in_hospital", "outside_hospital")
OUTCOMES = ("live_birth", "stillbirth", "miscarriage", "induced_abortion",
            "medical_termination", "ectopic")
#: outcomes that are a termination (the plan's 引产/人流), counted by weeks
TERMINATIONS = ("induced_abortion", "medical_termination")
#: outcomes that are not a loss (no loss reason is counted for them)
NOT_LOSSES = ("live_birth", "stillbirth")
MARRIED = ("first_marriage", "remarried")
#: three-checks IUD results that are a finding
IUD_FINDINGS = ("displaced", "expelled")
#: kinds that change a couple's status
COUPLES = ("marriage", "divorce")
#: kinds whose details describe the person they add to or take from the register
PEOPLE = frozenset(("birth", "registered", "moved_in", "death", "moved_out", "newborn_death"))
#: contraception values that are no method
NO_METHOD = ("", "none")
UNKNOWN = "unknown"
#: the longest cell name (report_cells.cell is VARCHAR(80)); an open value is cut to a token
TOKEN = re.compile(r"^[A-Za-z0-9_.\-]{1,40}$")
#: a fen amount beyond this (ten thousand billion yuan) is not a payment: read as none
MAX_FEN = 10 ** 15


# -- reading a row's odd values --------------------------------------------------------------

def _field(row, name):
    if isinstance(row, dict):        # the common case, ahead of the slower ABC check
        return row.get(name)
    if isinstance(row, Mapping):
        return row.get(name)
    return getattr(row, name, None)


def _date(value):
    """A date from a date, a datetime or ISO text ('YYYY-MM-DD…'); None for anything else."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _details(value):
    if isinstance(value, dict):
        return value
    if isinstance(value, Mapping):
        return value
    if isinstance(value, (str, bytes)):
        # a driver that hands JSON back as text
        try:
            value = json.loads(value)
        except ValueError:
            return {}
        return value if isinstance(value, Mapping) else {}
    return {}


def _text(details, name):
    value = details.get(name)
    return value.strip() if isinstance(value, str) else ""


def _choice(details, name, allowed):
    value = _text(details, name)
    return value if value in allowed else UNKNOWN


def _token(details, name, default=UNKNOWN):
    """An open value (a reason, a round, a benefit) as a cell name part: a short token, or
    `default` when it is blank or could not be one (too long, a colon, a space)."""
    value = _text(details, name)
    return value if TOKEN.match(value) else default


def token(details, name, default=UNKNOWN):
    """_token for the readers that name values as the cells do (app.reports.coverage)."""
    return _token(details, name, default)


def has_method_of(details, name):
    """Whether details[name] names a contraceptive method (not blank, not 'none')."""
    return _token(details, name, default="") not in NO_METHOD


def _int(value):
    """A whole number from an int, a whole float or digits; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value == int(value) else None
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,9}\s*", value):
        return int(value)
    return None


def _number(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _order(details):
    order = _int(details.get("birth_order"))
    if order is None or order < 1:
        return UNKNOWN
    return str(min(order, 4))


def _fen(details):
    amount = _number(details.get("amount"))
    # checked before multiplying: round(1e307 * 100) is round(inf), an OverflowError
    if amount is None or not abs(amount) * 100 <= MAX_FEN:
        return 0
    return round(amount * 100)


def plus_years(day, years):
    """The date `years` after `day`: a birthday; 29 February's falls on 1 March in a common
    year (as app.events.people reads ages). None past the calendar's end."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        if day.month == 2 and day.day == 29:
            try:
                return dt.date(day.year + years, 3, 1)
            except ValueError:
                return None
        return None


# -- the rule ---------------------------------------------------------------------------------

def _window(dob, day, sign):
    """A stock change of the age window [dob+15y, dob+50y) of one woman entering (sign +1)
    or leaving (-1) on `day` (None: before any record): (month, n) pairs. She counts from
    max(day, dob+15y) until dob+50y; nothing when she comes or goes at 50 or later."""
    if dob is None:
        return []
    start, end = plus_years(dob, WINDOW[0]), plus_years(dob, WINDOW[1])
    if start is None:
        return []                       # past the calendar: never in the window
    if end is not None and day is not None and day >= end:
        return []
    begins = start if day is None or day < start else day
    out = [(month_key(begins), sign)]
    if end is not None:
        out.append((month_key(end), -sign))
    return out


def _cells(kind, day, details, couple_stock=True):
    """(month, cell, n) of one event; `day` its date (None: unknown). couple_stock=False: a
    marriage or divorce whose woman moved in on the same submission, whose move in (with the
    status she has after it) already counts her."""
    month = month_key(day)
    d = details
    out = []
    if kind in PEOPLE:
        sex = _choice(d, "sex", SEXES)
        female = sex == "female"
        dob = _date(d.get("dob"))
        married = female and _text(d, "marital_status") in MARRIED
        method = _token(d, "contraception", default="")
        has_method = method not in NO_METHOD

    def window(cell, dob, day, sign):
        out.extend((m, cell, n) for m, n in _window(dob, day, sign))

    if kind == "birth":
        out += [(month, f"birth:{sex}:{_order(d)}", 1),
                (month, f"birth_place:{_choice(d, 'place', BIRTH_PLACES)}", 1),
                (month, f"pop:{sex}", 1)]
        if female:
            window("women_15_49", day, day, 1)
    elif kind == "registered":
        out += [(month, "registered", 1), (month_key(dob), f"pop:{sex}", 1)]
        if female:
            window("women_15_49", dob, dob, 1)
            if married:
                window("married_women_15_49", dob, dob, 1)
            if has_method:
                out.append((BEFORE, f"method:{method}", 1))
    elif kind == "moved_in":
        migrant = "yes" if _text(d, "migrant") == "yes" else "no"
        out += [(month, f"moved_in:{migrant}", 1), (month, f"pop:{sex}", 1)]
        if female:
            window("women_15_49", dob, day, 1)
            if married:
                window("married_women_15_49", dob, day, 1)
            if has_method:
                out.append((month, f"method:{method}", 1))
    elif kind in ("death", "moved_out"):
        if kind == "death":
            out.append((month, f"death:{sex}", 1))
        else:
            migrant = "yes" if _text(d, "migrant") == "yes" else "no"
            out.append((month, f"moved_out:{migrant}", 1))
        out.append((month, f"pop:{sex}", -1))
        if female:
            window("women_15_49", dob, day, -1)
            if married:
                window("married_women_15_49", dob, day, -1)
        if has_method:
            out.append((month, f"method:{method}", -1))
    elif kind == "newborn_death":
        out += [(month, f"newborn_death:{_choice(d, 'place', NEWBORN_DEATH_PLACES)}", 1),
                (month, f"pop:{sex}", -1)]
        if female and day is not None:
            # her birth put her in the window from 15: she leaves it (born age_days before)
            age = _int(d.get("age_days"))
            born = day - dt.timedelta(days=age) if age is not None and 0 <= age <= 366 else day
            window("women_15_49", born, day, -1)
    elif kind in ("marriage", "divorce"):
        out.append((month, kind, 1))
        if couple_stock:
            window("married_women_15_49", _date(d.get("woman_dob")), day,
                   1 if kind == "marriage" else -1)
    elif kind in ("pregnancy_confirmed", "ultrasound", "pregnancy_planned"):
        out.append((month, kind, 1))
    elif kind == "pregnancy_reported":
        out += [(month, kind, 1), (month, "pregnant", 1)]
    elif kind == "pregnancy_ended":
        outcome = _choice(d, "outcome", OUTCOMES)
        out.append((month, f"pregnancy_ended:{outcome}", 1))
        if outcome not in NOT_LOSSES:
            out.append((month, f"loss_reason:{_token(d, 'reason')}", 1))
        if outcome in TERMINATIONS:
            weeks = _int(d.get("weeks"))
            if weeks is not None and weeks >= LATE_WEEKS:
                out.append((month, "termination:14plus", 1))
            if weeks is not None and weeks >= APPROVAL_WEEKS:
                out.append((month, "termination:15plus", 1))
                if _text(d, "approval_no"):
                    out.append((month, "termination:15plus_approved", 1))
        if _text(d, "registered") != "no":
            out.append((month, "pregnant", -1))
    elif kind == "contraception_procedure":
        out.append((month, f"procedure:{_token(d, 'procedure', default='none')}", 1))
        previous = _token(d, "previous_method", default="")
        if previous not in NO_METHOD:
            out.append((month, f"method:{previous}", -1))
        if _text(d, "action") != "stop" and has_method_of(d, "method"):
            out.append((month, f"method:{_token(d, 'method')}", 1))
    elif kind == "method_changed":
        # a method stated on a visit or a check that the register did not hold
        previous = _token(d, "previous_method", default="")
        if previous not in NO_METHOD:
            out.append((month, f"method:{previous}", -1))
        if has_method_of(d, "method"):
            out.append((month, f"method:{_token(d, 'method')}", 1))
    elif kind == "three_checks":
        round_ = _token(d, "round")
        out.append((month, f"three_checks:{round_}", 1))
        if _text(d, "iud_result") in IUD_FINDINGS:
            out.append((month, f"three_checks_finding:{round_}:iud", 1))
        if _text(d, "pregnancy_found") == "yes":
            out.append((month, f"three_checks_finding:{round_}:pregnancy", 1))
        if _text(d, "illness_found") == "yes":
            out.append((month, f"three_checks_finding:{round_}:illness", 1))
    elif kind == "iud_check":
        out.append((month, f"iud_check:{_token(d, 'result')}", 1))
    elif kind == "prepregnancy_check":
        out.append((month, f"prepregnancy_check:{_token(d, 'result')}", 1))
    elif kind == "certificate_issued":
        out.append((month, f"certificate:{_token(d, 'certificate')}", 1))
    elif kind == "double_check":
        out.append((month, f"double_check:{_token(d, 'direction')}:{_token(d, 'received')}", 1))
    elif kind == "reward_paid":
        benefit = _token(d, "benefit")
        out.append((month, f"reward_paid:{benefit}", 1))
        fen = _fen(d)
        if fen:
            out.append((month, f"reward_fen:{benefit}", fen))
    return out


def contributions(row, arrivals=()):
    """[(area_id, month, cell, n)] one life_events row gives (SPEC.md, docs/reports/cells.md).
    `row`: a mapping or an object with kind, occurred_on (date, ISO text or None), area_id
    (None: 0) and details (a dict, or JSON text), and for a marriage or divorce its
    submission_id. `arrivals`: (submission id, person) of the moved_in events among the rows
    (`arrivals(rows)`): a bride who moves in on the visit that records her marriage is counted
    married by her move in, not twice. Pure and deterministic; an odd value reads as unknown,
    never an error."""
    kind = _field(row, "kind")
    if not isinstance(kind, str):
        return []
    area_id = _field(row, "area_id")
    area_id = area_id if isinstance(area_id, int) and not isinstance(area_id, bool) else 0
    day = _date(_field(row, "occurred_on"))
    details = _details(_field(row, "details"))
    couple_stock = True
    if arrivals and kind in COUPLES:
        woman = details.get("woman")
        couple_stock = not (isinstance(woman, str) and woman
                            and (_field(row, "submission_id"), woman) in arrivals)
    return [(area_id, month, cell, n)
            for month, cell, n in _cells(kind, day, details, couple_stock)]


def arrivals(rows):
    """{(submission id, person)} of the moved_in rows among `rows`."""
    return {(_field(r, "submission_id"), _field(r, "person")) for r in rows
            if _field(r, "kind") == "moved_in" and _field(r, "person")}


def totals(rows, sign=1):
    """{(project_id, area_id, month, cell): n} of rows (each with a project_id; whole
    submissions, as record.py writes and removes them), zeros left out."""
    rows = list(rows)
    moved_in = arrivals(rows)
    found = {}
    for row in rows:
        project_id = _field(row, "project_id")
        for area_id, month, cell, n in contributions(row, moved_in):
            key = (project_id, area_id, month, cell)
            found[key] = found.get(key, 0) + sign * n
    return {k: n for k, n in found.items() if n}


# -- keeping them -----------------------------------------------------------------------------

#: distinct cells per upsert statement (a submission gives a few dozen at most)
CHUNK = 64
_UPSERTS = {}            # number of cells -> (DriverStatement, its parameter names in order)


def _upsert_of(count):
    """INSERT … ON CONFLICT DO UPDATE of `count` cells (SQLite and PostgreSQL both take this
    text), compiled once per count and dialect, with its parameter names, cell by cell."""
    found = _UPSERTS.get(count)
    if found is None:
        names = [name for i in range(count) for name in
                 (f"p{i}", f"a{i}", f"m{i}", f"c{i}", f"n{i}")]
        values = ", ".join(f"(:p{i}, :a{i}, :m{i}, :c{i}, :n{i})" for i in range(count))
        found = _UPSERTS[count] = (DriverStatement(text(
            f"INSERT INTO report_cells (project_id, area_id, month, cell, n) VALUES {values}"
            " ON CONFLICT (project_id, area_id, month, cell)"
            " DO UPDATE SET n = report_cells.n + excluded.n")), names)
    return found


def _upsert(session, found):
    # in key order: two transactions adding to the same cells lock them in the same order
    items = sorted(found.items())
    for start in range(0, len(items), CHUNK):
        chunk = items[start:start + CHUNK]
        statement, names = _upsert_of(len(chunk))
        statement.run(session, dict(zip(names, [v for key, n in chunk for v in (*key, n)])))
    bases.add(session, items)


def apply(session, rows, sign):
    """Add (sign=+1) or subtract (-1) the contributions of life_events rows (mappings or
    named rows with project_id, kind, occurred_on, area_id, details) to report_cells, in the
    session's transaction: one multi-row upsert for up to CHUNK distinct cells."""
    from app.reports import firsts   # noqa: PLC0415 - firsts reads rows as this module does
    rows = list(rows)
    found = totals(rows, sign)
    moved = firsts.delta(session, rows, ()) if sign > 0 else firsts.delta(session, (), rows)
    for key, n in moved.items():
        found[key] = found.get(key, 0) + n
    found = {k: n for k, n in found.items() if n}
    if found:
        _upsert(session, found)


def change(session, added, removed):
    """Add the rows `added` and subtract the rows `removed` in one upsert (an edit's new and
    old events: the cells they share cancel and are not written)."""
    from app.reports import firsts   # noqa: PLC0415 - firsts reads rows as this module does
    added, removed = list(added), list(removed)
    found = totals(added, 1)
    for key, n in list(totals(removed, -1).items()) + list(
            firsts.delta(session, added, removed).items()):
        found[key] = found.get(key, 0) + n
    found = {k: n for k, n in found.items() if n}
    if found:
        _upsert(session, found)


# -- rebuilding and checking ------------------------------------------------------------------

def _event_totals(session, project_id=None, batch=10_000):
    """What the life events give, read a batch at a time."""
    from app.events.models import LifeEvent   # noqa: PLC0415 - events build on reports' cells
    from app.reports import firsts   # noqa: PLC0415
    T = LifeEvent.__table__
    query = select(T.c.project_id, T.c.submission_id, T.c.position, T.c.kind, T.c.occurred_on,
                   T.c.area_id, T.c.person, T.c.household, T.c.details)
    moved_in = select(T.c.submission_id, T.c.person).where(T.c.kind == "moved_in",
                                                            T.c.person.is_not(None))
    if project_id is not None:
        query = query.where(T.c.project_id == project_id)
        moved_in = moved_in.where(T.c.project_id == project_id)
    moved_in = {(r.submission_id, r.person) for r in session.execute(moved_in)}
    found, distinct = {}, []
    result = session.execute(query.execution_options(yield_per=batch))
    for row in result:
        for area_id, month, cell, n in contributions(row, moved_in):
            key = (row.project_id, area_id, month, cell)
            found[key] = found.get(key, 0) + n
        if row.kind in firsts.KINDS:
            distinct.append(row._mapping)
    for key, n in firsts.totals(distinct).items():
        found[key] = found.get(key, 0) + n
    return {k: n for k, n in found.items() if n}


def _stored(session, project_id=None):
    from app.reports.models import ReportCell   # noqa: PLC0415
    T = ReportCell.__table__
    query = select(T.c.project_id, T.c.area_id, T.c.month, T.c.cell, T.c.n).where(T.c.n != 0)
    if project_id is not None:
        query = query.where(T.c.project_id == project_id)
    return {(r.project_id, r.area_id, r.month, r.cell): r.n for r in session.execute(query)}


def rebuild(session, project_id=None):
    """Recompute report_cells from life_events (of one project, or all), replacing what was
    stored, in the caller's transaction. Returns how many cells were written."""
    from app.reports.models import ReportCell   # noqa: PLC0415
    T = ReportCell.__table__
    found = _event_totals(session, project_id)
    clear = delete(T)
    if project_id is not None:
        clear = clear.where(T.c.project_id == project_id)
    session.execute(clear)
    rows = [{"project_id": p, "area_id": a, "month": m, "cell": c, "n": n}
            for (p, a, m, c), n in sorted(found.items())]
    for start in range(0, len(rows), 5000):
        session.execute(insert(T), rows[start:start + 5000])
    return len(rows)


class Difference(NamedTuple):
    """A cell whose stored value is not what the events give."""
    project_id: int
    area_id: int
    month: str
    cell: str
    stored: int
    events: int

    def __str__(self):
        return (f"report cell {self.cell} of area {self.area_id}, {self.month} (project "
                f"{self.project_id}): stored {self.stored}, the events give {self.events}")


def compare(session, project_id=None):
    """[Difference] between the stored cells and what the life events give (zeros on either
    side are the same as no cell), in key order."""
    stored, events = _stored(session, project_id), _event_totals(session, project_id)
    return [Difference(*key, stored.get(key, 0), events.get(key, 0))
            for key in sorted(set(stored) | set(events))
            if stored.get(key, 0) != events.get(key, 0)]


def count(session, project_id=None):
    """How many non-zero cells are stored."""
    from app.reports.models import ReportCell   # noqa: PLC0415
    query = select(func.count()).select_from(ReportCell).where(ReportCell.n != 0)
    if project_id is not None:
        query = query.where(ReportCell.project_id == project_id)
    return session.scalar(query)
