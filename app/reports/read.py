"""Reading the monthly summary cells (report_cells) the reports count from: sums over villages
and months, stocks as of a month's end, and per-village windows for the town's village table.
Each read is one or two GROUP BYs over report_cells, whose size is villages × months × cells
whatever the register's size; none reads life events or submissions.

Area ids: a list of village ids, or None for the whole town (every area of the project, the
area 0 of events with no village included)."""
from sqlalchemy import BigInteger, case, cast, func, or_, select, text

from app.reports import bases
from app.reports.bases import is_stock
from app.reports.models import ReportCell
from app.reports.periods import Month

#: up to this many areas PostgreSQL's stock-history read filters them in SQL
FEW_AREAS = 50


def _stock_filter():
    return bases.stock_filter(ReportCell.cell)


#: PostgreSQL's memory for one sort or hash of a report's reads: the town's groupings of
#: 1,200 villages' cells spill to disk at the default 4 MB (docs/reports/bench.md)
WORK_MEM = "32MB"


def tune(session):
    """Settings for the rest of the transaction of a report's reads (PostgreSQL): memory enough
    to group a town's cells and events without spilling to disk, and no JIT compiling (it
    costs more than it saves on these: docs/reports/figures.md)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
        session.execute(text("SET LOCAL jit = off"))


def _rows(session, query):
    """The rows of `query` through Core, not the ORM's result machinery (which is slower on a
    town's many rows: docs/reports/figures.md), flushing first as session.execute would."""
    if session.autoflush:
        session.flush()
    return session.connection().execute(query)


def _sum(value):
    # a bigint, not PostgreSQL's numeric: a Decimal per row slows the town report
    # (docs/reports/figures.md)
    return cast(func.sum(value), BigInteger)


def _scope(query, project_id, area_ids):
    query = query.where(ReportCell.project_id == project_id)
    if area_ids is not None:
        query = query.where(ReportCell.area_id.in_(list(area_ids)))
    return query


def _month_keys(months):
    return [str(m) for m in months]


def totals(session, project_id, area_ids, months):
    """{cell: n} summed over the areas and the listed months (periods.Month or 'YYYY-MM')."""
    query = _scope(select(ReportCell.cell, _sum(ReportCell.n)), project_id, area_ids)
    query = query.where(ReportCell.month.in_(_month_keys(months))).group_by(ReportCell.cell)
    return {cell: int(n) for cell, n in _rows(session, query)}


def stock(session, project_id, area_ids, month):
    """{stock cell: n} at the end of `month`: the sum of every month up to it, the BEFORE
    bucket ('0000-00', sorting first) included. Only stock cells (is_stock) are returned.
    After the project's cut, its bases plus the months since (app.reports.bases)."""
    month = Month.parse(month) if isinstance(month, str) else month
    cut, stored = bases.snapshot(session, project_id, area_ids)
    query = _scope(select(ReportCell.cell, _sum(ReportCell.n)), project_id, area_ids)
    query = query.where(ReportCell.month <= str(month), _stock_filter())
    if cut is None or month < cut:
        return {cell: int(n) for cell, n in _rows(session, query.group_by(ReportCell.cell))
                if n}
    found = add(*stored.values())
    if cut < month:
        for cell, n in _rows(session, query.where(ReportCell.month > str(cut))
                             .group_by(ReportCell.cell)):
            found[cell] = found.get(cell, 0) + int(n)
    return {cell: n for cell, n in found.items() if n}


def monthly(session, project_id, area_ids, first, last):
    """{'YYYY-MM': {cell: n}} for each month from `first` to `last` that has cells."""
    query = _scope(select(ReportCell.month, ReportCell.cell, _sum(ReportCell.n)),
                   project_id, area_ids)
    query = query.where(ReportCell.month >= str(first), ReportCell.month <= str(last))
    out = {}
    for month, cell, n in _rows(session, query.group_by(ReportCell.month, ReportCell.cell)):
        out.setdefault(month, {})[cell] = int(n)
    return out


