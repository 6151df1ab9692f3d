"""The monthly reports of a synthetic town equal its ground truth, by construction: the town is
sent through the real forms and intake (`flask demo town`), and for every month of the run,
for each village and the town, the server's summary cells equal the cells the simulation's own
record of each submission gives (app.demo.report_truth), the reports' A–E figures equal plain
sums of those cells, and every list's rows equal the lists computed again in plain Python.
Section E's methods in use are the register's people by their method, village by village, and
the town's prevalence is near the world's. Then a month is locked, a late submission dated in it arrives over HTTP, and the locked figures
do not move while the record shows as an amendment, and as a late record next month.

The 5,000-person town runs with every test run on both databases, a town of a seed no other
test uses once per run (the SQLite pass); the 50,000-person town takes about half an hour
and runs before a release (DOORSTEP_SLOW_TESTS=1; docs/reports.md has its last result)."""
import datetime as dt
import json
import os
import uuid

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app.auth.accounts import create_app_user, create_user
from app.auth.actors import from_user
from app.cli import demo
from app.demo import instances, report_truth
from app.events.models import LifeEvent
from app.projects.models import Area
from app.register.models import Dataset, Entity
from app.reports import build, document, service
from app.reports.periods import Month
from tests.collect import CollectClient
from tests.conftest import FORMS_DIR

#: rates raised so that a small town shows every list: newborn deaths outside hospital,
#: terminations at 15 weeks and more with and without their approval number, late phones
RARE = ["--rate", "neonatal_mortality=0.05", "--rate", "newborn_death_in_hospital=0.3",
        "--rate", "loss_rate=0.3", "--rate",
        'loss_mix={"miscarriage": 40, "induced_abortion": 20, "medical_termination": 25, '
        '"ectopic": 5, "stillbirth": 10}', "--rate", "approval_rate=0.5"]

slow = pytest.mark.skipif(not os.environ.get("DOORSTEP_SLOW_TESTS"),
                          reason="once-only (minutes): set DOORSTEP_SLOW_TESTS=1")

PERIODS = ("month", "ytd", "stat_ytd", "last_year")


def _figures():
    """(section, row, column) of the server's documents (app.reports.figures' row ids,
    docs/reports/figures.md) -> the reference figure it must equal
    (app.demo.report_truth.reference_figures)."""
    out = {}
    for row, name in (("population_male", "population_{}_male"),
                      ("population_female", "population_{}_female"),
                      ("population", "population_{}_total"),
                      ("women_15_49", "women_15_49_{}"),
                      ("married_women_15_49", "married_women_15_49_{}"),
                      ("pregnant", "pregnant_{}")):
        for column in ("start", "end"):
            out[("A", row, column)] = name.format(column)
    out[("B", "population_start", "month")] = "population_start_total"
    out[("B", "population_end", "month")] = "population_end_total"
    out[("D", "pregnant_start", "month")] = "pregnant_start"
    out[("D", "pregnant_end", "month")] = "pregnant_end"
    for method in ("female_sterilisation", "iud", "implant", "pills", "injection", "condom"):
        for column in ("start", "end"):
            out[("E", f"method_{method}", column)] = f"method:{method}_{column}"
    out[("E", "married_women_15_49", "end")] = "married_women_15_49_end"
    for period in PERIODS:
        for section, row, name in (
                ("B", "births", "birth"), ("B", "deaths", "deaths"),
                ("B", "deaths_newborn", "newborn_death"), ("B", "moved_in", "moved_in"),
                ("B", "moved_in_migrant", "moved_in:yes"), ("B", "moved_out", "moved_out"),
                ("B", "moved_out_migrant", "moved_out:yes"), ("B", "registered", "registered"),
                ("B", "marriages", "marriage"), ("B", "divorces", "divorce"),
                ("C", "births", "birth"), ("C", "births_male", "births_male"),
                ("C", "births_female", "births_female"),
                ("C", "born_hospital", "birth_place:hospital"),
                ("C", "born_clinic", "birth_place:clinic"), ("C", "born_home", "birth_place:home"),
                ("D", "pregnancies_reported", "pregnancy_reported"),
                ("D", "pregnancies_confirmed", "pregnancy_confirmed"),
                ("D", "ultrasounds", "ultrasound"), ("D", "pregnancies_ended", "pregnancy_ended"),
                ("D", "terminations_14plus", "termination:14plus"),
                ("D", "terminations_15plus", "termination:15plus"),
                ("D", "terminations_15plus_approved", "termination:15plus_approved"),
                ("E", "proc_iud_insertion", "procedure:iud_insertion"),
                ("E", "proc_iud_removal", "procedure:iud_removal"),
                ("E", "proc_tubal_ligation", "procedure:tubal_ligation")):
            out[(section, row, period)] = f"{name}_{period}"
        for order in ("1", "2", "3", "4", "unknown"):
            out[("C", f"order_{order}", period)] = f"order_{order}_{period}"
        for outcome in ("live_birth", "stillbirth", "miscarriage", "induced_abortion",
                        "medical_termination", "ectopic"):
            out[("D", f"ended_{outcome}", period)] = f"pregnancy_ended:{outcome}_{period}"
        for reason in ("spontaneous", "fetal_anomaly", "maternal_illness",
                       "contraceptive_failure", "unplanned", "other"):
            out[("D", f"loss_{reason}", period)] = f"loss_reason:{reason}_{period}"
    for period in ("month", "ytd"):
        for rate in ("birth_rate", "death_rate", "natural_growth_rate"):
            out[("B", rate, period)] = f"{rate}_{period}"
    return out


