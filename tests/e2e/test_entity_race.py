"""Checklist item 79: processing of one entity is serialised. Phones updating the same woman
at the same moment, through four gunicorn worker processes on this test's database (SQLite or
PostgreSQL), each get their own version: none is lost, none is written twice."""
import uuid

from sqlalchemy import func, select

from app.projects.models import Area
from app.register.models import Entity, EntityVersion, RegisterEvent
from app.submissions.models import Submission
from tests.e2e.test_concurrent_retries import _fire
from tests.factories import make_entity_xform
from tests.register.test_merge import PROPS, entity_instance, revisions


def test_item_79_simultaneous_updates_of_one_entity_get_one_version_each(live_server, personas,
                                                                          publish, db):
    publish(make_entity_xform("people_form", create=True, update=True, properties=PROPS,
                              uses_list=True))
    server = live_server(workers=4)
    url = f"{server.url}/v1/key/{personas['worker_a'].token}/projects/1/submission"
    eid = str(uuid.uuid4())
    assert _fire(url, [(entity_instance(eid, "A", create=True, full_name="A"), [])]) == [201]
    updates = [(entity_instance(eid, "", update=True, base="1", omit=("full_name",),
                                phone=str(i)), []) for i in range(12)]
    assert _fire(url, updates) == [201] * 12
    db.session.rollback()
    entity = db.session.scalar(select(Entity).where(Entity.uuid == eid))
    numbers = db.session.scalars(select(EntityVersion.version)
                                 .where(EntityVersion.entity_id == entity.id)).all()
    assert entity.version == 13 and sorted(numbers) == list(range(1, 14))
    assert entity.conflict == "hard"        # eleven of them were based on a version since changed
    db.session.rollback()


def test_simultaneous_creates_in_one_village_all_land_and_move_each_revision_once(
        live_server, personas, publish, db):
    # On PostgreSQL each create also journals itself and moves the list's and the village's
    # revisions in the same statement (data-modifying CTEs, whose order PostgreSQL does not
    # promise): sixteen at once through four workers must neither deadlock nor lose a step.
    publish(make_entity_xform("people_form", create=True, update=True, properties=PROPS,
                              uses_list=True))
    server = live_server(workers=4)
    url = f"{server.url}/v1/key/{personas['worker_a'].token}/projects/1/submission"
    list_before, villages_before = revisions(db)
    db.session.rollback()           # on SQLite an open transaction holds the write lock
    ids = [str(uuid.uuid4()) for _ in range(16)]
    creates = [(entity_instance(eid, f"P{i}", create=True, full_name=f"P{i}"), [])
               for i, eid in enumerate(ids)]
    assert _fire(url, creates) == [201] * 16
    db.session.rollback()
    assert set(db.session.scalars(select(Entity.uuid))) == set(ids)
    assert db.session.scalar(select(func.count()).select_from(Submission)
                             .where(Submission.review_state == "hasIssues")) == 0
    assert db.session.scalar(select(func.count()).select_from(RegisterEvent)) == 16
    list_after, villages_after = revisions(db)
    dongwan = db.session.scalar(select(Area.id).where(Area.code == "dongwan"))
    assert list_after == list_before + 16
    assert villages_after[dongwan] == villages_before.get(dongwan, 0) + 16
    db.session.rollback()
