"""NEEDS h-core (app.events.models, app.events.record, migration 0010): the merger runs these
after merging helper core's branch (this branch merged h-core to run them).

The pregnancy samples sent by the phone as their stories say land in `life_events` with the
events their derivers give, in the submission's village, on SQLite and PostgreSQL; a
termination without its approval number is held, flagged and counted on approval; an edit
replaces a birth's events; the versions before 2026120301 are still accepted and derived; and
`flask register rebuild --check` finds the events rebuilt from the submissions equal to the
live ones after all of it."""
import os
import shutil
import uuid

import pytest
from click.testing import CliRunner
from lxml import etree
from sqlalchemy import select

from app.cli import register_group
from app.events.derive import derive
from app.events.models import LifeEvent
from app.projects.models import Area
from app.submissions.models import Submission
from tests.conftest import FORMS_DIR
from tests.register.test_merge import get as entity
from tests.samples import INSTANCES, SAMPLES, instance
from tests.samples.register import LIU_MEI, P1

OLD_FORMS = os.path.join(os.path.dirname(INSTANCES), "old_forms")
FORMS = ("pregnancy_report", "three_checks", "pregnancy_outcome")
COUNTED = sorted(n for n, s in SAMPLES.items()
                 if s.form in FORMS and n != "termination_without_approval")


def rows(db):
    db.session.rollback()
    return db.session.execute(select(
        LifeEvent.form_id, LifeEvent.kind, LifeEvent.occurred_on, LifeEvent.area_id,
        LifeEvent.person, LifeEvent.other_person, LifeEvent.household, LifeEvent.pregnancy,
        LifeEvent.details).order_by(LifeEvent.submission_id, LifeEvent.position)).all()


def expected(db, body):
    """The rows a submission's events should be: its deriver's events in its village."""
    root = etree.fromstring(body)
    dongwan = db.session.scalar(select(Area.id).where(Area.code == root.findtext("village")))
    return [(root.get("id"), e.kind, e.occurred_on, dongwan, e.person, e.other_person,
             e.household, e.pregnancy, e.details) for e in derive(root.get("id"), root)]


def submit(town, name, body=None):
    response = town.phone(SAMPLES[name].persona).submit(body or instance(name))
    assert response.status_code == 201, response.data


def stored(db, body):
    db.session.rollback()
    iid = etree.fromstring(body).findtext("meta/instanceID")
    return db.session.scalar(select(Submission).where(Submission.instance_id == iid))


@pytest.mark.parametrize("name", COUNTED)
def test_each_pregnancy_sample_writes_the_events_its_story_tells(town, db, name):
    submit(town, name)
    assert stored(db, instance(name)).in_register is True
    found = rows(db)
    assert found and found == expected(db, instance(name))


def test_a_twin_birth_is_counted_as_two_births_one_newborn_death_and_two_certificates(town, db):
    submit(town, "birth_twins_newborn_death")
    kinds = [r.kind for r in rows(db)]
    assert kinds == ["pregnancy_ended", "birth", "certificate_issued", "newborn_death", "birth",
                     "certificate_issued"]
    children = [r.person for r in rows(db) if r.kind == "birth"]
    people = {entity(db, c).data["full_name"]: entity(db, c).data["mother"] for c in children}
    assert people == {"刘大宝": LIU_MEI, "刘二妹": LIU_MEI}     # the events name the register's people


def test_a_termination_without_approval_is_counted_only_once_a_supervisor_approves_it(
        town, db, client, login):
    body = instance("termination_without_approval")
    submit(town, "termination_without_approval")
    held = stored(db, body)
    assert (held.review_state, held.in_register) == ("hasIssues", False)
    assert rows(db) == []
    url = f"/v1/projects/1/forms/pregnancy_outcome/submissions/{held.instance_id}"
    assert client.patch(url, json={"reviewState": "approved"},
                        headers=login("admin")).status_code == 200
    [event] = rows(db)
    assert (event.kind, event.details["outcome"], event.details["weeks"],
            event.details["approval_no"]) == ("pregnancy_ended", "medical_termination", 18, "")