FIGURES = _figures()


def run_town(app, tmp_path, people, villages, seed, *options):
    path = tmp_path / "truth.json"
    result = CliRunner().invoke(demo, [
        "town", "--people", str(people), "--villages", str(villages), "--months", "12",
        "--seed", str(seed), *options, "--forms-dir", FORMS_DIR, "--truth", str(path)],
        obj=app.extensions)
    assert result.exit_code == 0, result.output
    assert "The report cells match the ground truth." in result.output
    truth_doc = json.loads(path.read_text(encoding="utf-8"))
    assert truth_doc["reports"]["cell_differences"] == []
    return truth_doc


def areas(session):
    return dict(session.execute(select(Area.code, Area.id).where(Area.project_id == 1)).all())


def labels(session):
    """{village label (zh or en, or the code): code}, to read a list's village column."""
    out = {}
    for code, zh, en in session.execute(select(Area.code, Area.name_zh, Area.name_en)):
        out.update({code: code, zh or code: code, en or code: code})
    return out


def figure_differences(doc, figures):
    out = []
    for (section, row, column), name in FIGURES.items():
        try:
            found = document.find(doc, section, row, column)
        except KeyError:
            out.append((section, row, column, name, figures.get(name), "absent"))
            continue
        want = figures.get(name, None if name.endswith(("rate_month", "rate_ytd")) else 0)
        if found != want:
            out.append((section, row, column, name, want, found))
    return out


def section_differences(doc, expected, month, village):
    """[(section, row, column, expected, found)] where the document's sections A–E differ
    from app.reports.figures applied to the expected cells (so reading the cells — areas,
    months, stocks before the run — is checked on the real database)."""
    from app.reports import figures as server_figures
    by_cell = report_truth.cells_of(expected, None if village is None else {village})
    base, monthly = report_truth.periods_input(by_cell, month,
                                               server_figures.first_month(month))
    want = server_figures.sections(server_figures.periods(month, base, monthly),
                                   village is None)
    got = {s["id"]: s for s in doc["sections"]}
    out = []
    for section in want:
        rows = {r["id"]: r for r in got.get(section["id"], {"rows": []})["rows"]}
        for row in section["rows"]:
            values = rows.get(row["id"], {"values": {}})["values"]
            for column, value in row["values"].items():
                if values.get(column, "absent") != value:
                    out.append((section["id"], row["id"], column, value,
                                values.get(column, "absent")))
    return out


