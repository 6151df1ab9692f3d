"""read.py and build.py on a real database: cells written by hand as ReportCell rows, the
report document of a village and of the town read back and checked figure by figure."""
import json

import pytest
from sqlalchemy import event, select

from app.projects.models import Area, Project
from app.reports import bases, build, read
from app.reports.document import find
from app.reports.models import ReportCell
from app.reports.periods import BEFORE, Month

MARCH = Month(2025, 3)


@pytest.fixture
def ids(db):
    return dict(db.session.execute(select(Area.code, Area.id).where(Area.project_id == 1)).all())


def put(session, rows, project_id=1):
    for area_id, month, cell, n in rows:
        session.add(ReportCell(project_id=project_id, area_id=area_id, month=month, cell=cell,
                               n=n))
    session.flush()
    bases.rebuild(session)      # cells written by hand: their bases summed as intake would
    session.commit()


@pytest.fixture
def cells(db, ids):
    """Dongwan: 50 men and 50 women from before records, 2 births and a death in March 2025,
    a birth in January, a birth last March; xishan: 30 people, a move in with her method in
    March; area 0: a birth in March with no village."""
    d, x = ids["dongwan"], ids["xishan"]
    other = Project(id=2, name="Elsewhere")
    db.session.add(other)
    db.session.flush()
    put(db.session, [
        (d, BEFORE, "pop:male", 50), (d, BEFORE, "pop:female", 50),
        (d, "1990-05", "women_15_49", 20), (d, "1990-05", "married_women_15_49", 15),
        (d, BEFORE, "method:iud", 6),
        (d, "2024-03", "birth:female:1", 1), (d, "2024-03", "pop:female", 1),
        (d, "2025-01", "birth:male:2", 1), (d, "2025-01", "pop:male", 1),
        (d, "2025-03", "birth:male:1", 1), (d, "2025-03", "birth:female:3", 1),
        (d, "2025-03", "pop:male", 1 - 1), (d, "2025-03", "pop:female", 1),    # a death
        (d, "2025-03", "death:male", 1),
        (d, "2025-03", "pregnancy_reported", 2), (d, "2025-03", "pregnant", 2),
        (d, "2025-04", "birth:male:1", 5), (d, "2025-04", "pop:male", 5),    # after March
        (x, BEFORE, "pop:male", 15), (x, BEFORE, "pop:female", 15),
        (x, "2025-03", "moved_in:yes", 1), (x, "2025-03", "pop:female", 1),
        (x, "2025-03", "method:implant", 1), (x, "2025-03", "women_15_49", 1),
        (x, "2025-03", "married_women_15_49", 1),
        (0, "2025-03", "birth:female:1", 1), (0, "2025-03", "pop:female", 1),
    ])
    put(db.session, [(1, "2025-03", "birth:male:1", 9), (1, BEFORE, "pop:male", 99)],
        project_id=2)
    return ids


def test_totals_and_stock(db, cells):
    d, x = cells["dongwan"], cells["xishan"]
    s = db.session
    assert read.totals(s, 1, [d], [MARCH]) == {
        "birth:male:1": 1, "birth:female:3": 1, "pop:male": 0, "pop:female": 1, "death:male": 1,
        "pregnancy_reported": 2, "pregnant": 2}
    # the town: every area and area 0; another project's cells never count
    town = read.totals(s, 1, None, [MARCH, "2025-01"])
    assert town["birth:female:1"] == 1 and town["birth:male:1"] == 1
    assert town["birth:male:2"] == 1 and town["moved_in:yes"] == 1
    assert read.totals(s, 1, [x], []) == {}
    # stocks at the end of March: BEFORE and 1990 included, April not; flows left out
    assert read.stock(s, 1, [d], MARCH) == {
        "pop:male": 51, "pop:female": 52, "women_15_49": 20, "married_women_15_49": 15,
        "method:iud": 6, "pregnant": 2}
    assert read.stock(s, 1, None, "2025-02") == {
        "pop:male": 66, "pop:female": 66, "women_15_49": 20, "married_women_15_49": 15,
        "method:iud": 6}
    assert read.stock(s, 1, None, MARCH)["pop:female"] == 52 + 16 + 1


def test_monthly_and_by_area(db, cells):
    d, x = cells["dongwan"], cells["xishan"]
    s = db.session
    m = read.monthly(s, 1, [d], Month(2024, 1), MARCH)
    assert sorted(m) == ["2024-03", "2025-01", "2025-03"]
    assert m["2025-01"] == {"birth:male:2": 1, "pop:male": 1}
    areas = read.by_area(s, 1, None, MARCH, Month(2024, 1))
    assert sorted(areas) == sorted([0, d, x])
    dw = areas[d]
    assert dw["month"] == {"birth:male:1": 1, "birth:female:3": 1, "death:male": 1,
                           "pregnancy_reported": 2}
    assert dw["ytd"]["birth:male:2"] == 1 and "birth:female:1" not in dw["ytd"]
    assert dw["stat_ytd"]["birth:male:2"] == 1
    assert dw["rolling_12"] == dw["ytd"]          # April 2024 .. March 2025
    assert dw["start"] == {"pop:male": 51, "pop:female": 51, "women_15_49": 20,
                           "married_women_15_49": 15, "method:iud": 6}
    assert dw["end"]["pop:female"] == 52 and dw["end"]["pregnant"] == 2
    assert dw["base"] == {"pop:male": 50, "pop:female": 50, "women_15_49": 20,
                          "married_women_15_49": 15, "method:iud": 6}
    assert areas[x]["end"]["method:implant"] == 1
    only = read.by_area(s, 1, [x], MARCH)
    # the default first month is January of last year
    assert list(only) == [x] and only[x]["base"] == {"pop:male": 15, "pop:female": 15}
    assert only[x]["end"]["pop:female"] == 16 and only[x]["month"] == {"moved_in:yes": 1}


