"""The log-in throttle through a real gunicorn with several workers (issue #16, item 6):
failures answered by different processes (two gunicorns on one database, as two hosts), over
sessions, Digest and Basic, are counted together;
a held user gets 429 with Retry-After, the right password included, and gets in once the
window has passed; an unknown user name costs what a wrong password costs; a phone that
answers correctly is neither refused nor slowed while someone guesses."""
import statistics
import time

import requests
from requests.auth import HTTPDigestAuth

from app.auth import accounts
from tests.conftest import REALM

PHONE = {"X-OpenRosa-Version": "1.0"}


def _log_in(server, name, password, address=None):
    headers = {"X-Forwarded-For": address} if address else {}
    return requests.post(f"{server.url}/v1/sessions", headers=headers, timeout=60,
                         json={"email": name, "password": password})


def _digest_once(server, name, password, address=None):
    """A Digest log-in as Collect makes it: a challenge, then the answer (fresh connection)."""
    headers = {**PHONE, **({"X-Forwarded-For": address} if address else {})}
    return requests.get(f"{server.url}/v1/projects/1/formList", headers=headers, timeout=60,
                        auth=HTTPDigestAuth(name, password))


def _basic_over_https(server, name, password):
    return requests.get(f"{server.url}/v1/projects/1/formList", timeout=60, auth=(name, password),
                        headers={**PHONE, "X-Forwarded-Proto": "https"})


def test_failures_on_two_hosts_and_three_schemes_hold_the_user_until_the_window_passes(
        live_server, monkeypatch, personas):
    for name, value in (("DOORSTEP_LOGIN_WINDOW_SECONDS", "10"),
                        ("DOORSTEP_LOGIN_USER_ADDRESS_LIMIT", "9"),
                        ("DOORSTEP_TRUSTED_PROXIES", "127.0.0.1")):
        monkeypatch.setenv(name, value)
    # two gunicorns on one database, as two hosts behind a proxy: other processes for certain
    hosts = [live_server(workers=2), live_server(workers=2)]
    guesses = [scheme(host, "supervisor", "guess") for scheme in (_log_in, _digest_once,
                                                                   _basic_over_https)
               for host in hosts]
    guesses += [_log_in(hosts[1], "supervisor", "guess"),
                _digest_once(hosts[0], "supervisor", "guess"),
                _basic_over_https(hosts[1], "supervisor", "guess")]
    assert [r.status_code for r in guesses] == [401] * 9

    held = [scheme(host, "supervisor", "supervisor-password")
            for scheme in (_log_in, _digest_once, _basic_over_https) for host in hosts]
    assert [r.status_code for r in held] == [429] * 6
    assert held[0].json()["code"] == "429.71"
    assert all(1 <= int(r.headers["Retry-After"]) <= 10 for r in held)

    deadline = time.monotonic() + 60
    while (answer := _log_in(hosts[0], "supervisor", "supervisor-password")).status_code == 429:
        assert time.monotonic() < deadline, "still held long after the window"
        time.sleep(min(int(answer.headers["Retry-After"]), 2))
    assert answer.status_code == 200
    assert _digest_once(hosts[1], "supervisor", "supervisor-password").status_code == 200


def test_an_unknown_user_costs_what_a_wrong_password_costs(live_server, monkeypatch, db):
    # hashed with the server's own method (the default scrypt), as a real user would be
    accounts.create_user(db.session, "midwife", "midwife-password", "viewer", REALM)
    db.session.commit()
    for name in ("DOORSTEP_LOGIN_USER_ADDRESS_LIMIT", "DOORSTEP_LOGIN_USER_LIMIT",
                 "DOORSTEP_LOGIN_ADDRESS_LIMIT"):
        monkeypatch.setenv(name, "0")                     # timing only: no holds
    server = live_server(workers=2)
    for i in range(4):                                    # each worker makes its dummy hash
        _log_in(server, f"warm-up-{i}", "guess")

    def timed(name):
        start = time.perf_counter()
        assert _log_in(server, name, "guess").status_code == 401
        return time.perf_counter() - start

    unknown, wrong = [], []
    for i in range(9):                                    # interleaved: same load on both
        unknown.append(timed(f"nobody-{i}"))
        wrong.append(timed("midwife"))
    ratio = statistics.median(unknown) / statistics.median(wrong)
    # before: 8 ms against 207 ms (a ratio of 0.04)
    assert 0.5 < ratio < 2, (unknown, wrong)


def test_a_correct_phone_is_neither_refused_nor_slowed_while_someone_guesses(
        live_server, monkeypatch, personas):
    for name, value in (("DOORSTEP_LOGIN_USER_ADDRESS_LIMIT", "5"),
                        ("DOORSTEP_TRUSTED_PROXIES", "127.0.0.1")):
        monkeypatch.setenv(name, value)
    server = live_server(workers=2)
    key_phone = f"{server.url}/v1/key/{personas['worker_a'].token}/projects/1/formList"
    digest_phone = requests.Session()
    digest_phone.auth = HTTPDigestAuth("viewer", "viewer-password")
    digest_phone.headers.update({**PHONE, "X-Forwarded-For": "198.51.100.7"})

    def latencies():
        key_times, digest_times = [], []
        for _ in range(15):
            start = time.perf_counter()
            assert requests.get(key_phone, headers=PHONE, timeout=60).status_code == 200
            key_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            assert digest_phone.get(f"{server.url}/v1/projects/1/formList",
                                    timeout=60).status_code == 200
            digest_times.append(time.perf_counter() - start)
        return statistics.median(key_times), statistics.median(digest_times)

    latencies()                                           # connections and caches warm
    before = latencies()
    attacker = "203.0.113.9"
    answers = [_digest_once(server, name, "guess", attacker).status_code
               for name in ("supervisor", "viewer") for _ in range(7)]
    assert answers == ([401] * 5 + [429] * 2) * 2
    # the guessed users, from their own addresses, and the phones are not held
    assert _log_in(server, "supervisor", "supervisor-password", "198.51.100.8").status_code == 200
    after = latencies()
    for was, now in zip(before, after):
        assert now < 2 * was + 0.02, (before, after)
