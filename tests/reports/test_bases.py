"""Stock bases (app.reports.bases): reports read the same stocks from the bases as from the
whole history, whatever the cut; intake, edits and deletions keep the bases equal to the
cells up to the cut; `register rebuild --check` finds a base changed behind intake's back and
the rebuild restores it; `flask reports compact` moves the cut; migration 0015 sums the bases
of a database that already holds cells."""
import datetime as dt
import random

import pytest
from click.testing import CliRunner
from flask_migrate import upgrade
from sqlalchemy import delete, select, text, update

from app import create_app
from app.cli import register_group
from app.db import db as _db
from app.projects.models import Area
from app.reports import bases, build, read
from app.reports.cli import reports as reports_group
from app.reports.models import ReportCell, ReportStockBase, ReportStockCut
from app.reports.periods import BEFORE, Month
from tests.reports.test_cells_intake import agree, area, cells_form, probe  # noqa: F401
from tests.test_migrations import empty_database_url  # noqa: F401 - a fixture

STOCKS = ("pop:male", "pop:female", "women_15_49", "married_women_15_49", "pregnant",
          "method:iud")
FLOWS = ("birth:male:1", "birth:female:2", "death:male", "moved_in:yes", "marriage")


def random_cells(session, areas, seed=7):
    """Stock changes and flows over 1950–2027 (BEFORE included) in every area and area 0,
    written by hand; their bases summed as intake would."""
    rng = random.Random(seed)
    months = [BEFORE] + [str(Month(y, m)) for y in range(1950, 2028) for m in (1, 6, 12)]
    months += [str(Month(2023, m)) for m in range(1, 13)] + [str(Month(2024, m))
                                                             for m in range(1, 13)]
    found = {}
    for a in list(areas) + [0]:
        for _ in range(300):
            cell = rng.choice(STOCKS + FLOWS)
            key = (a, rng.choice(months), cell)
            found[key] = found.get(key, 0) + rng.randint(-2, 5)
    for (a, month, cell), n in found.items():
        session.add(ReportCell(project_id=1, area_id=a, month=month, cell=cell, n=n))
    session.flush()
    bases.rebuild(session)
    session.commit()


def readings(session, ids):
    """What the reports read of stocks, for months before, at and after several cuts."""
    out = {}
    for month in (Month(2022, 6), Month(2023, 12), Month(2024, 1), Month(2024, 7),
                  Month(2025, 3), Month(2026, 12)):
        out[("stock town", str(month))] = read.stock(session, 1, None, month)
        out[("stock village", str(month))] = read.stock(session, 1, [ids[0]], month)
        out[("by_area", str(month))] = read.by_area(session, 1, sorted(ids) + [0], month)
        doc = build.build(session, 1, month, None)
        out[("town", str(month))] = (doc["sections"][:5], doc["village_table"])
    return out


def set_cut(session, month):
    if month is None:
        session.execute(delete(ReportStockBase))
        session.execute(delete(ReportStockCut))
    else:
        bases.move(session, 1, month)
    session.commit()


def test_reports_read_the_same_stocks_from_the_bases_as_from_the_whole_history(db):
    ids = db.session.scalars(select(Area.id).where(Area.project_id == 1)).all()
    random_cells(db.session, ids)
    set_cut(db.session, None)
    whole = readings(db.session, ids)
    assert any(v for k, v in whole.items() if k[0] == "stock town")
    for cut in (Month(1960, 1), Month(2022, 12), Month(2023, 6), Month(2024, 12),
                Month(2030, 1)):
        set_cut(db.session, cut)
        assert db.session.scalar(select(ReportStockCut.cut)) == str(cut)
        assert bases.compare(db.session) == []
        found = readings(db.session, ids)
        for key in whole:
            assert found[key] == whole[key], (str(cut), key)


def test_a_new_project_starts_with_the_default_cut(db):
    assert bases.cut(db.session, 1) == bases.default_cut()
    assert bases.default_cut(dt.date(2026, 12, 3)) == Month(2023, 12)
    assert bases.default_cut(dt.date(2027, 1, 1)) == Month(2024, 12)


def base_rows(db):
    db.session.rollback()
    return {(r.area_id, r.cell): r.n for r in db.session.execute(
        select(ReportStockBase.area_id, ReportStockBase.cell, ReportStockBase.n)
        .where(ReportStockBase.n != 0))}


def test_intake_edits_and_deletions_keep_the_bases(cells_form, collect, db, client):  # noqa: F811
    from tests.factories import new_instance_id
    dongwan = area(db, "dongwan")
    old, new = new_instance_id(), new_instance_id()
    # a move in dated before the cut (2023-12) adds to the base; her stocks' later window
    # ends (2039) stay month by month
    assert collect.submit(probe(old, event_date="2019-05-04")).status_code == 201
    agree(db)
    assert bases.compare(db.session) == []
    assert base_rows(db) == {(dongwan, "pop:female"): 1, (dongwan, "women_15_49"): 1,
                             (dongwan, "married_women_15_49"): 1, (dongwan, "method:iud"): 1}
    # an edit moving it after the cut takes it off the base
    assert collect.submit(probe(new, deprecated_id=old,
                                event_date="2026-05-04")).status_code == 201
    agree(db)
    assert bases.compare(db.session) == [] and base_rows(db) == {}
    # and back before it, then deleted
    again = new_instance_id()
    assert collect.submit(probe(again, deprecated_id=new,
                                event_date="2020-01-31")).status_code == 201
    assert base_rows(db)[(dongwan, "pop:female")] == 1
    assert bases.compare(db.session) == []


