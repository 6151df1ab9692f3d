"""The town's rules on the town's forms: each rule with a valid and an invalid instance, made
by editing the named sample submissions (tests/samples) that ODK's engine produced."""
import datetime as dt
import os
from functools import lru_cache

import pytest
from lxml import etree

from app.forms.compile import compile_form
from app.forms.schema import build_schema
from app.validation.check import CompiledForm, end_time, validate
from app.validation.rules import id_number_check_character, id_number_problem
from app.validation.service import csv_instance
from tests.conftest import FORMS_DIR
from tests.samples import INSTANCES, SAMPLES, instance

VILLAGES = csv_instance(open(os.path.join(FORMS_DIR, "villages.csv"), "rb").read())


@lru_cache
def town_form(form_id):
    with open(os.path.join(FORMS_DIR, f"{form_id}.xlsx"), "rb") as f:
        xml = compile_form(f"{form_id}.xlsx", f.read()).xml
    return CompiledForm(build_schema(xml), form_id)


def check_sample(name, **edits):
    """Issues (path, code) of sample `name` after setting each element (a path below the root
    with / as __) to a value; None removes it."""
    form = town_form(SAMPLES[name].form)
    root = etree.fromstring(instance(name))
    for path, value in edits.items():
        elem = root.find(path.replace("__", "/"))
        assert elem is not None, path
        if value is None:
            elem.getparent().remove(elem)
        else:
            elem.text = value
    secondary = {k: (VILLAGES if v == "villages.csv" else None)
                 for k, v in form.schema["external"].items()}
    return [(i.path, i.code) for i in validate(form, root, end_time(form, root), secondary)]


#: samples whose story is that the server flags them
FLAGGED = {"termination_without_approval": [("/data/approval_no", "approval_missing")]}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_no_sample_from_odks_engine_is_flagged_unless_its_story_says_so(name):
    assert check_sample(name) == FLAGGED.get(name, [])


def test_id_number_check_character_is_iso_7064_mod_11_2():
    assert id_number_check_character("11010519491231002") == "X"      # GB 11643's own example
    assert id_number_check_character("61042519960608062") == "8"
    today = dt.date(2026, 11, 20)
    assert id_number_problem("11010519491231002X", today) is None
    assert id_number_problem("110105194912310021", today) == ("id_number_checksum", {"expected": "X"})
    assert id_number_problem("11010519491231002x", today)[0] == "id_number_format"
    assert id_number_problem("1101051949123100", today)[0] == "id_number_format"
    assert id_number_problem("110105194902300028", today)[0] == "id_number_birth_date"  # 30 Feb
    assert id_number_problem("110105203001010028", today)[0] == "id_number_birth_date"  # future


def test_resident_id_number_rules():
    # 610425199810101422 is valid; the form's own regex passes all of these
    assert check_sample("person_registered", id_number="610425199810101423") == [
        ("/data/id_number", "id_number_checksum")]
    assert check_sample("person_registered", id_number="610425199813101421") == [
        ("/data/dob", "constraint"), ("/data/id_number", "id_number_birth_date")]
    # date of birth and sex must agree with the number (the form checks them too)
    assert ("/data/id_number", "id_number_dob") in check_sample("person_registered", dob="1998-10-11")
    assert ("/data/id_number", "id_number_sex") in check_sample("person_registered", sex="male")


def test_id_numbers_in_a_repeat_are_checked_each_at_its_path():
    found = check_sample("home_visit_new_household", member__id_number="61042519920115123Y")
    assert ("/data/member[1]/id_number", "type") not in found
    assert ("/data/member[1]/id_number", "constraint") in found        # the form's regex
    assert ("/data/member[1]/id_number", "id_number_format") in found


def test_dates_cannot_be_in_the_future():
    assert check_sample("three_checks_routine", check_date="2026-11-21") == [
        ("/data/check_date", "constraint"), ("/data/check_date", "future_date")]
    assert check_sample("contraception_implant", service_date="2026-11-20") == []


def test_three_checks_are_for_women_aged_15_to_49():
    assert check_sample("three_checks_routine", woman_age="49") == []
    assert check_sample("three_checks_routine", woman_age="55") == [("/data/woman_age", "age_range")]


def test_the_last_period_is_within_ten_months():
    assert check_sample("pregnancy_reported_by_leader", lmp="2025-12-01") == [
        ("/data/lmp", "lmp_range")]
    assert check_sample("pregnancy_reported_by_leader", lmp="2026-02-15") == []


