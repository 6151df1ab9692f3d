"""The town's sample submissions land in the register as their stories say (issue 3's
samples, merged by issue 5's register), and a 2025.1 submission is all or nothing (item 84)."""
from lxml import etree
from sqlalchemy import select

from app.forms.models import Form
from app.register.models import Dataset, Entity
from app.submissions.models import Submission
from tests.register.test_merge import get as entity
from tests.samples import SAMPLES, instance
from tests.samples.register import (CHEN_HONG, H1, H4, LIU_MEI, P1, SUN_MIN, WANG_QIANG,
                                    ZHANG_LI)


def submit(town, name, body=None):
    assert town.phone(SAMPLES[name].persona).submit(body or instance(name)).status_code == 201


def in_list(db, name):
    db.session.rollback()
    return db.session.scalars(select(Entity).join(Dataset).where(Dataset.name == name)
                              .order_by(Entity.id)).all()


def test_a_home_visit_updates_the_household_and_members_and_registers_the_baby(town, db):
    submit(town, "home_visit_birth")
    household = entity(db, H1)
    assert (household.version, household.data["member_count"],
            household.data["last_visit_date"]) == (2, "6", "2026-11-19")
    baby = [p for p in in_list(db, "people") if p.label == "王小妹"][0]
    assert (baby.version, baby.data["household"], baby.data["relation"]) == (1, H1, "grandchild")
    assert entity(db, ZHANG_LI).version == 2


def pregnancies_of(db, woman):
    return [p for p in in_list(db, "pregnancies") if p.data["woman"] == woman]


def test_a_pregnancy_found_at_the_three_checks_is_reported_and_confirmed_that_day(town, db):
    submit(town, "three_checks_finds_pregnancy")
    woman = entity(db, ZHANG_LI)
    assert (woman.data["pregnant"], woman.data["iud_status"], woman.data["contraception"]) == (
        "yes", "expelled", "none")
    [pregnancy] = pregnancies_of(db, ZHANG_LI)
    assert {k: pregnancy.data[k] for k in ("status", "lmp", "edd", "reported_on",
                                           "confirmed_on", "reported_by")} == {
        "status": "confirmed", "lmp": "2026-10-09", "edd": "2027-07-16",
        "reported_on": "2026-11-20", "confirmed_on": "2026-11-20", "reported_by": "health_centre"}


def test_a_check_confirms_a_known_pregnancy_and_registers_its_ultrasound(town, db):
    submit(town, "three_checks_confirms_with_ultrasound")
    pregnancy = entity(db, P1)
    assert pregnancy.version == 2
    assert {k: pregnancy.data[k] for k in ("status", "lmp", "confirmed_on", "ultrasound_date",
                                           "reported_by")} == {
        "status": "confirmed", "lmp": "2026-03-01", "confirmed_on": "2026-06-20",
        "ultrasound_date": "2026-06-18", "reported_by": "group_leader"}
    assert len(pregnancies_of(db, LIU_MEI)) == 1


def test_an_iud_removed_is_kept_as_the_womans_iud_status(town, db):
    submit(town, "three_checks_iud_removed")
    woman = entity(db, CHEN_HONG)
    assert (woman.data["iud_status"], woman.data["contraception"],
            woman.data["last_checks_date"]) == ("removed", "condom", "2026-11-18")


def test_a_leaders_report_creates_a_pregnancy_linked_to_her_prepregnancy_check(town, db):
    submit(town, "pregnancy_reported_by_leader")
    [pregnancy] = pregnancies_of(db, SUN_MIN)
    assert {k: pregnancy.data[k] for k in ("status", "reported_by", "reported_on",
                                           "prepregnancy_check_date", "lmp")} == {
        "status": "reported", "reported_by": "group_leader", "reported_on": "2026-11-19",
        "prepregnancy_check_date": "2026-09-10", "lmp": "2026-09-28"}
    assert entity(db, SUN_MIN).data["pregnant"] == "yes"


def test_a_birth_closes_the_pregnancy_and_registers_the_child_linked_to_mother_and_pregnancy(
        town, db):
    submit(town, "birth")
    pregnancy = entity(db, P1)
    assert (pregnancy.data["status"], pregnancy.data["outcome"], pregnancy.data["ended_on"]) == (
        "delivered", "live_birth", "2026-11-17")
    [child] = [p for p in in_list(db, "people") if p.label == "刘小龙"]
    assert {k: child.data[k] for k in ("dob", "relation", "sex", "mother", "father", "pregnancy",
                                       "household", "deceased")} == {
        "dob": "2026-11-17", "relation": "son", "sex": "male", "mother": LIU_MEI, "father": "",
        "pregnancy": P1, "household": H4, "deceased": "no"}


def test_twins_are_two_people_and_the_one_who_died_is_marked_deceased(town, db):
    submit(town, "birth_twins_newborn_death")
    twins = {p.label: p.data for p in in_list(db, "people") if p.data.get("pregnancy") == P1}
    assert {name: (d["sex"], d["deceased"], d["death_date"], d["mother"], d["dob"])
            for name, d in twins.items()} == {
        "刘大宝": ("male", "yes", "2026-11-10", LIU_MEI, "2026-11-03"),
        "刘二妹": ("female", "no", "", LIU_MEI, "2026-11-03")}
    assert entity(db, P1).data["status"] == "delivered"


