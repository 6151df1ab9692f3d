"""Households and couples (issue 17, helper people): each home-visit and person sample filled
by ODK's engine gives the life events its story tells (app.events.derivers.home_visit and
.person) and leaves the register in the state it tells (spouses linked both ways where the form
knows both, deaths with their date, moves between households, sons and daughters, pregnancy
plans, household registration type and family status). Earlier versions of both forms are
still accepted and derived. The rows these events become in `life_events` are checked in
tests/events/test_household_life_events.py (intake's writing of them is helper core's)."""
import datetime as dt
import os

from lxml import etree
from sqlalchemy import select

from app.events.derive import YIELDS, Event, derive
from app.register.models import Dataset, Entity
from tests.conftest import FORMS_DIR
from tests.register.test_merge import get as entity
from tests.samples import SAMPLES, earlier_form, instance, old_instance
from tests.samples.phone import fill_form
from tests.samples.register import (CHEN_HONG, H1, H2, H4, LI_XIUYING, LIU_MEI, SUN_MIN, SUN_WEI,
                                    WANG_JIANGUO, WANG_QIANG, ZHANG_LI)

KINDS = {"birth", "death", "marriage", "divorce", "moved_in", "moved_out", "registered",
         "pregnancy_planned", "method_changed"}


def root(xml):
    return etree.fromstring(xml)


def events(name, xml=None):
    sample = SAMPLES.get(name)
    body = root(xml if xml is not None else instance(name))
    return derive(body.get("id") if sample is None else sample.form, body)


def member_id(xml, n):
    """The uuid the phone gave the n-th member row (1-based) of a home visit instance."""
    return root(xml).findall("member")[n - 1].findtext("person_id")


def hh_id(xml):
    return root(xml).findtext("hh_id")


def d(text):
    return dt.date.fromisoformat(text)


def submit(town, name, body=None):
    response = town.phone(SAMPLES[name].persona).submit(body or instance(name))
    assert response.status_code == 201, response.data


def people_named(db, label):
    db.session.rollback()
    return db.session.scalars(select(Entity).join(Dataset).where(
        Dataset.name == "people", Entity.label == label)).all()


# ---------------------------------------------------------------- the derivers, per sample

def test_both_forms_declare_the_kinds_they_yield():
    events("home_visit_birth")          # imports the derivers
    assert set(YIELDS["home_visit"]) == KINDS and set(YIELDS["person"]) == KINDS


def test_a_baby_registered_on_a_home_visit_is_a_birth_with_the_mother_found_in_the_household():
    baby = member_id(instance("home_visit_birth"), 6)
    assert events("home_visit_birth") == [Event(
        "birth", d("2026-10-02"), person=baby, other_person=ZHANG_LI, household=H1,
        details={"sex": "female", "weight_kg": "", "certificate_no": "", "place": "",
                 "facility": "", "father": WANG_QIANG, "birth_order": ""})]


def test_a_marriage_recorded_on_both_spouses_rows_is_one_event_linking_them():
    groom = member_id(instance("home_visit_marriage"), 2)
    assert events("home_visit_marriage") == [
        Event("moved_in", d("2026-10-01"), person=groom, household=H4,
              details={"from": "西山村", "migrant": "no", "reason": "", "within_town": "yes",
                       "sex": "male", "dob": "1990-05-05", "marital_status": "first_marriage",
                       "contraception": ""}),
        Event("marriage", d("2026-10-01"), person=LIU_MEI, other_person=groom,
              details={"spouse_name": "周涛", "woman": LIU_MEI, "woman_dob": "1991-11-23",
                       "registered_at": "东湾镇民政办",
                       "marital_status": "first_marriage"})]


def test_a_bride_who_marries_out_is_a_marriage_and_a_move_out():
    assert events("home_visit_bride_marries_out") == [
        Event("moved_out", d("2026-10-18"), person=SUN_MIN, household=H2,
              details={"to": "县城城关镇", "migrant": "no", "reason": "", "within_town": "no",
                       "sex": "female", "dob": "1999-12-01", "marital_status": "first_marriage",
                       "contraception": ""}),
        Event("marriage", d("2026-10-18"), person=SUN_MIN, other_person="",
              details={"spouse_name": "郑浩", "woman": SUN_MIN, "woman_dob": "1999-12-01",
                       "registered_at": "县民政局婚姻登记处",
                       "marital_status": "first_marriage"})]


