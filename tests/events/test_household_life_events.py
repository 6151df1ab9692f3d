"""NEEDS h-core (app.events.models.LifeEvent, table life_events, intake writing events): merged
into h-people from h-core to run. End to end, the home-visit and person samples become the
`life_events` rows their stories tell, with the village, the submission and the event's own
date; an edit replaces them; `flask register rebuild --check` agrees with all of it."""
from unittest.mock import ANY

from click.testing import CliRunner
from lxml import etree
from sqlalchemy import select

from app.cli import register_group
from app.events.models import LifeEvent
from app.projects.models import Area
from app.submissions.models import Submission
from tests.events.test_household_events import member_id, submit, town_with_earlier_versions
from tests.samples import SAMPLES, instance, old_instance
from tests.samples.register import (H1, H2, H4, LIU_MEI, SUN_MIN, WANG_JIANGUO,
                                    WANG_QIANG, ZHANG_LI)

HOUSEHOLD_SAMPLES = sorted(n for n, s in SAMPLES.items() if s.form in ("home_visit", "person"))


def rows(db):
    db.session.rollback()
    dongwan = db.session.scalar(select(Area.id).where(Area.code == "dongwan"))
    found = db.session.execute(select(
        LifeEvent.kind, LifeEvent.occurred_on, LifeEvent.person, LifeEvent.other_person,
        LifeEvent.household, LifeEvent.area_id, LifeEvent.form_id, LifeEvent.details)
        .order_by(LifeEvent.id)).all()
    assert all(r.area_id == dongwan for r in found)
    return [(r.kind, r.occurred_on.isoformat() if r.occurred_on else None, r.person,
             r.other_person or "", r.household or "", r.details) for r in found]


def person_id(name):
    return etree.fromstring(instance(name)).findtext("person_id")


def test_each_household_sample_writes_its_events(town, db):
    groom = member_id(instance("home_visit_marriage"), 2)
    baby = member_id(instance("home_visit_birth"), 6)
    expected = {
        "home_visit_birth": [("birth", "2026-10-02", baby, ZHANG_LI, H1, {
            "sex": "female", "weight_kg": "", "certificate_no": "", "place": "",
            "facility": "", "father": WANG_QIANG, "birth_order": ""})],
        "home_visit_marriage": [
            ("moved_in", "2026-10-01", groom, "", H4,
             {"from": "西山村", "migrant": "no", "reason": "", "within_town": "yes",
              "sex": "male", "dob": "1990-05-05", "marital_status": "first_marriage", "contraception": ""}),
            ("marriage", "2026-10-01", LIU_MEI, groom, "",
             {"spouse_name": "周涛", "woman": LIU_MEI, "woman_dob": "1991-11-23",
              "registered_at": "东湾镇民政办",
              "marital_status": "first_marriage"})],
        "home_visit_bride_marries_out": [
            ("moved_out", "2026-10-18", SUN_MIN, "", H2,
             {"to": "县城城关镇", "migrant": "no", "reason": "", "within_town": "no",
              "sex": "female", "dob": "1999-12-01", "marital_status": "first_marriage", "contraception": ""}),
            ("marriage", "2026-10-18", SUN_MIN, "", "",
             {"spouse_name": "郑浩", "woman": SUN_MIN, "woman_dob": "1999-12-01",
              "registered_at": "县民政局婚姻登记处",
              "marital_status": "first_marriage"})],
        "person_birth": [("birth", "2026-11-05", person_id("person_birth"), "", H2, {
            "sex": "male", "weight_kg": "", "certificate_no": "", "place": "", "facility": "",
            "father": "", "birth_order": ""})],
        "person_divorce": [("divorce", "2026-11-10", ZHANG_LI, WANG_QIANG, "",
                            {"spouse_name": "王强", "woman": ZHANG_LI,
                             "woman_dob": "1996-06-08"})],
        "home_visit_death": [("death", "2026-11-03", WANG_JIANGUO, "", H1,
                              {"cause": "illness", "place": "home",
                               "sex": "male", "dob": "1968-04-12", "marital_status": "first_marriage", "contraception": ""})],
        "home_visit_moves_within_town": [],
        "home_visit_method_stated": [("method_changed", "2026-11-19", ZHANG_LI, "", H1,
                                      {"method": "pills", "previous_method": "iud"})],
        "person_method_stated": [("method_changed", "2026-11-15", SUN_MIN, "", H2,
                                  {"method": "condom", "previous_method": ""})],
        "home_visit_planning": [("pregnancy_planned", "2026-11-19", ZHANG_LI, WANG_QIANG, "",
                                 {"planned_from": "2027-03"})],
    }
    for name, events in expected.items():
        before = rows(db)
        submit(town, name)
        assert rows(db)[len(before):] == events, name


