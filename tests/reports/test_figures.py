"""Sections A–E, indicators, sex ratio, alerts, charts and the village table from cells
written by hand (pure figures: no database). Every expected number is worked out in the
comments from the cells below."""
from app.reports import figures
from app.reports.document import find
from app.reports.periods import Month

MARCH = Month(2025, 3)
#: stocks at the end of December 2023 (the month before figures.first_month(MARCH))
BASE = {"pop:male": 100, "pop:female": 98, "women_15_49": 40, "married_women_15_49": 30,
        "pregnant": 3, "method:iud": 10, "method:female_sterilisation": 5, "method:condom": 4}
MONTHLY = {
    "2024-03": {"birth:male:1": 1, "birth_place:hospital": 1, "pop:male": 1},
    "2024-06": {"death:female": 1, "pop:female": -1},
    "2024-10": {"birth:female:2": 1, "birth_place:clinic": 1, "pop:female": 1},
    "2025-01": {"birth:male:1": 2, "birth:female:unknown": 1, "birth_place:hospital": 3,
                "pop:male": 2, "pop:female": 2, "moved_in:yes": 1, "women_15_49": 1,
                "married_women_15_49": 1},
    "2025-02": {"death:male": 1, "newborn_death:outside_hospital": 1, "pop:male": -2},
    "2025-03": {
        "birth:male:1": 1, "birth:female:2": 1, "birth:male:4": 1, "birth:unknown:3": 1,
        # births +2 male +1 female +1 unknown; moved out 1 female, 1 male; registered 1 female
        "pop:male": 1, "pop:female": 1, "pop:unknown": 1,
        "birth_place:hospital": 2, "birth_place:home": 1, "birth_place:unknown": 1,
        "moved_out:yes": 1, "moved_out:no": 1, "registered": 2,
        "marriage": 1, "married_women_15_49": 1, "divorce": 1,
        "pregnancy_reported": 2, "pregnancy_confirmed": 1, "ultrasound": 1,
        "pregnancy_ended:live_birth": 1, "pregnancy_ended:induced_abortion": 2,
        "pregnancy_ended:medical_termination": 1, "pregnant": -2,
        "loss_reason:unplanned": 2, "loss_reason:unknown": 1,
        "termination:14plus": 1, "termination:15plus": 1,
        "procedure:iud_insertion": 2, "procedure:tubal_ligation": 1, "procedure:none": 3,
        "method:iud": 1, "method:female_sterilisation": 1, "method:pills": 1, "method:condom": 2},
}
# Population at month ends: Dec 2023 198; Mar 2024 199; Jun 198; Sep 198; Oct 199; Dec 199;
# Jan 2025 203 (m103 f100); Feb 201 (m101 f100); Mar 204 (m102 f101 unknown 1).


def periods():
    return figures.periods(MARCH, BASE, MONTHLY)


def table(section, town=False):
    return {s["id"]: s for s in figures.sections(periods(), town)}[section]


def values(section, row, town=False):
    return next(r for r in table(section, town)["rows"] if r["id"] == row)["values"]


def test_periods_and_means():
    p = periods()
    # month: (201 + 204) / 2; YTD: (199/2 + 203 + 201 + 204/2) / 3 = 605.5 / 3;
    # statistical year Oct..Mar: (198/2 + 199 + 199 + 199 + 203 + 201 + 204/2) / 6 = 1202 / 6;
    # last year Jan..Mar 2024: (198/2 + 198 + 198 + 199/2) / 3 = 594.5 / 3
    assert p["mean_population"]["month"] == 202.5
    assert p["mean_population"]["ytd"] == 605.5 / 3
    assert p["mean_population"]["stat_ytd"] == 1202 / 6
    assert p["mean_population"]["last_year"] == 594.5 / 3
    assert p["days"] == {"month": 31, "ytd": 90, "stat_ytd": 182, "last_year": 91,
                         "rolling_12": 365}
    assert figures.chronological_mean([10]) is None
    assert figures.chronological_mean([10, 20]) == 15