def test_a_divorce_on_the_person_form_names_the_spouse_chosen_from_the_register():
    assert events("person_divorce") == [
        Event("divorce", d("2026-11-10"), person=ZHANG_LI, other_person=WANG_QIANG,
              details={"spouse_name": "王强", "woman": ZHANG_LI, "woman_dob": "1996-06-08"})]


def test_a_death_at_home_of_illness():
    assert events("home_visit_death") == [
        Event("death", d("2026-11-03"), person=WANG_JIANGUO, household=H1,
              details={"cause": "illness", "place": "home", "sex": "male", "dob": "1968-04-12",
                       "marital_status": "first_marriage", "contraception": ""})]


def test_a_move_between_two_households_of_one_village_is_no_move_in_or_out():
    body = root(instance("home_visit_moves_within_town"))
    assert body.findall("member")[1].findtext("previous_village") == "dongwan"
    assert events("home_visit_moves_within_town") == []


def _moved_from(village, residence="resident"):
    """The within-town move sample as if Li Xiuying's register row had been in `village`."""
    body = root(instance("home_visit_moves_within_town"))
    member = body.findall("member")[1]
    member.find("previous_village").text = village
    member.find("residence_before").text = residence
    return etree.tostring(body)


def test_a_move_from_another_village_of_the_town_leaves_it_and_arrives_here():
    who = {"sex": "female", "dob": "1971-09-30", "marital_status": "first_marriage",
           "contraception": "female_sterilisation"}
    assert events("home_visit_moves_within_town", _moved_from("xishan")) == [
        Event("moved_out", d("2026-11-08"), person=LI_XIUYING, household=H1, village="xishan",
              details={"to": "dongwan", "migrant": "no", "reason": "", "within_town": "yes",
                       **who}),
        Event("moved_in", d("2026-11-08"), person=LI_XIUYING, household=H4,
              details={"from": "东湾村一组12号王建国户", "migrant": "no", "reason": "",
                       "within_town": "yes", **who})]


def test_someone_the_register_shows_moved_out_coming_back_is_a_move_in():
    assert [(e.kind, e.village) for e in events(
        "home_visit_moves_within_town", _moved_from("dongwan", "moved_out"))] == [
        ("moved_in", None)]


def test_an_earlier_version_move_from_another_household_is_a_move_in_within_the_town():
    old = old_instance("home_visit_moves_within_town", "2026120301")
    assert events("home_visit_moves_within_town", old) == [
        Event("moved_in", d("2026-11-08"), person=LI_XIUYING, household=H4,
              details={"from": "东湾村一组12号王建国户", "migrant": "no", "reason": "",
                       "within_town": "yes", "sex": "female", "dob": "1971-09-30",
                       "marital_status": "first_marriage", "contraception": ""})]


def test_a_method_a_woman_states_on_a_visit_that_the_register_did_not_hold_is_a_change():
    assert events("home_visit_method_stated") == [
        Event("method_changed", d("2026-11-19"), person=ZHANG_LI, household=H1,
              details={"method": "pills", "previous_method": "iud"})]


def test_a_method_stated_on_the_person_form_changes_it_from_none_recorded():
    assert events("person_method_stated") == [
        Event("method_changed", d("2026-11-15"), person=SUN_MIN, household=H2,
              details={"method": "condom", "previous_method": ""})]


def test_a_method_the_register_already_holds_is_no_event():
    # Zhang Li (IUD in the register) and Liu Mei (none) are asked and keep their methods
    assert "method_changed" not in [e.kind for e in events("home_visit_planning")]
    assert "method_changed" not in [e.kind for e in events("home_visit_marriage")]


def test_an_earlier_version_visit_yields_no_change_of_method():
    body = root(instance("home_visit_method_stated"))
    zhang_li = body.findall("member")[3]
    zhang_li.remove(zhang_li.find("contraception_before"))
    assert events("home_visit_method_stated", etree.tostring(body)) == []