def test_check_finds_a_changed_base_and_rebuild_restores_it(cells_form, collect, db, app):  # noqa: F811
    assert collect.submit(probe(event_date="2018-02-03")).status_code == 201
    before = base_rows(db)
    assert before
    db.session.execute(update(ReportStockBase).where(ReportStockBase.cell == "pop:female")
                       .values(n=ReportStockBase.n + 5))
    db.session.commit()
    assert len(bases.compare(db.session)) == 1
    result = CliRunner().invoke(register_group, ["rebuild", "--check"], obj=app.extensions)
    assert result.exit_code != 0
    assert "report stock base pop:female" in result.output
    assert "stored 6, the cells give 1" in result.output
    result = CliRunner().invoke(register_group, ["rebuild"], obj=app.extensions)
    assert result.exit_code == 0, result.output
    assert base_rows(db) == before


def test_compact_moves_the_cut_and_sums_again(cells_form, collect, db, app):  # noqa: F811
    assert collect.submit(probe(event_date="2025-02-03")).status_code == 201
    assert base_rows(db) == {}
    runner = app.test_cli_runner()
    result = runner.invoke(reports_group, ["compact", "--cut", "2025-06"])
    assert result.exit_code == 0, result.output
    assert "Stock bases summed to 2025-06" in result.output
    assert bases.cut(db.session, 1) == Month(2025, 6)
    assert base_rows(db)[(area(db, "dongwan"), "pop:female")] == 1
    assert bases.compare(db.session) == []
    result = runner.invoke(reports_group, ["compact"])
    assert result.exit_code == 0 and bases.cut(db.session, 1) == bases.default_cut()
    for bad in (["compact", "--cut", "2025-13"], ["compact", "--project", "99"]):
        result = runner.invoke(reports_group, bad)
        assert result.exit_code != 0
        assert "YYYY-MM" in result.output or "No project 99" in result.output


def test_upgrade_to_0015_sums_the_bases_of_the_cells_already_there(empty_database_url,  # noqa: F811
                                                                   tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x",
                      "DATA_DIR": str(tmp_path / "data"), "INSTANCE_DIR": str(tmp_path)})
    with app.app_context():
        upgrade(revision="0014")
        with _db.engine.begin() as c:
            for month, cell, n in ((BEFORE, "pop:male", 3), ("1980-04", "pop:male", 2),
                                   ("1995-01", "women_15_49", 1), ("2030-01", "women_15_49", -1),
                                   ("2000-01", "birth:male:1", 1), ("2025-06", "pop:male", 1)):
                c.execute(text("INSERT INTO report_cells (project_id, area_id, month, cell, n)"
                               " VALUES (1, 4, :m, :c, :n)"), {"m": month, "c": cell, "n": n})
        upgrade()
        with _db.engine.connect() as c:
            assert c.execute(text("SELECT cut FROM report_stock_cuts")).all() == [
                (str(bases.default_cut()),)]
            assert sorted(c.execute(text(
                "SELECT area_id, cell, n FROM report_stock_bases")).all()) == [
                (4, "pop:male", 5), (4, "women_15_49", 1)]
        _db.engine.dispose()


def test_a_village_report_reads_its_bases_after_the_cut_and_its_history_before(db):
    ids = db.session.scalars(select(Area.id).where(Area.project_id == 1)).all()
    village = ids[1]
    random_cells(db.session, ids, seed=11)
    set_cut(db.session, Month(2023, 12))
    months = ("2024-06", "2025-03", "2026-11")        # first months read: 2023-01, 2024-01, 2025-01

    def reports():
        return {m: build.build(db.session, 1, m, [village])["sections"][:5] for m in months}
    read_so = reports()
    # a base changed behind the cells' back shows only in the reports that read the bases
    cell = next(c for c in bases.stored(db.session, 1, [village])[village] if c.startswith("pop:"))
    db.session.execute(update(ReportStockBase).where(ReportStockBase.area_id == village,
                                                     ReportStockBase.cell == cell)
                       .values(n=ReportStockBase.n + 100))
    db.session.commit()
    tampered = reports()
    assert tampered["2024-06"] == read_so["2024-06"]
    assert tampered["2025-03"] != read_so["2025-03"] and tampered["2026-11"] != read_so["2026-11"]
    # and what they read from the bases is what the whole history gives
    set_cut(db.session, None)
    assert reports() == read_so
