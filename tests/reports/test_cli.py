"""`flask reports …` through the app's test CLI runner: a month as text and JSON, locks,
targets, and errors said in both languages."""
import json

import pytest

from app.reports import locks
from app.reports.periods import Month
from tests.events.conftest import probe_form  # noqa: F401 - fixture
from tests.reports.locks_helpers import audit, send


@pytest.fixture
def flask(app, db):
    runner = app.test_cli_runner()

    def run(*args):
        return runner.invoke(args=["reports", *args])
    return run


def test_a_month_as_text_and_json(flask, db):
    text = flask("month", "2025-03", "--village", "dongwan")
    assert text.exit_code == 0, text.output
    assert "统计质量" in text.output
    english = flask("month", "2025-03", "--lang", "en")
    assert english.exit_code == 0 and "Statistics quality" in english.output
    doc = json.loads(flask("month", "2025-03", "--village", "dongwan", "--json").output)
    assert doc["month"] == "2025-03" and doc["village"]["code"] == "dongwan"
    assert doc["lock"]["state"] == "open"
    views = audit(db, "report.view")
    assert [(e.actor_type, e.target) for e in views] == [
        ("system", "report:2025-03:dongwan"), ("system", "report:2025-03:town"),
        ("system", "report:2025-03:dongwan")]


@pytest.mark.parametrize("args, zh, en", [
    (("month", "2025-13"), "不是有效的年月", "not a month"),
    (("lock", "march"), "不是有效的年月", "not a month"),
    (("month", "2025-03", "--village", "atlantis"), "没有村 atlantis", "no village atlantis"),
    (("lock", "2025-03", "--village", "atlantis"), "没有村 atlantis", "no village atlantis"),
    (("unlock", "2025-03", "--reason", "x"), "未锁定", "not locked"),
    (("unlock", "2025-03", "--reason", " "), "原因", "reason"),
    (("targets", "set", "2025", "happiness=3"), "未知的指标", "unknown indicator"),
    (("targets", "set", "2025", "birth_rate=twelve"), "应为数字", "must be a number"),
    (("targets", "set", "2025", "birth_rate"), "指标=数值", "INDICATOR=NUMBER"),
    (("targets", "show", "20250"), "不是有效的年份", "not a year")])
def test_errors_in_both_languages(flask, db, args, zh, en):
    result = flask(*args)
    assert result.exit_code != 0
    assert zh in result.output and en in result.output, result.output


def test_lock_and_unlock(flask, db, probe_form, collect):
    send(collect, event_date="2025-03-10")
    result = flask("lock", "2025-03", "--village", "dongwan")
    assert result.exit_code == 0, result.output
    assert "已锁定" in result.output and "version 1" in result.output
    assert "已锁定" in flask("lock", "2025-03", "--village", "dongwan").output   # 409.81
    doc = json.loads(flask("month", "2025-03", "--village", "dongwan", "--json").output)
    assert doc["lock"]["state"] == "locked" and doc["lock"]["locked_by"] == "system"
    result = flask("unlock", "2025-03", "--village", "dongwan", "--reason", "recount")
    assert result.exit_code == 0 and "version 1 ended" in result.output
    assert flask("lock", "2025-03", "--village", "dongwan").exit_code == 0
    assert locks.active(db.session, 1, Month(2025, 3), 1).version == 2
    assert flask("lock", "2025-03").exit_code == 0                       # the town's
    assert [e.action for e in audit(db) if e.action in ("report.lock", "report.unlock")] == [
        "report.lock", "report.unlock", "report.lock", "report.lock"]


def test_targets_set_and_show(flask, db):
    result = flask("targets", "set", "2025", "birth_rate=12", "rewards_due.elderly=14")
    assert result.exit_code == 0, result.output
    assert "birth_rate" in result.output and "≤12" in result.output
    result = flask("targets", "set", "2025", "birth_rate=10", "--village", "dongwan")
    assert result.exit_code == 0, result.output
    shown = flask("targets", "show", "2025", "--village", "dongwan").output
    line = next(x for x in shown.splitlines() if "birth_rate" in x)
    assert "≤10" in line and "本村" in line
    line = next(x for x in shown.splitlines() if "prepregnancy_coverage" in x)
    assert "≥80" in line and "规划" in line
    town = flask("targets", "show", "2025").output
    assert "≤12" in next(x for x in town.splitlines() if "birth_rate" in x)
    assert "rewards_due.elderly" in town
    cleared = flask("targets", "set", "2025", "birth_rate=", "--village", "dongwan").output
    assert "全镇" in next(x for x in cleared.splitlines() if "birth_rate" in x)
    assert len(audit(db, "report.targets.set")) == 3


def test_a_month_as_xlsx(flask, db, tmp_path):
    path = tmp_path / "march.xlsx"
    result = flask("month", "2025-03", "--xlsx", str(path))
    assert result.exit_code == 0, result.output
    import openpyxl
    assert openpyxl.load_workbook(path).sheetnames
    assert [e.target for e in audit(db, "report.download")] == ["report:2025-03:town"]
