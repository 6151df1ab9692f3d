"""Slow and silent connections cannot take the server down: with gunicorn in its shipped
shape (`-c python:app.gunicorn_conf`, 2 x cores + 1 workers), 200 connections that sent the
headers of a large submission POST and nothing more, and 200 trickling one's body, a phone's
ordinary requests (HEAD /submission, a submission, two requests on one keep-alive
connection) are still answered within a generous second."""
import socket
import threading
import time

import pytest

from tests.factories import make_instance, make_xform

PESTS = 200
BOUND = 1.0      # seconds; the answers take milliseconds even on a busy 2-core machine
NO_CONTENT = "HTTP/1.1 204 NO CONTENT"


class Pests:
    """`PESTS` silent and `PESTS` trickling connections, until stop() or 90 s at most."""

    def __init__(self, port, token):
        self.port, self.token = port, token
        self.stopped = threading.Event()
        self.silent = [self._open("/v1/projects/1/submission") for _ in range(PESTS)]
        self.trickling = [self._open(f"/v1/key/{token}/projects/1/submission")
                          for _ in range(PESTS)]
        self.thread = threading.Thread(target=self._trickle, daemon=True)
        self.thread.start()

    def _open(self, path):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        s.sendall((f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-OpenRosa-Version: 1.0\r\n"
                   "Content-Type: multipart/form-data; boundary=b\r\n"
                   "Content-Length: 100000000\r\n\r\n").encode())
        s.setblocking(False)
        return s

    def _trickle(self):
        deadline = time.monotonic() + 90
        while not self.stopped.wait(0.5) and time.monotonic() < deadline:
            for s in self.trickling:
                try:
                    s.send(b"--b\r\nxxxxx")
                except OSError:
                    pass

    def stop(self):
        self.stopped.set()
        self.thread.join(10)
        for s in self.silent + self.trickling:
            s.close()


def _timed(request, port, keep_alive_requests=1):
    """(seconds, status lines) for `keep_alive_requests` copies of `request` sent one after the
    other on one new connection; a status line is None when no answer came within BOUND."""
    lines = []
    start = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=BOUND) as s:
        for _ in range(keep_alive_requests):
            s.sendall(request)
            try:
                answer = s.recv(65536)
            except socket.timeout:
                lines.append(None)
                break
            lines.append(answer.split(b"\r\n")[0].decode())
    return time.perf_counter() - start, lines


@pytest.fixture
def server(live_server, publish):
    publish(make_xform("visit", "1"))
    return live_server(workers=None)


def test_ordinary_requests_are_answered_within_a_second_beside_400_slow_connections(
        server, personas):
    token = personas["worker_a"].token
    head = (f"HEAD /v1/key/{token}/projects/1/submission HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "X-OpenRosa-Version: 1.0\r\n\r\n").encode()
    pests = Pests(server.port, token)
    try:
        # Each pest starts as an ordinary request (a 401, or a token checked in the database):
        # once those 400 are handled, the pests only wait.
        deadline = time.monotonic() + 30
        while _timed(head, server.port)[1] != [NO_CONTENT] and time.monotonic() < deadline:
            pass
        for _ in range(5):
            seconds, lines = _timed(head, server.port)
            assert lines == [NO_CONTENT] and seconds < BOUND
        # keep-alive, as Collect uses it: a second request on the same connection
        seconds, lines = _timed(head, server.port, keep_alive_requests=2)
        assert lines == [NO_CONTENT] * 2 and seconds < 2 * BOUND
        xml = make_instance("visit", values={"name": "Amina"})
        body = (b"--c\r\nContent-Disposition: form-data; name=\"xml_submission_file\"; "
                b"filename=\"s.xml\"\r\nContent-Type: text/xml\r\n\r\n" + xml + b"\r\n--c--\r\n")
        post = (f"POST /v1/key/{token}/projects/1/submission HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "X-OpenRosa-Version: 1.0\r\nContent-Type: multipart/form-data; boundary=c\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode() + body
        seconds, lines = _timed(post, server.port)
        assert lines == ["HTTP/1.1 201 CREATED"] and seconds < BOUND
    finally:
        pests.stop()
