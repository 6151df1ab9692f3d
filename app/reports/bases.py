"""Stock bases: each village's stocks summed up to a cut month (tables report_stock_cuts and
report_stock_bases), so a report reads a few dozen base rows per village instead of summing
the stock history month by month from the first birth date on the register.

The invariant, for every project with a cut: base(area, cell) = the sum of the report_cells
of that area and stock cell dated on or before the cut (BEFORE included). It is kept in the
life events' own transaction: `statement` adds a submission's stock changes dated on or before
the cut right after app.reports.cells writes them; `move` sets a new cut and sums again;
`rebuild` and `compare` serve `flask register rebuild [--check]`. A project without a cut has
no bases and its reports sum the whole history (app.reports.read); so does a report whose
window starts on or before the cut.

docs/reports/cells.md says when to move the cut (`flask reports compact`)."""
import datetime as dt

from sqlalchemy import BigInteger, cast, delete, func, insert, or_, select, text

from app.db.driver_sql import DriverStatement
from app.reports.models import ReportCell, ReportStockBase, ReportStockCut
from app.reports.periods import Month

#: the stock cells (the same names as app.reports.read's is_stock)
STOCK_PREFIXES = ("pop:", "method:")
STOCK_NAMES = ("women_15_49", "married_women_15_49", "pregnant")
#: stock changes per statement (a submission gives a few dozen at most)
CHUNK = 64
_STATEMENTS = {}


def is_stock(cell):
    return cell.startswith(STOCK_PREFIXES) or cell in STOCK_NAMES


def default_cut(today=None):
    """December three years before `today`'s year: every report of this year and last year
    (which read month by month from January of last year) starts after it."""
    today = today or dt.date.today()
    return Month(today.year - 3, 12)


def cut(session, project_id):
    """The project's cut month (a Month), or None when it keeps no bases."""
    found = session.scalar(select(ReportStockCut.cut).where(
        ReportStockCut.project_id == project_id))
    return Month.parse(found) if found else None


def _statement(count):
    """INSERT … SELECT … ON CONFLICT adding `count` stock changes (project, area, month, cell,
    n) to the bases of projects whose cut is on or after the change's month; one statement
    text for SQLite and PostgreSQL (VALUES columns are column1… in both)."""
    found = _STATEMENTS.get(count)
    if found is None:
        names = [name for i in range(count) for name in
                 (f"p{i}", f"a{i}", f"m{i}", f"c{i}", f"n{i}")]
        values = ", ".join(
            f"(CAST(:p{i} AS INTEGER), CAST(:a{i} AS INTEGER), CAST(:m{i} AS VARCHAR(7)), "
            f"CAST(:c{i} AS VARCHAR(80)), CAST(:n{i} AS BIGINT))" for i in range(count))
        found = _STATEMENTS[count] = (DriverStatement(text(
            "INSERT INTO report_stock_bases (project_id, area_id, cell, n)"
            " SELECT v.column1, v.column2, v.column4, SUM(v.column5)"
            f" FROM (VALUES {values}) AS v"
            " JOIN report_stock_cuts AS k ON k.project_id = v.column1"
            " WHERE v.column3 <= k.cut"
            " GROUP BY v.column1, v.column2, v.column4"
            " ON CONFLICT (project_id, area_id, cell)"
            " DO UPDATE SET n = report_stock_bases.n + excluded.n")), names)
    return found


def add(session, items):
    """Add the stock changes among `items` ([((project, area, month, cell), n)], in key order,
    as app.reports.cells upserts them) to the bases their month falls under."""
    # in the bases' key order (project, area, cell), so that two transactions adding more
    # than a chunk lock the base rows in one order (each statement locks in its group order)
    stocks = sorted((item for item in items if is_stock(item[0][3])),
                    key=lambda item: (item[0][0], item[0][1], item[0][3], item[0][2]))
    for start in range(0, len(stocks), CHUNK):
        chunk = stocks[start:start + CHUNK]
        statement, names = _statement(len(chunk))
        statement.run(session, dict(zip(names, [v for key, n in chunk for v in (*key, n)])))


