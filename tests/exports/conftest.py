"""Export fixtures: bearer sessions for the personas (as tests/api does)."""
import pytest


@pytest.fixture
def login(client, personas):
    """login(persona name) → headers with a bearer token for that web user."""
    def _login(username):
        response = client.post("/v1/sessions", json={"email": username,
                                                      "password": f"{username}-password"})
        assert response.status_code == 200, response.json
        return {"Authorization": f"Bearer {response.json['token']}"}
    return _login