def test_section_a_population():
    a = table("A")
    assert [c["id"] for c in a["columns"]] == ["start", "end"]
    assert values("A", "population_male") == {"start": 101, "end": 102}
    assert values("A", "population_female") == {"start": 100, "end": 101}
    assert values("A", "population_sex_unknown") == {"start": 0, "end": 1}
    assert values("A", "population") == {"start": 201, "end": 204}
    assert values("A", "women_15_49") == {"start": 41, "end": 41}
    assert values("A", "married_women_15_49") == {"start": 31, "end": 32}
    assert values("A", "pregnant") == {"start": 3, "end": 1}


def test_section_b_changes():
    b = table("B")
    assert [c["id"] for c in b["columns"]] == ["month", "late", "ytd", "stat_ytd", "last_year"]
    v = lambda row: values("B", row)        # noqa: E731
    # births: March 4; YTD 3 + 4; stat. year + October's 1; last year March 2024's 1
    assert v("births") == {"month": 4, "late": None, "ytd": 7, "stat_ytd": 8, "last_year": 1}
    # deaths: February's death and newborn death
    assert v("deaths") == {"month": 0, "late": None, "ytd": 2, "stat_ytd": 2, "last_year": 0}
    assert v("deaths_newborn")["ytd"] == 1
    assert v("moved_in") == {"month": 0, "late": None, "ytd": 1, "stat_ytd": 1, "last_year": 0}
    assert v("moved_in_migrant")["ytd"] == 1 and v("moved_in_other")["ytd"] == 0
    assert v("moved_out")["month"] == 2
    assert v("moved_out_migrant")["month"] == 1 and v("moved_out_other")["month"] == 1
    assert v("registered")["month"] == 2
    assert v("population_start") == {"month": 201, "late": None, "ytd": 199, "stat_ytd": 198,
                                      "last_year": 198}
    assert v("population_end") == {"month": 204, "late": None, "ytd": 204, "stat_ytd": 204,
                                   "last_year": 199}
    # residual: 204 - (201 + 4 - 0 + 0 - 2) = 1 (the newborn registered without a birth);
    # YTD 204 - (199 + 7 - 2 + 1 - 2) = 1; stat. 204 - (198 + 8 - 2 + 1 - 2) = 1; 199 - 199 = 0
    assert v("balance_residual") == {"month": 1, "late": None, "ytd": 1, "stat_ytd": 1,
                                     "last_year": 0}
    assert v("marriages")["month"] == 1 and v("divorces")["ytd"] == 1
    assert v("mean_population") == {"month": 202.5, "late": None, "ytd": 201.8,
                                     "stat_ytd": 200.3, "last_year": 198.2}
    # 4 / 202.5 = 19.753‰; 7 / 201.833 = 34.682‰; 8 / 200.333 = 39.933‰; 1 / 198.167 = 5.046‰
    assert v("birth_rate") == {"month": 19.75, "ytd": 34.68, "stat_ytd": 39.93,
                               "last_year": 5.05}
    # 2 / 201.833 = 9.909‰; 2 / 200.333 = 9.983‰
    assert v("death_rate") == {"month": 0.0, "ytd": 9.91, "stat_ytd": 9.98, "last_year": 0.0}
    # 5 / 201.833 = 24.773‰; 6 / 200.333 = 29.950‰
    assert v("natural_growth_rate") == {"month": 19.75, "ytd": 24.77, "stat_ytd": 29.95,
                                        "last_year": 5.05}
    assert "birth_rate_annualised" not in [r["id"] for r in b["rows"]]


def test_section_b_town_annualises():
    v = lambda row: values("B", row, town=True)        # noqa: E731
    # 19.753 × 365/31 = 232.58; 34.682 × 365/90 = 140.66; 39.933 × 365/182 = 80.09;
    # 5.046 × 365/91 = 20.24
    assert v("birth_rate_annualised") == {"month": 232.58, "ytd": 140.66, "stat_ytd": 80.09,
                                          "last_year": 20.24}
    # 9.909 × 365/90 = 40.19
    assert v("death_rate_annualised")["ytd"] == 40.19
    # 24.773 × 365/90 = 100.47
    assert v("natural_growth_rate_annualised")["ytd"] == 100.47


