"""`flask users revoke U --project N`: a person who leaves a town loses it (there was no way
to take a town back but disabling her): her villages there go, her other towns stay, her
sessions end, and the console and the API refuse that town to her from then on."""
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth import accounts
from app.auth.models import User
from app.cli import users
from tests.towns.conftest import B_PERSON
from tests.web.conftest import sign_in


def _bearer(client, name):
    r = client.post("/v1/sessions", json={"email": name, "password": f"{name}-password"})
    return {"Authorization": f"Bearer {r.json['token']}"}


def test_a_revoked_town_is_closed_to_her_and_her_other_town_stays(app, db, client, towns):
    s = db.session
    both = accounts.create_user(s, "both", "both-password", "supervisor", "r", ["dongwan"],
                                hash_method="scrypt:1024:8:1")
    accounts.grant_project(s, both, 2, ["dongwan"])
    s.commit()
    browser = app.test_client()
    assert sign_in(app, browser, "both", "both-password").status_code == 303
    assert browser.get("/?project=2").status_code == 200      # her session remembers town B
    bearer = _bearer(client, "both")
    b_people = "/v1/projects/2/datasets/people/entities"
    assert B_PERSON in client.get(b_people, headers=bearer).get_data(as_text=True)

    done = app.test_cli_runner().invoke(users, ["revoke", "both", "--project", "2"])
    assert done.exit_code == 0, done.output
    assert "now works in towns 1" in done.output
    s.expire_all()
    user = s.scalar(select(User).where(User.username == "both"))
    assert [p.id for p in user.projects] == [1]
    assert [(a.project_id, a.code) for a in user.areas] == [(1, "dongwan")]
    assert s.scalar(select(AuditEvent.action).where(
        AuditEvent.action == "user.project.revoke")) is not None
    assert client.get(b_people, headers=bearer).status_code == 401    # her sessions ended
    assert browser.get("/").status_code == 302
    assert sign_in(app, browser, "both", "both-password").status_code == 303
    assert browser.get("/").status_code == 200
    assert browser.get("/?project=2").status_code == 404
    assert client.get(b_people, headers=_bearer(client, "both")).status_code == 403


def test_revoking_a_town_she_does_not_work_in_or_an_admins_is_refused(app, db, towns,
                                                                      personas):
    runner = app.test_cli_runner()
    for username, project in (("supervisor", "2"), ("admin", "1"), ("county", "9")):
        refused = runner.invoke(users, ["revoke", username, "--project", project])
        assert refused.exit_code != 0, (username, refused.output)
    assert "does not work in town 2" in runner.invoke(
        users, ["revoke", "supervisor", "--project", "2"]).output