def check_population(truth_doc):
    """The truth's two views agree: the population its cells give at the end of the run is,
    in every village, the people present on the register it expects."""
    reports = truth_doc["reports"]
    last = reports["by_month"][reports["months"][-1]]["figures"]
    return {scope: (figures["population_end_total"], truth_doc["register"][scope]["present"])
            for scope, figures in last.items()
            if figures["population_end_total"] != truth_doc["register"][scope]["present"]}


def town_list_differences(table, town_lists):
    """[(village code, list id, expected, found)] where the town report's count of a
    village's list differs from the number of rows the truth gives that village's list."""
    if table is None:
        return [("lists_by_village", "absent")]
    rows = {r["id"]: r["values"] for r in table["rows"]}
    out = []
    for list_id in [c["id"] for c in table["columns"][1:]]:
        want = {}
        for key in town_lists.get(list_id, []):
            want[key[0] or "0"] = want.get(key[0] or "0", 0) + 1
        for code, values in rows.items():
            expected = sum(want.values()) if code == "total" else want.get(code, 0)
            if values[list_id] != expected:
                out.append((code, list_id, expected, values[list_id]))
        out += [(code, list_id, n, "absent") for code, n in want.items() if code not in rows]
    return out


NO_METHOD = ("", "none")


def check_methods(session, truth_doc):
    """Section E's methods in use against the register: for each village, the `method:*`
    stocks at the last month's end and the living, present people on the register (`people`
    entities not deceased, not moved out, of that village) by their `contraception` property
    (a method: not blank, not 'none'). Returns {village: (stocks, register)} where they
    differ."""
    last = truth_doc["reports"]["months"][-1]
    stocks = {}
    for (village, month, cell), n in report_truth.server_cells(session, 1).items():
        if cell.startswith("method:") and (month == report_truth.BEFORE or month <= last):
            by_method = stocks.setdefault(village, {})
            by_method[cell[len("method:"):]] = by_method.get(cell[len("method:"):], 0) + n
    register = {}
    for data in session.scalars(select(Entity.data).join(Dataset, Dataset.id == Entity.dataset_id)
                                .where(Dataset.name == "people", Entity.deleted_at.is_(None))):
        if data.get("deceased") == "yes" or data.get("residence_status") == "moved_out" or \
                data.get("contraception", "") in NO_METHOD:
            continue
        by_method = register.setdefault(data.get("village", ""), {})
        by_method[data["contraception"]] = by_method.get(data["contraception"], 0) + 1
    stocks = {v: {m: n for m, n in by_method.items() if n} for v, by_method in stocks.items()}
    return {v: (stocks.get(v, {}), register.get(v, {})) for v in set(stocks) | set(register)
            if stocks.get(v, {}) != register.get(v, {})}


def prevalence(session, truth_doc):
    """(the town report's contraceptive prevalence at the run's end, %, and the world's: the
    share of married women 15–49 present who really use a method, %)."""
    last = Month.parse(truth_doc["reports"]["months"][-1])
    reported = document.find(build.build(session, 1, last, None), "E",
                             "contraceptive_prevalence", "end")
    world = truth_doc["world"]["villages"].values()
    married = sum(v.get("married_women_15_49", 0) for v in world)
    using = sum(v.get("married_women_15_49_using_a_method", 0) for v in world)
    return reported, round(100 * using / married, 2)