def edited(body, **changes):
    """An edit of an instance as Collect sends it: a new instanceID, the old one as
    deprecatedID, and changed answers (paths below the root, / as __)."""
    root = etree.fromstring(body)
    meta = root.find("meta")
    old = meta.findtext("instanceID")
    meta.find("instanceID").text = f"uuid:{uuid.uuid4()}"
    deprecated = etree.SubElement(meta, "deprecatedID")
    deprecated.text = old
    for path, value in changes.items():
        root.find(path.replace("__", "/")).text = value
    return etree.tostring(root, encoding="utf-8")


def test_an_edited_birth_replaces_its_events(town, db):
    submit(town, "birth")
    assert [r.details["weight_kg"] for r in rows(db) if r.kind == "birth"] == [3.4]
    body = edited(instance("birth"), outcome_date="2026-11-16",
                  child__newborn__child_weight="3.6")
    submit(town, "birth", body)
    found = rows(db)
    assert found == expected(db, body)
    assert [(r.kind, str(r.occurred_on)) for r in found] == [
        ("pregnancy_ended", "2026-11-16"), ("birth", "2026-11-16"),
        ("certificate_issued", "2026-11-16")]
    assert [r.details["weight_kg"] for r in found if r.kind == "birth"] == [3.6]


@pytest.fixture
def old_versions(app, db, tmp_path):
    """The pregnancy forms' versions before 2026120301 published first (phones still holding
    them), then the town's current forms by `town`."""
    from app.cli import publish_paths
    for name in FORMS:
        shutil.copy(os.path.join(OLD_FORMS, f"{name}.xlsx"), tmp_path / f"{name}.xlsx")
    shutil.copy(os.path.join(FORMS_DIR, "villages.csv"), tmp_path / "villages.csv")
    messages = []
    assert publish_paths(sorted(str(p) for p in tmp_path.glob("*.xlsx")), messages.append) == 0, messages
    return tmp_path


OLD = ("birth", "pregnancy_loss", "pregnancy_reported_by_leader", "three_checks_finds_pregnancy",
       "three_checks_routine")


def old_instance(name):
    with open(os.path.join(INSTANCES, "old", f"{name}.xml"), "rb") as f:
        return f.read()


@pytest.mark.parametrize("name", OLD)
def test_an_old_versions_submission_is_accepted_applied_and_derived(old_versions, town, db, name):
    body = old_instance(name)
    assert etree.fromstring(body).get("version") in ("2026112901", "2026120201")
    submit(town, name, body)
    assert stored(db, body).in_register is True
    found = rows(db)
    assert found and found == expected(db, body)
    if name == "pregnancy_loss":
        assert [(r.details["reason"], r.details["reason_other"]) for r in found] == [
            ("other", "自然流产，已到卫生院复查")]
    if name.startswith("three_checks"):
        assert {r.details["round"] for r in found if "round" in r.details} == {"2026-H2"}


def test_rebuild_check_agrees_with_the_live_events_after_all_of_it(old_versions, town, db, client,
                                                                   login, app):
    for name in ("pregnancy_reported_by_leader", "three_checks_finds_pregnancy",
                 "three_checks_confirms_with_ultrasound", "three_checks_iud_removed",
                 "miscarriage_unregistered", "termination_approved", "birth_twins_newborn_death",
                 "termination_without_approval", "birth"):
        submit(town, name)
    submit(town, "birth", edited(instance("birth"), child__newborn__child_weight="3.6"))
    submit(town, "three_checks_routine", old_instance("three_checks_routine"))
    held = stored(db, instance("termination_without_approval"))
    assert client.patch(f"/v1/projects/1/forms/pregnancy_outcome/submissions/{held.instance_id}",
                        json={"reviewState": "approved"}, headers=login("admin")).status_code == 200
    rejected = stored(db, instance("three_checks_iud_removed"))
    assert client.patch(f"/v1/projects/1/forms/three_checks/submissions/{rejected.instance_id}",
                        json={"reviewState": "rejected"}, headers=login("admin")).status_code == 200
    live = rows(db)
    assert "iud_check" in {r.kind for r in live}                     # the routine check's
    assert not [r for r in live if r.details.get("result") == "removed"]   # rejected: gone
    assert entity(db, P1).data["status"] in ("delivered", "lost")
    result = CliRunner().invoke(register_group, ["rebuild", "--check"], obj=app.extensions)
    assert result.exit_code == 0, result.output
    assert "No difference from the live register." in result.output
    assert f"{len(live)} life events derived from the counted submissions." in result.output
