"""The pregnancy forms' derivers (app/events/derivers: pregnancy_report, three_checks,
pregnancy_outcome) turn each named sample that ODK's engine filled into the life events its
story tells, with the form's own dates; instances of the versions before 2026120301
(tests/samples/earlier) still derive, their old values mapped to today's; odd input gives
fewer events, never an exception. Writing the rows is tested in test_pregnancy_life_events."""
import datetime as dt
import os

import pytest
from lxml import etree

from app.events import derivers  # noqa: F401 - registers every deriver
from app.events.derive import DERIVERS, YIELDS, Answers, Event, derive
from tests.samples import SAMPLES, instance, old_instance
from tests.samples.register import CHEN_HONG, H4, LIU_MEI, P1, SUN_MIN, ZHANG_LI

D = dt.date.fromisoformat
FORMS = ("pregnancy_report", "three_checks", "pregnancy_outcome")


def events_of(name, old=False):
    root = etree.fromstring(old_instance(name) if old else instance(name))
    return derive(root.get("id"), root)


def ids(name, path, old=False):
    """The entity ids a sample's instance holds at `path` (e.g. child/newborn/meta/entity)."""
    root = etree.fromstring(old_instance(name) if old else instance(name))
    return [e.get("id") for e in root.findall(path)]


def new_pregnancy(name, old=False):
    root = etree.fromstring(old_instance(name) if old else instance(name))
    return root.findtext(".//pregnancy_id") or root.find("meta/entity").get("id")


# pregnancy_report

def test_a_leaders_report_is_a_pregnancy_reported_on_the_report_date():
    pregnancy = ids("pregnancy_reported_by_leader", "meta/entity")[0]
    assert events_of("pregnancy_reported_by_leader") == [
        Event("pregnancy_reported", D("2026-11-19"), person=SUN_MIN, pregnancy=pregnancy,
              details={"reported_by": "group_leader", "lmp": "2026-09-28", "weeks": 7})]


def test_an_old_report_without_a_report_date_is_dated_the_day_it_was_filled():
    pregnancy = ids("pregnancy_reported_by_leader", "meta/entity", old=True)[0]
    assert events_of("pregnancy_reported_by_leader", old=True) == [
        Event("pregnancy_reported", D("2026-11-20"), person=SUN_MIN, pregnancy=pregnancy,
              details={"reported_by": "group_leader", "lmp": "2026-09-28", "weeks": 7})]


# three_checks

def check(woman, date, round_, iud, pregnant="no", illness="no", findings=("none",)):
    return [Event("three_checks", D(date), person=woman, details={
                "round": round_, "iud_result": iud, "pregnancy_found": pregnant,
                "illness_found": illness, "findings": list(findings)}),
            Event("iud_check", D(date), person=woman, details={"round": round_, "result": iud})]


def test_a_routine_check_is_a_three_checks_event_of_its_round_and_an_iud_check():
    assert events_of("three_checks_routine") == check(
        CHEN_HONG, "2026-11-20", "2026-H2", "in_place", illness="yes", findings=["vaginitis"])


def changed(woman, date, method, previous):
    return [Event("method_changed", D(date), person=woman,
                  details={"method": method, "previous_method": previous})]


def test_an_iud_removed_is_an_iud_check_result_and_her_new_method_a_change():
    assert events_of("three_checks_iud_removed") == check(
        CHEN_HONG, "2026-11-18", "2026-H2", "removed") + changed(
        CHEN_HONG, "2026-11-18", "condom", "iud")


def test_a_check_that_keeps_the_registers_method_is_no_change():
    assert "method_changed" not in [e.kind for e in events_of("three_checks_routine")]


def test_a_2026120301_check_yields_no_change_of_method():
    root = etree.fromstring(old_instance("three_checks_iud_removed", "2026120301"))
    assert root.get("version") == "2026120301"
    assert [e.kind for e in derive("three_checks", root)] == ["three_checks", "iud_check"]


def test_a_new_pregnancy_found_at_a_check_is_reported_and_confirmed_that_day():
    pregnancy = new_pregnancy("three_checks_finds_pregnancy")
    assert events_of("three_checks_finds_pregnancy") == check(
        ZHANG_LI, "2026-11-20", "2026-H2", "expelled", pregnant="yes") + changed(
        ZHANG_LI, "2026-11-20", "none", "iud") + [
        Event("pregnancy_reported", D("2026-11-20"), person=ZHANG_LI, pregnancy=pregnancy,
              details={"reported_by": "health_centre", "lmp": "2026-10-09", "weeks": 6}),
        Event("pregnancy_confirmed", D("2026-11-20"), person=ZHANG_LI, pregnancy=pregnancy,
              details={"weeks": 6, "lmp": "2026-10-09"})]


