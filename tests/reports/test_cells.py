"""The cell rules of app.reports.cells, each by hand: a life_events row in, the (area, month,
cell, n) it gives out; stocks read as the sum of their changes up to a month, BEFORE
included (as app.reports.read reads them)."""
import datetime as dt
import random

import pytest

from app.reports import cells
from app.reports.periods import BEFORE

D = dt.date
AREA = 7


def got(kind, day=D(2026, 11, 20), area_id=AREA, **details):
    """contributions of one row, as a sorted list of (month, cell, n) (area checked apart)."""
    found = cells.contributions({"kind": kind, "occurred_on": day, "area_id": area_id,
                                 "details": details})
    assert {a for a, _m, _c, _n in found} <= {area_id or 0}
    return sorted((m, c, n) for _a, m, c, n in found)


def stock(rows, cell, month):
    """A stock at the end of `month` from the (month, cell, n) of several rows."""
    return sum(n for m, c, n in rows if c == cell and m <= month)


def flows(rows):
    return {c: n for _m, c, n in rows}


# -- flows ----------------------------------------------------------------------------------

@pytest.mark.parametrize("sex, order, cell", [
    ("male", 1, "birth:male:1"), ("female", 2, "birth:female:2"), ("female", "3", "birth:female:3"),
    ("male", 4, "birth:male:4"), ("male", 7, "birth:male:4"),
    ("female", "", "birth:female:unknown"),
    ("female", 0, "birth:female:unknown"), ("", 1, "birth:unknown:1"),
    ("girl", None, "birth:unknown:unknown"), ("male", 2.0, "birth:male:2"),
    ("male", 2.5, "birth:male:unknown"), ("male", True, "birth:male:unknown")])
def test_births_count_by_sex_and_the_mothers_birth_order(sex, order, cell):
    rows = got("birth", D(2026, 3, 10), sex=sex, birth_order=order, place="hospital")
    assert ("2026-03", cell, 1) in rows
    assert ("2026-03", "birth_place:hospital", 1) in rows
    assert ("2026-03", f"pop:{sex if sex in ('male', 'female') else 'unknown'}", 1) in rows


@pytest.mark.parametrize("place, cell", [("hospital", "hospital"), ("clinic", "clinic"),
                                         ("home", "home"), ("other", "other"), ("", "unknown"),
                                         ("roadside", "unknown"), (None, "unknown")])
def test_births_count_by_place(place, cell):
    assert flows(got("birth", sex="male", birth_order=1, place=place))[f"birth_place:{cell}"] == 1


def test_a_girls_birth_puts_her_in_the_women_15_49_from_her_15th_birthday_to_her_50th():
    rows = got("birth", D(2026, 3, 10), sex="female", birth_order=1, place="home")
    assert [r for r in rows if r[1] == "women_15_49"] == [("2041-03", "women_15_49", 1),
                                                          ("2076-03", "women_15_49", -1)]
    assert not [r for r in rows if r[1] == "married_women_15_49"]
    assert not [r for r in got("birth", sex="male", birth_order=1) if r[1] == "women_15_49"]


def test_each_kinds_flow_cells():
    assert got("death", D(2026, 4, 1), sex="male") == [("2026-04", "death:male", 1),
                                                        ("2026-04", "pop:male", -1)]
    assert got("newborn_death", D(2026, 4, 1), place="outside_hospital", sex="male") == [
        ("2026-04", "newborn_death:outside_hospital", 1), ("2026-04", "pop:male", -1)]
    assert flows(got("newborn_death", place="", sex="")) == {"newborn_death:unknown": 1,
                                                           "pop:unknown": -1}
    assert flows(got("moved_in", migrant="yes", sex="male")) == {"moved_in:yes": 1, "pop:male": 1}
    assert flows(got("moved_in", migrant="no")) == {"moved_in:no": 1, "pop:unknown": 1}
    assert flows(got("moved_out", migrant="yes", sex="male")) == {"moved_out:yes": 1,
                                                                  "pop:male": -1}
    assert flows(got("moved_out")) == {"moved_out:no": 1, "pop:unknown": -1}
    assert flows(got("marriage")) == {"marriage": 1}
    assert flows(got("divorce")) == {"divorce": 1}
    assert got("pregnancy_reported") == [("2026-11", "pregnancy_reported", 1),
                                         ("2026-11", "pregnant", 1)]
    for kind in ("pregnancy_confirmed", "ultrasound", "pregnancy_planned"):
        assert got(kind) == [("2026-11", kind, 1)]
    assert got("iud_check", result="displaced") == [("2026-11", "iud_check:displaced", 1)]
    assert got("iud_check") == [("2026-11", "iud_check:unknown", 1)]
    assert got("prepregnancy_check", result="normal") == [
        ("2026-11", "prepregnancy_check:normal", 1)]
    assert got("certificate_issued", certificate="birth_medical") == [
        ("2026-11", "certificate:birth_medical", 1)]
    assert got("double_check", direction="left", received="yes") == [
        ("2026-11", "double_check:left:yes", 1)]
    assert got("double_check", direction="arrived") == [
        ("2026-11", "double_check:arrived:unknown", 1)]
    assert got("no_such_kind") == [] and cells.contributions({"kind": None}) == []


