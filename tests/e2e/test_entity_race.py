"""Checklist item 79: processing of one entity is serialised. Phones updating the same woman
at the same moment, through four gunicorn worker processes on this test's database (SQLite or
PostgreSQL), each get their own version: none is lost, none is written twice."""
import uuid

from sqlalchemy import select

from app.register.models import Entity, EntityVersion
from tests.e2e.test_concurrent_retries import _fire
from tests.factories import make_entity_xform
from tests.register.test_merge import PROPS, entity_instance


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
