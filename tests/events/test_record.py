"""A submission's life events are written in intake's transaction, exactly when its register
changes count: not while it is held for review (validation issues under the form's default
policy, outside the sender's villages, a processing failure), written on approval, removed on
rejection and restored when un-rejected, replaced by an edit, removed with a deletion; a
deriver that fails costs the submission nothing."""
import datetime as dt
import uuid

from click.testing import CliRunner
from sqlalchemy import select

from app.cli import forms as forms_cli
from app.events.models import LifeEvent
from app.projects.models import Area
from app.submissions import processing
from app.submissions.models import Submission, SubmissionDef
from tests.events.conftest import FORM_ID
from tests.factories import make_instance, new_instance_id

BASE = f"/v1/projects/1/forms/{FORM_ID}/submissions"


def probe(instance_id=None, deprecated_id=None, village="dongwan", event_date="2026-11-20",
          weeks="38", person=None, moved_to=""):
    return make_instance(FORM_ID, "1", instance_id=instance_id, deprecated_id=deprecated_id,
                         values={"village": village, "event_date": event_date, "weeks": weeks,
                                 "person": person or str(uuid.uuid4()), "moved_to": moved_to})


def events(db):
    db.session.rollback()
    return db.session.execute(select(
        LifeEvent.kind, LifeEvent.occurred_on, LifeEvent.person, LifeEvent.area_id,
        LifeEvent.submission_id, LifeEvent.submission_def_id, LifeEvent.details,
        LifeEvent.position).order_by(LifeEvent.id)).all()


def area(db, code):
    return db.session.scalar(select(Area.id).where(Area.code == code))


def stored(db, instance_id):
    db.session.rollback()
    return db.session.scalar(select(Submission).where(Submission.instance_id == instance_id))


def test_a_submissions_events_are_written_with_it(probe_form, collect, db):
    person, iid = str(uuid.uuid4()), new_instance_id()
    assert collect.submit(probe(iid, person=person, moved_to="xishan")).status_code == 201
    submission = stored(db, iid)
    def_id = db.session.scalar(select(SubmissionDef.id).where(SubmissionDef.instance_id == iid))
    assert submission.in_register is True and submission.review_state is None
    assert events(db) == [
        ("birth", dt.date(2026, 11, 20), person, area(db, "dongwan"), submission.id, def_id,
         {"weeks": 38, "version": "1"}, 0),
        # an event that names its own village is counted there
        ("moved_out", dt.date(2026, 11, 20), person, area(db, "xishan"), submission.id, def_id,
         {"to": "xishan"}, 1)]


def test_a_resent_submission_writes_its_events_once(probe_form, collect, db):
    body = probe(new_instance_id())
    assert collect.submit(body).status_code == 201
    assert collect.submit(body).status_code == 201
    assert len(events(db)) == 1


def test_nothing_is_written_while_a_submission_with_issues_waits(probe_form, collect, db, app):
    iid = new_instance_id()
    assert collect.submit(probe(iid, weeks="52")).status_code == 201
    submission = stored(db, iid)
    assert (submission.review_state, submission.in_register) == ("hasIssues", False)
    assert events(db) == []
    # a form whose submissions with issues still update the register counts their events
    result = CliRunner().invoke(forms_cli, ["issues", FORM_ID, "update"], obj=app.extensions)
    assert result.exit_code == 0, result.output
    assert collect.submit(probe(weeks="53")).status_code == 201
    assert [e.details["weeks"] for e in events(db)] == [53]


def test_nothing_is_written_for_a_submission_outside_the_senders_villages(probe_form, collect,
                                                                          db):
    iid = new_instance_id()
    assert collect.submit(probe(iid, village="xishan")).status_code == 201
    assert stored(db, iid).review_state == "hasIssues"
    assert events(db) == []


def test_nothing_is_written_when_processing_failed(probe_form, collect, db, monkeypatch):
    def fails(session, received):
        raise RuntimeError("the register step fell over")
    monkeypatch.setattr(processing, "PROCESSORS", [fails, *processing.PROCESSORS])
    iid = new_instance_id()
    assert collect.submit(probe(iid)).status_code == 201
    submission = stored(db, iid)
    assert (submission.review_state, submission.in_register) == ("hasIssues", False)
    assert events(db) == []


def test_a_failing_deriver_costs_the_submission_nothing(probe_form, collect, db):
    iid = new_instance_id()
    assert collect.submit(probe(iid, person="boom")).status_code == 201
    submission = stored(db, iid)
    assert (submission.review_state, submission.in_register) == (None, True)
    assert events(db) == []


