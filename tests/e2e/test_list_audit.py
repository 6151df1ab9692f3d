"""Issue 16, item 17, through a real gunicorn: a person who downloads an entity list's CSV
over OpenRosa (Digest, as Collect signs in with a staff account) is in the audit log, as
reads through the JSON API are."""
import requests
from requests.auth import HTTPDigestAuth
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.projects.models import Area
from app.register import entities
from tests.collect import OPENROSA
from tests.factories import make_entity_xform


def test_a_staff_list_download_over_digest_is_audited(live_server, db, publish, personas):
    publish(make_entity_xform("register_person", "people"))
    [dataset] = publish(make_entity_xform("update_person", "people", create=False, update=True,
                                          uses_list=True)).datasets
    area = db.session.query(Area).filter_by(code="dongwan").one().id
    entities.create(db.session, dataset, "王芳", {"full_name": "王芳", "village": "dongwan"},
                    area_id=area)
    db.session.commit()
    server = live_server()
    response = requests.get(
        f"{server.url}/v1/projects/1/forms/update_person/attachments/people.csv",
        auth=HTTPDigestAuth("supervisor", "supervisor-password"), headers=OPENROSA, timeout=30)
    assert response.status_code == 200 and "王芳" in response.text
    db.session.rollback()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "entity.list")).all()
    assert [(e.actor_type, e.actor_id, e.target, e.details["count"]) for e in events] == [
        ("user", personas["supervisor"].id, f"dataset:{dataset.id}", 1)]
