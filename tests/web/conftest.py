"""The console through Flask's test client: console(persona) signs a persona in through the
real sign-in form and returns a client whose post() carries the session's CSRF token."""
import re

import pytest

from app.auth import web_sessions
from app.web.session import COOKIE

LOGIN_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class Console:
    """A signed-in browser: get(), post() with the CSRF field added, and csrf itself."""

    def __init__(self, app, client):
        self.app, self.client = app, client

    @property
    def token(self):
        cookie = self.client.get_cookie(COOKIE)
        return cookie.value if cookie else ""

    @property
    def csrf(self):
        return web_sessions.csrf_token(self.app.config["SECRET_KEY"], self.token)

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def post(self, url, data=None, csrf=True, **kw):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf", self.csrf)
        return self.client.post(url, data=data, **kw)


def sign_in(app, client, username, password, next_url=None):
    page = client.get("/login")
    token = LOGIN_CSRF.search(page.get_data(as_text=True)).group(1)
    form = {"csrf": token, "username": username, "password": password}
    if next_url:
        form["next"] = next_url
    return client.post("/login", data=form)


@pytest.fixture
def console(app, db, personas):
    """console("supervisor") → a Console signed in as that persona (a fresh browser each)."""
    def _console(name="admin"):
        client = app.test_client()
        response = sign_in(app, client, name, personas[name].password)
        assert response.status_code == 303, response.get_data(as_text=True)
        return Console(app, client)
    return _console
