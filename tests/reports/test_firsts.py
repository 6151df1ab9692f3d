"""Distinct counts as cells (app.reports.firsts), through real intake on SQLite and PostgreSQL:
a woman checked twice in a round counts once, in the village and month of her first check,
and the count moves when an earlier check arrives late, when the first is edited to a later
date or deleted; a household paid a benefit every month is one beneficiary of the year; and
the stored cells always equal what all the events give (`cells.compare`)."""
import pytest
from sqlalchemy import select

from app.events import derive
from app.events.derive import Event
from app.reports import cells, firsts
from app.reports.models import ReportCell
from tests.events.conftest import FORM_ID, probe_xlsform
from tests.events.test_record import BASE, probe
from tests.factories import new_instance_id

WOMAN = "4f1c6a52-8f4e-4d4e-9a53-3b2c8f0e1a11"
HOUSEHOLD = "9a0e2b6c-1d7f-4c3e-8b5a-6f4d2c1e0b22"


def firsts_deriver(a):
    """A check of WOMAN on `event_date` (round of its half-year) and a payment of the
    one-child award to HOUSEHOLD that day; `person` 'other' checks another woman."""
    day = a.date("event_date")
    woman = WOMAN if a.get("person") != "other" else "5e2d7b63-9a5f-4e5f-8b64-4c3d9a1f2b33"
    half = "H1" if day.month <= 6 else "H2"
    yield Event("three_checks", day, person=woman, details={
        "round": f"{day.year}-{half}", "iud_result": "in_place", "pregnancy_found": "no",
        "illness_found": "no", "findings": ["none"]})
    yield Event("reward_paid", day, household=HOUSEHOLD,
                details={"benefit": "one_child_parents", "amount": 10})


@pytest.fixture
def firsts_form(publish):
    published = publish(probe_xlsform(), filename=f"{FORM_ID}.xlsx")
    derive.deriver(FORM_ID, yields=("three_checks", "reward_paid"))(firsts_deriver)
    yield published
    derive.DERIVERS.pop(FORM_ID, None)
    derive.YIELDS.pop(FORM_ID, None)


def distinct(db):
    """{(village code or 0, month, cell): n} of the distinct cells stored, after checking that
    every stored cell equals what the events give."""
    db.session.rollback()
    assert cells.compare(db.session) == []
    from app.projects.models import Area
    codes = dict(db.session.execute(select(Area.id, Area.code)).all())
    return {(codes.get(r.area_id, 0), r.month, r.cell): r.n for r in db.session.execute(
        select(ReportCell.area_id, ReportCell.month, ReportCell.cell, ReportCell.n)
        .where(ReportCell.n != 0, ReportCell.cell.like(firsts.WOMEN_CHECKED + ":%")
               | ReportCell.cell.like(firsts.PAYEES + ":%")))}


def test_a_woman_counts_once_where_and_when_she_was_first_checked(firsts_form, collect, db,
                                                                 client, login):  # noqa: F811
    october, november, late = new_instance_id(), new_instance_id(), new_instance_id()
    assert collect.submit(probe(october, event_date="2026-10-05")).status_code == 201
    assert collect.submit(probe(november, event_date="2026-11-20")).status_code == 201
    assert distinct(db) == {("dongwan", "2026-10", "three_checks_women:2026-H2"): 1,
                            ("dongwan", "2026-10", "reward_payees:one_child_parents:2026"): 1}
    # a check from September arrives late: she was first checked then
    assert collect.submit(probe(late, event_date="2026-09-01")).status_code == 201
    assert distinct(db) == {("dongwan", "2026-09", "three_checks_women:2026-H2"): 1,
                            ("dongwan", "2026-09", "reward_payees:one_child_parents:2026"): 1}
    # the late one is corrected to December: October's is the first again
    assert collect.submit(probe(new_instance_id(), deprecated_id=late,
                                event_date="2026-12-01")).status_code == 201
    found = distinct(db)
    assert found[("dongwan", "2026-10", "three_checks_women:2026-H2")] == 1
    assert len(found) == 2
    # October's is deleted: November's is her first
    admin = login("admin")
    assert client.delete(f"{BASE}/{october}", headers=admin).status_code == 200
    assert distinct(db) == {("dongwan", "2026-11", "three_checks_women:2026-H2"): 1,
                            ("dongwan", "2026-11", "reward_payees:one_child_parents:2026"): 1}
    # a check in another village, let in by a supervisor, before her first: counted there
    elsewhere = new_instance_id()
    assert collect.submit(probe(elsewhere, event_date="2026-07-07",
                                village="xishan")).status_code == 201
    assert ("dongwan", "2026-11", "three_checks_women:2026-H2") in distinct(db)   # held
    assert client.patch(f"{BASE}/{elsewhere}", json={"reviewState": "approved"},
                        headers=admin).status_code == 200
    assert distinct(db) == {("xishan", "2026-07", "three_checks_women:2026-H2"): 1,
                            ("xishan", "2026-07", "reward_payees:one_child_parents:2026"): 1}
    # another woman, another round, another year: each counts on its own
    assert collect.submit(probe(new_instance_id(), event_date="2026-11-21",
                                person="other")).status_code == 201
    assert collect.submit(probe(new_instance_id(), event_date="2027-02-02")).status_code == 201
    found = distinct(db)
    assert found[("dongwan", "2026-11", "three_checks_women:2026-H2")] == 1     # the other
    assert found[("xishan", "2026-07", "three_checks_women:2026-H2")] == 1
    assert found[("dongwan", "2027-02", "three_checks_women:2027-H1")] == 1
    assert found[("dongwan", "2027-02", "reward_payees:one_child_parents:2027")] == 1
    assert sum(n for (_v, _m, c), n in found.items() if c.endswith(":2026")) == 1


def test_totals_count_each_subject_once_at_its_first_event():
    rows = [{"project_id": 1, "kind": "three_checks", "occurred_on": day, "area_id": area,
             "person": person, "details": {"round": "2026-H2"}, "submission_id": s,
             "position": 0}
            for s, (day, area, person) in enumerate([
                ("2026-11-03", 2, "a"), ("2026-10-01", 3, "a"), ("2026-10-01", 2, "b"),
                ("2026-12-30", 2, "b"), ("2026-08-09", 2, "c")])]
    rows.append({"project_id": 1, "kind": "reward_paid", "occurred_on": "2026-05-05",
                 "area_id": None, "person": None, "household": "h",
                 "details": {"benefit": "free text with spaces"}, "submission_id": 9,
                 "position": 1})
    rows.append({"project_id": 1, "kind": "reward_paid", "occurred_on": None, "area_id": 2,
                 "person": None, "household": None, "details": {"benefit": "x"}})
    assert firsts.totals(rows) == {
        (1, 3, "2026-10", "three_checks_women:2026-H2"): 1,
        (1, 2, "2026-10", "three_checks_women:2026-H2"): 1,
        (1, 2, "2026-08", "three_checks_women:2026-H2"): 1,
        # a benefit the cells cannot name is 'unknown'; no payee, no beneficiary
        (1, 0, "2026-05", "reward_payees:unknown:2026"): 1}