def test_a_person_form_move_in_within_the_town_of_someone_of_the_village_is_no_move():
    body = root(instance("person_method_stated"))
    body.find("change_reason").text = "moved_in"
    etree.SubElement(body, "within_town").text = "yes"
    assert "moved_in" not in [e.kind for e in events("person", etree.tostring(body))]
    body.find("previous_village").text = "xishan"
    assert [(e.kind, e.village) for e in events("person", etree.tostring(body))] == [
        ("moved_out", "xishan"), ("moved_in", None)]
    body.find("within_town").text = "no"          # back from outside the town
    assert [e.kind for e in events("person", etree.tostring(body))] == ["moved_in"]


def test_a_woman_planning_a_pregnancy_from_a_month_with_her_husband():
    assert events("home_visit_planning") == [
        Event("pregnancy_planned", d("2026-11-19"), person=ZHANG_LI, other_person=WANG_QIANG,
              details={"planned_from": "2027-03"})]


def test_a_plan_already_in_the_register_is_not_counted_again():
    body = root(instance("home_visit_planning"))
    zhang_li = body.findall("member")[3]
    zhang_li.find("planning_before").text = "yes"
    zhang_li.find("planning_from_before").text = "2027-03"
    assert events("home_visit_planning", etree.tostring(body)) == []
    zhang_li.find("planning_from_before").text = "2027-01"     # the plan moved: counted
    assert [e.kind for e in events("home_visit_planning", etree.tostring(body))] == [
        "pregnancy_planned"]


def test_a_new_household_moving_in_gives_a_move_in_per_member():
    xml = instance("home_visit_new_household")
    assert events("home_visit_new_household") == [
        Event("moved_in", d("2026-11-01"), person=member_id(xml, n), household=hh_id(xml),
              details={"from": "陕西省安康市汉滨区", "migrant": "no", "reason": "",
                       "within_town": "no", "sex": sex, "dob": dob,
                       "marital_status": "first_marriage", "contraception": method})
        for n, sex, dob, method in ((1, "male", "1992-01-15", ""),
                                    (2, "female", "1994-04-04", "iud"))]


def _baseline(xml):
    """The new household's visit as a baseline: its members were living there all along."""
    body = root(xml)
    for member in body.findall("member"):
        member.find("changes").text = "none"
        member.find("residence_status").text = "resident"
    return etree.tostring(body)


def test_a_baseline_visit_registers_every_member_on_the_visit_date():
    xml = instance("home_visit_new_household")
    assert events("home_visit_new_household", _baseline(xml)) == [
        Event("registered", d("2026-11-18"), person=member_id(xml, n), household=hh_id(xml),
              details={"sex": sex, "dob": dob, "marital_status": "first_marriage",
                       "contraception": method, "residence_status": "resident"})
        for n, sex, dob, method in ((1, "male", "1992-01-15", ""),
                                    (2, "female", "1994-04-04", "iud"))]


def test_a_new_member_found_on_a_visit_is_registered_and_a_member_already_there_is_not():
    body = root(instance("home_visit_birth"))
    baby = body.findall("member")[5]
    baby.find("changes").text = "none"             # found, not born since the last visit
    assert [(e.kind, e.person, e.occurred_on, e.details["sex"])
            for e in events("home_visit_birth", etree.tostring(body))] == [
        ("registered", baby.findtext("person_id"), d(body.findtext("visit_date")), "female")]
    baby.find("changes").text = "death"            # found and already dead: both
    assert [e.kind for e in events("home_visit_birth", etree.tostring(body))] == [
        "registered", "death"]
    baby.find("member_mode").text = "moved_here"   # from another household: a move in
    assert [e.kind for e in events("home_visit_birth", etree.tostring(body))] == [
        "death", "moved_in"]


def test_a_birth_registered_on_the_person_form_names_no_mother_it_cannot_know():
    baby = root(instance("person_birth")).findtext("person_id")
    assert events("person_birth") == [Event(
        "birth", d("2026-11-05"), person=baby, other_person="", household=H2,
        details={"sex": "male", "weight_kg": "", "certificate_no": "", "place": "",
                 "facility": "", "father": "", "birth_order": ""})]


