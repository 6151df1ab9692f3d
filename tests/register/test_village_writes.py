"""Writes stay in the writer's villages (issue 16, item 1): a submission that would change
another village's register, or is filed under another village, is stored, marked `hasIssues`
with an `outside_villages` issue and changes nothing until a supervisor who sees that village
approves it; an edit of another village's submission is refused (403.53). The register still
rebuilds to the same rows.

Personas (tests/conftest.py): worker_a and the supervisor work in dongwan, worker_b in xishan;
supervisor_b (made here) oversees xishan; admin and viewer see the whole town."""
import datetime as dt
import uuid

import pytest
from click.testing import CliRunner
from lxml import etree
from sqlalchemy import select, update

from app.auth import accounts
from app.auth.models import AppUser
from app.cli import register_group
from app.projects.models import Area
from app.register import merge, rebuild
from app.register.models import EntityBacklog
from app.submissions.models import Submission, SubmissionDef
from tests.conftest import REALM
from tests.openrosa.docs import message
from tests.register.test_merge import entity_instance, get, people, versions  # noqa: F401
from tests.samples import instance
from tests.samples.register import H1, WANG_QIANG, ZHAO_YAN

NEW_PERSON = etree.fromstring(instance("person_registered")).findtext("person_id")   # 吴倩


@pytest.fixture
def supervisor_b(db):
    accounts.create_user(db.session, "supervisor_b", "supervisor_b-password", "supervisor",
                         REALM, ["xishan"], hash_method="scrypt:1024:8:1")
    db.session.commit()
    return "supervisor_b"


def town_xml(name, iid=None, entity=None, **answers):
    """A sample of the town's forms with some answers (by element name) changed, a new
    instanceID, and `entity` {attribute: value} set on its (first) entity block."""
    root = etree.fromstring(instance(name))
    for element, value in answers.items():
        root.find(f".//{element}").text = value
    root.find("meta/instanceID").text = iid or f"uuid:{uuid.uuid4()}"
    for attribute, value in (entity or {}).items():
        root.find(".//meta/entity").set(attribute, value)
    return etree.tostring(root)


def submission(db, iid):
    db.session.rollback()
    return db.session.scalar(select(Submission).where(Submission.instance_id == iid))


def village(db, area_id):
    return db.session.get(Area, area_id).code if area_id else None


def review(client, login, who, form, iid, state="approved"):
    return client.patch(f"/v1/projects/1/forms/{form}/submissions/{iid}",
                        json={"reviewState": state}, headers=login(who))


def issues(client, login, who, form, iid):
    response = client.get(f"/v1/projects/1/forms/{form}/submissions/{iid}", headers=login(who))
    assert response.status_code == 200, response.json
    return response.json["issues"]


def assert_held_for(db, iid, code):
    held = submission(db, iid)
    assert (held.review_state, village(db, held.area_id)) == ("hasIssues", code)


def assert_rebuilds_the_same(db):
    db.session.rollback()
    assert rebuild.check(db.session, 1).differences == []


def test_a_person_registered_in_another_village_is_kept_held_and_creates_no_one(
        town, db, client, login, supervisor_b):
    iid = "uuid:a-person-in-xishan"
    body = town_xml("person_registered", iid, village="xishan", person_village="xishan")
    assert town.phone("worker_a").submit(body).status_code == 201
    assert get(db, NEW_PERSON) is None
    assert_held_for(db, iid, "xishan")
    [found] = issues(client, login, supervisor_b, "person", iid)
    assert (found["path"], found["code"], found["value"]) == (
        "/data/village", "outside_villages", "xishan")
    assert "Outside your villages (Xishan)" in found["message"]
    assert "西山村" in found["messageZh"] and "审核" in found["messageZh"]
    # the sender's own supervisor does not see another village's submission
    assert client.get(f"/v1/projects/1/forms/person/submissions/{iid}",
                      headers=login("supervisor")).status_code == 404


def test_an_update_of_another_villages_person_is_kept_held_and_changes_nothing(
        town, db, client, login, supervisor_b):
    iid = "uuid:update-zhao-yan"
    # worker_a's own village on the form, but the block names xishan's Zhao Yan (and would
    # move her into dongwan)
    body = town_xml("person_away", iid, entity={"id": ZHAO_YAN, "baseVersion": "1"},
                    person=ZHAO_YAN, person_id=ZHAO_YAN, full_name="赵燕")
    assert town.phone("worker_a").submit(body).status_code == 201
    zhao = get(db, ZHAO_YAN)
    assert (zhao.version, village(db, zhao.area_id), zhao.data["residence_status"]) == (
        1, "xishan", "resident")
    assert_held_for(db, iid, "xishan")           # filed where it waits for approval
    [found] = issues(client, login, supervisor_b, "person", iid)
    assert (found["path"], found["code"], found["value"]) == (
        "/data/meta/entity", "outside_villages", "xishan")


