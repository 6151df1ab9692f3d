"""One's own account: the page lists her live sessions; changing her password needs the
current one and the new one twice, and signs out her other browsers but not this one."""
from sqlalchemy import select

from app.audit.models import AuditEvent
from tests.web.conftest import sign_in


def test_the_account_page_shows_her_role_villages_and_browsers(console):
    supervisor = console("supervisor")
    console("supervisor")                                   # a second browser
    body = supervisor.get("/account?lang=en").get_data(as_text=True)
    assert "supervisor" in body and "Dongwan" in body
    assert body.count("This browser") == 1
    assert body.count('<th scope="row">') == 2
    assert 'href="/account?lang=zh"' in body


def test_changing_her_password_signs_out_her_other_browsers_only(console, db, personas, app,
                                                                client):
    here, elsewhere = console("supervisor"), console("supervisor")
    token = client.post("/v1/sessions", json={"email": "supervisor",
                                              "password": "supervisor-password"}).json["token"]
    api = {"Authorization": f"Bearer {token}"}
    response = here.post("/account/password", {"current": "supervisor-password",
                                               "password": "a-new-secret!", "again":
                                               "a-new-secret!"})
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    assert here.get("/account").status_code == 200
    assert elsewhere.get("/").status_code == 302
    assert client.get("/v1/projects/1/forms", headers=api).status_code == 401   # API too
    browser = app.test_client()
    assert sign_in(app, browser, "supervisor", "supervisor-password").status_code == 401
    assert sign_in(app, browser, "supervisor", "a-new-secret!").status_code == 303
    db.session.rollback()
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.target == f"user:{personas['supervisor'].id}")).all()
    assert "user.update.password" in actions


def test_a_wrong_current_password_or_unlike_new_ones_change_nothing(console, app):
    viewer = console("viewer")
    wrong = viewer.post("/account/password", {"current": "not-it", "password": "a-new-secret!",
                                              "again": "a-new-secret!"})
    page = wrong.get_data(as_text=True)
    assert wrong.status_code == 400 and "当前密码不正确" in page and 'id="current"' in page
    unlike = viewer.post("/account/password", {"current": "viewer-password",
                                               "password": "a-new-secret!",
                                               "again": "a-new-secret?"})
    assert unlike.status_code == 400
    assert sign_in(app, app.test_client(), "viewer", "viewer-password").status_code == 303


def test_signing_out_other_browsers_keeps_this_one(console):
    here, elsewhere = console("admin"), console("admin")
    assert here.post("/account/sessions").status_code == 303
    assert elsewhere.get("/").status_code == 302
    assert here.get("/").status_code == 200


def test_a_person_in_no_town_still_has_her_account_and_nothing_else(console, db, personas):
    # taken off every town: her own account (password, browsers) is not about a town
    from app.auth.models import user_projects
    db.session.execute(user_projects.delete().where(
        user_projects.c.user_id == personas["supervisor"].id))
    db.session.commit()
    supervisor = console("supervisor")
    page = supervisor.get("/account?lang=en")
    assert page.status_code == 200
    assert "supervisor" in page.get_data(as_text=True)
    assert 'name="project"' not in page.get_data(as_text=True)
    changed = supervisor.post("/account/password", {"current": "supervisor-password",
                                                    "password": "a-new-secret!",
                                                    "again": "a-new-secret!"})
    assert changed.status_code == 303
    assert supervisor.post("/account/sessions").status_code == 303
    assert supervisor.get("/").status_code == 403
    assert supervisor.get("/people").status_code == 403
