"""Events and register state of the service forms (migrant, double check, pre-pregnancy
check-up, contraception service, rewards paid): each named sample that ODK's engine filled
(tests/samples) derives exactly the events its story tells, and lands in the register as the
story says; instances of the earlier form versions (2026112901, what phones that have not
updated still send) are still accepted and still derived, the old migrant form's double check
becoming a double_check event. The rows written to `life_events` are checked in
test_service_events_recorded.py."""
import datetime as dt
import os

import pytest
from lxml import etree
from sqlalchemy import select

from app.events.derive import Event, derive
from app.forms import publish as publishing
from app.register.models import Dataset, Entity, EntityVersion
from app.submissions.models import Submission
from tests.conftest import FORMS_DIR
from tests.register.test_merge import get as entity
from tests.samples import SAMPLES, earlier_form, instance, old_instance
from tests.samples.phone import fill_form
from tests.samples.register import (CHEN_HONG, H2, HE_JING, LI_XIUYING, SUN_MIN, WANG_QIANG,
                                    ZHANG_LI, ZHAO_YAN, ZHOU_FANG)

D = dt.date
HUANG_LI = "c16135a3-b26b-46b0-a2f2-5e80b5c3adca"      # the uuid the engine drew for her (seeded)
SICHUAN = "四川省 南充市仪陇县 新政镇"
SHENZHEN = "广东省 深圳市宝安区 西乡街道"


def events_of(name, root_bytes=None):
    return derive(SAMPLES[name].form, etree.fromstring(root_bytes or instance(name)))