def test_create_or_update_of_another_villages_entity_is_held(town, db, people):
    iid = "uuid:create-or-update"
    body = entity_instance(ZHAO_YAN, "赵燕", create=True, update=True, base="1", iid=iid,
                           phone="1")
    assert town.phone("worker_a").submit(body).status_code == 201
    assert [v.version for v in versions(db, ZHAO_YAN)] == [1]
    assert_held_for(db, iid, "xishan")


def test_an_edit_of_another_villages_submission_is_refused(town, db):
    theirs = "uuid:xishan-own"
    body = town_xml("person_registered", theirs, village="xishan", person_village="xishan")
    assert town.phone("worker_b").submit(body).status_code == 201
    edit = town_xml("person_registered", "uuid:overwrite", village="xishan",
                    person_village="xishan", full_name="改名")
    edit = edit.replace(b"</instanceID>", f"</instanceID><deprecatedID>{theirs}"
                        "</deprecatedID>".encode())
    response = town.phone("worker_a").submit(edit)
    assert response.status_code == 403
    nature, text = message(response)
    assert nature == "error" and "outside yours" in text and "所辖村以外" in text
    kept = submission(db, theirs)
    assert kept.review_state is None
    assert [d.instance_id for d in db.session.scalars(select(SubmissionDef).where(
        SubmissionDef.submission_id == kept.id))] == [theirs]
    assert get(db, NEW_PERSON).label == "吴倩"


def test_an_edit_of_ones_own_submission_that_now_says_another_village_is_held(town, db):
    mine = "uuid:dongwan-own"
    assert town.phone("worker_a").submit(town_xml("person_registered", mine)).status_code == 201
    edit = town_xml("person_registered", "uuid:now-xishan", village="xishan",
                    person_village="xishan")
    edit = edit.replace(b"</instanceID>", f"</instanceID><deprecatedID>{mine}"
                        "</deprecatedID>".encode())
    assert town.phone("worker_a").submit(edit).status_code == 201
    # it was merged before: it stays filed under dongwan, and the person stays there
    assert_held_for(db, mine, "dongwan")
    assert village(db, get(db, NEW_PERSON).area_id) == "dongwan"
    assert_rebuilds_the_same(db)


def test_the_target_villages_supervisor_approves_and_the_held_changes_apply(
        town, db, client, login, supervisor_b, app):
    phone = town.phone("worker_a")
    created, updated = "uuid:held-create", "uuid:held-update"
    assert phone.submit(town_xml("person_registered", created, village="xishan",
                                 person_village="xishan")).status_code == 201
    assert phone.submit(town_xml("person_away", updated,
                                 entity={"id": ZHAO_YAN, "baseVersion": "1"}, person=ZHAO_YAN,
                                 person_id=ZHAO_YAN, full_name="赵燕")).status_code == 201
    assert_rebuilds_the_same(db)               # held: nothing to replay, nothing differs

    assert review(client, login, supervisor_b, "person", created).status_code == 200
    person = get(db, NEW_PERSON)
    assert (person.version, village(db, person.area_id)) == (1, "xishan")
    assert review(client, login, supervisor_b, "person", updated).status_code == 200
    zhao = get(db, ZHAO_YAN)
    # xishan's supervisor agreed: she is now in dongwan, as worker_a reported
    assert (zhao.version, village(db, zhao.area_id), zhao.data["residence_status"]) == (
        2, "dongwan", "away")
    assert submission(db, updated).review_state == "approved"
    db.session.rollback()
    result = CliRunner().invoke(register_group, ["rebuild", "--check"], obj=app.extensions)
    assert result.exit_code == 0 and "No difference from the live register." in result.output


def test_a_supervisor_who_does_not_see_every_village_it_changes_cannot_approve(
        town, db, client, login):
    iid = "uuid:filed-in-dongwan-creates-in-nanqiao"
    # worker_b (xishan) files it under dongwan, and the person it registers is in nanqiao
    body = town_xml("person_registered", iid, village="dongwan", person_village="nanqiao")
    assert town.phone("worker_b").submit(body).status_code == 201
    assert_held_for(db, iid, "dongwan")
    refused = review(client, login, "supervisor", "person", iid)        # dongwan's
    assert refused.status_code == 403 and refused.json["code"] == "403.51"
    assert "nanqiao" in refused.json["message"] and refused.json["message_zh"]
    assert submission(db, iid).review_state == "hasIssues" and get(db, NEW_PERSON) is None
    assert review(client, login, "admin", "person", iid).status_code == 200   # the town's
    assert village(db, get(db, NEW_PERSON).area_id) == "nanqiao"
    assert_rebuilds_the_same(db)


def test_a_village_answer_elsewhere_holds_even_the_senders_own_changes(
        town, db, client, login, supervisor_b):
    iid = "uuid:visit-filed-in-xishan"
    body = town_xml("home_visit_birth", iid, village="xishan")      # members stay dongwan's
    assert town.phone("worker_a").submit(body).status_code == 201
    assert get(db, H1).version == 1
    assert_held_for(db, iid, "xishan")
    # xishan's supervisor may let it through: the changes are within worker_a's villages
    assert review(client, login, supervisor_b, "home_visit", iid).status_code == 200
    assert get(db, H1).version == 2
    assert_rebuilds_the_same(db)