def test_section_c_births():
    v = lambda row: values("C", row)        # noqa: E731
    assert v("order_1_male") == {"month": 1, "late": None, "ytd": 3, "stat_ytd": 3,
                                 "last_year": 1}
    assert v("order_1_female")["ytd"] == 0 and v("order_1")["ytd"] == 3
    assert v("order_2_female") == {"month": 1, "late": None, "ytd": 1, "stat_ytd": 2,
                                   "last_year": 0}
    assert v("order_3_male")["month"] == 0 and v("order_3")["month"] == 1   # sex unknown
    assert v("order_4_male")["month"] == 1 and v("order_4")["month"] == 1
    assert v("order_unknown_female")["ytd"] == 1 and v("order_unknown")["month"] == 0
    assert v("births_male") == {"month": 2, "late": None, "ytd": 4, "stat_ytd": 4,
                                "last_year": 1}
    assert v("births_female")["ytd"] == 2 and v("births_female")["stat_ytd"] == 3
    assert v("births_sex_unknown")["month"] == 1
    assert v("births")["ytd"] == 7
    assert v("born_hospital") == {"month": 2, "late": None, "ytd": 5, "stat_ytd": 5,
                                  "last_year": 1}
    assert v("born_clinic")["stat_ytd"] == 1 and v("born_home")["month"] == 1
    assert v("born_other")["month"] == 0 and v("born_place_unknown")["month"] == 1
    assert v("born_in_facility")["stat_ytd"] == 6
    assert v("sex_ratio") == {"month": None, "ytd": None, "stat_ytd": None, "last_year": None}
    assert v("sex_ratio_low")["ytd"] is None
    ids = [r["id"] for r in table("C")["rows"]]
    assert len(ids) == len(set(ids)) == 5 * 3 + 4 + 6 + 3


def test_section_d_pregnancies():
    v = lambda row: values("D", row)        # noqa: E731
    assert v("pregnant_start") == {"month": 3, "late": None, "ytd": 3, "stat_ytd": 3,
                                   "last_year": 3}
    assert v("pregnancies_reported")["month"] == 2
    assert v("pregnancies_confirmed")["month"] == 1 and v("ultrasounds")["ytd"] == 1
    assert v("pregnancies_ended")["month"] == 4
    assert v("deliveries")["month"] == 1 and v("losses")["month"] == 3
    assert v("ended_live_birth")["month"] == 1 and v("ended_stillbirth")["month"] == 0
    assert v("ended_induced_abortion")["month"] == 2
    assert v("ended_medical_termination")["month"] == 1
    assert v("ended_unknown")["month"] == 0
    assert v("loss_unplanned")["month"] == 2 and v("loss_unknown")["month"] == 1
    assert v("loss_spontaneous")["month"] == 0
    assert v("terminations")["month"] == 3
    assert v("terminations_14plus")["month"] == 1 and v("terminations_15plus")["month"] == 1
    assert v("terminations_15plus_approved")["month"] == 0
    assert v("terminations_15plus_unapproved")["month"] == 1
    # 3 + 2 - 4 = 1, and last year nothing happened
    assert v("pregnant_end") == {"month": 1, "late": None, "ytd": 1, "stat_ytd": 1,
                                 "last_year": 3}


def test_section_e_contraception():
    e = table("E")
    assert [c["id"] for c in e["columns"]] == ["month", "late", "ytd", "stat_ytd",
                                               "last_year", "start", "end"]
    v = lambda row: values("E", row)        # noqa: E731
    assert v("proc_iud_insertion")["month"] == 2 and v("proc_tubal_ligation")["ytd"] == 1
    assert v("proc_vasectomy")["month"] == 0 and v("proc_other")["month"] == 0
    assert v("procedures") == {"month": 3, "late": None, "ytd": 3, "stat_ytd": 3,
                               "last_year": 0}
    assert v("proc_supplies")["month"] == 3
    assert v("proc_induced_abortion")["month"] == 2
    assert v("proc_medical_termination")["month"] == 1
    assert v("method_iud") == {"start": 10, "end": 11}
    assert v("method_female_sterilisation") == {"start": 5, "end": 6}
    assert v("method_condom") == {"start": 4, "end": 6}
    assert v("method_pills") == {"start": 0, "end": 1}
    assert v("method_other") == {"start": 0, "end": 0}
    assert v("contraceptive_users") == {"start": 19, "end": 24}
    assert v("long_acting_users") == {"start": 15, "end": 17}
    assert v("married_women_15_49") == {"start": 31, "end": 32}
    # 19/31 = 61.29 %, 24/32 = 75 %; 15/31 = 48.39 %, 17/32 = 53.125 -> 53.13 (half up)
    assert v("contraceptive_prevalence") == {"start": 61.29, "end": 75.0}
    assert v("long_acting_rate") == {"start": 48.39, "end": 53.13}
    # 15/19 = 78.95 %, 17/24 = 70.83 %
    assert v("long_acting_share") == {"start": 78.95, "end": 70.83}


