"""Every query of sections F–I, the lists and the alerts reads life_events and the register
through an index (SQLite's query plans, for a village and for the town): none scans a whole
table. (PostgreSQL chooses by size; docs/reports/lists.md has its timings at 1M people.)"""
import pytest
from sqlalchemy import event

from app.reports import coverage, lists
from app.reports.periods import Month
from tests.reports.test_lists_submit import november, send  # noqa: F401 - fixtures

#: tables whose whole scan would grow with the town (areas and datasets are a few rows)
BIG = ("life_events", "entities", "report_cells", "submissions")


def plans(db, run):
    """The SQLite query plan lines of each statement `run` executes."""
    statements = []
    engine = db.session.get_bind()

    def seen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    out = []
    for statement, parameters in statements:
        rows = db.session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, parameters).all()
        out.append((statement, [r[-1] for r in rows]))
    return out


@pytest.mark.parametrize("scope", ["village", "town"])
def test_every_query_uses_an_index(november, db, scope):
    if db.session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite's query plans")
    areas = [november["dongwan"]] if scope == "village" else None
    month = Month(2026, 11)
    # the town's report counts the lists by village; each list still runs over the town
    every = [getattr(lists, id) for id in ("pregnancies_ended",
                                           "newborn_deaths_outside_hospital",
                                           "overdue_pregnancies", "three_checks_due_not_done",
                                           "planning_without_check")]
    found = plans(db, lambda: (coverage.sections(db.session, 1, month, areas),
                               lists.tables(db.session, 1, month, areas),
                               [f(db.session, 1, month, areas) for f in every],
                               lists.alerts(db.session, 1, month, areas)))
    assert len(found) > 20
    scans = [(s, p) for s, p in found for line in p
             if any(line.startswith(f"SCAN {t}") and "INDEX" not in line for t in BIG)]
    assert scans == []
    lines = {line for _, p in found for line in p}
    # the per-woman and per-pregnancy lookups probe the person and pregnancy indexes
    assert {"SEARCH checked USING INDEX ix_life_events_person (person=?)",
            "SEARCH check USING INDEX ix_life_events_person (person=?)",
            "SEARCH ended USING INDEX ix_life_events_pregnancy (pregnancy=?)"} <= lines