def check_reports(session, truth_doc):
    """Every difference between the server's cells, documents and lists and the truth file's
    "reports": {"cells": [...], (month, village or 'town'): {...}}."""
    reports = truth_doc["reports"]
    differences = {}
    expected = report_truth.cells_from_file(truth_doc)
    cells = report_truth.cell_differences(expected, report_truth.server_cells(session, 1))
    if cells:
        differences["cells"] = cells[:50]
    ids, codes = areas(session), labels(session)
    for month in reports["months"]:
        wanted = reports["by_month"][month]
        town_lists = {k: [tuple(key) for key in keys] for k, keys in wanted["lists"].items()}
        for scope, figures in wanted["figures"].items():
            village = None if scope == "town" else scope
            doc = build.build(session, 1, Month.parse(month),
                              None if village is None else [ids[village]])
            found = {}
            figures = figure_differences(doc, figures)
            if figures:
                found["figures"] = figures
            sections = section_differences(doc, expected, Month.parse(month), village)
            if sections:
                found["sections"] = sections[:20]
            lists = {table["id"]: table for table in doc["lists"]}
            if village is None:
                # the town's report counts each village's lists (the names are theirs)
                counted = town_list_differences(lists.get("lists_by_village"), town_lists)
                if counted:
                    found["lists_by_village"] = counted[:20]
                if found:
                    differences[(month, scope)] = found
                continue
            for list_id, want in report_truth.in_village(town_lists, village).items():
                if list_id not in lists:
                    found[list_id] = "absent"
                    continue
                got = report_truth.list_keys(lists[list_id], codes)
                if got != sorted(want):
                    found[list_id] = {"missing": sorted(set(want) - set(got))[:10],
                                      "extra": sorted(set(got) - set(want))[:10],
                                      "expected": len(want), "found": len(got)}
            if found:
                differences[(month, scope)] = found
    return differences


def test_figure_mapping_is_known():
    """Every figure compared is one the documents have (app.reports.figures' row ids), and every one
    has a reference figure (a document of no events: all zero, rates not computable)."""
    import app.reports.figures as server_figures
    p = server_figures.periods(Month(2025, 3), {}, {})
    doc = {"sections": server_figures.sections(p, town=True)}
    figures = report_truth.reference_figures({}, "2025-03")
    assert figure_differences(doc, figures) == []
    assert len(FIGURES) > 200


def send_late_payment(client, session, village, on):
    """A reward paid on `on` to a household of `village` not paid the one-child award that
    year (so it is a new beneficiary, whatever the others' payments), recorded by a phone
    that was offline: sent now over OpenRosa. Returns (its instanceID, the household)."""
    _, token = create_app_user(session, 1, "late officer", [village], ["benefit_payment"])
    session.commit()
    paid = select(LifeEvent.household).where(LifeEvent.kind == "reward_paid",
                                             LifeEvent.tag == "one_child_parents",
                                             LifeEvent.household.is_not(None),
                                             LifeEvent.occurred_on >= dt.date(on.year, 1, 1))
    household = session.scalar(select(Entity.uuid).join(Dataset, Dataset.id == Entity.dataset_id)
                               .where(Dataset.name == "households",
                                      Entity.deleted_at.is_(None),
                                      Entity.data["village"].as_string() == village,
                                      Entity.uuid.not_in(paid))
                               .order_by(Entity.id).limit(1))
    instance_id = str(uuid.UUID(int=20261203))
    xml = instances.benefit_payment(
        dt.datetime.combine(on, dt.time(10)), village,
        {"payee": "household", "household": household, "person": None,
         "payee_name": "补报户", "benefit": "one_child_parents", "amount": 60.0,
         "period": f"{on.year}-H1", "paid_on": on.isoformat(), "paid_by": "赵会计"},
        instance_id)
    response = CollectClient(client, f"/v1/key/{token}/projects/1").submit(xml)
    assert response.status_code == 201, response.data
    return instance_id, household


