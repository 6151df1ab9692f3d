"""The town's sample submissions land in the register as their stories say (issue 3's
samples, merged by issue 5's register), and a 2025.1 submission is all or nothing (item 84)."""
from lxml import etree
from sqlalchemy import select

from app.register.models import Dataset, Entity
from tests.register.test_merge import get as entity
from tests.samples import SAMPLES, instance
from tests.samples.register import CHEN_HONG, H1, P1, SUN_MIN, WANG_QIANG, ZHANG_LI


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


def test_a_pregnancy_found_at_the_three_checks(town, db):
    submit(town, "three_checks_finds_pregnancy")
    woman = entity(db, ZHANG_LI)
    assert (woman.data["pregnant"], woman.data["iud_status"], woman.data["contraception"]) == (
        "yes", "expelled", "none")
    pregnancy = [p for p in in_list(db, "pregnancies") if p.data["woman"] == ZHANG_LI][0]
    assert (pregnancy.data["status"], pregnancy.data["lmp"], pregnancy.data["edd"]) == (
        "confirmed", "2026-10-09", "2027-07-16")


def test_a_leaders_report_creates_a_pregnancy_and_marks_the_woman(town, db):
    submit(town, "pregnancy_reported_by_leader")
    pregnancy = [p for p in in_list(db, "pregnancies") if p.data["woman"] == SUN_MIN][0]
    assert (pregnancy.data["status"], pregnancy.data["reported_by"]) == ("reported", "group_leader")
    assert entity(db, SUN_MIN).data["pregnant"] == "yes"


def test_a_birth_closes_the_pregnancy_and_registers_the_child(town, db):
    submit(town, "birth")
    pregnancy = entity(db, P1)
    assert (pregnancy.data["status"], pregnancy.data["outcome"]) == ("delivered", "live_birth")
    child = [p for p in in_list(db, "people") if p.label == "刘小龙"][0]
    assert (child.data["dob"], child.data["relation"], child.data["sex"]) == (
        "2026-11-17", "son", "male")


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

