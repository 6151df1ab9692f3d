"""Only DOORSTEP_TRUSTED_PROXIES decides whose X-Forwarded-Proto counts, in gunicorn's settings
as in Flask: over plain HTTP, Basic credentials with a forged `X-Forwarded-Proto: https` are
refused even from 127.0.0.1 unless 127.0.0.1 is a listed proxy."""
import requests

FORGED = {"X-OpenRosa-Version": "1.0", "X-Forwarded-Proto": "https"}


def _form_list_with_basic(server, personas):
    return requests.get(f"{server.url}/v1/projects/1/formList", headers=FORGED, timeout=30,
                        auth=("admin", personas["admin"].password))


def test_basic_over_http_claiming_https_from_loopback_is_refused_without_trusted_proxies(
        live_server, personas):
    server = live_server(env={"DOORSTEP_TRUSTED_PROXIES": ""})
    answer = _form_list_with_basic(server, personas)
    assert answer.status_code == 401
    assert "Basic" not in answer.headers["WWW-Authenticate"]      # plain HTTP offers Digest only


def test_basic_claiming_https_is_accepted_from_a_listed_proxy(live_server, personas):
    server = live_server(env={"DOORSTEP_TRUSTED_PROXIES": "127.0.0.1"})
    assert _form_list_with_basic(server, personas).status_code == 200
