"""The JSON report is built in a read-only transaction (on SQLite a deferred BEGIN: no
database-wide write lock, so phones and reviews commit meanwhile), and its audit row is then
written in a short write transaction of its own, committed before the answer is sent."""
import pytest
from sqlalchemy import event

from tests.events.conftest import probe_form  # noqa: F401 - a fixture
from tests.reports.locks_helpers import REPORTS, audit, send


@pytest.fixture
def statements(db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the write lock taken at BEGIN is SQLite's")
    seen = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement.split()[0].upper(), statement,
                     bool(conn.get_execution_options().get("doorstep_read_only"))))
    event.listen(db.engine, "before_cursor_execute", note)
    yield seen
    event.remove(db.engine, "before_cursor_execute", note)


def test_a_report_is_read_without_the_write_lock_and_audited_after(
        probe_form, collect, client, db, login, statements):
    supervisor = login("supervisor")
    send(collect, event_date="2025-03-10")
    statements.clear()
    response = client.get(f"{REPORTS}/months/2025-03?village=dongwan", headers=supervisor)
    assert response.status_code == 200
    reads = [s for s in statements if "life_events" in s[1] or "report_cells" in s[1]]
    assert reads and all(read_only for _verb, _s, read_only in reads), [
        s[1][:80] for s in reads if not s[2]]
    # the audit row goes through the driver directly (app.audit.record), after the reads,
    # in a write transaction: it is there, committed, when the answer has come
    assert [s for s in statements if s[0] in ("INSERT", "UPDATE", "DELETE")] == []
    assert [e.action for e in audit(db, "report.view")] == ["report.view"]   # committed


@pytest.mark.parametrize("page", ["", "/print", ".xlsx"])
def test_a_report_page_is_read_without_the_write_lock_and_audited_after(
        probe_form, collect, client, db, login, statements, page):
    supervisor = login("supervisor")
    send(collect, event_date="2025-03-10")
    statements.clear()
    response = client.get(f"/reports/1/2025-03{page}?village=dongwan", headers=supervisor)
    assert response.status_code == 200
    reads = [s for s in statements if "life_events" in s[1] or "report_cells" in s[1]]
    assert reads and all(read_only for _verb, _s, read_only in reads), [
        s[1][:80] for s in reads if not s[2]]
    action = "report.download" if page == ".xlsx" else "report.view"
    assert [e.action for e in audit(db, action)] == [action]
