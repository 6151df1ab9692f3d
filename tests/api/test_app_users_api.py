"""App users and form assignments over Central's API (issue 22): created with no form, given
forms by assignment, revoked; the phone's formList and intake change with them; everything
written is audited; supervisors act only on their villages' phones; phones and viewers are
refused."""
import re

import pytest
from pyodk._endpoints.project_app_users import ProjectAppUser
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth import accounts
from app.auth.models import AppUser
from tests.collect import CollectClient
from tests.conftest import REALM
from tests.factories import make_instance, make_xform

APP_USERS = "/v1/projects/1/app-users"
SIMPLE = "/v1/projects/1/forms/simple/assignments"
APP_USER_KEYS = {"id", "type", "displayName", "createdAt", "updatedAt", "deletedAt",
                 "projectId", "token", "villages"}


def _phone(client, token):
    return CollectClient(client, f"/v1/key/{token}/projects/1")


def _listed(phone):
    response = phone.form_list()
    assert response.status_code == 200
    return sorted(re.findall(r"<formID>([^<]*)</formID>", response.get_data(as_text=True)))


def _create(client, headers, name="王小梅的手机", **extra):
    response = client.post(APP_USERS, json={"displayName": name, **extra}, headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def _actions(db, target):
    db.session.expire_all()
    return [(e.action, e.details) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.target == target).order_by(AuditEvent.id))]


@pytest.fixture
def forms(publish):
    publish(make_xform("simple", "1", title="Simple"))
    publish(make_xform("other", "1", title="Other"))


@pytest.fixture
def supervisor_b(db):
    """A supervisor of village xishan only."""
    accounts.create_user(db.session, "supervisor_b", "supervisor_b-password", "supervisor",
                         REALM, ["xishan"], hash_method="scrypt:1024:8:1")
    db.session.commit()


def test_a_new_app_user_has_no_form_and_its_token_is_shown_once(client, db, forms, login):
    headers = login("admin")
    created = _create(client, headers)
    assert set(created) == APP_USER_KEYS
    assert (created["type"], created["displayName"], created["projectId"]) == (
        "field_key", "王小梅的手机", 1)
    assert len(created["token"]) == 64 and created["villages"] is None
    assert ProjectAppUser(**created).token == created["token"]     # pyodk's model takes it
    # Central's app users start with no form: the CLI's "every form" does not leak in
    assert _listed(_phone(client, created["token"])) == []
    listed = client.get(APP_USERS, headers=headers).json
    mine = next(u for u in listed if u["id"] == created["id"])
    assert mine == {**created, "token": None}
    assert client.get(f"{APP_USERS}/{created['id']}", headers=headers).json == mine
    assert _actions(db, f"app_user:{created['id']}") == [
        ("app_user.create", {"name": "王小梅的手机"})]


def test_villages_default_to_the_whole_town_for_an_admin_and_hers_for_a_supervisor(
        client, login, personas):
    assert _create(client, login("admin"))["villages"] is None
    assert _create(client, login("admin"), villages=["xishan", "dongwan"])["villages"] == [
        "dongwan", "xishan"]
    assert _create(client, login("supervisor"))["villages"] == ["dongwan"]


def test_village_mistakes_are_refused(client, db, login, personas):
    before = db.session.scalar(select(AppUser.id).order_by(AppUser.id.desc()))
    for headers, villages, status, code in (
            (login("admin"), ["atlantis"], 400, "400.76"),
            (login("admin"), [], 400, "400.79"),
            (login("supervisor"), ["xishan"], 403, "403.2"),
            (login("supervisor"), ["dongwan", "xishan"], 403, "403.2")):
        response = client.post(APP_USERS, json={"displayName": "x", "villages": villages},
                               headers=headers)
        assert (response.status_code, response.json["code"]) == (status, code), villages
    db.session.expire_all()
    assert db.session.scalar(select(AppUser.id).order_by(AppUser.id.desc())) == before