def test_approving_writes_rejecting_removes_and_un_rejecting_restores(probe_form, collect, db,
                                                                     client, login):
    held, counted = new_instance_id(), new_instance_id()
    assert collect.submit(probe(held, weeks="60")).status_code == 201
    assert collect.submit(probe(counted)).status_code == 201
    admin = login("admin")
    assert [e.submission_id for e in events(db)] == [stored(db, counted).id]

    def review(instance_id, state):
        response = client.patch(f"{BASE}/{instance_id}", json={"reviewState": state},
                                headers=admin)
        assert response.status_code == 200, response.json

    review(held, "approved")
    assert sorted(e.submission_id for e in events(db)) == sorted(
        [stored(db, counted).id, stored(db, held).id])
    review(counted, "rejected")
    assert [e.submission_id for e in events(db)] == [stored(db, held).id]
    review(counted, "edited")                 # un-rejected: it had been let in
    assert len(events(db)) == 2
    # one rejected while it waited was never let in: un-rejecting it counts nothing
    waiting = new_instance_id()
    assert collect.submit(probe(waiting, weeks="70")).status_code == 201
    review(waiting, "rejected")
    review(waiting, "hasIssues")
    assert len(events(db)) == 2
    # a deleted submission's events go with it
    assert client.delete(f"{BASE}/{held}", headers=admin).status_code == 200
    assert [e.submission_id for e in events(db)] == [stored(db, counted).id]


def test_an_approval_of_a_submission_outside_the_senders_villages_writes_its_events(
        probe_form, collect, db, client, login):
    iid = new_instance_id()
    assert collect.submit(probe(iid, village="xishan")).status_code == 201
    response = client.patch(f"{BASE}/{iid}", json={"reviewState": "approved"},
                            headers=login("admin"))
    assert response.status_code == 200, response.json
    assert [(e.kind, e.area_id) for e in events(db)] == [("birth", area(db, "xishan"))]


def test_an_edit_replaces_the_old_versions_events(probe_form, collect, db):
    first, second = new_instance_id(), new_instance_id()
    old_person, new_person = str(uuid.uuid4()), str(uuid.uuid4())
    assert collect.submit(probe(first, person=old_person, moved_to="xishan")).status_code == 201
    assert collect.submit(probe(second, deprecated_id=first, person=new_person,
                                event_date="2026-11-21")).status_code == 201
    new_def = db.session.scalar(select(SubmissionDef.id)
                                .where(SubmissionDef.instance_id == second))
    assert [(e.kind, e.person, e.occurred_on, e.submission_def_id) for e in events(db)] == [
        ("birth", new_person, dt.date(2026, 11, 21), new_def)]


def test_an_edit_held_for_review_removes_the_old_events_until_approved(probe_form, collect, db,
                                                                      client, login):
    first, second = new_instance_id(), new_instance_id()
    assert collect.submit(probe(first)).status_code == 201
    assert collect.submit(probe(second, deprecated_id=first, weeks="99")).status_code == 201
    assert events(db) == []
    response = client.patch(f"{BASE}/{first}", json={"reviewState": "approved"},
                            headers=login("admin"))
    assert response.status_code == 200, response.json
    assert [e.details["weeks"] for e in events(db)] == [99]


def test_a_submission_reporting_many_events_keeps_them_all_in_order(probe_form, collect, db):
    from app.events import derive
    from app.events.derive import Event
    derive.DERIVERS[FORM_ID] = lambda a: [
        Event("three_checks", a.date("event_date"), details={"n": n, "findings": ["pain"]})
        for n in range(19)]                       # more than one INSERT's worth of rows
    assert collect.submit(probe()).status_code == 201
    found = events(db)
    assert [(e.position, e.details["n"]) for e in found] == [(n, n) for n in range(19)]
    assert found[0].details["findings"] == ["pain"]


def test_odd_values_from_a_deriver_are_left_out_rather_than_failing_intake(probe_form, collect,
                                                                          db):
    from app.events import derive
    from app.events.derive import Event
    derive.DERIVERS[FORM_ID] = lambda a: [
        Event("no_such_kind", a.date("event_date")),
        Event("birth", "2026-11-20", person="x" * 50, village="no_such_village",
              details={"on": dt.date(2026, 11, 2), "weight_kg": float("nan"), 3: ("a", 1.5)})]
    iid = new_instance_id()
    assert collect.submit(probe(iid)).status_code == 201
    assert stored(db, iid).review_state is None
    assert [(e.kind, e.occurred_on, e.person, e.area_id, e.details) for e in events(db)] == [
        ("birth", None, None, area(db, "dongwan"),
         {"on": "2026-11-02", "weight_kg": None, "3": ["a", 1.5]})]