#: sample -> the events it reports, in the deriver's order
EXPECTED = {
    "migrant_moving_in": [
        Event("moved_in", D(2026, 11, 2), person=HUANG_LI,
              details={"from": SICHUAN, "migrant": "yes", "reason": "work", "within_town": "no",
                       "sex": "female", "dob": "1997-08-18",
                       "marital_status": "first_marriage", "contraception": "iud"}),
        Event("certificate_issued", D(2026, 11, 2), person=HUANG_LI,
              details={"certificate": "marriage_childbearing", "number": "SC2026-0451",
                       "issued_by": "新政镇人民政府", "valid_until": "2029-11-01"})],
    "migrant_moving_out": [
        Event("moved_out", D(2026, 8, 15), person=CHEN_HONG, household=H2,
              details={"to": SHENZHEN, "migrant": "yes", "reason": "work", "within_town": "no",
                       "sex": "female", "dob": "1989-03-15",
                       "marital_status": "first_marriage", "contraception": "iud"}),
        Event("certificate_issued", D(2026, 8, 15), person=CHEN_HONG, household=H2,
              details={"certificate": "marriage_childbearing", "number": "DW2026-0118",
                       "issued_by": "东湾镇人民政府", "valid_until": "2029-08-14"})],
    "migrant_leaving_without_household": [
        Event("moved_out", D(2026, 11, 10), person=HE_JING,
              details={"to": "河南省 郑州市中牟县 城关镇", "migrant": "yes", "reason": "family",
                       "within_town": "no", "sex": "female", "dob": "1996-11-18",
                       "marital_status": "first_marriage", "contraception": "iud"})],
    "double_check_results_received": [
        Event("double_check", D(2026, 10, 20), person=ZHOU_FANG,
              details={"direction": "left", "place": "东莞市长安镇计生服务站", "received": "yes",
                       "sent_on": "", "iud_result": "in_place",
                       "pregnancy_result": "not_pregnant"}),
        Event("iud_check", D(2026, 10, 20), person=ZHOU_FANG,
              details={"round": "2026-H2", "result": "in_place"})],
    "double_check_results_sent_home": [
        Event("double_check", D(2026, 9, 15), person=HE_JING,
              details={"direction": "arrived", "place": "东湾镇卫生院", "received": "",
                       "sent_on": "2026-09-18", "iud_result": "in_place",
                       "pregnancy_result": "not_pregnant"}),
        Event("iud_check", D(2026, 9, 15), person=HE_JING,
              details={"round": "2026-H2", "result": "in_place"})],
    "prepregnancy_check_risk": [
        Event("prepregnancy_check", D(2026, 9, 10), person=SUN_MIN,
              details={"result": "risk", "risks": ["nutrition"], "man_name": "郑浩",
                       "man_id_number": "610425199008121012", "man_result": "normal",
                       "man_risks": []})],
    "prepregnancy_check_man_at_risk": [
        Event("prepregnancy_check", D(2026, 11, 3), person=ZHANG_LI, other_person=WANG_QIANG,
              details={"result": "normal", "risks": [], "man_name": "王强",
                       "man_id_number": "610425199402170517", "man_result": "risk",
                       "man_risks": ["infectious", "lifestyle"]})],
    "contraception_implant": [
        Event("contraception_procedure", D(2026, 11, 12), person=CHEN_HONG,
              details={"action": "change", "method": "implant", "procedure": "implant_insertion",
                       "facility": "town_health_centre", "provider": "李医生",
                       "previous_method": "iud"})],
    "contraception_iud_insertion": [
        Event("contraception_procedure", D(2026, 11, 6), person=ZHAO_YAN,
              details={"action": "change", "method": "iud", "procedure": "iud_insertion",
                       "facility": "town_health_centre", "provider": "王桂兰",
                       "previous_method": "condom"})],
    "benefit_one_child_household": [
        Event("reward_paid", D(2026, 11, 5), household=H2,
              details={"benefit": "one_child_parents", "amount": 1200.0, "period": "2026",
                       "paid_by": "刘会芳"})],
    "benefit_pension_person": [
        Event("reward_paid", D(2026, 11, 18), person=LI_XIUYING,
              details={"benefit": "rural_pension", "amount": 85.5, "period": "2026-11",
                       "paid_by": "刘会芳"})],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_service_sample_derives_the_events_its_story_tells(name):
    assert events_of(name) == EXPECTED[name]


#: old-version sample -> (form, the events version 2026112901 reports)
OLD_EXPECTED = {
    "migrant_moving_in": ("migrant", [
        Event("moved_in", D(2026, 11, 2), person="c16135a3-b26b-46b0-a2f2-5e80b5c3adca",
              details={"from": SICHUAN, "migrant": "yes", "reason": "work", "within_town": "no",
                       "sex": "female", "dob": "1997-08-18",
                       "marital_status": "", "contraception": "iud"}),
        Event("certificate_issued", D(2026, 11, 2), person="c16135a3-b26b-46b0-a2f2-5e80b5c3adca",
              details={"certificate": "marriage_childbearing", "number": "SC2026-0451",
                       "issued_by": "新政镇人民政府", "valid_until": "2029-11-01"})]),
    # The old form asked for the double check when a woman left: it is a double check too.
    "migrant_moving_out": ("migrant", [
        Event("moved_out", D(2026, 8, 15), person=CHEN_HONG,
              details={"to": SHENZHEN, "migrant": "yes", "reason": "work", "within_town": "no",
                       "sex": "female", "dob": "1989-03-15",
                       "marital_status": "", "contraception": "iud"}),
        Event("certificate_issued", D(2026, 8, 15), person=CHEN_HONG,
              details={"certificate": "marriage_childbearing", "number": "DW2026-0118",
                       "issued_by": "东湾镇人民政府", "valid_until": "2029-08-14"}),
        Event("double_check", D(2026, 11, 5), person=CHEN_HONG,
              details={"direction": "left", "place": "", "received": "yes", "sent_on": "",
                       "iud_result": "in_place", "pregnancy_result": "not_pregnant"}),
        Event("iud_check", D(2026, 11, 5), person=CHEN_HONG,
              details={"round": "2026-H2", "result": "in_place"})]),
    # Before 2026120301 the man's ID number and results were not asked.
    "prepregnancy_check_risk": ("prepregnancy_check", [
        Event("prepregnancy_check", D(2026, 9, 10), person=SUN_MIN,
              details={"result": "risk", "risks": ["nutrition"], "man_name": "郑浩",
                       "man_id_number": "", "man_result": "", "man_risks": []})]),
}


@pytest.mark.parametrize("name", sorted(OLD_EXPECTED))
def test_instances_of_the_earlier_versions_still_derive(name):
    form, expected = OLD_EXPECTED[name]
    root = etree.fromstring(old_instance(name))
    assert root.get("version") == "2026112901"
    assert derive(form, root) == expected


def test_a_migrant_the_form_registers_while_she_leaves_is_registered_then_moved_out():
    root = etree.fromstring(instance("migrant_moving_out"))
    root.find("mode").text = "new"
    found = derive("migrant", root)
    assert [(e.kind, e.occurred_on, e.person) for e in found[:2]] == [
        ("registered", D(2026, 8, 15), CHEN_HONG), ("moved_out", D(2026, 8, 15), CHEN_HONG)]
    assert found[0].details == {"sex": "female", "dob": "1989-03-15",
                                "marital_status": "first_marriage", "contraception": "iud",
                                "residence_status": "moved_out"}
    root.find("direction").text = "in"        # one moving in is her move in alone
    assert "registered" not in [e.kind for e in derive("migrant", root)]


def test_an_old_migrant_form_without_double_check_results_derives_no_double_check():
    root = etree.fromstring(old_instance("migrant_moving_out"))
    group = root.find("double_check")
    for child in list(group):
        if child.tag != "double_check_received":
            group.remove(child)
    group.find("double_check_received").text = "no"
    assert [e.kind for e in derive("migrant", root)] == ["moved_out", "certificate_issued"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_odd_answers_give_fewer_events_never_an_error(name):
    root = etree.fromstring(instance(name))
    for elem in root.iter():
        if elem.text and len(elem) == 0 and elem.tag != "instanceID":
            elem.text = "not-a-value " + elem.text[::-1]
    assert len(derive(SAMPLES[name].form, root)) <= len(EXPECTED[name])
    assert derive(SAMPLES[name].form, etree.fromstring(b"<data/>")) == []


def test_a_payment_to_another_benefit_keeps_its_name():
    root = etree.fromstring(instance("benefit_pension_person"))
    root.find("benefit").text = "other"
    other = etree.SubElement(root, "benefit_other")
    other.text = "计生家庭春节慰问金"
    (event,) = derive("benefit_payment", root)
    assert event.details["benefit"] == "other"
    assert event.details["benefit_other"] == "计生家庭春节慰问金"


# The register, as each story leaves it.

def submit(town, name, body=None):
    response = town.phone(SAMPLES[name].persona).submit(body or instance(name))
    assert response.status_code == 201, response.data


def person(db, uuid):
    db.session.rollback()
    return entity(db, uuid).data


def test_a_migrant_woman_moving_in_is_registered_with_her_daughters_and_certificate(town, db):
    submit(town, "migrant_moving_in")
    db.session.rollback()
    huang = db.session.scalar(select(Entity).where(Entity.uuid == HUANG_LI))
    assert {k: huang.data.get(k) for k in (
        "residence_status", "marital_status", "sons", "daughters", "children_count", "household",
        "certificate_no", "certificate_valid_until")} == {
        "residence_status": "moved_in", "marital_status": "first_marriage", "sons": "0",
        "daughters": "2", "children_count": "2", "household": "",
        "certificate_no": "SC2026-0451", "certificate_valid_until": "2029-11-01"}


def test_a_migrant_leaving_keeps_her_household_or_none(town, db):
    submit(town, "migrant_moving_out")
    submit(town, "migrant_leaving_without_household")
    chen, he = person(db, CHEN_HONG), person(db, HE_JING)
    assert (chen["residence_status"], chen["household"], chen["sons"], chen["daughters"],
            chen["children_count"], chen["certificate_no"]) == (
        "moved_out", H2, "1", "0", "1", "DW2026-0118")
    assert (he["residence_status"], he["household"], he["daughters"], he["children_count"],
            he.get("certificate_no", "")) == ("moved_out", "", "2", "2", "")


def test_double_checks_set_the_womans_last_double_check_date(town, db):
    submit(town, "double_check_results_received")
    submit(town, "double_check_results_sent_home")
    assert person(db, ZHOU_FANG)["last_double_check_date"] == "2026-10-20"
    assert person(db, HE_JING)["last_double_check_date"] == "2026-09-15"


def test_results_not_yet_received_leave_the_last_double_check_date_as_it_was(town, db):
    submit(town, "double_check_results_received")
    filled = fill_form(town.phone(), "double_check", {
        "/data/village": "dongwan", "/data/woman": ZHOU_FANG, "/data/direction": "left",
        "/data/check_date": "2026-11-19", "/data/check_place": "东莞市长安镇计生服务站",
        "/data/received": "no"}, seed="not-received")
    assert (filled.status, filled.violations) == ("ready", [])
    submit(town, "double_check_results_received", filled.xml)
    assert person(db, ZHOU_FANG)["last_double_check_date"] == "2026-10-20"
    db.session.rollback()
    assert [s.review_state for s in db.session.scalars(select(Submission))] == [None, None]
    (event,) = derive("double_check", etree.fromstring(filled.xml))
    assert (event.occurred_on, event.details["received"], event.details["iud_result"]) == (
        D(2026, 11, 19), "no", "")


def test_a_prepregnancy_check_and_an_iud_insertion_update_the_woman(town, db):
    submit(town, "prepregnancy_check_man_at_risk")
    submit(town, "contraception_iud_insertion")
    assert person(db, ZHANG_LI)["prepregnancy_check_date"] == "2026-11-03"
    zhao = person(db, ZHAO_YAN)
    assert (zhao["contraception"], zhao["iud_status"]) == ("iud", "in_place")


def test_a_reward_paid_changes_no_register_row(town, db):
    versions_before = db.session.query(EntityVersion).count()
    submit(town, "benefit_one_child_household")
    submit(town, "benefit_pension_person")
    db.session.rollback()
    assert db.session.query(EntityVersion).count() == versions_before
    assert db.session.query(Submission).count() == 2


# Phones holding version 2026112901 still send it.

@pytest.fixture
def old_versions(app, db):
    """The 2026112901 versions of migrant and prepregnancy_check published first, as the
    server had them before the current forms (the town fixture publishes those after)."""
    with open(os.path.join(FORMS_DIR, "villages.csv"), "rb") as f:
        media = {"villages.csv": f.read()}
    for form in ("migrant", "prepregnancy_check"):
        with open(earlier_form(form), "rb") as f:
            publishing.publish(db.session, app.extensions["blob_store"], 1, f"{form}.xlsx",
                               f.read(), media)
    db.session.commit()


@pytest.mark.parametrize("name", sorted(OLD_EXPECTED))
def test_submissions_of_the_earlier_versions_are_still_accepted(old_versions, town, db, name):
    submit(town, name, old_instance(name))
    db.session.rollback()
    stored = db.session.scalar(select(Submission))
    assert stored.review_state is None
    if name == "migrant_moving_out":
        assert person(db, CHEN_HONG)["residence_status"] == "moved_out"
    if name == "prepregnancy_check_risk":
        assert person(db, SUN_MIN)["prepregnancy_check_date"] == "2026-09-10"


def test_the_people_list_declares_the_migrant_and_double_check_properties(town, db):
    db.session.rollback()
    dataset = db.session.scalar(select(Dataset).where(Dataset.name == "people"))
    names = {p.name for p in dataset.properties}
    assert {"marital_status", "sons", "daughters", "children_count", "household",
            "certificate_no", "certificate_valid_until", "last_double_check_date"} <= names


@pytest.mark.parametrize("amount", ["nan", "inf", "-inf", "一千", ""])
def test_an_unreadable_amount_is_kept_as_none(amount):
    root = etree.fromstring(instance("benefit_one_child_household"))
    root.find("amount").text = amount
    (event,) = derive("benefit_payment", root)
    assert event.details["amount"] is None


@pytest.mark.parametrize("amount", ["1e307", "1e9", "-0.01", "-85.5"])
def test_an_implausible_amount_is_kept_as_none(amount):
    root = etree.fromstring(instance("benefit_one_child_household"))
    root.find("amount").text = amount
    (event,) = derive("benefit_payment", root)
    assert event.details["amount"] is None


@pytest.mark.parametrize("amount, kept", [("0", 0.0), ("999999999.99", 999999999.99)])
def test_a_plausible_amount_is_kept(amount, kept):
    root = etree.fromstring(instance("benefit_one_child_household"))
    root.find("amount").text = amount
    (event,) = derive("benefit_payment", root)
    assert event.details["amount"] == kept