def test_unknown_values_are_kept_visible():
    cells = {"2025-03": {"procedure:laser": 1, "method:patch": 1, "birth_place:boat": 1,
                         "loss_reason:weird": 1, "pregnancy_ended:molar": 1,
                         "birth:male:7": 1, "pop:other": 1}}
    p = figures.periods(MARCH, {}, cells)
    s = {t["id"]: {r["id"]: r["values"] for r in t["rows"]} for t in figures.sections(p)}
    assert s["E"]["proc_other"]["month"] == 1 and s["E"]["procedures"]["month"] == 1
    assert s["E"]["method_other"]["end"] == 1
    assert s["C"]["born_place_unknown"]["month"] == 1
    assert s["C"]["order_unknown_male"]["month"] == 1
    assert s["D"]["loss_unknown"]["month"] == 1 and s["D"]["ended_unknown"]["month"] == 1
    assert s["D"]["losses"]["month"] == 1
    assert s["A"]["population_sex_unknown"]["end"] == 1


def test_empty_is_zero_and_rates_none():
    p = figures.periods(MARCH, {}, {})
    s = {t["id"]: {r["id"]: r["values"] for r in t["rows"]} for t in figures.sections(p, True)}
    assert s["A"]["population"] == {"start": 0, "end": 0}
    assert s["B"]["birth_rate"]["month"] is None
    assert s["B"]["birth_rate_annualised"]["ytd"] is None
    assert s["E"]["contraceptive_prevalence"] == {"start": None, "end": None}


def test_indicators_against_targets():
    rows = {i["id"]: i for i in figures.indicators(periods(), {"birth_rate": 150,
                                                               "natural_growth_rate": 8,
                                                               "contraceptive_prevalence": 80})}
    birth = rows["birth_rate"]
    # judged on the annualised YTD: 140.66 <= 150
    # rolling 12 (Apr 2024..Mar 2025): births 1 + 3 + 4 = 8 on the chronological mean
    # (199/2 + 199 + 199 + 198 + 198 + 198 + 198 + 199 + 199 + 199 + 203 + 201 + 204/2) / 12
    # = 2392.5 / 12 = 199.375: 40.125...‰
    assert birth["values"] == {"month": 19.75, "ytd": 34.68, "stat_ytd": 39.93,
                               "last_year": 5.05, "rolling_12": 40.13, "ytd_annualised": 140.66}
    assert birth["target"] == 150 and birth["met"] is True
    assert birth["basis"]["period"] == "ytd_annualised"
    assert rows["natural_growth_rate"]["values"]["ytd_annualised"] == 100.47
    assert rows["natural_growth_rate"]["met"] is False
    assert rows["death_rate"]["target"] is None and rows["death_rate"]["met"] is None
    assert rows["contraceptive_prevalence"]["values"] == {"end": 75.0}
    assert rows["contraceptive_prevalence"]["met"] is False
    assert rows["long_acting_rate"]["values"] == {"end": 53.13}
    assert figures.met("birth_rate", 12.0, 12) is True
    assert figures.met("prepregnancy_coverage", 79.99, 80) is False
    assert figures.met("unknown_indicator", 1, 1) is None


# ---- sex ratio: a window with enough births -------------------------------------------