def stock_filter(column):
    """The SQL condition that `column` (a cell name) is a stock cell."""
    return or_(*[column.like(prefix + "%") for prefix in STOCK_PREFIXES],
               column.in_(STOCK_NAMES))


def _sums(session, project_id, month):
    """{(area, cell): n} of the stored stock cells of the project dated on or before month."""
    C = ReportCell.__table__
    query = (select(C.c.area_id, C.c.cell, cast(func.sum(C.c.n), BigInteger))
             .where(C.c.project_id == project_id, C.c.month <= str(month),
                    stock_filter(C.c.cell))
             .group_by(C.c.area_id, C.c.cell))
    return {(a, c): int(n) for a, c, n in session.execute(query) if n}


def move(session, project_id, month):
    """Set the project's cut to `month` (a Month or 'YYYY-MM') and sum its bases again, in the
    caller's transaction. Intake waits meanwhile (the bases table is locked on PostgreSQL), so
    a submission is summed either in the new bases or by its own statement, never twice.
    Returns how many base rows were written."""
    month = Month.parse(month) if isinstance(month, str) else month
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE report_stock_bases IN EXCLUSIVE MODE"))
    found = session.get(ReportStockCut, project_id)
    if found is None:
        session.add(ReportStockCut(project_id=project_id, cut=str(month)))
    else:
        found.cut = str(month)
    session.flush()
    return _write(session, project_id, month)


def _write(session, project_id, month):
    B = ReportStockBase.__table__
    session.execute(delete(B).where(B.c.project_id == project_id))
    rows = [{"project_id": project_id, "area_id": a, "cell": c, "n": n}
            for (a, c), n in sorted(_sums(session, project_id, month).items())]
    for start in range(0, len(rows), 5000):
        session.execute(insert(B), rows[start:start + 5000])
    return len(rows)


def start(session, project_id, today=None):
    """Give a new project its cut (default_cut) and bases, unless it has one."""
    if session.get(ReportStockCut, project_id) is None:
        move(session, project_id, default_cut(today))


def rebuild(session, project_id=None):
    """Sum the bases again from the stored cells at each project's cut (after
    app.reports.cells.rebuild), in the caller's transaction."""
    query = select(ReportStockCut.project_id, ReportStockCut.cut)
    if project_id is not None:
        query = query.where(ReportStockCut.project_id == project_id)
    return sum(_write(session, p, Month.parse(c)) for p, c in session.execute(query).all())


def stored(session, project_id, area_ids=None):
    """{area_id: {cell: n}} of the project's bases (area_ids None: every area)."""
    return snapshot(session, project_id, area_ids)[1]


def snapshot(session, project_id, area_ids=None):
    """(the project's cut or None, {area_id: {cell: n}} of its bases) read in one statement,
    so a `move` committed meanwhile cannot pair one cut with the other's bases."""
    B, K = ReportStockBase.__table__, ReportStockCut.__table__
    on = (B.c.project_id == K.c.project_id)
    if area_ids is not None:
        on = on & B.c.area_id.in_(list(area_ids))
    query = (select(K.c.cut, B.c.area_id, B.c.cell, B.c.n)
             .select_from(K.outerjoin(B, on)).where(K.c.project_id == project_id))
    cut, out = None, {}
    for found, area_id, cell, n in session.connection().execute(query):
        cut = found
        if n:
            out.setdefault(area_id, {})[cell] = int(n)
    return (Month.parse(cut) if cut else None), out


def compare(session, project_id=None):
    """['…'] where a project's bases differ from the sum of its stored stock cells up to its
    cut (what `flask register rebuild --check` adds to its differences)."""
    query = select(ReportStockCut.project_id, ReportStockCut.cut)
    if project_id is not None:
        query = query.where(ReportStockCut.project_id == project_id)
    out = []
    for p, c in session.execute(query).all():
        want = _sums(session, p, Month.parse(c))
        have = {(a, cell): n for a, cells in stored(session, p).items()
                for cell, n in cells.items()}
        for key in sorted(set(want) | set(have)):
            if want.get(key, 0) != have.get(key, 0):
                out.append(f"report stock base {key[1]} of area {key[0]} to {c} (project {p}): "
                           f"stored {have.get(key, 0)}, the cells give {want.get(key, 0)}")
    return out