def test_every_household_sample_in_a_row_and_rebuild_check_agrees(town, db, app):
    for name in HOUSEHOLD_SAMPLES:     # several update the same rows: soft conflicts
        submit(town, name)
    kinds = sorted(r[0] for r in rows(db))
    assert kinds == sorted(["birth", "birth", "death", "moved_in", "moved_in", "moved_in",
                            "marriage", "marriage", "moved_out", "marriage", "divorce",
                            "pregnancy_planned", "registered", "method_changed",
                            "method_changed"])
    check = CliRunner().invoke(register_group, ["rebuild", "--check"], obj=app.extensions)
    assert check.exit_code == 0, check.output


def test_an_edit_replaces_the_events_of_the_visit(town, db, app):
    submit(town, "home_visit_death")
    body = etree.fromstring(instance("home_visit_death"))
    meta = body.find("meta")
    old_id = meta.findtext("instanceID")
    meta.find("instanceID").text = "uuid:7d1f3c52-9a0e-4b8e-8f4e-2c6b1a9d0e11"
    deprecated = etree.SubElement(meta, "deprecatedID")
    deprecated.text = old_id
    first = body.findall("member")[0]
    first.find("death_cause").text = "accident"
    first.find("death_place").text = "hospital"
    first.find("change_date").text = "2026-11-02"
    first.find("death_date").text = "2026-11-02"
    submit(town, "home_visit_death", etree.tostring(body))
    assert rows(db) == [("death", "2026-11-02", WANG_JIANGUO, "", H1,
                         {"cause": "accident", "place": "hospital",
                          "sex": "male", "dob": "1968-04-12", "marital_status": "first_marriage", "contraception": ""})]
    assert db.session.scalar(select(Submission.review_state)) == "edited"
    check = CliRunner().invoke(register_group, ["rebuild", "--check"], obj=app.extensions)
    assert check.exit_code == 0, check.output


def test_old_version_submissions_write_events_too(app, db, client, personas, publish):
    town = town_with_earlier_versions(db, client, personas, publish)
    for name in ("home_visit_birth", "home_visit_new_household", "person_away"):
        response = town.phone().submit(old_instance(name))
        assert response.status_code == 201, response.data
    assert [(r[0], r[1], r[3], r[4]) for r in rows(db)] == [
        ("birth", "2026-10-02", ZHANG_LI, H1), ("moved_in", "2026-11-01", "", ANY),
        ("moved_in", "2026-11-01", "", ANY)]


def test_2026120301_submissions_are_taken_and_derived_as_that_version_said(
        app, db, client, personas, publish):
    """Phones still on the version before the method questions: a move from another
    household is a move in (it cannot tell the village), and no change of method."""
    town = town_with_earlier_versions(db, client, personas, publish, "2026120301",
                                      ("home_visit", "person", "three_checks"))
    for name in ("home_visit_moves_within_town", "person_registered",
                 "three_checks_iud_removed"):
        response = town.phone().submit(old_instance(name, "2026120301"))
        assert response.status_code == 201, response.data
    assert [r[0] for r in rows(db)] == ["moved_in", "registered", "marriage", "three_checks",
                                        "iud_check"]