def test_a_person_registered_on_marriage_and_a_change_with_no_event():
    new = root(instance("person_registered")).findtext("person_id")
    assert events("person_registered") == [
        Event("registered", d("2026-11-16"), person=new, household=H2,
              details={"sex": "female", "dob": "1998-10-10", "marital_status": "first_marriage",
                       "contraception": "none", "residence_status": "moved_in"}),
        Event("marriage", d("2026-11-16"), person=new, other_person="",
              details={"spouse_name": "孙涛", "woman": new, "woman_dob": "1998-10-10",
                       "registered_at": "东湾镇民政办", "marital_status": "first_marriage"})]
    assert events("person_away") == []


def test_a_person_form_registering_a_birth_or_a_move_in_is_that_event_alone():
    body = root(instance("person_registered"))
    for reason in ("birth", "moved_in"):
        body.find("change_reason").text = reason
        assert reason in [e.kind for e in events("person", etree.tostring(body))]
        assert "registered" not in [e.kind for e in events("person", etree.tostring(body))]
    for reason in ("other", "correction", ""):
        body.find("change_reason").text = reason
        assert [e.kind for e in events("person", etree.tostring(body))] == ["registered"]


def test_a_person_form_registration_without_a_mode_is_told_by_the_entity_block():
    body = root(instance("person_registered"))
    body.remove(body.find("mode"))
    assert "registered" in [e.kind for e in events("person", etree.tostring(body))]
    body.find("meta/entity").set("create", "false")
    assert "registered" not in [e.kind for e in events("person", etree.tostring(body))]


# ---------------------------------------------------------------- earlier versions

def test_earlier_versions_instances_still_derive():
    old_birth = old_instance("home_visit_birth")
    assert root(old_birth).get("version") == "2026112901"
    assert events("home_visit_birth", old_birth) == [Event(
        "birth", d("2026-10-02"), person=member_id(old_birth, 6), other_person=ZHANG_LI,
        household=H1, details={"sex": "female", "weight_kg": "", "certificate_no": "",
                               "place": "", "facility": "", "father": "", "birth_order": ""})]
    old_new = old_instance("home_visit_new_household")
    assert [(e.kind, e.person, e.details["from"]) for e in events("x", old_new)] == [
        ("moved_in", member_id(old_new, 1), ""), ("moved_in", member_id(old_new, 2), "")]
    assert [(e.kind, e.occurred_on, e.person, e.details) for e in events(
        "x", _baseline(old_new))] == [
        ("registered", d("2026-11-18"), member_id(old_new, n), {
            "sex": sex, "dob": dob, "marital_status": "first_marriage", "contraception": "",
            "residence_status": "resident"})
        for n, sex, dob in ((1, "male", "1992-01-15"), (2, "female", "1994-04-04"))]
    assert events("x", old_instance("person_away")) == []
    # that version asked no change reason of a new person: a registration
    old_new_person = old_instance("person_registered")
    assert [(e.kind, e.occurred_on, e.person, e.details) for e in events(
        "x", old_new_person)] == [
        ("registered", d("2026-11-16"), root(old_new_person).findtext("person_id"), {
            "sex": "female", "dob": "1998-10-10", "marital_status": "first_marriage",
            "contraception": "", "residence_status": "moved_in"})]


def _old_visit_marriage():
    """An earlier-version visit where both Wang Qiang's and Zhang Li's rows say 'marriage'
    (that version asked no spouse)."""
    body = root(old_instance("home_visit_birth"))
    for member in body.findall("member")[2:4]:
        member.find("changes").text = "marriage"
        change_date = etree.Element("change_date")
        change_date.text = "2026-09-09"
        member.find("changes").addnext(change_date)
    return etree.tostring(body)


def test_an_earlier_version_marriage_on_both_rows_is_one_event_without_a_spouse_field():
    assert [(e.kind, e.occurred_on, e.person, e.other_person, e.details)
            for e in events("x", _old_visit_marriage()) if e.kind == "marriage"] == [
        ("marriage", d("2026-09-09"), WANG_QIANG, ZHANG_LI,
         {"spouse_name": "张丽", "woman": ZHANG_LI, "woman_dob": "1996-06-08",
          "registered_at": "", "marital_status": "first_marriage"})]