def test_moving_ones_own_person_out_waits_for_the_receiving_village(town, db):
    iid = "uuid:wang-qiang-moves"
    body = town_xml("person_away", iid, village="xishan", person_village="xishan")
    assert town.phone("worker_a").submit(body).status_code == 201
    wang = get(db, WANG_QIANG)
    assert (wang.version, village(db, wang.area_id)) == (1, "dongwan")
    assert_held_for(db, iid, "xishan")


def test_changes_in_the_senders_village_are_merged_as_before(town, db):
    iid = "uuid:in-village"
    assert town.phone("worker_a").submit(town_xml("person_away", iid)).status_code == 201
    assert get(db, WANG_QIANG).version == 2 and submission(db, iid).review_state is None


def test_a_held_offline_update_released_later_obeys_the_same_rule(town, db, people):
    eid, branch = str(uuid.uuid4()), str(uuid.uuid4())
    # worker_a's update on a branch whose start has not arrived: it waits in the backlog
    waiting = "uuid:waiting"
    assert town.phone("worker_a").submit(entity_instance(
        eid, "", update=True, base="1", branch=branch, iid=waiting, village="dongwan",
        phone="a")).status_code == 201
    assert db.session.scalar(select(EntityBacklog.submission_id)) is not None
    # the branch's start arrives: a create in xishan, by xishan's worker
    assert town.phone("worker_b").submit(entity_instance(
        eid, "西山人", create=True, branch=branch, village="xishan",
        phone="b")).status_code == 201
    entity = get(db, eid)
    assert (entity.version, entity.data["phone"], village(db, entity.area_id)) == (
        1, "b", "xishan")
    assert db.session.scalars(select(EntityBacklog)).all() == []
    assert_held_for(db, waiting, "xishan")
    assert_rebuilds_the_same(db)


def test_a_timed_out_update_forced_into_another_village_is_held(town, db, people):
    eid, iid = str(uuid.uuid4()), "uuid:forced"
    assert town.phone("worker_a").submit(entity_instance(
        eid, "", update=True, base="2", branch=str(uuid.uuid4()), iid=iid, village="dongwan",
        phone="a")).status_code == 201
    # the sender was moved to xishan's work while it waited; now it may not create in dongwan
    db.session.rollback()
    worker = db.session.scalar(select(AppUser).where(AppUser.display_name == "worker_a"))
    worker.areas = [db.session.scalar(select(Area).where(Area.code == "xishan"))]
    db.session.execute(update(EntityBacklog).values(held_at=dt.datetime(2026, 1, 1)))
    db.session.commit()
    assert merge.process_backlog(db.session) == 1
    db.session.commit()
    assert get(db, eid) is None
    assert_held_for(db, iid, "dongwan")
    assert_rebuilds_the_same(db)


def test_an_edit_that_reaches_another_village_is_held_and_keeps_its_village(
        town, db, client, login):
    mine = "uuid:wang-qiang-away"
    assert town.phone("worker_a").submit(town_xml("person_away", mine)).status_code == 201
    edit = town_xml("person_away", "uuid:now-about-zhao-yan",
                    entity={"id": ZHAO_YAN, "baseVersion": "1"}, person=ZHAO_YAN,
                    person_id=ZHAO_YAN, full_name="赵燕")
    edit = edit.replace(b"</instanceID>", f"</instanceID><deprecatedID>{mine}"
                        "</deprecatedID>".encode())
    assert town.phone("worker_a").submit(edit).status_code == 201
    assert get(db, ZHAO_YAN).version == 1 and get(db, WANG_QIANG).version == 2
    assert_held_for(db, mine, "dongwan")       # its first version was merged with dongwan
    assert_rebuilds_the_same(db)
    refused = review(client, login, "supervisor", "person", mine)        # dongwan's
    assert refused.status_code == 403 and refused.json["code"] == "403.51"
    assert review(client, login, "admin", "person", mine).status_code == 200
    assert get(db, ZHAO_YAN).version == 2
    assert_rebuilds_the_same(db)


def test_checking_the_answers_again_keeps_the_hold(town, db, app):
    from app.forms.models import Form   # noqa: PLC0415
    from app.validation.service import revalidate   # noqa: PLC0415
    iid = "uuid:held-then-revalidated"
    assert town.phone("worker_a").submit(town_xml(
        "person_registered", iid, village="xishan", person_village="xishan")).status_code == 201
    db.session.rollback()
    form = db.session.scalar(select(Form.id).where(Form.xml_form_id == "person"))
    list(revalidate(db.session, app.extensions["blob_store"], form))
    db.session.commit()
    assert_held_for(db, iid, "xishan")
    assert [i["code"] for i in db.session.scalar(select(SubmissionDef.issues).where(
        SubmissionDef.instance_id == iid))] == ["outside_villages"]