SRB_MONTHLY = {"2024-05": {"birth:male:1": 70, "birth:female:1": 50, "pop:male": 70,
                           "pop:female": 50},
               "2025-03": {"birth:male:1": 70, "birth:female:2": 50, "pop:male": 70,
                           "pop:female": 50}}


def test_sex_ratio_block_and_rows():
    p = figures.periods(MARCH, {}, SRB_MONTHLY)
    village_w = {"month": {"birth:male:1": 9, "birth:female:1": 4},
                 "rolling_12": {"birth:male:2": 140, "birth:female:1": 100},
                 "ytd": {}}
    block = figures.sex_ratio(p, [({"code": "dongwan", "zh": "东湾村", "en": "Dongwan"},
                                   village_w)])
    # March: 70/50 = 140.00; rolling 12 (Apr 2024..Mar 2025): 140/100, REPORTS.md example 2
    assert block["month"]["ratio"] == 140.0 and block["month"]["n"] == 120
    assert block["rolling_12"] == {"boys": 140, "girls": 100, "n": 240, "ratio": 140.0,
                                   "low": 108.4, "high": 180.8, "flag": "high"}
    assert block["year"]["n"] == 120
    assert block["stat_year"]["n"] == 120
    v = block["villages"][0]
    assert v["village"] == "dongwan" and v["month"]["flag"] == "few"
    assert v["rolling_12"]["flag"] == "high" and v["year"]["n"] == 0
    c = {r["id"]: r["values"] for r in figures.section_c(p)["rows"]}
    assert c["sex_ratio"]["month"] == 140.0 and c["sex_ratio"]["last_year"] is None
    assert c["sex_ratio_low"]["month"] is not None and c["sex_ratio_high"]["month"] > 140

    # this year: 70 boys of order 1, 50 girls of order 2
    assert block["year_by_order"]["1"]["boys"] == 70 and block["year_by_order"]["1"]["girls"] == 0
    assert block["year_by_order"]["2"]["n"] == 50 and block["year_by_order"]["3plus"]["n"] == 0
    alerts = figures.alerts(p, block)
    assert alerts == [{"id": "srb_high", "zh": figures.ALERTS["srb_high"][0],
                       "en": figures.ALERTS["srb_high"][1], "village": "dongwan", "count": 240},
                      {"id": "srb_high", "zh": figures.ALERTS["srb_high"][0],
                       "en": figures.ALERTS["srb_high"][1], "village": None, "count": 240}]
    # a village report judges its own window; residual alert when the month does not balance
    own = figures.alerts(periods(), figures.sex_ratio(periods()), "dongwan")
    assert [(a["id"], a["village"], a["count"]) for a in own] == [
        ("balance_residual", "dongwan", 1)]


def test_charts_series():
    p = periods()
    block = figures.sex_ratio(p)
    inds = figures.indicators(p, {"contraceptive_prevalence": 80})
    ch = figures.charts(p, block, inds)
    assert ch["trend"]["months"] == [f"2024-{m:02d}" for m in range(4, 13)] + \
        ["2025-01", "2025-02", "2025-03"]
    assert ch["trend"]["births"] == [0, 0, 0, 0, 0, 0, 1, 0, 0, 3, 0, 4]
    assert ch["trend"]["deaths"] == [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0]
    assert ch["trend"]["population"] == [199, 199, 198, 198, 198, 198, 199, 199, 199,
                                         203, 201, 204]
    assert ch["sex_ratio"]["total"]["n"] == 7   # 8 births, one of unknown sex
    assert ch["sex_ratio"]["villages"] == []
    assert ch["sex_ratio"]["normal"] == [103.0, 107.0]
    assert ch["coverage"] == [
        {"indicator": "contraceptive_prevalence", "zh": "综合避孕率",
         "en": "Contraceptive prevalence", "unit": "percent", "value": 75.0, "target": 80,
         "met": False},
        {"indicator": "long_acting_rate", "zh": "长效避孕率", "en": "Long-acting rate",
         "unit": "percent", "value": 53.13, "target": None, "met": None}]