def test_a_list_of_villages_longer_than_any_town_is_400_79_before_any_lookup(
        client, db, login, personas):
    """100,000 codes passed PostgreSQL's 65,535 bound parameters in one query: a 500."""
    before = db.session.scalar(select(AppUser.id).order_by(AppUser.id.desc()))
    for villages in ([f"v{i}" for i in range(100_000)], ["dongwan"] * 1001):
        response = client.post(APP_USERS, json={"displayName": "x", "villages": villages},
                               headers=login("admin"))
        assert (response.status_code, response.json["code"]) == (400, "400.79")
        assert len(response.data) < 2000
    db.session.expire_all()
    assert db.session.scalar(select(AppUser.id).order_by(AppUser.id.desc())) == before
    fits = client.post(APP_USERS, json={"displayName": "x", "villages": ["dongwan"] * 1000},
                       headers=login("admin"))
    assert fits.status_code == 200 and fits.json["villages"] == ["dongwan"]


@pytest.mark.parametrize("body", [{}, {"displayName": ""}, {"displayName": 7},
                                  {"displayName": "x", "properties": {}}])
def test_a_bad_body_is_400_79(client, login, personas, body):
    response = client.post(APP_USERS, json=body, headers=login("admin"))
    assert (response.status_code, response.json["code"]) == (400, "400.79")


def test_assigning_a_form_puts_it_on_the_phone_and_unassigning_takes_it_off(
        client, db, forms, login):
    headers = login("admin")
    created = _create(client, headers, villages=["dongwan"])
    phone, actor_id = _phone(client, created["token"]), created["id"]
    instance = make_instance(values={"name": "王芳", "village": "dongwan"})
    assert phone.submit(instance).status_code == 403

    response = client.post(f"{SIMPLE}/2/{actor_id}", headers=headers)
    assert (response.status_code, response.json) == (200, {"success": True})
    assert _listed(phone) == ["simple"]
    assert phone.submit(instance).status_code == 201
    assert client.get(SIMPLE, headers=headers).json == [
        {"actorId": p.id, "roleId": 2} for p in _all_forms_phones(db)] + [
        {"actorId": actor_id, "roleId": 2}]
    holders = client.get(f"{SIMPLE}/app-user", headers=headers).json
    assert holders == client.get(f"{SIMPLE}/2", headers=headers).json
    assert holders[-1] == {"id": actor_id, "type": "field_key", "displayName": "王小梅的手机",
                           "createdAt": created["createdAt"], "updatedAt": None,
                           "deletedAt": None}
    summary = client.get("/v1/projects/1/assignments/forms/2", headers=headers).json
    assert {"actorId": actor_id, "roleId": 2, "xmlFormId": "simple"} in summary
    assert {"actorId": actor_id, "roleId": 2, "xmlFormId": "other"} not in summary

    response = client.delete(f"{SIMPLE}/app-user/{actor_id}", headers=headers)
    assert (response.status_code, response.json) == (200, {"success": True})
    assert _listed(phone) == []
    second = make_instance(values={"name": "李娜", "village": "dongwan"})
    assert phone.submit(second).status_code == 403
    assert _actions(db, f"app_user:{actor_id}")[1:] == [
        ("app_user.assignment.create", {"form": "simple", "role": "app-user"}),
        ("app_user.assignment.delete", {"form": "simple", "role": "app-user"})]


def _all_forms_phones(db):
    return list(db.session.scalars(select(AppUser).where(AppUser.all_forms)
                                   .order_by(AppUser.id)))


def test_granting_twice_and_taking_away_what_is_not_held_are_refused(client, forms, login):
    headers = login("admin")
    actor_id = _create(client, headers)["id"]
    assert client.post(f"{SIMPLE}/2/{actor_id}", headers=headers).status_code == 200
    twice = client.post(f"{SIMPLE}/2/{actor_id}", headers=headers)
    assert (twice.status_code, twice.json["code"]) == (409, "409.231")
    missing = client.delete(f"/v1/projects/1/forms/other/assignments/2/{actor_id}",
                            headers=headers)
    assert (missing.status_code, missing.json["code"]) == (404, "404.1")