def test_a_registration_counts_in_its_month_and_the_person_from_birth():
    rows = got("registered", D(2026, 11, 2), sex="male", dob="1960-07-04",
               marital_status="first_marriage", contraception="male_sterilisation")
    # a man: no women's stocks; a method is counted for women entering the register
    assert rows == [("1960-07", "pop:male", 1), ("2026-11", "registered", 1)]
    # no date of birth: he was there before the records
    assert got("registered", D(2026, 11, 2), sex="male", dob="") == [
        (BEFORE, "pop:male", 1), ("2026-11", "registered", 1)]


def test_a_woman_registered_at_30_and_married_counts_from_15_to_50():
    rows = got("registered", D(2026, 11, 2), sex="female", dob="1996-05-20",
               marital_status="first_marriage", contraception="iud", residence_status="resident")
    assert rows == [
        (BEFORE, "method:iud", 1), ("1996-05", "pop:female", 1),
        ("2011-05", "married_women_15_49", 1), ("2011-05", "women_15_49", 1),
        ("2026-11", "registered", 1),
        ("2046-05", "married_women_15_49", -1), ("2046-05", "women_15_49", -1)]
    for month, women in (("2026-10", 1), ("2046-04", 1), ("2046-05", 0)):
        assert stock(rows, "women_15_49", month) == women
        assert stock(rows, "married_women_15_49", month) == women
    assert stock(rows, "method:iud", "1900-01") == 1


@pytest.mark.parametrize("marital", ["unmarried", "divorced", "widowed", "", None])
def test_a_woman_not_married_is_not_in_the_married_stock(marital):
    rows = got("registered", sex="female", dob="1996-05-20", marital_status=marital,
               contraception="none")
    assert not [r for r in rows if r[1] == "married_women_15_49" or r[1].startswith("method:")]
    assert stock(rows, "women_15_49", "2026-11") == 1


def test_a_girl_turning_15_and_a_woman_turning_50_in_given_months():
    girl = got("registered", D(2026, 11, 2), sex="female", dob="2011-12-15",
               marital_status="unmarried")
    assert stock(girl, "women_15_49", "2026-11") == 0
    assert stock(girl, "women_15_49", "2026-12") == 1
    woman = got("registered", D(2026, 11, 2), sex="female", dob="1977-01-31",
                marital_status="remarried")
    for cell in ("women_15_49", "married_women_15_49"):
        assert stock(woman, cell, "2026-12") == 1
        assert stock(woman, cell, "2027-01") == 0
    # 29 February's birthday falls on 1 March in a common year
    leap = got("registered", sex="female", dob="2008-02-29")
    assert ("2023-03", "women_15_49", 1) in leap and ("2058-03", "women_15_49", -1) in leap
    assert ("2032-02", "women_15_49", 1) in got("registered", sex="female", dob="2017-02-01")


def test_a_death_and_a_move_out_inside_the_window_end_her_count_that_month():
    registered = got("registered", D(2025, 1, 5), sex="female", dob="1990-06-01",
                     marital_status="first_marriage", contraception="pills")
    for kind, details in (("death", {}), ("moved_out", {"migrant": "yes"})):
        out = got(kind, D(2026, 4, 10), sex="female", dob="1990-06-01",
                  marital_status="first_marriage", contraception="pills", **details)
        assert sorted(r for r in out if r[1] in ("women_15_49", "married_women_15_49",
                                                 "method:pills")) == [
            ("2026-04", "married_women_15_49", -1), ("2026-04", "method:pills", -1),
            ("2026-04", "women_15_49", -1),
            ("2040-06", "married_women_15_49", 1), ("2040-06", "women_15_49", 1)]
        rows = registered + out
        for cell in ("women_15_49", "married_women_15_49", "method:pills", "pop:female"):
            assert stock(rows, cell, "2026-03") == 1
            assert stock(rows, cell, "2026-04") == 0
            assert stock(rows, cell, "2045-01") == 0
            assert stock(rows, cell, "2099-01") == 0


