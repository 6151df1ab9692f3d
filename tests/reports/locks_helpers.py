"""Helpers of the tests of locks, targets, the API and the CLI: real submissions through intake
with the events tests' probe form (a birth on `event_date` in the village, a move out when `moved_to`
names a village), actors of the personas, and the audit rows written."""
import uuid

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth import actors
from app.auth.models import User
from app.events.models import LifeEvent
from tests.events.conftest import FORM_ID
from tests.factories import make_instance, new_instance_id

SUBMISSIONS = f"/v1/projects/1/forms/{FORM_ID}/submissions"
REPORTS = "/v1/projects/1/reports"


def probe(instance_id=None, deprecated_id=None, village="dongwan", event_date="2025-03-10",
          weeks="38", person=None, moved_to=""):
    return make_instance(FORM_ID, "1", instance_id=instance_id or new_instance_id(),
                         deprecated_id=deprecated_id,
                         values={"village": village, "event_date": event_date, "weeks": weeks,
                                 "person": person or str(uuid.uuid4()), "moved_to": moved_to})


def send(collect, **values):
    """Submit one probe through intake; its instanceID."""
    iid = values.pop("instance_id", None) or new_instance_id()
    response = collect.submit(probe(iid, **values))
    assert response.status_code == 201, response.data
    return iid


def actor(db, persona):
    """The auth Actor of a web-user persona."""
    return actors.from_user(db.session.get(User, persona.id))


def audit(db, action=None):
    db.session.rollback()
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return db.session.scalars(query).all()


def event_rows(db):
    db.session.rollback()
    return db.session.execute(select(LifeEvent.__table__)).mappings().all()
