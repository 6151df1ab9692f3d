"""Ending API sessions through a real gunicorn (issue #16, item 10): only your own, or any as
an admin; someone else's answers 403 in Central's error shape and that session keeps working."""
import requests


def _log_in(server, name):
    response = requests.post(f"{server.url}/v1/sessions",
                             json={"email": name, "password": f"{name}-password"}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["token"]


def _forms(server, token):
    return requests.get(f"{server.url}/v1/projects/1/forms",
                        headers={"Authorization": f"Bearer {token}"}, timeout=30).status_code


def _end(server, token, as_token):
    return requests.delete(f"{server.url}/v1/sessions/{token}",
                           headers={"Authorization": f"Bearer {as_token}"}, timeout=30)


def test_only_the_owner_or_an_admin_ends_a_session(live_server, personas):
    server = live_server(workers=3)
    supervisor, viewer, admin = (_log_in(server, n) for n in ("supervisor", "viewer", "admin"))

    refused = _end(server, supervisor, viewer)
    assert refused.status_code == 403
    assert refused.json()["code"] == "403.2"
    assert set(refused.json()) == {"code", "message", "message_zh", "details"}
    assert _forms(server, supervisor) == 200

    assert _end(server, viewer, viewer).status_code == 200
    assert _forms(server, viewer) == 401

    assert _end(server, supervisor, admin).status_code == 200
    assert _forms(server, supervisor) == 401
    assert _forms(server, admin) == 200