def test_a_known_pregnancy_is_confirmed_not_reported_and_its_ultrasound_is_dated_its_own_day():
    assert events_of("three_checks_confirms_with_ultrasound") == check(
        LIU_MEI, "2026-06-20", "2026-H1", "none_fitted", pregnant="yes") + [
        Event("pregnancy_confirmed", D("2026-06-20"), person=LIU_MEI, pregnancy=P1,
              details={"weeks": 16, "lmp": "2026-03-01"}),
        Event("ultrasound", D("2026-06-18"), person=LIU_MEI, pregnancy=P1,
              details={"weeks": 15, "facility": "county_mch", "operator": "赵丽华"})]


def test_an_old_round_h1_or_h2_takes_the_year_of_the_check_date():
    assert events_of("three_checks_routine", old=True) == check(
        CHEN_HONG, "2026-11-20", "2026-H2", "in_place", illness="yes", findings=["vaginitis"])
    root = etree.fromstring(old_instance("three_checks_routine"))
    root.find("check_round").text = "h1"
    root.find("check_date").text = "2025-03-04"
    assert {e.details["round"] for e in derive("three_checks", root)} == {"2025-H1"}


def test_an_old_check_that_found_a_pregnancy_still_reports_and_confirms_it():
    pregnancy = new_pregnancy("three_checks_finds_pregnancy", old=True)
    assert [(e.kind, e.pregnancy) for e in events_of("three_checks_finds_pregnancy", old=True)] == [
        ("three_checks", None), ("iud_check", None), ("pregnancy_reported", pregnancy),
        ("pregnancy_confirmed", pregnancy)]


# pregnancy_outcome

def ended(date, woman=LIU_MEI, pregnancy=P1, **details):
    return Event("pregnancy_ended", D(date), person=woman, pregnancy=pregnancy, details={
        "outcome": "", "reason": "", "reason_other": "", "weeks": None, "approval_no": "",
        "place": "", "facility": "", "attendant": "", "registered": "yes", **details})


def test_a_birth_is_the_pregnancy_ended_the_childs_birth_and_its_certificate():
    [child] = ids("birth", "child/newborn/meta/entity")
    assert events_of("birth") == [
        ended("2026-11-17", outcome="live_birth", weeks=37, place="hospital",
              facility="县人民医院", attendant="周慧"),
        Event("birth", D("2026-11-17"), person=child, other_person=LIU_MEI, household=H4,
              pregnancy=P1, details={"sex": "male", "weight_kg": 3.4,
                                     "certificate_no": "Q610012345", "place": "hospital",
                                     "facility": "县人民医院", "father": "", "birth_order": 1}),
        Event("certificate_issued", D("2026-11-17"), person=child, details={
            "certificate": "birth_medical", "number": "Q610012345", "issued_by": "县人民医院",
            "valid_until": ""})]


def test_twins_are_two_births_and_a_newborn_death_outside_hospital_checked():
    boy, girl = ids("birth_twins_newborn_death", "child/newborn/meta/entity")
    found = events_of("birth_twins_newborn_death")
    assert [(e.kind, e.person) for e in found] == [
        ("pregnancy_ended", LIU_MEI), ("birth", boy), ("certificate_issued", boy),
        ("newborn_death", boy), ("birth", girl), ("certificate_issued", girl)]
    assert [(e.details["sex"], e.details["birth_order"], e.details["weight_kg"])
            for e in found if e.kind == "birth"] == [("male", 1, 2.4), ("female", 2, 2.2)]
    assert found[3] == Event("newborn_death", D("2026-11-10"), person=boy, other_person=LIU_MEI,
                             pregnancy=P1, details={"place": "outside_hospital", "checked": "yes",
                                                    "sex": "male", "cause": "新生儿肺炎",
                                                    "age_days": 7})


def test_a_stillbirth_is_a_pregnancy_ended_without_a_birth():
    assert events_of("stillbirth") == [
        ended("2026-09-20", outcome="stillbirth", weeks=29, place="hospital",
              facility="县妇幼保健院", attendant="周慧")]


def test_a_miscarriage_is_a_pregnancy_ended_with_its_coded_reason():
    assert events_of("pregnancy_loss") == [
        ended("2026-05-02", outcome="miscarriage", reason="spontaneous", weeks=9, place="home")]


