"""Signing in to the console: the cookie's flags, CSRF on every form, idle and absolute
expiry, signing out, and no open redirect."""
from datetime import timedelta

from app.auth import web_sessions
from app.auth.models import User, WebSession
from app.db.columns import utcnow
from app.web.session import COOKIE
from tests.web.conftest import sign_in


def test_an_anonymous_page_request_is_sent_to_sign_in_and_back(app, client, personas):
    response = client.get("/?lang=en")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/")
    signed = sign_in(app, client, "admin", "admin-password", next_url="/?lang=en")
    assert signed.status_code == 303 and signed.headers["Location"] == "/?lang=en"
    assert client.get("/").status_code == 200


def test_the_session_cookie_is_httponly_samesite_and_secure_over_https(app, personas):
    client = app.test_client()
    page = client.get("/login", base_url="https://localhost")
    token = page.get_data(as_text=True).split('name="csrf" value="')[1].split('"')[0]
    response = client.post("/login", base_url="https://localhost", data={
        "csrf": token, "username": "admin", "password": "admin-password"})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(COOKIE))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    assert "Max-Age" not in cookie and "Expires" not in cookie     # dies with the browser
    plain = app.test_client()
    response = sign_in(app, plain, "admin", "admin-password")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(COOKIE))
    assert "HttpOnly" in cookie and "Secure" not in cookie


def test_a_wrong_password_is_a_bilingual_401_page_and_no_session(app, client, personas):
    response = sign_in(app, client, "admin", "wrong")
    assert response.status_code == 401
    assert "用户名或密码不正确" in response.get_data(as_text=True)
    assert client.get_cookie(COOKIE) is None
    client.get("/login?lang=en")
    response = sign_in(app, client, "admin", "wrong")
    assert "The user name or password is wrong." in response.get_data(as_text=True)


def test_sign_in_without_its_form_token_is_refused(app, client, personas):
    client.get("/login")
    response = client.post("/login", data={"csrf": "forged", "username": "admin",
                                           "password": "admin-password"})
    assert response.status_code == 403
    assert client.get_cookie(COOKIE) is None


def test_a_form_without_the_session_csrf_token_changes_nothing(console, db):
    admin = console("admin")
    response = admin.post("/logout", csrf=False)
    assert response.status_code == 403
    assert admin.get("/").status_code == 200          # still signed in
    response = admin.post("/logout", {"csrf": "0" * 64})
    assert response.status_code == 403


def test_a_post_from_another_origin_is_refused_even_with_the_token(console):
    admin = console("admin")
    response = admin.post("/logout", headers={"Origin": "http://evil.example"})
    assert response.status_code == 403
    assert admin.get("/").status_code == 200


def test_sign_out_ends_the_session_on_the_server(console, db):
    admin = console("admin")
    token = admin.token
    assert admin.post("/logout").status_code == 303
    assert db.session.get(WebSession, web_sessions.secrets.token_hash(token)) is None
    admin.client.set_cookie(COOKIE, token)          # a copy of the cookie kept elsewhere
    assert admin.get("/").status_code == 302


def _age(db, token, **delta):
    row = db.session.get(WebSession, web_sessions.secrets.token_hash(token))
    for field, value in delta.items():
        setattr(row, field, getattr(row, field) - value)
    db.session.commit()


def test_an_idle_session_ends(console, db, app):
    admin = console("admin")
    _age(db, admin.token, seen_at=timedelta(minutes=app.config["CONSOLE_IDLE_MINUTES"] + 1))
    assert admin.get("/").status_code == 302


def test_a_busy_session_still_ends_at_its_absolute_limit(console, db):
    admin = console("admin")
    row = db.session.get(WebSession, web_sessions.secrets.token_hash(admin.token))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert admin.get("/").status_code == 302


def test_use_moves_the_idle_limit(console, db, app):
    admin = console("admin")
    _age(db, admin.token, seen_at=timedelta(minutes=app.config["CONSOLE_IDLE_MINUTES"] - 1))
    assert admin.get("/").status_code == 200
    row = db.session.get(WebSession, web_sessions.secrets.token_hash(admin.token))
    db.session.refresh(row)
    assert utcnow() - row.seen_at < timedelta(minutes=1)


def test_a_disabled_user_is_signed_out_at_once(console, db, personas):
    supervisor = console("supervisor")
    db.session.get(User, personas["supervisor"].id).disabled = True
    db.session.commit()
    assert supervisor.get("/").status_code == 302


def test_next_never_leads_off_the_site(app, client, personas):
    # browsers drop tabs and newlines from a URL: "/<TAB>/evil.example" is "//evil.example"
    targets = ("//evil.example/", "https://evil.example/", "/\\evil.example",
               "/\t/evil.example/", "/\n/evil.example/", "/\r\n/evil.example/")
    for target in targets:
        response = sign_in(app, app.test_client(), "admin", "admin-password", next_url=target)
        assert response.headers["Location"] == "/", repr(target)
    signed_in = app.test_client()
    sign_in(app, signed_in, "admin", "admin-password")
    for target in targets:               # a signed-in browser sent to /login goes on at once
        response = signed_in.get("/login", query_string={"next": target})
        assert response.headers["Location"] == "/", repr(target)
    assert signed_in.get("/login?next=/review%3Fstate%3Dreceived").headers["Location"] == \
        "/review?state=received"


def test_an_api_bearer_token_or_phone_key_does_not_open_the_console(client, personas):
    response = client.get("/", headers={"Authorization": "Bearer " + "a" * 64})
    assert response.status_code == 302
    response = client.get(f"/?st={personas['worker_a'].token}")
    assert response.status_code in (302, 400)


def test_every_page_is_chinese_by_default_and_english_on_request(console):
    admin = console("admin")
    body = admin.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in body and "今日" in body
    body = admin.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in body and "Today" in body
    body = admin.get("/").get_data(as_text=True)      # the choice is remembered
    assert '<html lang="en">' in body


def test_a_query_naming_url_for_options_or_path_arguments_is_a_400_page(console):
    """The language link keeps the query: names url_for reads itself, or a path argument,
    once failed to build it on the 400 page (a 500) or made it absolute."""
    admin = console("admin")
    for url in ("/?_method=PUT", "/?_external=1", "/phones/1?app_user_id=2",
                "/users/1?user_id=2&_anchor=x"):
        response = admin.get(url)
        body = response.get_data(as_text=True)
        assert response.status_code == 400, url
        assert 'class="lang" href="/' in body and "http://" not in body, url


def test_cookies_are_secure_when_the_public_address_is_https(app, personas):
    """Behind a TLS proxy not declared trusted the request looks like http: the public
    address still says https, and the cookie is never sent in the clear."""
    app.config["PUBLIC_URL"] = "https://doorstep.example.org"
    try:
        response = sign_in(app, app.test_client(), "admin", "admin-password")
    finally:
        app.config["PUBLIC_URL"] = ""
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(COOKIE))
    assert "Secure" in cookie


def test_signing_in_clears_her_sessions_past_their_end(console, db, personas):
    first = console("admin")
    row = db.session.get(WebSession, web_sessions.secrets.token_hash(first.token))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    console("admin")
    db.session.rollback()
    assert db.session.get(WebSession, web_sessions.secrets.token_hash(first.token)) is None
