"""NEEDS h-core (table life_events, app.events.models, the events written in intake): the
service forms' samples (migrant, double check, pre-pregnancy check-up, contraception service,
rewards paid), submitted by the phones, are written to `life_events` as the rows their stories
tell, with the village and the submission; old versions' submissions too; and
`flask register rebuild --check` finds the events rebuilt from them equal to the live ones."""
import pytest
from sqlalchemy import select

from app.events.models import LifeEvent
from app.projects.models import Area
from app.submissions.models import Submission
from tests.events.test_rebuild import check
from tests.events.test_service_events import EXPECTED, OLD_EXPECTED, old_versions  # noqa: F401
from tests.samples import SAMPLES, instance, old_instance


def rows(db):
    db.session.rollback()
    villages = dict(db.session.execute(select(Area.id, Area.code)).all())
    return [(r.form_id, r.kind, r.occurred_on, r.person, r.other_person, r.household,
             r.pregnancy, villages.get(r.area_id), r.details)
            for r in db.session.scalars(select(LifeEvent).order_by(LifeEvent.id))]


def expected_rows(form, events, village):
    return [(form, e.kind, e.occurred_on, e.person, e.other_person, e.household, e.pregnancy,
             e.village or village, e.details) for e in events]


def submit(town, name, body):
    response = town.phone(SAMPLES[name].persona).submit(body)
    assert response.status_code == 201, response.data


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_service_sample_writes_its_event_rows(town, db, name):
    submit(town, name, instance(name))
    sample = SAMPLES[name]
    assert rows(db) == expected_rows(sample.form, EXPECTED[name],
                                     sample.answers["/data/village"])
    submission = db.session.scalar(select(Submission))
    assert {r.submission_id for r in db.session.scalars(select(LifeEvent))} == {submission.id}


@pytest.mark.parametrize("name", sorted(OLD_EXPECTED))
def test_old_versions_submissions_write_their_event_rows(old_versions, town, db, name):  # noqa: F811
    submit(town, name, old_instance(name))
    form, events = OLD_EXPECTED[name]
    assert rows(db) == expected_rows(form, events, "dongwan")


def test_rebuild_check_agrees_after_every_service_sample(old_versions, town, db, app):  # noqa: F811
    for name in sorted(EXPECTED):
        submit(town, name, instance(name))
    # Old versions under their own instance ids: a phone that had not updated yet.
    for name in ("migrant_moving_out", "prepregnancy_check_risk"):
        submit(town, name, old_instance(name).replace(b"uuid:", b"uuid:0"))
    expected = sum(len(v) for v in EXPECTED.values()) + 4 + 1
    assert len(rows(db)) == expected
    assert {r[1] for r in rows(db)} == {
        "moved_in", "moved_out", "certificate_issued", "double_check", "iud_check",
        "prepregnancy_check", "contraception_procedure", "reward_paid"}
    result = check(app)
    assert result.exit_code == 0, result.output
    assert f"{expected} life events derived from the counted submissions." in result.output
    assert "No difference from the live register." in result.output

