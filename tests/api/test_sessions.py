"""POST /v1/sessions as Central takes it; bearer tokens; error shape."""
from datetime import timedelta

from app.auth.models import ApiSession


def test_login_returns_bearer_token(client, personas):
    response = client.post("/v1/sessions", json={"email": "admin", "password": "admin-password"})
    assert response.status_code == 200
    body = response.json
    assert len(body["token"]) == 64 and body["expiresAt"].endswith("Z")
    forms = client.get("/v1/projects/1/forms", headers={"Authorization": f"Bearer {body['token']}"})
    assert forms.status_code == 200


def test_wrong_password_has_the_json_problem_shape(client, personas):
    response = client.post("/v1/sessions", json={"email": "admin", "password": "nope"})
    assert response.status_code == 401
    assert response.json == {"code": "401.2", "message": response.json["message"],
                             "message_zh": response.json["message_zh"], "details": {}}
    assert "WWW-Authenticate" not in response.headers


def test_expired_and_deleted_sessions_are_refused(client, db, login):
    headers = login("admin")
    token = headers["Authorization"].split()[1]
    assert client.delete(f"/v1/sessions/{token}", headers=headers).status_code == 200
    assert client.get("/v1/projects/1/forms", headers=headers).status_code == 401
    headers = login("admin")
    row = db.session.query(ApiSession).one()
    row.expires_at = row.created_at - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/v1/projects/1/forms", headers=headers).status_code == 401


def test_app_user_token_cannot_use_the_staff_api(client, personas, simple_form):
    token = personas["worker_a"].token
    response = client.get(f"/v1/projects/1/forms?st={token}")
    assert response.status_code == 403


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def _token(headers):
    return headers["Authorization"].split()[1]


def test_a_user_cannot_end_someone_elses_session_and_it_keeps_working(client, login):
    victim = login("supervisor")
    intruder = login("viewer")
    response = client.delete(f"/v1/sessions/{_token(victim)}", headers=intruder)
    assert response.status_code == 403
    assert response.json["code"] == "403.2" and set(response.json) == {
        "code", "message", "message_zh", "details"}
    assert client.get("/v1/projects/1/forms", headers=victim).status_code == 200


def test_an_unknown_or_ended_token_is_403_like_someone_elses(client, login):
    own = login("viewer")
    assert client.delete(f"/v1/sessions/{'x' * 64}", headers=own).status_code == 403
    other = login("viewer")
    assert client.delete(f"/v1/sessions/{_token(other)}", headers=other).status_code == 200
    assert client.delete(f"/v1/sessions/{_token(other)}", headers=own).status_code == 403


def test_an_admin_can_end_anyones_session(client, login):
    victim = login("supervisor")
    admin = login("admin")
    assert client.delete(f"/v1/sessions/{_token(victim)}", headers=admin).status_code == 200
    assert client.get("/v1/projects/1/forms", headers=victim).status_code == 401
    assert client.get("/v1/projects/1/forms", headers=admin).status_code == 200


def test_a_phone_key_cannot_end_a_staff_session(client, login, personas):
    victim = login("admin")
    response = client.delete(f"/v1/sessions/{_token(victim)}?st={personas['worker_a'].token}")
    assert response.status_code == 403
    assert client.get("/v1/projects/1/forms", headers=victim).status_code == 200
