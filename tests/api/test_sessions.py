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
