"""`flask audit verify` and `flask audit head` as the operator runs them."""
import pytest

from tests.audit.helpers import entries, normal_day, tamper


@pytest.fixture
def day(client, collect, publish, login):
    return normal_day(client, collect, publish, login)


def test_verify_prints_each_head_and_exits_0_then_names_the_break_and_exits_1(app, db, day):
    runner = app.test_cli_runner()
    rows = entries(db)
    db.session.rollback()
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert f"project 1: ok, {len(rows)} entries, head {rows[-1].hash}" in ok.output
    assert "system: ok" in ok.output
    head = runner.invoke(args=["audit", "head", "--project", "1"])
    assert head.exit_code == 0 and head.output.split()[:2] == [rows[-1].hash, str(len(rows))]
    anchored = runner.invoke(args=["audit", "verify", "--project", "1",
                                   "--anchor", rows[3].hash])
    assert anchored.exit_code == 0, anchored.output

    tamper(db, "UPDATE audit_events SET target = 'submission:999' WHERE id = :i", i=rows[3].id)
    broken = runner.invoke(args=["audit", "verify", "--project", "1"])
    assert broken.exit_code == 1
    assert f"BROKEN edited at entry {rows[3].id}" in broken.output


def test_an_anchor_not_in_the_chain_fails_verify(app, db, day):
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--project", "1",
                                                "--anchor", "0" * 63 + "1"])
    assert result.exit_code == 1 and "BROKEN anchor" in result.output