def test_a_stillbirth_ends_the_pregnancy_and_registers_nobody(town, db):
    people = len(in_list(db, "people"))
    submit(town, "stillbirth")
    pregnancy = entity(db, P1)
    assert (pregnancy.data["status"], pregnancy.data["outcome"], pregnancy.data["ended_on"]) == (
        "delivered", "stillbirth", "2026-09-20")
    assert len(in_list(db, "people")) == people


def test_an_outcome_of_a_pregnancy_never_registered_creates_it_ended(town, db):
    assert pregnancies_of(db, ZHANG_LI) == []
    submit(town, "miscarriage_unregistered")
    [pregnancy] = pregnancies_of(db, ZHANG_LI)
    assert pregnancy.version == 1 and pregnancy.label == "张丽 2026-08-27"
    assert {k: pregnancy.data[k] for k in ("status", "outcome", "ended_on", "lmp", "edd",
                                           "woman_name", "village", "birth_order")} == {
        "status": "lost", "outcome": "miscarriage", "ended_on": "2026-10-15",
        "lmp": "2026-08-27", "edd": "2027-06-03", "woman_name": "张丽", "village": "dongwan",
        "birth_order": "2"}                 # she has one child


def test_a_termination_with_its_approval_number_is_applied(town, db):
    submit(town, "termination_approved")
    [pregnancy] = pregnancies_of(db, SUN_MIN)
    assert (pregnancy.data["status"], pregnancy.data["outcome"],
            pregnancy.data["prepregnancy_check_date"]) == ("lost", "medical_termination",
                                                           "2026-09-10")


def test_a_termination_without_its_approval_number_is_kept_flagged_and_applied_on_approval(
        town, db, client, login):
    submit(town, "termination_without_approval")
    db.session.rollback()
    held = db.session.scalar(select(Submission).where(Submission.form_id == select(Form.id).where(
        Form.xml_form_id == "pregnancy_outcome").scalar_subquery()))
    assert held.review_state == "hasIssues"
    assert entity(db, P1).version == 1                   # the form's default: wait for approval
    url = f"/v1/projects/1/forms/pregnancy_outcome/submissions/{held.instance_id}"
    detail = client.get(url, headers=login("supervisor")).json
    assert [(i["path"], i["code"]) for i in detail["issues"]] == [("/data/approval_no",
                                                                   "approval_missing")]
    assert client.patch(url, json={"reviewState": "approved"},
                        headers=login("admin")).status_code == 200
    assert (entity(db, P1).data["status"], entity(db, P1).data["outcome"]) == (
        "lost", "medical_termination")


def test_migrants_and_services_update_people(town, db):
    for name in ("migrant_moving_in", "migrant_moving_out", "person_away"):
        submit(town, name)
    assert [p.data["residence_status"] for p in in_list(db, "people") if p.label == "黄丽"] == ["moved_in"]
    assert entity(db, CHEN_HONG).data["residence_status"] == "moved_out"
    assert entity(db, WANG_QIANG).data["residence_status"] == "away"


def test_item_84_one_failing_entity_rolls_back_the_whole_submission(town, db):
    root = etree.fromstring(instance("home_visit_birth"))
    members = root.findall("member")
    members[-1].find("meta/entity").set("id", "not-a-uuid")     # the baby's block is broken
    body = etree.tostring(root)
    submit(town, "home_visit_birth", body)
    assert entity(db, H1).version == 1 and entity(db, ZHANG_LI).version == 1
    assert not [p for p in in_list(db, "people") if p.label == "王小妹"]



def test_a_newborns_father_is_the_mothers_spouse_in_the_register(town, db):
    """Once the people list has `spouse` (declared by the forms that record marriages), the
    outcome form links each child to its father too, and the birth event names him."""
    from app.events.derive import derive
    from app.register import datasets, entities
    from app.register.lists import dataset_named
    from tests.samples.phone import fill_sample
    mother = entity(db, LIU_MEI)          # (reads after a rollback: before any change)
    datasets.declare(db.session, 1, [{"dataset": "people", "properties": ["spouse"]}])
    people = dataset_named(db.session, 1, "people")
    husband_id = entities.create(db.session, people, "赵刚", {
        "full_name": "赵刚", "sex": "male", "dob": "1990-01-05", "village": "dongwan",
        "household": H4, "relation": "spouse", "marital_status": "first_marriage",
        "spouse": LIU_MEI, "deceased": "no"}, area_id=mother.area_id).uuid
    entities.update(db.session, mother, data={"spouse": husband_id}, dataset=people)
    db.session.commit()
    phone = town.phone()
    filled = fill_sample(phone, "birth", SAMPLES["birth"])
    assert (filled.status, filled.violations) == ("ready", [])
    assert phone.submit(filled.xml).status_code == 201
    [child] = [p for p in in_list(db, "people") if p.label == "刘小龙"]
    assert (child.data["mother"], child.data["father"]) == (LIU_MEI, husband_id)
    root = etree.fromstring(filled.xml)
    [birth] = [e for e in derive("pregnancy_outcome", root) if e.kind == "birth"]
    assert (birth.person, birth.other_person, birth.details["father"]) == (
        child.uuid, LIU_MEI, husband_id)
