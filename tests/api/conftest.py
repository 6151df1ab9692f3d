"""API helpers: bearer sessions for the personas."""
import pytest


@pytest.fixture
def login(client, personas):
    def _login(username):
        response = client.post("/v1/sessions", json={"email": username,
                                                      "password": f"{username}-password"})
        assert response.status_code == 200, response.json
        return {"Authorization": f"Bearer {response.json['token']}"}
    return _login
