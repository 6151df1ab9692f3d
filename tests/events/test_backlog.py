"""An offline update waiting in the backlog for its predecessor is not held for review: its
events are written at intake. If, forced after the timeout, its changes cannot be applied,
they never reach the register, and its events are removed."""
import datetime as dt
import uuid

from sqlalchemy import select, update

from app.events import derive
from app.events.derive import Event
from app.register import entities, merge, rebuild
from app.register.models import Entity, EntityBacklog
from app.submissions.models import Submission
from tests.events.test_record import events
from tests.factories import make_entity_xform
from tests.register.test_merge import PROPS, entity_instance


def moved_in(a):
    yield Event("moved_in", dt.date(2026, 11, 2), person=a.entity_id(), details={"from": ""})


def test_a_forced_update_that_fails_takes_its_events_away(collect, publish, db):
    publish(make_entity_xform("people_form", create=True, update=True, properties=PROPS,
                              uses_list=True))
    derive.deriver("people_form", yields=("moved_in",))(moved_in)
    try:
        eid = str(uuid.uuid4())
        created = entity_instance(eid, "A", create=True, full_name="A")
        assert collect.submit(created).status_code == 201
        # version 2 of this phone's branch never arrives: the update waits for it
        waits = entity_instance(eid, "", update=True, base="2", branch=str(uuid.uuid4()),
                                iid="uuid:waits", phone="2")
        assert collect.submit(waits).status_code == 201
        assert db.session.scalar(select(EntityBacklog.id)) is not None
        assert [e.person for e in events(db)] == [eid, eid]
        entities.delete(db.session, db.session.scalar(select(Entity).where(Entity.uuid == eid)))
        db.session.execute(update(EntityBacklog).values(held_at=dt.datetime(2026, 1, 1)))
        db.session.commit()
        assert merge.process_backlog(db.session) == 1            # forced: the entity is gone
        db.session.commit()
        waited = db.session.scalar(select(Submission)
                                   .where(Submission.instance_id == "uuid:waits"))
        assert waited.in_register is False
        assert [e.submission_id for e in events(db)] == [waited.id - 1]
        assert rebuild.check(db.session, 1).differences == []
    finally:
        derive.DERIVERS.pop("people_form", None)
        derive.YIELDS.pop("people_form", None)