def test_a_death_and_a_move_out_outside_the_window():
    for kind in ("death", "moved_out"):
        # at 60: she had left the window; only the population changes
        old = got(kind, D(2026, 4, 10), sex="female", dob="1966-01-01",
                  marital_status="first_marriage")
        assert {c for _m, c, _n in old} <= {"death:female", "moved_out:no", "pop:female"}
        # at 10: she leaves before entering it, which undoes her registration's window
        girl = got("registered", D(2020, 1, 1), sex="female", dob="2016-03-03")
        gone = got(kind, D(2026, 4, 10), sex="female", dob="2016-03-03")
        for month in ("2026-04", "2031-03", "2066-03", "2099-12"):
            assert stock(girl + gone, "women_15_49", month) == 0
        assert stock(girl, "women_15_49", "2031-03") == 1


def test_a_move_in_counts_her_from_the_move_or_from_15():
    woman = got("moved_in", D(2026, 5, 5), sex="female", dob="1990-01-01",
                marital_status="first_marriage", contraception="implant", migrant="yes")
    assert ("2026-05", "women_15_49", 1) in woman and ("2040-01", "women_15_49", -1) in woman
    assert ("2026-05", "married_women_15_49", 1) in woman
    assert ("2026-05", "method:implant", 1) in woman
    girl = got("moved_in", D(2026, 5, 5), sex="female", dob="2014-09-09")
    assert ("2029-09", "women_15_49", 1) in girl
    assert not [r for r in got("moved_in", sex="female", dob="1970-01-01")
                if r[1] == "women_15_49"]
    # no date: she came before the records; no date of birth: no window
    undated = got("moved_in", None, sex="female", dob="1990-01-01")
    assert (BEFORE, "pop:female", 1) in undated and ("2005-01", "women_15_49", 1) in undated
    assert not [r for r in got("moved_in", sex="female", dob="") if r[1] == "women_15_49"]


def test_a_newborn_girls_death_undoes_her_birth():
    birth = got("birth", D(2026, 3, 30), sex="female", birth_order=1)
    death = got("newborn_death", D(2026, 4, 2), sex="female", place="in_hospital", age_days=3)
    for month in ("2026-04", "2041-03", "2041-04", "2076-03"):
        assert stock(birth + death, "women_15_49", month) == 0
        assert stock(birth + death, "pop:female", month) == 0


def test_marriage_and_divorce_move_the_woman_in_and_out_of_the_married_stock():
    married = got("marriage", D(2026, 5, 3), woman="w", woman_dob="2000-01-01")
    assert married == [("2026-05", "marriage", 1), ("2026-05", "married_women_15_49", 1),
                       ("2050-01", "married_women_15_49", -1)]
    divorced = got("divorce", D(2027, 8, 9), woman="w", woman_dob="2000-01-01")
    assert divorced == [("2027-08", "divorce", 1), ("2027-08", "married_women_15_49", -1),
                        ("2050-01", "married_women_15_49", 1)]
    both = married + divorced
    assert [stock(both, "married_women_15_49", m) for m in ("2026-04", "2026-05", "2027-07",
                                                             "2027-08", "2060-01")] == [
        0, 1, 1, 0, 0]
    # married at 14: counted from her 15th birthday; at 55: never; her dob unknown: no stock
    assert ("2027-07", "married_women_15_49", 1) in got("marriage", D(2026, 5, 3),
                                                        woman_dob="2012-07-01")
    assert got("marriage", D(2026, 5, 3), woman_dob="1971-01-01") == [("2026-05", "marriage", 1)]
    assert got("marriage", D(2026, 5, 3), woman="", woman_dob="") == [("2026-05", "marriage", 1)]


def test_methods_change_with_procedures():
    start = got("contraception_procedure", action="start", procedure="iud_insertion",
                method="iud", previous_method="pills")
    assert start == [("2026-11", "method:iud", 1), ("2026-11", "method:pills", -1),
                     ("2026-11", "procedure:iud_insertion", 1)]
    stop = got("contraception_procedure", action="stop", procedure="iud_removal", method="iud",
               previous_method="iud")
    assert stop == [("2026-11", "method:iud", -1), ("2026-11", "procedure:iud_removal", 1)]
    first = got("contraception_procedure", action="start", procedure="", method="condom",
                previous_method="")
    assert first == [("2026-11", "method:condom", 1), ("2026-11", "procedure:none", 1)]
    same = got("contraception_procedure", action="change", procedure="none", method="pills",
               previous_method="pills")
    assert stock(same, "method:pills", "2026-11") == 0
    assert got("contraception_procedure", method="none", previous_method="none") == [
        ("2026-11", "procedure:none", 1)]


