"""Two towns on one server: town A is project 1 as every other test has it (the `town`
fixture: its forms, register, personas); town B is project 2 with the same village codes, the
same forms (so the same xmlFormIds and list names), its own phone, staff, register and records.
Things of B carry names no A record has, so a test can look for them in any answer."""
import os
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from app.auth import accounts
from app.cli import publish_paths
from app.projects import service as projects
from app.projects.models import Area
from app.quality import outside
from app.register import entities
from app.register.lists import dataset_named
from app.submissions.models import Submission
from app.webhooks import subscriptions
from tests import conftest as top
from tests.collect import CollectClient
from tests.factories import make_instance, make_xform

B_PERSON = "d0000000-0000-4000-8000-000000000001"
B_TWIN = "d0000000-0000-4000-8000-000000000002"
B_NAME, B_SUBMITTED_NAME = "赵青松", "钱多多"
B_HOOK = "https://hooks.example.org/b-town"
#: what no answer to a person of town A may hold
B_SECRETS = (B_PERSON, B_NAME, B_SUBMITTED_NAME, "phone_b", B_HOOK)


@dataclass
class Towns:
    a: dict            # path arguments naming town A's things
    b: dict            # the same arguments naming town B's
    b_token: str


def _admin(s, personas):
    from app.auth.actors import from_user
    from app.auth.models import User
    return from_user(s.get(User, personas["admin"].id))


def _b_person(number):
    return {"full_name": B_NAME, "sex": "male", "dob": "1980-01-01", "village": "dongwan",
            "id_number": number, "residence_status": "resident"}


@pytest.fixture
def towns(app, db, town, simple_form, client, personas):
    s, store = db.session, app.extensions["blob_store"]
    b = projects.create_project(s, "乙镇")
    projects.import_areas(s, b.id, top.VILLAGES)
    s.commit()
    forms = [os.path.join(top.FORMS_DIR, "person.xlsx")]       # its lists: people, households
    assert publish_paths(forms, lambda _m: None, project_id=b.id) == 0
    from app.forms import publish as publishing
    publishing.publish(s, store, b.id, "simple.xml",
                       make_xform("simple", "1", title="Simple", binary=["photo"]))
    phone, token = accounts.create_app_user(s, b.id, "phone_b", ["dongwan"])
    for name, role in (("supervisor_b", "supervisor"), ("viewer_b", "viewer")):
        accounts.create_user(s, name, f"{name}-password", role, top.REALM, project_id=b.id,
                             hash_method="scrypt:1024:8:1")
    county = accounts.create_user(s, "county", "county-password", "viewer", top.REALM,
                                  hash_method="scrypt:1024:8:1")
    accounts.grant_project(s, county, b.id)
    dongwan_b = s.scalar(select(Area.id).where(Area.project_id == b.id, Area.code == "dongwan"))
    people = dataset_named(s, b.id, "people")
    entities.create(s, people, B_NAME, _b_person("610425198001010011"), uuid=B_PERSON,
                    area_id=dongwan_b)
    entities.create(s, people, B_NAME, _b_person("610425198001010011"), uuid=B_TWIN,
                    area_id=dongwan_b)
    s.commit()
    b_phone = CollectClient(client, f"/v1/key/{token}/projects/{b.id}")
    xml = make_instance("simple", "1", values={"name": B_SUBMITTED_NAME, "village": "dongwan",
                                               "photo": "p.jpg"})
    assert b_phone.submit(xml, files={"p.jpg": b"\xff\xd8 b photo"}).status_code == 201
    b_instance = s.scalar(select(Submission.instance_id).order_by(Submission.id.desc()))
    hook, _secret = subscriptions.create(s, _admin(s, personas), b.id, B_HOOK,
                                         ["entity.created"])
    imported, _ = outside.import_file(s, None, b.id, "hospital_births", "b.csv", (
        f"certificate_no,mother_name,sex,birth_date,village\nHB1,{B_NAME},女,2026-05-01,dongwan\n"
    ).encode())
    b_submission = s.scalar(select(Submission.id).where(Submission.instance_id == b_instance))
    ids = {"app_user_id": phone.id, "webhook_id": hook.id, "import_id": imported.id}
    assert b.id == 2
    s.commit()          # and nothing read after: a live server writes the same database
    shared = {"xml_form_id": "simple", "action": "delete", "table": "Submissions",
              "month": "2026-05", "year": 2026, "role_id": "app-user",
              "name": {"datasets": "people", "attachments": "p.jpg", "integrity": "people"}}
    b_args = {**shared, "project_id": 2, "project": 2, "instance_id": b_instance,
              "uuid": B_PERSON, "other": B_TWIN, **ids, "submission_id": b_submission,
              "person": B_PERSON, "a": B_PERSON, "b": B_TWIN, "household": B_PERSON,
              "entity": B_PERSON}
    a_args = {**shared, "project_id": 1, "project": 1}
    return Towns(a_args, b_args, token)
