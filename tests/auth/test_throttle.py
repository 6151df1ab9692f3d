"""The log-in throttle (app/auth/throttle.py, app/auth/logins.py; issue #16, item 6): failed
passwords and Digest answers are counted per user name at an address, per user name, and per
address; a held attempt is 429 with Retry-After, the right password included; unknown user
names are counted and answered like real ones; nothing that is not a wrong answer counts."""
import base64
import datetime as dt

import pytest
from requests.utils import parse_dict_header
from sqlalchemy import func, select

from app.auth import digest, throttle
from app.auth.models import LoginFailure
from app.db.columns import utcnow
from tests.collect import OPENROSA
from tests.openrosa.test_auth import _digest_header

LIMITS = {"LOGIN_WINDOW_SECONDS": 900, "LOGIN_USER_ADDRESS_LIMIT": 3, "LOGIN_USER_LIMIT": 5,
          "LOGIN_ADDRESS_LIMIT": 8}
FORM_LIST = "/v1/projects/1/formList"


@pytest.fixture
def limits(app, monkeypatch):
    for key, value in LIMITS.items():
        monkeypatch.setitem(app.config, key, value)


def _log_in(client, name, password, address="10.0.0.1"):
    return client.post("/v1/sessions", json={"email": name, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def _failures(db):
    return db.session.scalar(select(func.count()).select_from(LoginFailure))


def _assert_held(response, window=900):
    assert response.status_code == 429
    assert response.json["code"] == "429.71"
    seconds = int(response.headers["Retry-After"])
    assert 0 < seconds <= window
    assert response.json["details"] == {"seconds": seconds}


def test_the_right_password_is_refused_after_too_many_wrong_ones_from_that_address(
        client, db, personas, limits):
    for _ in range(3):
        assert _log_in(client, "supervisor", "guess").status_code == 401
    _assert_held(_log_in(client, "supervisor", "supervisor-password"))
    _assert_held(_log_in(client, "supervisor", "guess"))
    assert _failures(db) == 3            # a held attempt writes nothing
    # the same user elsewhere, and another user here, are not held
    assert _log_in(client, "supervisor", "supervisor-password", "10.0.0.2").status_code == 200
    assert _log_in(client, "viewer", "viewer-password").status_code == 200


def test_a_user_name_is_held_everywhere_after_failures_from_many_addresses(
        client, db, personas, limits):
    for i in range(5):
        assert _log_in(client, "supervisor", "guess", f"10.0.1.{i}").status_code == 401
    _assert_held(_log_in(client, "supervisor", "supervisor-password", "10.0.2.1"))
    assert _log_in(client, "viewer", "viewer-password", "10.0.2.1").status_code == 200


def test_an_address_is_held_after_failures_for_many_user_names(client, db, personas, limits):
    for i in range(8):
        assert _log_in(client, f"someone{i}", "guess").status_code == 401
    _assert_held(_log_in(client, "viewer", "viewer-password"))
    assert _log_in(client, "viewer", "viewer-password", "10.0.0.9").status_code == 200


def test_unknown_user_names_are_counted_and_held_like_real_ones(client, db, personas, limits):
    answers = [_log_in(client, name, "guess") for name in ("nobody",) * 4 + ("admin",) * 4]
    assert [r.status_code for r in answers] == [401, 401, 401, 429] * 2
    assert answers[0].json == answers[4].json
    assert answers[3].json["message"] == answers[7].json["message"]
    assert _failures(db) == 6


def test_user_names_count_whatever_their_case_and_ipv6_by_its_64(client, db, personas, limits):
    for name, address in (("Supervisor", "2001:db8::1"), ("SUPERVISOR", "2001:db8::2"),
                          ("supervisor", "2001:db8::3:4")):
        assert _log_in(client, name, "guess", address).status_code == 401
    _assert_held(_log_in(client, "supervisor", "supervisor-password", "2001:db8::99"))
    assert _log_in(client, "supervisor", "supervisor-password",
                   "2001:db8:0:1::1").status_code == 200


def test_the_hold_lifts_as_the_failures_age_out_of_the_window(app, client, db, personas,
                                                               limits):
    attempt = throttle.Attempt.of("supervisor", "10.0.0.1",
                                  throttle.Limits.from_config(app.config))
    now = utcnow()
    for minutes in (20, 14, 13):
        attempt.failed(db.engine, now - dt.timedelta(minutes=minutes))
    assert _failures(db) == 3
    # a failure now drops the one from 20 minutes ago: three in the window, the limit
    assert _log_in(client, "supervisor", "guess").status_code == 401
    assert _failures(db) == 3
    held = _log_in(client, "supervisor", "supervisor-password")
    _assert_held(held)
    # the oldest of the three in the window is 14 minutes old: about a minute to go
    assert 50 <= int(held.headers["Retry-After"]) <= 61


def test_flask_users_unlock_lifts_a_hold(app, client, db, personas, limits):
    for _ in range(3):
        _log_in(client, "supervisor", "guess")
    _assert_held(_log_in(client, "supervisor", "supervisor-password"))
    result = app.test_cli_runner().invoke(args=["users", "unlock", "supervisor"])
    assert result.exit_code == 0 and "3" in result.output
    assert _log_in(client, "supervisor", "supervisor-password").status_code == 200


def test_a_correct_log_in_writes_nothing(client, db, personas, limits):
    for _ in range(2):
        assert _log_in(client, "supervisor", "supervisor-password").status_code == 200
    assert _failures(db) == 0


def _basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_basic_over_https_is_counted_and_basic_over_http_is_not_a_failure(client, db,
                                                                          personas, limits):
    headers = {**OPENROSA, "Authorization": _basic("supervisor", "guess")}
    for _ in range(5):
        assert client.get(FORM_LIST, headers=headers).status_code == 401     # plain HTTP
    assert _failures(db) == 0
    for _ in range(3):
        assert client.get(FORM_LIST, headers=headers,
                          base_url="https://localhost").status_code == 401
    right = {**OPENROSA, "Authorization": _basic("supervisor", "supervisor-password")}
    held = client.get(FORM_LIST, headers=right, base_url="https://localhost")
    assert held.status_code == 429 and int(held.headers["Retry-After"]) > 0
    assert b"429.71" not in held.data and "WWW-Authenticate" not in held.headers


def _challenge(client):
    response = client.get(FORM_LIST, headers=OPENROSA)
    assert response.status_code == 401
    return response.headers["WWW-Authenticate"]


def _digest(client, challenge, password, user="supervisor"):
    header = _digest_header(challenge, "GET", "http://localhost" + FORM_LIST, user, password)
    return client.get(FORM_LIST, headers={**OPENROSA, "Authorization": header})


def test_digest_guesses_from_one_nonce_are_held_and_so_is_the_right_answer(client, db,
                                                                            personas, limits):
    challenge = _challenge(client)
    assert [_digest(client, challenge, f"guess{i}").status_code for i in range(3)] == [401] * 3
    held = _digest(client, challenge, "supervisor-password")
    assert held.status_code == 429 and int(held.headers["Retry-After"]) > 0
    assert "WWW-Authenticate" not in held.headers
    assert _digest(client, _challenge(client), "viewer-password",
                   user="viewer").status_code == 200


def test_digest_challenges_stale_nonces_and_replays_are_not_failures(app, client, db,
                                                                     personas, limits):
    challenge = _challenge(client)
    for _ in range(4):
        assert client.get(FORM_LIST, headers=OPENROSA).status_code == 401     # no credentials
    old_nonce = digest.make_nonce(app.config["SECRET_KEY"], now=1_000_000)
    stale = challenge.replace(parse_dict_header(challenge[7:])["nonce"], old_nonce)
    for _ in range(4):
        response = _digest(client, stale, "supervisor-password")
        assert response.status_code == 401 and "stale=true" in response.headers["WWW-Authenticate"]
    header = _digest_header(challenge, "GET", "http://localhost" + FORM_LIST, "supervisor",
                            "supervisor-password")
    answers = []
    for _ in range(4):
        answers.append(client.get(FORM_LIST, headers={**OPENROSA, "Authorization": header}))
        db.session.remove()     # as a real request's end does (the test shares its session)
    assert [r.status_code for r in answers] == [200, 401, 401, 401]          # replays: stale
    foreign = challenge.replace(parse_dict_header(challenge[7:])["nonce"], "1.2.3")
    assert _digest(client, foreign, "guess").status_code == 401
    assert _failures(db) == 0
    assert _digest(client, _challenge(client), "supervisor-password").status_code == 200


def test_a_wrong_digest_answer_on_a_stale_nonce_is_a_failure(app, client, db, personas, limits):
    challenge = _challenge(client)
    old_nonce = digest.make_nonce(app.config["SECRET_KEY"], now=1_000_000)
    stale = challenge.replace(parse_dict_header(challenge[7:])["nonce"], old_nonce)
    response = _digest(client, stale, "guess")
    assert response.status_code == 401 and "stale" not in response.headers["WWW-Authenticate"]
    assert _failures(db) == 1


def test_a_limit_of_zero_turns_that_count_off(app, client, db, personas, monkeypatch):
    for key in ("LOGIN_USER_ADDRESS_LIMIT", "LOGIN_USER_LIMIT", "LOGIN_ADDRESS_LIMIT"):
        monkeypatch.setitem(app.config, key, 0)
    assert [_log_in(client, "supervisor", "guess").status_code for _ in range(12)] == [401] * 12
    assert _log_in(client, "supervisor", "supervisor-password").status_code == 200