def test_a_miscarriage_of_a_pregnancy_never_registered_names_the_pregnancy_the_form_created():
    pregnancy = new_pregnancy("miscarriage_unregistered")
    assert pregnancy == ids("miscarriage_unregistered", "meta/entity")[0]
    assert events_of("miscarriage_unregistered") == [
        ended("2026-10-15", woman=ZHANG_LI, pregnancy=pregnancy, outcome="miscarriage",
              reason="spontaneous", weeks=7, place="home", registered="no")]


def test_terminations_carry_their_weeks_and_approval_number_or_none():
    pregnancy = new_pregnancy("termination_approved")
    assert events_of("termination_approved") == [
        ended("2026-11-10", woman=SUN_MIN, pregnancy=pregnancy, outcome="medical_termination",
              reason="fetal_anomaly", weeks=18, approval_no="DW-2026-031", place="hospital",
              facility="县人民医院", attendant="吴建平", registered="no")]
    assert events_of("termination_without_approval") == [
        ended("2026-07-08", outcome="medical_termination", reason="other",
              reason_other="家庭经济困难", weeks=18, place="clinic", facility="城关私立诊所",
              attendant="钱某某")]


def test_an_old_birth_derives_from_the_newborn_group_and_the_childs_block_beside_it():
    [child] = ids("birth", "child/meta/entity", old=True)
    found = events_of("birth", old=True)
    assert [(e.kind, e.person, e.other_person, e.household) for e in found] == [
        ("pregnancy_ended", LIU_MEI, None, None), ("birth", child, LIU_MEI, H4),
        ("certificate_issued", child, None, None)]
    assert found[1].details == {"sex": "male", "weight_kg": 3.4, "certificate_no": "Q610012345",
                                "place": "hospital", "facility": "", "father": "",
                                "birth_order": None}


def test_an_old_newborn_death_carries_the_childs_sex():
    root = etree.fromstring(old_instance("birth"))
    newborn = root.find("child/newborn")
    newborn.find("newborn_death").text = "in_hospital"
    died = etree.SubElement(newborn, "newborn_death_date")
    died.text = "2026-11-19"
    [child] = ids("birth", "child/meta/entity", old=True)
    [death] = [e for e in derive("pregnancy_outcome", root) if e.kind == "newborn_death"]
    assert (death.person, death.occurred_on, death.details["place"], death.details["sex"],
            death.details["age_days"]) == (child, D("2026-11-19"), "in_hospital", "male", 2)


def test_an_old_free_text_loss_reason_is_reason_other_with_its_text():
    assert events_of("pregnancy_loss", old=True) == [
        ended("2026-05-02", outcome="miscarriage", reason="other",
              reason_other="自然流产，已到卫生院复查", weeks=9, place="home")]


def test_an_old_late_termination_is_a_medical_termination():
    root = etree.fromstring(old_instance("pregnancy_loss"))
    root.find("outcome").text = "late_termination"
    [event] = derive("pregnancy_outcome", root)
    assert (event.kind, event.details["outcome"]) == ("pregnancy_ended", "medical_termination")


# every sample, and odd input

@pytest.mark.parametrize("name", sorted(n for n, s in SAMPLES.items() if s.form in FORMS))
def test_each_sample_yields_only_kinds_its_form_declares_dated_by_the_form(name):
    found = events_of(name)
    assert found and {e.kind for e in found} <= set(YIELDS[SAMPLES[name].form])
    assert all(isinstance(e.occurred_on, dt.date) for e in found)
    assert all(e.occurred_on <= D("2026-11-20") for e in found)


@pytest.mark.parametrize("form_id", FORMS)
def test_odd_input_gives_fewer_events_never_an_exception(form_id):
    run = DERIVERS[form_id]            # the deriver itself, without derive()'s safety net
    assert list(run(Answers(etree.fromstring(b"<data/>"), form_id))) == []
    weird = etree.fromstring(
        b"<data><woman>b0000000-0000-4000-8000-000000000004</woman><outcome>live_birth</outcome>"
        b"<check_date>not a date</check_date><gestational_weeks>many</gestational_weeks>"
        b"<child><newborn><child_weight>heavy</child_weight><newborn_death>outside_hospital"
        b"</newborn_death><newborn_death_date>2026-13-40</newborn_death_date></newborn></child>"
        b"<preg><pregnancy_result>pregnant</pregnancy_result><preg_weeks>x</preg_weeks>"
        b"<ultrasound_done>yes</ultrasound_done></preg></data>")
    found = list(run(Answers(weird, form_id)))
    assert all(e.occurred_on is None for e in found)
    assert all(v is None or isinstance(v, (str, int, float, list))
               for e in found for v in e.details.values())