def test_village_report(db, cells):
    doc = build.build(db.session, 1, MARCH, [cells["dongwan"]])
    json.dumps(doc)
    assert doc["kind"] == "village" and doc["month"] == "2025-03"
    assert doc["village"] == {"code": "dongwan", "zh": "东湾村", "en": "Dongwan"}
    assert doc["villages"] == [doc["village"]]
    assert doc["village_table"] is None and doc["lock"]["state"] == "open"
    assert [t["id"] for t in doc["sections"]] == ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J"]
    assert find(doc, "A", "population", "start") == 102
    assert find(doc, "A", "population", "end") == 103
    assert find(doc, "A", "women_15_49", "end") == 20
    assert find(doc, "B", "births", "month") == 2
    assert find(doc, "B", "births", "ytd") == 3
    assert find(doc, "B", "births", "last_year") == 1
    assert find(doc, "B", "deaths", "month") == 1
    # (102 + 103) / 2 = 102.5: 2 / 102.5 = 19.51‰
    assert find(doc, "B", "birth_rate", "month") == 19.51
    assert find(doc, "B", "balance_residual", "month") == 0
    assert find(doc, "C", "order_3_female", "month") == 1
    assert find(doc, "D", "pregnant_end", "month") == 2
    assert find(doc, "E", "method_iud", "end") == 6
    # 6 / 15 = 40 %
    assert find(doc, "E", "contraceptive_prevalence", "end") == 40.0
    assert find(doc, "J", "statistics_accuracy", "value") is None
    ids = [i["id"] for i in doc["indicators"]]
    assert ids[:5] == ["birth_rate", "death_rate", "natural_growth_rate",
                       "contraceptive_prevalence", "long_acting_rate"]
    assert ids[-1] == "statistics_accuracy"
    # sections F–I give the coverage indicators, named by their rows
    assert {"three_checks_coverage", "prepregnancy_coverage"} <= set(ids)
    assert doc["sex_ratio"]["villages"] == [] and doc["sex_ratio"]["month"]["flag"] == "few"
    assert doc["charts"]["trend"]["births"][-3:] == [1, 0, 2]
    assert doc["alerts"] == []


def test_town_report(db, cells):
    doc = build.build(db.session, 1, MARCH, None)
    json.dumps(doc)
    assert doc["kind"] == "town" and doc["village"] is None
    assert len(doc["villages"]) == 12
    # 100 + 30 people before; + dongwan's 3 births (one last year) and the January one, minus
    # the March death; + xishan's move in; + area 0's birth
    assert find(doc, "A", "population", "end") == 100 + 1 + 1 + 1 + 30 + 1 + 1
    assert find(doc, "B", "births", "month") == 3
    assert find(doc, "B", "moved_in_migrant", "month") == 1
    assert find(doc, "B", "birth_rate_annualised", "month") is not None
    assert find(doc, "E", "method_implant", "end") == 1
    assert find(doc, "E", "married_women_15_49", "end") == 16
    table = doc["village_table"]
    assert [r["id"] for r in table["rows"]][-2:] == ["0", "total"]
    assert len(table["rows"]) == 14
    rows = {r["id"]: r["values"] for r in table["rows"]}
    assert rows["dongwan"]["births_month"] == 2 and rows["dongwan"]["births_ytd"] == 3
    assert rows["xishan"]["moved_in_month"] == 1 and rows["xishan"]["population_end"] == 31
    assert rows["0"]["births_month"] == 1
    assert rows["total"]["births_month"] == 3 and rows["total"]["population_end"] == 135
    assert rows["beihe"]["population_end"] == 0
    assert [v["village"] for v in doc["sex_ratio"]["villages"]][:2] == ["beihe", "dongwan"]
    assert len(doc["charts"]["sex_ratio"]["villages"]) == 12


def test_a_village_with_nothing(db, ids):
    doc = build.build(db.session, 1, MARCH, [ids["beihe"]])
    assert find(doc, "A", "population", "end") == 0
    assert find(doc, "B", "birth_rate", "ytd") is None
    assert build.build(db.session, 1, "2025-03", [ids["beihe"]])["month"] == "2025-03"
    empty = build.build(db.session, 1, MARCH, [])
    assert empty["village"] is None and find(empty, "B", "births", "month") == 0


def test_build_reads_cells_in_three_queries(app, db, cells):
    """The figures' reads as build makes them: by_area's two GROUP BYs and monthly's one
    (coverage and lists, other owners, read on their own)."""
    seen = []

    def count(conn, cursor, statement, *args):
        if "report_cells" in statement:
            seen.append(statement)
    scope = sorted(cells.values()) + [0]
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        read.by_area(db.session, 1, scope, MARCH, Month(2024, 1))
        read.monthly(db.session, 1, scope, Month(2024, 1), MARCH)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(seen) == 3 and all("GROUP BY" in s for s in seen)