def check_lock_and_late_record(client, session, truth_doc):
    reports = truth_doc["reports"]
    village = reports["villages"][0]
    month = Month.parse(reports["months"][4])
    # the town's supervisor (every village) closes the month after its meetings
    user = create_user(session, "town-supervisor", "a-long-password-1", "supervisor",
                       "Doorstep", hash_method="scrypt:1024:8:1")
    session.commit()
    actor = from_user(user)
    before = {code: service.report(session, 1, month, code, actor, "zh")
              for code in (village, None)}
    for code in (village, None):
        service.lock(session, 1, month, code, actor)
    session.commit()
    instance_id, household = send_late_payment(client, session, village,
                                               month.first + dt.timedelta(days=9))

    # the event view moved by exactly the late record's cells
    late = report_truth.expected_cells([{
        "kind": "reward_paid", "occurred_on": month.first + dt.timedelta(days=9),
        "village": village, "details": {"benefit": "one_child_parents", "amount": 60.0},
        "instance_id": instance_id, "person": "", "household": household, "pregnancy": "",
        "lmp": ""}],
        reports["villages"])
    assert late
    expected = report_truth.cells_from_file(truth_doc)
    for key, n in late.items():
        expected[key] = expected.get(key, 0) + n
    assert report_truth.cell_differences(
        {k: n for k, n in expected.items() if n}, report_truth.server_cells(session, 1)) == []

    # the locked reports do not move; the record is an amendment, and next month a late one
    for code in (village, None):
        locked = service.report(session, 1, month, code, actor, "zh")
        assert locked["lock"]["state"] == "locked"
        assert locked["sections"] == before[code]["sections"]
        assert locked["lists"] == before[code]["lists"]
        mine = [a for a in locked["amendments"]
                if report_truth.bare_id(a["instance_id"]) == instance_id]
        assert mine, locked["amendments"]
        assert {a["change"] for a in mine} == {"late"}
        assert ("reward_paid:one_child_parents", 1) in {(a["cell"], a["delta"]) for a in mine}
        following = service.report(session, 1, month.plus(1), code, actor, "zh")
        assert [a for a in following["late_records"]
                if report_truth.bare_id(a["instance_id"]) == instance_id
                and a["month"] == str(month)], following["late_records"]


@pytest.mark.once("postgresql")   # the SQLite pass checks another town below
def test_the_reports_of_a_5000_person_town_equal_its_ground_truth(app, db, client, tmp_path):
    truth_doc = run_town(app, tmp_path, 5000, 3, 5, "--late-rate", "0.2",
                         "--out-of-order-rate", "0.2", "--duplicate-rate", "0.02", *RARE)
    reports = truth_doc["reports"]
    assert len(reports["months"]) == 12 and reports["cells"]
    listed = {list_id for month in reports["by_month"].values()
              for list_id, rows in month["lists"].items() if rows}
    assert listed == set(report_truth.LISTS)      # every list has rows in some month
    assert check_population(truth_doc) == {}
    assert check_reports(db.session, truth_doc) == {}
    assert_methods_are_meaningful(db.session, truth_doc)
    check_lock_and_late_record(client, db.session, truth_doc)


def assert_methods_are_meaningful(session, truth_doc):
    """Section E's methods in use: every village's at the run's end are exactly the
    register's living, present people by their method, and the town's prevalence is within
    6 points of the share of married women 15–49 who really use one (the report's users also
    count women past 49, widowed or divorced, or unmarried migrants, who keep a method on the
    register, so it runs a few points above)."""
    assert check_methods(session, truth_doc) == {}
    reported, world = prevalence(session, truth_doc)
    assert world > 50 and abs(reported - world) <= 6, (reported, world)


@slow
def test_the_reports_of_a_50000_person_town_equal_its_ground_truth(app, db, tmp_path):
    truth_doc = run_town(app, tmp_path, 50000, 12, 1)
    assert check_population(truth_doc) == {}
    assert check_reports(db.session, truth_doc) == {}
    assert_methods_are_meaningful(db.session, truth_doc)


@pytest.mark.once
def test_the_reports_of_a_town_of_an_unused_seed_equal_its_ground_truth(app, db, client,
                                                                        tmp_path):
    truth_doc = run_town(app, tmp_path, 5000, 4, 20261203, "--late-rate", "0.3",
                         "--out-of-order-rate", "0.3", *RARE)
    assert check_population(truth_doc) == {}
    assert check_reports(db.session, truth_doc) == {}
    assert_methods_are_meaningful(db.session, truth_doc)
    check_lock_and_late_record(client, db.session, truth_doc)


def _row(kind, on, village="dongwan", instance="i", person="", pregnancy="", lmp="", **details):
    return {"kind": kind, "occurred_on": dt.date.fromisoformat(on), "village": village,
            "details": details, "instance_id": instance, "person": person,
            "pregnancy": pregnancy, "lmp": lmp}