def test_an_earlier_version_person_change_derives_from_change_reason():
    body = root(old_instance("person_away"))
    body.find("change_reason").text = "marriage"
    assert [(e.kind, e.occurred_on, e.person, e.other_person) for e in events("x", etree.tostring(body))] == [
        ("marriage", d("2026-11-15"), WANG_QIANG, "")]
    body.find("change_reason").text = "death"
    assert [(e.kind, e.details) for e in events("x", etree.tostring(body))] == [
        ("death", {"cause": "", "place": "", "sex": "male", "dob": "1994-02-17",
                   "marital_status": "first_marriage", "contraception": ""})]


def test_odd_answers_give_fewer_events_never_an_exception():
    odd = [b'<data id="home_visit"/>',
           b'<data id="home_visit"><member><changes>birth death marriage</changes>'
           b'<change_date>yesterday</change_date><dob>1990-02-30</dob></member></data>',
           b'<data id="person"><change_reason>moved_in</change_reason></data>',
           b'<data id="person"><person_id>not a uuid</person_id><change_reason>divorce'
           b'</change_reason><spouse_id>uuid:X</spouse_id></data>']
    for xml in odd:
        found = events("x", xml)
        assert all(e.kind in KINDS for e in found)


# ---------------------------------------------------------------- the register

def test_a_marriage_on_a_visit_links_both_spouses_both_ways(town, db):
    submit(town, "home_visit_marriage")
    groom = people_named(db, "周涛")[0]
    bride = entity(db, LIU_MEI)
    assert (bride.data["spouse"], groom.data["spouse"]) == (groom.uuid, LIU_MEI)
    assert (groom.data["household"], groom.data["marital_status"]) == (H4, "first_marriage")
    assert entity(db, H4).data["member_count"] == "2"


def test_a_bride_who_marries_out_leaves_the_household(town, db):
    submit(town, "home_visit_bride_marries_out")
    bride = entity(db, SUN_MIN)
    assert (bride.data["residence_status"], bride.data["spouse"], bride.data["sons"],
            bride.data["planning_pregnancy"]) == ("moved_out", "", "0", "undecided")
    assert entity(db, H2).data["member_count"] == "2"
    assert entity(db, SUN_WEI).data["spouse"] == CHEN_HONG      # carried over unchanged


def test_a_divorce_clears_her_link_and_his_on_his_next_visit(town, db):
    submit(town, "person_divorce")
    woman = entity(db, ZHANG_LI)
    assert (woman.data["marital_status"], woman.data["spouse"]) == ("divorced", "")
    # One people block per form: his row is not on it, and changes when it next is on a form.
    assert entity(db, WANG_QIANG).data["spouse"] == ZHANG_LI
    phone = town.phone()
    visit = fill_form(phone, "home_visit", SAMPLES["home_visit_planning"].answers,
                      repeats={"/data/member": 5}, seed="after the divorce")
    assert (visit.status, visit.violations) == ("ready", [])
    assert phone.submit(visit.xml).status_code == 201
    assert (entity(db, WANG_QIANG).data["spouse"], entity(db, ZHANG_LI).data["spouse"],
            entity(db, LI_XIUYING).data["spouse"]) == ("", "", WANG_JIANGUO)
    # ... and her plan, asked of married women only, is no event now
    assert [e.kind for e in derive("home_visit", root(visit.xml))] == []


def test_a_death_keeps_its_date_and_the_household_counts_one_less(town, db):
    submit(town, "home_visit_death")
    dead = entity(db, WANG_JIANGUO)
    assert (dead.data["deceased"], dead.data["death_date"]) == ("yes", "2026-11-03")
    assert entity(db, LI_XIUYING).data["marital_status"] == "widowed"
    assert entity(db, H1).data["member_count"] == "4"


def test_a_move_between_two_households_of_the_town(town, db):
    submit(town, "home_visit_moves_within_town")
    moved = entity(db, LI_XIUYING)
    assert (moved.data["household"], moved.data["relation"], moved.data["spouse"]) == (
        H4, "parent", WANG_JIANGUO)
    assert entity(db, H4).data["member_count"] == "2"


def test_a_stated_method_is_saved_and_a_woman_not_asked_keeps_the_registers(town, db):
    submit(town, "home_visit_method_stated")
    db.session.rollback()
    assert entity(db, ZHANG_LI).data["contraception"] == "pills"
    # Li Xiuying, 55, is not asked: her row saves the register's method, not a blank
    assert entity(db, LI_XIUYING).data["contraception"] == "female_sterilisation"