def test_an_every_form_phone_holds_every_form_and_keeps_them(client, db, forms, login,
                                                              personas):
    headers = login("admin")
    worker = personas["worker_a"].id      # enrolled as the CLI does: every form
    assert {"actorId": worker, "roleId": 2} in client.get(SIMPLE, headers=headers).json
    grant = client.post(f"{SIMPLE}/2/{worker}", headers=headers)
    assert (grant.status_code, grant.json["code"]) == (409, "409.231")
    take = client.delete(f"{SIMPLE}/2/{worker}", headers=headers)
    assert (take.status_code, take.json["code"]) == (409, "409.232")
    assert _listed(_phone(client, personas["worker_a"].token)) == ["other", "simple"]


def test_only_the_app_user_role_is_assigned_on_a_form(client, forms, login):
    headers = login("admin")
    actor_id = _create(client, headers)["id"]
    for role, status, code in (("1", 400, "400.231"), ("viewer", 400, "400.231"),
                               ("999", 404, "404.1"), ("mayor", 404, "404.1")):
        response = client.post(f"{SIMPLE}/{role}/{actor_id}", headers=headers)
        assert (response.status_code, response.json["code"]) == (status, code), role
    assert client.get(f"{SIMPLE}/viewer", headers=headers).json == []
    assert client.get("/v1/projects/1/assignments/forms/6", headers=headers).json == []
    unknown = client.post(f"{SIMPLE}/2/999999", headers=headers)
    assert (unknown.status_code, unknown.json["code"]) == (404, "404.1")
    no_form = client.post(f"/v1/projects/1/forms/nope/assignments/2/{actor_id}",
                          headers=headers)
    assert (no_form.status_code, no_form.json["code"]) == (404, "404.2")


def test_deleting_an_app_user_revokes_it_and_keeps_the_record(client, db, forms, login):
    headers = login("admin")
    created = _create(client, headers)
    response = client.delete(f"{APP_USERS}/{created['id']}", headers=headers)
    assert (response.status_code, response.json) == (200, {"success": True})
    assert _phone(client, created["token"]).form_list().status_code == 403
    assert created["id"] not in [u["id"] for u in client.get(APP_USERS, headers=headers).json]
    for again in (client.get(f"{APP_USERS}/{created['id']}", headers=headers),
                  client.delete(f"{APP_USERS}/{created['id']}", headers=headers),
                  client.post(f"{SIMPLE}/2/{created['id']}", headers=headers)):
        assert (again.status_code, again.json["code"]) == (404, "404.1")
    db.session.expire_all()
    assert db.session.get(AppUser, created["id"]).revoked_at is not None
    assert [a for a, _ in _actions(db, f"app_user:{created['id']}")] == [
        "app_user.create", "app_user.revoke"]


# Scope -----------------------------------------------------------------------------------------

def test_a_supervisor_lists_only_her_villages_phones(client, login, personas):
    town_wide = _create(client, login("admin"))["id"]
    listed = {u["id"] for u in client.get(APP_USERS, headers=login("supervisor")).json}
    assert listed == {personas["worker_a"].id, personas["leader"].id}
    assert town_wide not in listed and personas["worker_b"].id not in listed
    assert client.get(f"{APP_USERS}/{town_wide}", headers=login("supervisor")).status_code == 404


