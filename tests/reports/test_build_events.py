"""From life-event rows to figures: rows given to app.reports.cells.apply, then the
report built and checked by hand."""
import datetime as dt

import pytest
from sqlalchemy import select

from app.projects.models import Area
from app.reports import build, cells
from app.reports.document import find
from app.reports.periods import Month

MARCH = Month(2025, 3)


def event(kind, day, area_id, **details):
    return {"project_id": 1, "kind": kind, "occurred_on": dt.date.fromisoformat(day),
            "area_id": area_id, "details": details}


@pytest.fixture
def dongwan(db):
    d = db.session.scalar(select(Area.id).where(Area.project_id == 1, Area.code == "dongwan"))
    rows = [
        # the baseline visit in January: a married woman with an IUD and a man
        event("registered", "2025-01-10", d, sex="female", dob="1990-06-15",
              marital_status="first_marriage", contraception="iud", residence_status=""),
        event("registered", "2025-01-10", d, sex="male", dob="1988-01-01",
              marital_status="first_marriage", contraception="", residence_status=""),
        event("death", "2025-02-11", d, sex="male", dob="1930-01-01", marital_status="",
              contraception=""),
        event("pregnancy_reported", "2024-08-01", d),
        event("pregnancy_ended", "2025-03-05", d, outcome="live_birth", registered="yes"),
        event("birth", "2025-03-05", d, sex="female", birth_order=1, place="hospital"),
        event("moved_in", "2025-03-20", d, sex="female", dob="2000-02-02", migrant="yes",
              marital_status="unmarried", contraception=""),
        event("contraception_procedure", "2025-03-25", d, procedure="iud_removal",
              action="stop", method="", previous_method="iud"),
    ]
    cells.apply(db.session, rows, 1)
    db.session.commit()
    return d


def test_village_figures_from_events(db, dongwan):
    doc = build.build(db.session, 1, MARCH, [dongwan])
    f = lambda s, r, c: find(doc, s, r, c)        # noqa: E731
    # the two registered people count from their birth months; the man died in February
    assert (f("A", "population", "start"), f("A", "population", "end")) == (1, 3)
    assert f("A", "population_female", "end") == 3
    # the registered woman is 34; the one who moved in is 25; the newborn is not 15
    assert (f("A", "women_15_49", "start"), f("A", "women_15_49", "end")) == (1, 2)
    assert (f("A", "married_women_15_49", "start"), f("A", "married_women_15_49", "end")) == (1, 1)
    assert (f("A", "pregnant", "start"), f("A", "pregnant", "end")) == (1, 0)
    assert f("B", "births", "month") == 1 and f("B", "deaths", "ytd") == 1
    assert f("B", "moved_in_migrant", "month") == 1 and f("B", "registered", "ytd") == 2
    # 3 - (1 + 1 - 0 + 1 - 0) = 0; YTD 3 - (2 + 1 - 1 + 1 - 0) = 0
    assert f("B", "balance_residual", "month") == 0 and f("B", "balance_residual", "ytd") == 0
    assert f("C", "order_1_female", "month") == 1 and f("C", "born_hospital", "month") == 1
    assert f("D", "pregnant_start", "stat_ytd") == 1 and f("D", "ended_live_birth", "month") == 1
    assert f("D", "pregnant_end", "month") == 0
    assert f("E", "proc_iud_removal", "month") == 1
    assert (f("E", "method_iud", "start"), f("E", "method_iud", "end")) == (1, 0)
    assert (f("E", "contraceptive_prevalence", "start"),
            f("E", "contraceptive_prevalence", "end")) == (100.0, 0.0)
    town = build.build(db.session, 1, MARCH, None)
    assert find(town, "A", "population", "end") == 3
    rows = {r["id"]: r["values"] for r in town["village_table"]["rows"]}
    assert rows["dongwan"] == {**rows["total"], "sex_ratio_rolling_12": None}
