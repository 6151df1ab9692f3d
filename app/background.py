"""Background threads inside the server (the register's backlog timer, the webhook worker):
each starts with a process's first request, so that it runs in every gunicorn worker after
the fork rather than once in the master before it, and never in tests. `alone` makes one run
of such a job happen in one process at a time across every host on the same database."""
import contextlib
import hashlib
import threading

from sqlalchemy import text


def start_on_first_request(app, name, target, *args):
    """Run target(*args) in a daemon thread called `name`, started by this process's first
    request."""
    started = threading.Event()

    def _start():
        if not started.is_set():
            started.set()
            threading.Thread(target=target, args=args, daemon=True, name=name).start()

    app.before_request(_start)


def lock_key(name):
    """The PostgreSQL advisory lock key of job `name`: a signed 64-bit number, stable across
    processes and hosts (Python's hash() is salted per process)."""
    digest = hashlib.sha256(f"doorstep:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextlib.contextmanager
def alone(engine, name):
    """Yields True when this process may run job `name` now, False when another process (of
    this host or another one on the same PostgreSQL database) is running it. On PostgreSQL a
    session advisory lock on a connection of its own, so the job may commit as often as it
    likes; a host that dies mid-run loses its connection and with it the lock. SQLite is one
    host by design and its writers queue on the database lock: always True."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    key = lock_key(name)
    with engine.connect() as connection:
        got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                 {"key": key}).scalar()
        connection.commit()
        try:
            yield bool(got)
        finally:
            if got:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()