def test_a_stated_change_of_method_moves_the_methods_in_use_and_counts_no_flow():
    assert got("method_changed", method="pills", previous_method="iud") == [
        ("2026-11", "method:iud", -1), ("2026-11", "method:pills", 1)]
    # from no method recorded, or to none: only the method side moves
    assert got("method_changed", method="condom", previous_method="") == [
        ("2026-11", "method:condom", 1)]
    assert got("method_changed", method="none", previous_method="implant") == [
        ("2026-11", "method:implant", -1)]
    assert got("method_changed", method="none", previous_method="") == []


@pytest.mark.parametrize("outcome, weeks, approval, expected", [
    ("induced_abortion", 13, "", []),
    ("induced_abortion", 14, "", ["14plus"]),
    ("induced_abortion", 15, "", ["14plus", "15plus"]),
    ("induced_abortion", 16, "A-2026-3", ["14plus", "15plus", "15plus_approved"]),
    ("medical_termination", "20", "B-7", ["14plus", "15plus", "15plus_approved"]),
    ("medical_termination", 22, "  ", ["14plus", "15plus"]),
    ("medical_termination", None, "B-7", []),
    ("medical_termination", "twenty", "B-7", []),
    ("miscarriage", 20, "", []),
    ("stillbirth", 30, "", [])])
def test_terminations_by_weeks_with_and_without_approval(outcome, weeks, approval, expected):
    rows = got("pregnancy_ended", outcome=outcome, weeks=weeks, approval_no=approval,
               reason="unplanned", registered="yes")
    assert sorted(c.split(":")[1] for _m, c, _n in rows if c.startswith("termination:")) == \
        expected
    assert ("2026-11", f"pregnancy_ended:{outcome}", 1) in rows
    assert ("2026-11", "pregnant", -1) in rows
    assert (("2026-11", "loss_reason:unplanned", 1) in rows) == (outcome != "stillbirth")
    assert cells.APPROVAL_WEEKS == 15


def test_pregnancy_ends_by_outcome_and_loss_reason():
    assert got("pregnancy_ended", outcome="live_birth", reason="", registered="yes") == [
        ("2026-11", "pregnancy_ended:live_birth", 1), ("2026-11", "pregnant", -1)]
    # a pregnancy never reported was never in the stock
    assert got("pregnancy_ended", outcome="miscarriage", reason="", registered="no") == [
        ("2026-11", "loss_reason:unknown", 1), ("2026-11", "pregnancy_ended:miscarriage", 1)]
    assert flows(got("pregnancy_ended", outcome="late_termination", reason="x" * 90)) == {
        "pregnancy_ended:unknown": 1, "loss_reason:unknown": 1, "pregnant": -1}


def test_three_checks_by_round_with_findings():
    rows = got("three_checks", D(2026, 3, 3), round="2026-H1", iud_result="displaced",
               pregnancy_found="yes", illness_found="no", findings=[])
    assert rows == [("2026-03", "three_checks:2026-H1", 1),
                    ("2026-03", "three_checks_finding:2026-H1:iud", 1),
                    ("2026-03", "three_checks_finding:2026-H1:pregnancy", 1)]
    rows = got("three_checks", round="", iud_result="in_place", pregnancy_found="no",
               illness_found="yes")
    assert rows == [("2026-11", "three_checks:unknown", 1),
                    ("2026-11", "three_checks_finding:unknown:illness", 1)]
    assert flows(got("three_checks", round="2026-H2", iud_result="expelled")) == {
        "three_checks:2026-H2": 1, "three_checks_finding:2026-H2:iud": 1}


@pytest.mark.parametrize("amount, fen", [(12.34, 1234), (300, 30000), ("45.6", 4560),
                                         (0.1 + 0.2, 30), (None, 0), ("", 0), ("abc", 0),
                                         (float("nan"), 0), (True, 0), (1e30, 0)])
def test_rewards_count_and_sum_in_fen(amount, fen):
    rows = got("reward_paid", benefit="only_child", amount=amount)
    assert ("2026-11", "reward_paid:only_child", 1) in rows
    assert flows(rows).get("reward_fen:only_child", 0) == fen
    assert flows(got("reward_paid", amount=5)) == {"reward_paid:unknown": 1,
                                                   "reward_fen:unknown": 500}


@pytest.mark.parametrize("amount", [1e307, -1e307, 1e306, 1.7976931348623157e308, "1e308"])
def test_a_huge_amount_is_no_fen_and_never_raises(amount):
    assert flows(got("reward_paid", benefit="only_child", amount=amount)) == {
        "reward_paid:only_child": 1}