def test_village_table():
    info = {"code": "dongwan", "zh": "东湾村", "en": "Dongwan"}
    w = {"month": {"birth:male:1": 2, "death:male": 1, "pregnancy_reported": 1,
                   "pregnancy_ended:miscarriage": 1, "termination:15plus": 0},
         "ytd": {"birth:male:1": 5, "newborn_death:in_hospital": 1, "moved_in:no": 2,
                 "marriage": 1},
         "rolling_12": {}, "start": {},
         "end": {"pop:male": 10, "pop:female": 12, "women_15_49": 5,
                 "married_women_15_49": 4, "pregnant": 2}}
    unassigned = {"month": {"birth:female:1": 1}, "ytd": {"birth:female:1": 1}, "end": {}}
    total = {"month": {"birth:male:1": 2, "birth:female:1": 1}, "ytd": {}, "end": {}}
    t = figures.village_table([(info, w)], unassigned, total)
    assert [r["id"] for r in t["rows"]] == ["dongwan", "0", "total"]
    row = t["rows"][0]["values"]
    assert row["population_end"] == 22 and row["women_15_49_end"] == 5
    assert row["married_women_15_49_end"] == 4 and row["pregnant_end"] == 2
    assert (row["births_month"], row["births_ytd"]) == (2, 5)
    assert (row["deaths_month"], row["deaths_ytd"]) == (1, 1)
    assert row["moved_in_ytd"] == 2 and row["marriages_ytd"] == 1
    assert row["pregnancies_reported_month"] == 1 and row["losses_month"] == 1
    assert row["terminations_15plus_month"] == 0 and row["sex_ratio_rolling_12"] is None
    assert t["rows"][2]["values"]["births_month"] == 3
    assert len(t["columns"]) == len(row)
    # no unassigned row when area 0 has nothing
    assert [r["id"] for r in figures.village_table([(info, w)], {}, total)["rows"]] == [
        "dongwan", "total"]
    assert find({"sections": [t]}, "villages", "total", "births_month") == 3


def test_window_edges():
    # January: the statistical year is October..January, the rolling year February 2024 (29
    # days)..January 2025; October: the statistical year is October alone
    jan = figures.periods(Month(2025, 1), {"pop:male": 10}, {"2024-10": {"pop:male": 2}})
    assert jan["days"] == {"month": 31, "ytd": 31, "stat_ytd": 123, "last_year": 31,
                           "rolling_12": 366}
    # stat. year: (10/2 + 12 + 12 + 12 + 12/2) / 4 = 11.75
    assert jan["mean_population"]["stat_ytd"] == 11.75
    assert population_start(jan, "stat_ytd") == 10
    october = figures.periods(Month(2025, 10), {}, {"2025-10": {"birth:male:1": 1}})
    assert october["days"]["stat_ytd"] == 31
    assert october["flows"]["stat_ytd"] == {"birth:male:1": 1} == october["flows"]["ytd"]
    assert october["flows"]["last_year"] == {}


def population_start(p, window):
    return figures.population(p["starts"][window])


def test_fill_late():
    doc = {"sections": figures.sections(periods())}
    # a birth of February (second child, girl, at home) and a termination at 16 weeks of
    # January, both recorded after those months were locked
    figures.fill_late(doc, {"birth:female:2": 1, "birth_place:home": 1,
                            "pregnancy_ended:medical_termination": 1, "termination:14plus": 1,
                            "termination:15plus": 1, "loss_reason:other": 1})
    v = lambda s, r: next(x for t in doc["sections"] if t["id"] == s        # noqa: E731
                          for x in t["rows"] if x["id"] == r)["values"]
    assert v("B", "births")["late"] == 1 and v("B", "deaths")["late"] == 0
    assert v("B", "births")["month"] == 4                 # the month itself unchanged
    assert v("B", "balance_residual")["late"] is None
    assert v("C", "order_2_female")["late"] == 1 and v("C", "born_home")["late"] == 1
    assert v("D", "losses")["late"] == 1 and v("D", "terminations_15plus_unapproved")["late"] == 1
    assert v("D", "pregnant_end")["late"] is None
    assert v("E", "proc_medical_termination")["late"] == 1
    assert "late" not in v("B", "birth_rate") and "late" not in v("E", "method_iud")
