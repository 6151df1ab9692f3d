"""One secret for every worker when DOORSTEP_SECRET_KEY is unset (the quick start): a Digest
nonce one worker issued is good at every other, so a phone reusing it is never challenged
again; and credentials are checked before a submission's body is read, so a refused phone
hears its 401/403 before it sends the upload."""
import hashlib
import socket

import requests

from app.auth import digest

REALM = "Doorstep"
OPENROSA = {"X-OpenRosa-Version": "1.0"}


def _digest_header(username, password, nonce, nc, uri, method="GET"):
    ha1 = hashlib.md5(f"{username}:{REALM}:{password}".encode()).hexdigest()
    params = {"nonce": nonce, "nc": f"{nc:08x}", "cnonce": "e2e", "qop": "auth", "uri": uri}
    response = digest.expected_response(ha1, method, params)
    return (f'Digest username="{username}", realm="{REALM}", nonce="{nonce}", uri="{uri}", '
            f'qop=auth, nc={params["nc"]}, cnonce="e2e", response="{response}"')


def test_a_reused_digest_nonce_is_good_at_every_worker_without_a_configured_secret(
        live_server, personas):
    server = live_server(workers=4, secret=None)
    uri = "/v1/projects/1/formList"
    challenge = requests.get(server.url + uri, headers=OPENROSA, timeout=30)
    assert challenge.status_code == 401
    nonce = challenge.headers["WWW-Authenticate"].split('nonce="')[1].split('"')[0]
    statuses = []
    for nc in range(1, 41):
        # a new connection each time, so the requests spread over the workers
        answer = requests.get(server.url + uri, timeout=30, headers={
            **OPENROSA, "Connection": "close",
            "Authorization": _digest_header("admin", personas["admin"].password, nonce, nc, uri)})
        statuses.append(answer.status_code)
    assert statuses == [200] * 40


def _headers_only_post(server, path, extra=""):
    """The status line answering a submission POST whose 50 MB body is never sent."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall((f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-OpenRosa-Version: 1.0\r\n"
                   "Content-Type: multipart/form-data; boundary=b\r\n"
                   f"Content-Length: 50000000\r\n{extra}\r\n").encode())
        try:
            return s.recv(200).split(b"\r\n")[0].decode()
        except socket.timeout:
            return "no answer within 10 s"


def test_wrong_or_missing_credentials_are_refused_before_the_body_is_read(live_server, personas):
    server = live_server()
    bad_digest = _digest_header("admin", "wrong password", digest.make_nonce("other secret"), 1,
                                "/v1/projects/1/submission", "POST")
    assert _headers_only_post(server, "/v1/projects/1/submission",
                              f"Authorization: {bad_digest}\r\n").startswith("HTTP/1.1 401")
    assert _headers_only_post(server, "/v1/projects/1/submission").startswith("HTTP/1.1 401")
    assert _headers_only_post(server, "/v1/key/" + "A" * 64 + "/projects/1/submission"
                              ).startswith("HTTP/1.1 403")
    # right credentials, but a viewer may not submit
    challenge = requests.head(server.url + "/v1/projects/1/submission", headers=OPENROSA,
                              timeout=30)
    nonce = challenge.headers["WWW-Authenticate"].split('nonce="')[1].split('"')[0]
    viewer = _digest_header("viewer", personas["viewer"].password, nonce, 1,
                            "/v1/projects/1/submission", "POST")
    assert _headers_only_post(server, "/v1/projects/1/submission",
                              f"Authorization: {viewer}\r\n").startswith("HTTP/1.1 403")