def test_gestational_weeks_agree_with_the_dates():
    # Liu Mei's last period was 2026-03-01; a birth on 2026-11-17 is at 37 weeks
    assert check_sample("birth", gestational_weeks="39") == []
    assert check_sample("birth", gestational_weeks="30") == [
        ("/data/gestational_weeks", "gestational_weeks")]


def test_a_termination_at_15_weeks_or_later_without_an_approval_number_is_flagged():
    assert check_sample("termination_approved") == []
    assert check_sample("termination_approved", approval_no="") == [
        ("/data/approval_no", "approval_missing")]
    # under 15 weeks the number is not asked (the phone leaves the element out)
    assert check_sample("termination_approved", gestational_weeks="14", approval_no=None) == []
    # a miscarriage needs no approval, whatever the weeks
    assert check_sample("termination_without_approval", outcome="miscarriage",
                        pregnancy_outcome="miscarriage", loss_reason_other=None,
                        loss_reason="spontaneous") == []


def test_approval_missing_says_what_is_missing_in_both_languages():
    form = town_form("pregnancy_outcome")
    root = etree.fromstring(instance("termination_without_approval"))
    secondary = {k: (VILLAGES if v == "villages.csv" else None)
                 for k, v in form.schema["external"].items()}
    found = [i for i in validate(form, root, end_time(form, root), secondary)]
    assert [(i.message_zh, i.message_en) for i in found] == [(
        "18周终止妊娠（medical_termination）没有审批编号：15周及以上须事先审批，已保存，请核实",
        "A termination (medical_termination) at 18 weeks has no approval number: 15 weeks or "
        "later needs prior approval; kept, please check it")]


def test_an_old_versions_late_termination_without_its_number_is_flagged_too():
    """Version 2026112901 (tests/samples/old_forms) called it late_termination and required
    the number on the phone; one that arrives without it anyway is still flagged."""
    old = os.path.join(os.path.dirname(FORMS_DIR), "tests", "samples", "old_forms")
    with open(os.path.join(old, "pregnancy_outcome.xlsx"), "rb") as f:
        form = CompiledForm(build_schema(compile_form("pregnancy_outcome.xlsx", f.read()).xml),
                            "pregnancy_outcome")
    with open(os.path.join(INSTANCES, "old", "pregnancy_loss.xml"), "rb") as f:
        root = etree.fromstring(f.read())
    for name, value in (("outcome", "late_termination"), ("gestational_weeks", "10")):
        root.find(name).text = value
    found = [(i.path, i.code) for i in validate(form, root, end_time(form, root), {})]
    assert ("/data/approval_no", "approval_missing") not in found     # 10 weeks: none needed
    root.find("gestational_weeks").text = "16"
    found = [(i.path, i.code) for i in validate(form, root, end_time(form, root), {})]
    assert ("/data/approval_no", "approval_missing") in found


def test_the_mans_id_number_on_the_prepregnancy_check_is_a_valid_mans_number():
    assert check_sample("prepregnancy_check_man_at_risk") == []
    assert check_sample("prepregnancy_check_risk", husband_id_number="610425199008121013") == [
        ("/data/husband_id_number", "id_number_checksum")]
    # 610425199503021027 is a valid number, but a woman's (even 17th digit)
    assert check_sample("prepregnancy_check_risk", husband_id_number="610425199503021027") == [
        ("/data/husband_id_number", "constraint"), ("/data/husband_id_number", "id_number_sex")]


def test_double_check_and_payment_dates_cannot_be_in_the_future():
    assert check_sample("double_check_results_sent_home", sent_on="2026-11-21") == [
        ("/data/sent_on", "constraint"), ("/data/sent_on", "future_date")]
    assert ("/data/check_date", "future_date") in check_sample(
        "double_check_results_received", check_date="2026-12-01")
    assert check_sample("benefit_pension_person", paid_on="2026-11-30") == [
        ("/data/paid_on", "constraint"), ("/data/paid_on", "future_date")]


def test_a_benefit_period_is_a_year_a_half_year_or_a_month():
    for period in ("2026", "2026-H1", "2026-11"):
        assert check_sample("benefit_pension_person", period=period) == []
    for period in ("2026-H3", "26-11", "2026-1", "2026-13", "2026-00", "2026年"):
        assert check_sample("benefit_pension_person", period=period) == [
            ("/data/period", "constraint")], period
