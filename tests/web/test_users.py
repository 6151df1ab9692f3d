"""Web users in the console (an admin's page): created with a role and villages, changed,
disabled (her sessions end at once) and enabled, given a password; an admin cannot lock
herself out."""
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import User
from tests.web.conftest import sign_in


def _user(db, username):
    db.session.rollback()
    return db.session.scalar(select(User).where(User.username == username))


def test_an_admin_adds_a_supervisor_of_one_village_who_can_then_sign_in(console, db, app):
    admin = console("admin")
    response = admin.post("/users/new", {"username": "li_na", "role": "supervisor",
                                         "villages": ["xishan"], "password": "ten-chars-ok",
                                         "again": "ten-chars-ok"})
    assert response.status_code == 303
    made = _user(db, "li_na")
    assert response.headers["Location"] == f"/users/{made.id}"
    assert made.role == "supervisor" and [a.code for a in made.areas] == ["xishan"]
    assert not made.all_areas
    browser = app.test_client()
    assert sign_in(app, browser, "li_na", "ten-chars-ok").status_code == 303
    assert browser.get("/?village=dongwan").status_code == 403
    body = admin.get("/users?lang=en").get_data(as_text=True)
    assert "li_na" in body and "Supervisor" in body and "Xishan" in body


def test_town_wide_access_is_asked_for_never_the_result_of_ticking_nothing(console, db):
    admin = console("admin")
    form = {"username": "zhou", "role": "viewer", "password": "ten-chars-ok",
            "again": "ten-chars-ok"}
    response = admin.post("/users/new?lang=en", form)
    assert response.status_code == 400
    assert "whole town" in response.get_data(as_text=True)
    assert _user(db, "zhou") is None
    assert admin.post("/users/new", {**form, "villages": ["*"]}).status_code == 303
    made = _user(db, "zhou")
    assert made.all_areas and made.areas == []
    changed = admin.post(f"/users/{made.id}", {"role": "viewer", "villages": []})
    assert changed.status_code == 400
    assert _user(db, "zhou").all_areas


def test_a_new_user_s_password_must_be_long_and_typed_twice_alike(console, db):
    admin = console("admin")
    short = admin.post("/users/new", {"username": "x", "role": "viewer", "password": "short",
                                      "again": "short"})
    assert short.status_code == 400
    differ = admin.post("/users/new", {"username": "x", "role": "viewer",
                                       "password": "ten-chars-ok", "again": "ten-chars-no"})
    assert differ.status_code == 400
    page = differ.get_data(as_text=True)
    assert 'role="alert"' in page and 'value="x"' in page        # the form again, as typed
    assert "ten-chars" not in page                               # passwords are not
    assert _user(db, "x") is None
    taken = admin.post("/users/new", {"username": "viewer", "role": "viewer", "villages": ["*"],
                                      "password": "ten-chars-ok", "again": "ten-chars-ok"})
    assert taken.status_code == 409


def test_role_and_villages_change_from_her_next_request(console, db, personas):
    supervisor = console("supervisor")
    assert supervisor.get("/?village=xishan").status_code == 403
    admin = console("admin")
    response = admin.post(f"/users/{personas['supervisor'].id}",
                          {"role": "supervisor", "villages": ["dongwan", "xishan"]})
    assert response.status_code == 303
    assert supervisor.get("/?village=xishan").status_code == 200
    admin.post(f"/users/{personas['supervisor'].id}", {"role": "viewer", "villages": ["*"]})
    changed = _user(db, "supervisor")
    assert changed.role == "viewer" and changed.all_areas and changed.areas == []
    assert supervisor.get("/phones").status_code == 403
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.target == f"user:{personas['supervisor'].id}")).all()
    assert actions.count("user.update") == 2


def test_disabling_a_user_ends_her_session_at_once_and_enabling_lets_her_back(console, db,
                                                                               personas, app):
    supervisor = console("supervisor")
    admin = console("admin")
    response = admin.post(f"/users/{personas['supervisor'].id}/disabled", {"disabled": "1"})
    assert response.status_code == 303
    assert supervisor.get("/").status_code == 302          # to the sign-in page
    assert _user(db, "supervisor").disabled
    browser = app.test_client()
    assert sign_in(app, browser, "supervisor", "supervisor-password").status_code == 401
    admin.post(f"/users/{personas['supervisor'].id}/disabled", {"disabled": "0"})
    assert sign_in(app, browser, "supervisor", "supervisor-password").status_code == 303
    body = admin.get("/users?lang=en").get_data(as_text=True)
    assert "Last sign-in" in body


def _bearer(client, name, password):
    token = client.post("/v1/sessions", json={"email": name, "password": password}).json["token"]
    return {"Authorization": f"Bearer {token}"}


def test_an_admin_sets_a_password_and_the_user_s_sessions_end(console, db, personas, app,
                                                              client):
    viewer = console("viewer")
    api = _bearer(client, "viewer", "viewer-password")
    assert client.get("/v1/projects/1/forms", headers=api).status_code == 200
    admin = console("admin")
    response = admin.post(f"/users/{personas['viewer'].id}/password",
                          {"password": "brand-new-secret", "again": "brand-new-secret"})
    assert response.status_code == 303
    assert viewer.get("/").status_code == 302
    # a bearer token made with the old password ends too (it lived on for a day)
    assert client.get("/v1/projects/1/forms", headers=api).status_code == 401
    browser = app.test_client()
    assert sign_in(app, browser, "viewer", "viewer-password").status_code == 401
    assert sign_in(app, browser, "viewer", "brand-new-secret").status_code == 303


def test_an_admin_cannot_disable_herself_or_give_up_her_role(console, db, personas):
    admin = console("admin")
    me = personas["admin"].id
    assert admin.post(f"/users/{me}/disabled", {"disabled": "1"}).status_code == 409
    assert admin.post(f"/users/{me}", {"role": "viewer"}).status_code == 409
    assert admin.get("/").status_code == 200
    assert _user(db, "admin").role == "admin"


def test_only_an_admin_manages_users(console, personas):
    supervisor = console("supervisor")
    assert supervisor.get("/users").status_code == 403
    assert supervisor.post(f"/users/{personas['viewer'].id}/disabled",
                           {"disabled": "1"}).status_code == 403
