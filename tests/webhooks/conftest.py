"""Webhook fixtures: a real HTTP receiver on a loopback port (http.server in a thread) that can
be down (nothing listening on its port), slow, answer with a chosen status, or redirect; a
subscription made through the admin API; and the worker run in the test's own thread."""
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from app.webhooks import signing
from app.webhooks.delivery import Policy, send_due
from app.webhooks.models import WebhookDelivery

#: fast enough for a test: a retry after 0.2 s, an attempt cut off after 1 s
FAST = Policy(first=0.2, cap=0.2, jitter=0, timeout=1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """What a receiver saw: `requests` (every POST: headers, body, the status it answered)."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.requests = []
        self.answers = []           # statuses to answer next, in turn; then `status`
        self.status = 200
        self.delay = 0.0
        self.location = None        # with a 3xx: where it points
        self.server = None
        self.lock = threading.Lock()

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    status = receiver.answers.pop(0) if receiver.answers else receiver.status
                    delay = receiver.delay
                time.sleep(delay)
                try:
                    self.send_response(status)
                    if receiver.location:
                        self.send_header("Location", receiver.location)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:         # the sender gave up waiting
                    pass
                with receiver.lock:
                    receiver.requests.append({"headers": dict(self.headers), "body": body,
                                              "status": status, "path": self.path})

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def accepted(self):
        """The bodies it answered 2xx, as JSON, in the order it answered them."""
        with self.lock:
            return [json.loads(r["body"]) for r in self.requests if 200 <= r["status"] < 300]

    def verified(self, secret):
        """Whether every request it saw was signed with `secret` over its exact body."""
        with self.lock:
            return all(signing.verify(secret, r["body"], r["headers"]["X-Doorstep-Signature"])
                       for r in self.requests)


@pytest.fixture
def receiver():
    """A receiver that is down until the test calls .start()."""
    made = []

    def make():
        made.append(Receiver())
        return made[-1]
    yield make
    for r in made:
        r.stop()


@pytest.fixture
def subscribe(client, login):
    """subscribe(url, events=[...], **more) → the API's answer (with its one-time secret)."""
    headers = login("admin")

    def _subscribe(url, events=("submission.accepted",), **more):
        response = client.post("/v1/projects/1/webhooks", headers=headers,
                               json={"url": url, "events": list(events), **more})
        assert response.status_code == 200, response.json
        return response.json
    return _subscribe


def send(db, policy=FAST):
    """Run the worker once in this thread, as the server's timer does."""
    outcome = send_due(db.session, policy)
    db.session.remove()
    return outcome


def deliveries(db):
    """The outbox's rows now, as plain rows (they outlive the worker's session)."""
    db.session.rollback()
    table = WebhookDelivery.__table__
    rows = db.session.execute(select(table).order_by(table.c.id)).all()
    db.session.rollback()       # SQLite: hold no lock while a server writes
    return rows