def by_area(session, project_id, area_ids, month, first=None, only=None, only_windows=None):
    """{area_id: {window: {cell: n}}} of every area with cells up to `month`. Windows: 'month'
    (this month), 'ytd' (January to it), 'stat_ytd' (1 October to it), 'rolling_12' (it and
    the 11 before) of flow cells; 'start', 'end' (at the month's start and end) and 'base' (at
    the end of the month before `first`, by default January of last year) of stock cells.
    Reads the stock bases (or the history before `first`) and every cell from `first` to
    `month` (an index range); `only`: the names or name prefixes (ending ':') of the cells
    wanted from that range (the town's village table needs a few of the many); `only_windows`:
    the windows wanted (default all), each a sum more over the range."""
    first = first if first is not None else Month(month.year - 1, 1)
    flows = {"month": month, "ytd": month.year_to_date()[0],
             "stat_ytd": month.statistical_year_to_date()[0], "rolling_12": month.plus(-11)}
    if only_windows is not None:
        flows = {name: start for name, start in flows.items() if name in only_windows}
    assert first <= min(flows.values()) and first <= month.plus(-1), first
    out = {}
    cut, stored = bases.snapshot(session, project_id, area_ids)
    if cut is not None and cut < first:
        # the bases to the cut, and the stock changes from it to `first` (a key range)
        for area_id, cells in stored.items():
            out[area_id] = {"base": dict(cells)}
        since = _scope(select(ReportCell.area_id, ReportCell.cell, _sum(ReportCell.n)),
                       project_id, area_ids)
        since = since.where(ReportCell.month > str(cut), ReportCell.month < str(first),
                            _stock_filter())
        for area_id, cell, n in _rows(session, since.group_by(ReportCell.area_id,
                                                               ReportCell.cell)):
            if n:
                base = out.setdefault(area_id, {}).setdefault("base", {})
                base[cell] = base.get(cell, 0) + int(n)
    else:
        _history(session, project_id, area_ids, first, out)
    if only is not None:
        # the windows hold only the cells asked for, bases included (else a stock left out of
        # the range would read as its base alone)
        for windows in out.values():
            windows["base"] = {cell: n for cell, n in windows.get("base", {}).items()
                               if _named(cell, only)}
    ends = {"start": str(month.plus(-1)), "end": str(month)}
    if only_windows is not None:
        ends = {name: last for name, last in ends.items() if name in only_windows}
    # month keys compare byte by byte, the same order for ASCII: PostgreSQL's locale-aware
    # compare is dearer (docs/reports/figures.md)
    key = (ReportCell.month.collate("C") if session.get_bind().dialect.name == "postgresql"
           else ReportCell.month)
    sums = [_sum(case((key >= str(lo), ReportCell.n), else_=0)) for lo in flows.values()]
    sums += [_sum(case((key <= last, ReportCell.n), else_=0)) for last in ends.values()]
    query = _scope(select(ReportCell.area_id, ReportCell.cell, *sums), project_id, area_ids)
    query = query.where(ReportCell.month.between(str(first), str(month)))
    if only is not None:
        query = query.where(or_(*[ReportCell.cell.like(name + "%") if name.endswith(":")
                                  else ReportCell.cell == name for name in only]))
    changes, stocks, names = {}, {}, tuple(flows)
    # a plain loop over up to 70,000 rows (1,200 villages): is_stock once per cell name
    for area_id, cell, *values in _rows(
            session, query.group_by(ReportCell.area_id, ReportCell.cell)):
        windows = out.get(area_id)
        if windows is None:
            windows = out[area_id] = {}
        stock = stocks.get(cell)
        if stock is None:
            stock = stocks[cell] = is_stock(cell)
        if stock:
            changes.setdefault(area_id, {})[cell] = values[len(names):]
            continue
        for name, value in zip(names, values):
            if value:
                window = windows.get(name)
                if window is None:
                    window = windows[name] = {}
                window[cell] = int(value)
    for area_id, windows in out.items():
        base = windows.setdefault("base", {})
        for name in flows:
            windows.setdefault(name, {})
        for i, name in enumerate(ends):
            cells = dict(base)
            for cell, values in changes.get(area_id, {}).items():
                cells[cell] = cells.get(cell, 0) + int(values[i])
            windows[name] = {cell: n for cell, n in cells.items() if n}
    return out



def _named(cell, names):
    """Whether `cell` is one of `names` (names ending ':' are prefixes)."""
    return any(cell.startswith(n) if n.endswith(":") else cell == n for n in names)


def _history(session, project_id, area_ids, first, out):
    """Each area's stocks at the end of the month before `first`, summed from every month
    of its history (a project without bases, or a window starting before its cut)."""
    # many areas on PostgreSQL (the town): the history is read whole and other areas dropped
    # here, since a long IN list makes it sort the whole history on disk instead of hashing the
    # groups; SQLite reads each listed area from its index (migration 0014) in group order
    wanted = None if area_ids is None else set(area_ids)
    whole = (wanted is not None and len(wanted) > FEW_AREAS
             and session.get_bind().dialect.name == "postgresql")
    query = _scope(select(ReportCell.area_id, ReportCell.cell, _sum(ReportCell.n)),
                   project_id, None if whole else area_ids)
    query = query.where(ReportCell.month < str(first), _stock_filter())
    for area_id, cell, n in _rows(session, query.group_by(ReportCell.area_id, ReportCell.cell)):
        if n and (wanted is None or area_id in wanted):
            out.setdefault(area_id, {}).setdefault("base", {})[cell] = int(n)

def add(*dicts):
    """{cell: n} summed over cell dicts (the town's total of its villages' windows)."""
    out = {}
    for d in dicts:
        for cell, n in d.items():
            out[cell] = out.get(cell, 0) + n
    return out
