"""Shared steps of the audit chain tests: normal actions that grow the chains, and the
tamperer's raw SQL."""
import uuid

from sqlalchemy import text

from app.audit import chain
from app.audit import verify as chains
from tests.factories import make_entity_xform
from tests.register.test_merge import PROPS, entity_instance

LIST = "/v1/projects/1/datasets/people"


def normal_day(client, collect, publish, login):
    """What a day brings: a form published, a phone's submission creating a person, a
    supervisor signing in, updating that person and reading the submission. Returns the
    entity's uuid."""
    publish(make_entity_xform("people_form", create=True, update=True, properties=PROPS,
                              uses_list=True))
    eid = str(uuid.uuid4())
    assert collect.submit(entity_instance(eid, label="王芳", create=True,
                                          full_name="王芳")).status_code == 201
    headers = login("admin")
    changed = client.patch(f"{LIST}/entities/{eid}?baseVersion=1", headers=headers,
                           json={"label": "王芳芳"})
    assert changed.status_code == 200, changed.json
    listed = client.get("/v1/projects/1/forms/people_form/submissions", headers=headers)
    assert listed.status_code == 200 and len(listed.json) == 1
    return eid


def entries(db, project_id=1):
    where = "project_id IS NULL" if project_id is None else f"project_id = {project_id}"
    return db.session.execute(text(
        f"SELECT id, action, target, prev_hash, hash FROM audit_events WHERE {where}"
        " ORDER BY id")).all()


def check(db, project_id=1):
    db.session.rollback()
    walked = chains.verify(db.session, project_id)
    db.session.rollback()
    return walked


def tamper(db, sql, **params):
    db.session.execute(text(sql), params)
    db.session.commit()


def forge(db, new_id, prev_hash, project_id=1):
    """A raw INSERT of a plausible entry: its hash computed right over its fields and the
    hash it claims to follow."""
    row = db.session.execute(text("SELECT logged_at FROM audit_events ORDER BY id LIMIT 1")
                             ).one()
    logged_at = row[0]
    if isinstance(logged_at, str):                # SQLite gives raw SQL its stored text
        from datetime import datetime
        logged_at = datetime.fromisoformat(logged_at)
    body = chain.body(project_id, "system", None, "submission.delete", "submission:1", None,
                      logged_at)
    tamper(db, "INSERT INTO audit_events (id, actor_type, action, target, logged_at,"
               " project_id, prev_hash, hash) VALUES (:i, 'system', 'submission.delete',"
               " 'submission:1', :t, :p, :prev, :h)",
           i=new_id, t=logged_at, p=project_id, prev=prev_hash,
           h=chain.link(prev_hash, body))
