"""Exports streaming from a real gunicorn (review of issue 21): intake goes on while a big CSV
export streams (SQLite's write lock is not held by the export's reads), and a client that goes
away mid-feed ends the feed's read, freeing its database connection."""
import sqlite3
import time

import pytest
import requests
from sqlalchemy import text

from tests.collect import OPENROSA
from tests.e2e.test_csv_export import _copies
from tests.samples import instance

EXPORT = "/v1/projects/1/forms/home_visit/submissions.csv"


def _login(server):
    token = requests.post(f"{server.url}/v1/sessions", json={
        "email": "admin", "password": "admin-password"}, timeout=10).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def _export_reading(db):
    """Is a read of the submissions still open in some connection (the export's)?
    PostgreSQL: a backend of this database other than ours in a query or a transaction (the
    test's own sessions are closed, the server's pooled connections idle). SQLite: a reader holds a snapshot older than the end of the log, so a
    TRUNCATE checkpoint is refused (busy)."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(url.database, timeout=0)
        try:
            busy, _log, _done = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            connection.close()
        return busy == 1
    with db.engine.connect() as connection:
        return connection.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND "
            "datname = current_database() AND state <> 'idle'")) > 0


class _SlowClient:
    """A raw HTTP/1.1 GET on a socket with a small receive buffer, reading only when told:
    the server can then run ahead of it by no more than its own send buffer (net.ipv4.tcp_wmem's
    maximum) and this small buffer, so an export bigger than both is still being written
    while the client waits."""
    RCVBUF = 8192

    def __init__(self, server, path, headers, answered=True):
        import socket
        self.socket = socket.socket()
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.RCVBUF)
        self.socket.settimeout(60)
        self.socket.connect(("127.0.0.1", server.port))
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{server.port}", "Connection: close"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.socket.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.received, self.status = b"", None
        if answered:                    # else: headers() later
            self.headers()

    def headers(self):
        while b"\r\n\r\n" not in self.received:
            self.received += self.socket.recv(65536)
        self.status = int(self.received.split(b" ", 2)[1])
        return self.status

    def rest(self):
        """Read to the end; the bytes received in all."""
        total = len(self.received)
        while chunk := self.socket.recv(1 << 20):
            total += len(chunk)
        self.socket.close()
        return total

    def close(self):
        self.socket.close()


def _send_buffer_limit():
    with open("/proc/sys/net/ipv4/tcp_wmem") as f:
        return int(f.read().split()[2])


def _submit(server, personas, name):
    url = f"{server.url}/v1/key/{personas['worker_a'].token}/projects/1/submission"
    return requests.post(url, files=[("xml_submission_file", ("s.xml", instance(name),
                                                              "text/xml"))],
                         headers=OPENROSA, timeout=15)


def test_a_submission_is_accepted_while_a_big_export_streams(live_server, town, personas, db):
    assert town.phone("worker_a").submit(instance("home_visit_birth")).status_code == 201
    _copies(db, 30_000)
    db.session.remove()
    server = live_server(workers=2)
    export = _SlowClient(server, f"{EXPORT}?groupPaths=true", _login(server))
    try:
        assert export.status == 200, export.received
        sent = time.monotonic()
        accepted = _submit(server, personas, "home_visit_marriage")
        assert accepted.status_code == 201, accepted.text
        assert time.monotonic() - sent < 10
        # the server could not have written more than its send buffer and ours ahead of
        # what we had read: so the export was still reading and writing meanwhile
        assert export.rest() > 2 * (_send_buffer_limit() + _SlowClient.RCVBUF) + len(
            export.received)
    finally:
        export.close()


def test_a_feed_the_client_leaves_mid_way_frees_its_database_connection(
        live_server, town, personas, db):
    """The OData feed reads on one open cursor (the CSV export's keyset batches hold none
    between batches): while the client waits the cursor is open; once the client has gone
    the worker stops, closes it, and answers the next request."""
    assert town.phone("worker_a").submit(instance("home_visit_birth")).status_code == 201
    _copies(db, 30_000)
    db.session.remove()
    server = live_server(workers=1)
    headers = _login(server)
    feed = _SlowClient(server, "/v1/projects/1/forms/home_visit.svc/Submissions", headers)
    assert feed.status == 200, feed.received
    # a write after the feed's snapshot, so that SQLite's checkpoint sees the reader
    assert _submit(server, personas, "home_visit_marriage").status_code == 201
    assert _export_reading(db)
    feed.close()                                    # the client goes away mid-feed
    deadline = time.monotonic() + 20
    while _export_reading(db):
        assert time.monotonic() < deadline, "the feed still reads after its client left"
        time.sleep(0.2)
    assert requests.get(f"{server.url}/v1/projects/1/forms", headers=headers,
                        timeout=10).status_code == 200


def test_an_export_whose_database_connection_dies_mid_way_ends_as_a_broken_download(
        live_server, town, personas, db):
    """PostgreSQL: the export's backend is terminated while the body streams. The status was
    sent long ago, so the only honest answer is a body the client sees is cut off (no last
    chunk), never one that ends like a complete CSV; and the worker goes on serving."""
    if db.engine.url.get_backend_name() != "postgresql":
        pytest.skip("terminating another connection is PostgreSQL's")
    assert town.phone("worker_a").submit(instance("home_visit_birth")).status_code == 201
    _copies(db, 30_000)
    db.session.remove()
    server = live_server(workers=1)
    headers = _login(server)
    with db.engine.connect() as connection:
        started = connection.scalar(text("SELECT clock_timestamp()"))
    export = _SlowClient(server, EXPORT, headers)
    assert export.status == 200
    with db.engine.connect() as connection:
        deadline = time.monotonic() + 10
        killed = 0
        while not killed:
            assert time.monotonic() < deadline, "no export connection to terminate"
            # the export's connection: the one opened since the export began (the exports'
            # pool opens it then; the requests' and this test's were opened before)
            killed = connection.scalar(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                "pid <> pg_backend_pid() AND datname = current_database() AND "
                "backend_start >= :started"), {"started": started})
    data = export.received
    try:
        while chunk := export.socket.recv(1 << 20):
            data += chunk
    except OSError:
        pass
    export.close()
    assert not data.endswith(b"\r\n0\r\n\r\n"), "a cut-off export looked complete"
    assert requests.get(f"{server.url}/v1/projects/1/forms", headers=headers,
                        timeout=10).status_code == 200


def test_slow_downloads_beyond_the_pool_size_do_not_stop_a_phones_submission(
        live_server, town, personas, db):
    """Each streamed export holds a database connection while its client downloads. They
    drew from the requests' pool (5 + 10 per worker): 15 slow downloads on one worker made
    the 16th a 500 and a phone's submission wait past 15 s. Exports now have a pool of their
    own (app.exports.pool): those beyond it wait for a connection, requests do not."""
    from app.exports.pool import CONNECTIONS
    assert town.phone("worker_a").submit(instance("home_visit_birth")).status_code == 201
    _copies(db, 30_000)
    db.session.remove()
    server = live_server(workers=1)
    headers = _login(server)
    slow = [_SlowClient(server, EXPORT, headers, answered=False) for _ in range(16)]
    try:
        # the first CONNECTIONS stream; the others wait for a connection of the exports'
        assert [c.headers() for c in slow[:CONNECTIONS]] == [200] * CONNECTIONS
        sent = time.monotonic()
        accepted = _submit(server, personas, "home_visit_marriage")
        assert accepted.status_code == 201, accepted.text
        assert time.monotonic() - sent < 10
        assert requests.get(f"{server.url}/v1/projects/1/forms", headers=headers,
                            timeout=10).status_code == 200
        # and the waiting exports stream once the first ones are done
        for c in slow[:CONNECTIONS]:
            c.close()
        assert slow[CONNECTIONS].headers() == 200
        assert slow[CONNECTIONS].rest() > 2 * _send_buffer_limit()
    finally:
        for c in slow:
            c.close()