def test_a_pregnancy_plan_sons_and_daughters_are_kept(town, db):
    submit(town, "home_visit_planning")
    woman = entity(db, ZHANG_LI)
    assert {k: woman.data[k] for k in ("planning_pregnancy", "planning_from", "sons",
                                        "daughters", "children_count", "spouse")} == {
        "planning_pregnancy": "yes", "planning_from": "2027-03", "sons": "1", "daughters": "0",
        "children_count": "1", "spouse": WANG_QIANG}


def test_a_new_household_keeps_its_registration_type_and_family_status(town, db):
    xml = instance("home_visit_new_household")
    submit(town, "home_visit_new_household")
    household = entity(db, hh_id(xml))
    assert (household.data["registration_type"], household.data["family_status"]) == (
        "agricultural", "one_child")
    # the married head and the member who is his spouse are linked, both ways
    head, wife = member_id(xml, 1), member_id(xml, 2)
    assert (entity(db, head).data["spouse"], entity(db, wife).data["spouse"]) == (wife, head)


def test_a_spouse_chosen_from_the_register_links_back_on_her_next_visit(town, db):
    """The person form may update one person only; her row names him the next time it is on
    a form, from the register's link the other way."""
    phone = town.phone()
    married = fill_form(phone, "person", {
        "/data/village": "dongwan", "/data/mode": "new", "/data/change_reason": "marriage",
        "/data/change_date": "2026-11-01", "/data/full_name": "郑浩", "/data/sex": "male",
        "/data/dob": "1996-01-01", "/data/household": H2, "/data/relation": "child_in_law",
        "/data/spouse": SUN_MIN, "/data/marital_status": "first_marriage",
        "/data/residence_status": "moved_in", "/data/sons": "0", "/data/daughters": "0",
        "/data/deceased": "no"}, seed="groom")
    assert (married.status, married.violations) == ("ready", [])
    assert phone.submit(married.xml).status_code == 201
    groom = people_named(db, "郑浩")[0]
    assert (groom.data["spouse"], entity(db, SUN_MIN).data.get("spouse", "")) == (SUN_MIN, "")
    visit = fill_form(phone, "home_visit", {
        **SAMPLES["home_visit_bride_marries_out"].answers,
        "/data/member[3]/changes": ["none"], "/data/member[3]/residence_status": "resident",
        "/data/member[3]/contraception": "none"},
        repeats={"/data/member": 3}, seed="visit")
    assert (visit.status, visit.violations) == ("ready", [])
    assert phone.submit(visit.xml).status_code == 201
    assert entity(db, SUN_MIN).data["spouse"] == groom.uuid


def town_with_earlier_versions(db, client, personas, publish, version=None,
                               forms=("home_visit", "person")):
    """The town as phones knew it before: 2026112901 (or `version`) published, then today's
    forms."""
    import glob

    from app.cli import publish_paths
    from tests.conftest import Town
    from tests.samples.register import seed_register
    with open(os.path.join(FORMS_DIR, "villages.csv"), "rb") as f:
        villages = f.read()
    for form in forms:
        publish(earlier_form(form, version), {"villages.csv": villages},
                filename=f"{form}.xlsx")
    assert publish_paths(sorted(glob.glob(os.path.join(FORMS_DIR, "*.xlsx"))), print) == 0
    seed_register(db.session)
    db.session.commit()
    return Town(client, personas)


def test_earlier_versions_of_both_forms_are_still_accepted(app, db, client, personas, publish):
    """A phone still holding the earlier version sends it and it is taken."""
    town = town_with_earlier_versions(db, client, personas, publish)
    listed = town.phone().get(f"{town.phone().base}/formList").data.decode()
    assert "<version>2026120401</version>" in listed.split("home_visit")[1][:400]
    for name in ("home_visit_birth", "person_away"):
        response = town.phone().submit(old_instance(name))
        assert response.status_code == 201, response.data
    baby = people_named(db, "王小妹")[0]
    assert baby.data["household"] == H1
    assert entity(db, WANG_QIANG).data["residence_status"] == "away"