def test_another_villages_supervisor_cannot_touch_a_phone(client, db, forms, login, personas,
                                                          supervisor_b):
    headers = login("admin")
    phone = _create(client, headers, villages=["dongwan"])
    assert client.post(f"{SIMPLE}/2/{phone['id']}", headers=headers).status_code == 200
    other = login("supervisor_b")
    for response in (client.get(f"{APP_USERS}/{phone['id']}", headers=other),
                     client.delete(f"{APP_USERS}/{phone['id']}", headers=other),
                     client.post(f"/v1/projects/1/forms/other/assignments/2/{phone['id']}",
                                 headers=other),
                     client.delete(f"{SIMPLE}/2/{phone['id']}", headers=other)):
        assert (response.status_code, response.json["code"]) == (404, "404.1")
    assert phone["id"] not in [a["actorId"] for a in client.get(SIMPLE, headers=other).json]
    assert phone["id"] not in [a["actorId"] for a in client.get(
        "/v1/projects/1/assignments/forms", headers=other).json]
    assert phone["id"] in [a["actorId"] for a in client.get(
        "/v1/projects/1/assignments/forms", headers=login("supervisor")).json]
    assert _listed(_phone(client, phone["token"])) == ["simple"]
    # her own supervisor may
    mine = login("supervisor")
    assert client.post(f"/v1/projects/1/forms/other/assignments/2/{phone['id']}",
                       headers=mine).status_code == 200
    assert client.delete(f"{APP_USERS}/{phone['id']}", headers=mine).status_code == 200


ROUTES = [("get", APP_USERS), ("post", APP_USERS), ("get", f"{APP_USERS}/{{id}}"),
          ("delete", f"{APP_USERS}/{{id}}"), ("get", "/v1/projects/1/assignments/forms"),
          ("get", "/v1/projects/1/assignments/forms/2"), ("get", SIMPLE),
          ("get", f"{SIMPLE}/2"), ("post", f"{SIMPLE}/2/{{id}}"),
          ("delete", f"{SIMPLE}/2/{{id}}")]


@pytest.mark.parametrize("method,path", ROUTES)
def test_every_route_refuses_anonymous_phones_and_viewers(client, db, forms, login, personas,
                                                          method, path):
    path = path.format(id=personas["worker_b"].id)
    body = {"json": {"displayName": "x"}} if method == "post" and "app-users" in path else {}
    call = getattr(client, method)
    anonymous = call(path, **body)
    assert (anonymous.status_code, anonymous.json["code"]) == (401, "401.2")
    token = personas["worker_a"].token
    for response in (call(f"{path}?st={token}", **body),
                     call(path, headers=login("viewer"), **body)):
        assert (response.status_code, response.json["code"]) == (403, "403.2")
    db.session.expire_all()
    assert db.session.scalar(select(AppUser).where(AppUser.display_name == "x")) is None
    assert db.session.get(AppUser, personas["worker_b"].id).revoked_at is None


def test_an_unknown_project_is_404(client, login, personas):
    response = client.get("/v1/projects/7/app-users", headers=login("admin"))
    assert (response.status_code, response.json["code"]) == (404, "404.1")


def test_the_api_and_the_console_agree_on_whose_phones_she_manages(client, db, login,
                                                                    personas, supervisor_b):
    from app.auth.actors import from_user
    from app.auth.models import User
    from app.console import phones
    for villages in ([], ["dongwan"], ["xishan"], ["dongwan", "xishan"]):
        _create(client, login("admin"), **({"villages": villages} if villages else {}))
    for name in ("admin", "supervisor", "supervisor_b"):
        actor = from_user(db.session.scalar(select(User).where(User.username == name)))
        console = {p.id for p in phones.phones(db.session, actor, 1)[0]}
        api = {u["id"] for u in client.get(APP_USERS, headers=login(name)).json}
        assert api == console, name


def test_a_supervisor_of_no_village_enrols_no_phone(client, db, login, personas):
    from app.auth.models import User
    supervisor = db.session.scalar(select(User).where(User.username == "supervisor"))
    supervisor.areas = []
    db.session.commit()
    response = client.post(APP_USERS, json={"displayName": "x"}, headers=login("supervisor"))
    assert (response.status_code, response.json["code"]) == (403, "403.2")
    assert client.get(APP_USERS, headers=login("supervisor")).json == []