def test_the_expected_lists_follow_their_definitions():
    """The truth's own lists, on rows made by hand: the boundaries each definition draws."""
    rows = [
        _row("pregnancy_ended", "2025-03-05", instance="late-no-number", outcome="induced_abortion",
             reason="unplanned", weeks=15, approval_no=""),
        _row("pregnancy_ended", "2025-03-06", instance="early", outcome="induced_abortion",
             reason="unplanned", weeks=14, approval_no=""),
        _row("pregnancy_ended", "2025-03-07", "xishan", instance="birth", outcome="live_birth",
             reason="", weeks=39, approval_no=""),
        _row("pregnancy_ended", "2025-04-01", instance="april", outcome="miscarriage",
             reason="spontaneous", weeks=8, approval_no=""),
        _row("newborn_death", "2025-03-09", instance="outside", place="outside_hospital"),
        _row("newborn_death", "2025-03-09", instance="inside", place="in_hospital"),
        # LMP + 308 days is 31 March: overdue at March's end; the other ends in April
        _row("pregnancy_reported", "2024-08-01", instance="overdue", pregnancy="p1",
             lmp="2024-05-27"),
        _row("pregnancy_reported", "2024-08-01", instance="ends-in-april", pregnancy="p2",
             lmp="2024-05-01"),
        _row("pregnancy_ended", "2025-04-02", instance="p2-end", pregnancy="p2",
             outcome="live_birth", weeks=40),
        _row("pregnancy_reported", "2024-08-01", instance="not-yet", pregnancy="p3",
             lmp="2024-05-28"),
        _row("pregnancy_planned", "2025-02-01", instance="plan-a1", person="a"),
        _row("pregnancy_planned", "2025-03-01", instance="plan-a2", person="a"),
        _row("pregnancy_planned", "2025-02-01", instance="plan-b", person="b"),
        _row("prepregnancy_check", "2025-03-10", person="b", result="normal"),
        _row("pregnancy_planned", "2024-12-01", instance="last-year", person="c"),
        _row("three_checks", "2025-02-01", person="checked", round="2025-H1"),
        _row("three_checks", "2024-11-01", person="last-round", round="2024-H2"),
    ]
    woman = {"sex": "female", "marital_status": "first_marriage", "dob": "1990-06-01",
             "village": "dongwan"}
    register = {("people", "checked"): {**woman, "full_name": "甲"},
                ("people", "last-round"): {**woman, "full_name": "乙"},
                ("people", "too-old"): {**woman, "full_name": "丙", "dob": "1974-12-31"},
                ("people", "unmarried"): {**woman, "full_name": "丁", "marital_status": "unmarried"},
                ("people", "left"): {**woman, "full_name": "戊", "residence_status": "moved_out"},
                ("people", "migrant"): {**woman, "full_name": "己", "village": "xishan"}}
    del register[("people", "migrant")]["marital_status"]
    rows.append(_row("moved_in", "2025-01-05", "xishan", person="migrant", migrant="yes",
                     marital_status="first_marriage"))
    lists = report_truth.expected_lists(rows, register, "2025-03")
    assert lists["pregnancies_ended"] == [
        ("dongwan", "early", "2025-03-06", "induced_abortion", "unplanned", 14, False),
        ("dongwan", "late-no-number", "2025-03-05", "induced_abortion", "unplanned", 15, True),
        ("xishan", "birth", "2025-03-07", "live_birth", "", 39, False)]
    assert lists["newborn_deaths_outside_hospital"] == [("dongwan", "outside", "2025-03-09")]
    assert lists["overdue_pregnancies"] == [("dongwan", "ends-in-april", "2024-05-01"),
                                            ("dongwan", "overdue", "2024-05-27")]
    assert lists["planning_without_check"] == [("dongwan", "plan-a2", "2025-03-01")]
    assert lists["three_checks_due_not_done"] == [("dongwan", "乙", 34), ("xishan", "己", 34)]
    assert report_truth.in_village(lists, "xishan")["pregnancies_ended"] == [
        ("xishan", "birth", "2025-03-07", "live_birth", "", 39, False)]
    assert report_truth.expected_lists(rows, register, "2025-04")["overdue_pregnancies"] == [
        ("dongwan", "not-yet", "2024-05-28"), ("dongwan", "overdue", "2024-05-27")]