def test_where_and_when():
    assert cells.contributions({"kind": "marriage", "occurred_on": None, "area_id": None,
                                "details": {}}) == [(0, BEFORE, "marriage", 1)]
    assert cells.contributions({"kind": "marriage", "occurred_on": "2026-02-03", "area_id": 4,
                                "details": '{"woman_dob": "1999-02-03"}'}) == [
        (4, "2026-02", "marriage", 1), (4, "2026-02", "married_women_15_49", 1),
        (4, "2049-02", "married_women_15_49", -1)]
    assert cells.contributions({"kind": "marriage", "occurred_on": dt.datetime(2026, 2, 3, 9),
                                "area_id": 4, "details": None}) == [(4, "2026-02", "marriage", 1)]


ODD = [None, "", " ", "x" * 200, "a:b", "9999-12-31", "0001-01-01", "2026-13-45", "2024-02-29",
       -1, 0, 3, 10 ** 30, 2.5, float("inf"), float("nan"), True, [], ["a"], {}, {"a": 1},
       D(9999, 12, 31), D(1, 1, 1), dt.datetime(2026, 1, 1)]
NAMES = ["sex", "dob", "marital_status", "contraception", "birth_order", "place", "migrant",
         "woman_dob", "outcome", "reason", "weeks", "approval_no", "registered", "procedure",
         "action", "method", "previous_method", "round", "iud_result", "pregnancy_found",
         "illness_found", "result", "certificate", "direction", "received", "benefit", "amount",
         "age_days"]


def test_odd_rows_never_raise_and_give_well_formed_cells():
    kinds = [*__import__("app.events.kinds", fromlist=["KINDS"]).KINDS, "registered"]
    rng = random.Random(18)
    for _ in range(3000):
        details = {name: rng.choice(ODD) for name in rng.sample(NAMES, rng.randint(0, 12))}
        row = {"kind": rng.choice(kinds), "occurred_on": rng.choice(ODD),
               "area_id": rng.choice([None, 3, "3", True]),
               "details": rng.choice([details, details, None, "not json", "[1]", 5])}
        found = cells.contributions(row)
        assert found == cells.contributions(row)             # deterministic
        for area_id, month, cell, n in found:
            assert area_id in (0, 3) and isinstance(n, int) and not isinstance(n, bool)
            assert len(month) == 7 and month[4] == "-" and 0 < len(cell) <= 80
    for odd in ODD:
        assert isinstance(cells.contributions(odd if isinstance(odd, dict) else {"kind": odd}),
                          list)


def test_a_bride_moving_in_on_the_visit_of_her_marriage_is_counted_once():
    def visit(*events, sid=5):
        rows = [{"project_id": 1, "submission_id": sid, "kind": kind, "person": person,
                 "occurred_on": D(2025, 5, 5), "area_id": 2, "details": details}
                for kind, person, details in events]
        return {k[2:]: n for k, n in cells.totals(rows).items()
                if k[3] == "married_women_15_49"}
    bride = {"sex": "female", "dob": "2002-02-13", "marital_status": "first_marriage"}
    marriage = ("marriage", "husband", {"woman": "w", "woman_dob": "2002-02-13"})
    # she comes married: her move in counts her, the marriage not again
    assert visit(("moved_in", "w", bride), marriage) == {
        ("2025-05", "married_women_15_49"): 1, ("2052-02", "married_women_15_49"): -1}
    # she marries and leaves: in and out the same month, nothing stays
    assert visit(("moved_out", "w", bride), marriage) == {}
    # a marriage of two who live here; a move in of someone else on the same visit
    assert visit(marriage, ("moved_in", "x", bride)) == {
        ("2025-05", "married_women_15_49"): 2, ("2052-02", "married_women_15_49"): -2}
    # divorced and moved in: the divorce took her out of another village's stock, not this one's
    divorced = {**bride, "marital_status": "divorced"}
    assert visit(("moved_in", "w", divorced),
                 ("divorce", "husband", {"woman": "w", "woman_dob": "2002-02-13"})) == {}
    # the same two rows on different submissions: each counts
    rows = [{"project_id": 1, "submission_id": 1, "kind": "moved_in", "person": "w",
             "occurred_on": D(2025, 5, 5), "area_id": 2, "details": bride},
            {"project_id": 1, "submission_id": 2, "kind": "marriage", "person": "h",
             "occurred_on": D(2025, 5, 5), "area_id": 2, "details": marriage[2]}]
    assert cells.totals(rows)[(1, 2, "2025-05", "married_women_15_49")] == 2
