"""Shared plumbing for benchmarks: a scratch database and data dir, a real gunicorn, a
keep-alive HTTP load generator, and percentile arithmetic. Nothing here is timed itself."""
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_BENCH = os.path.join(ROOT, "..", "shared", "bench")
sys.path.insert(0, ROOT)


@contextmanager
def scratch_database(kind):
    """Yield a database URL: a fresh SQLite file, or a fresh database on the PostgreSQL server
    named by DOORSTEP_BENCH_POSTGRES (default postgresql://postgres@127.0.0.1:5432/test)."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.sqlite3"
        return
    from sqlalchemy import create_engine, text
    server = os.environ.get("DOORSTEP_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
    admin = create_engine(server.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    name = f"doorstep_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_app(database_url, data_dir):
    from app import create_app
    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "DATA_DIR": data_dir,
                       "SECRET_KEY": "bench"})


def prepare(app, form_paths):
    """Migrate, publish the forms and create one app user; returns its token."""
    from flask_migrate import upgrade

    from app.auth.accounts import create_app_user
    from app.cli import publish_paths
    from app.extensions import db
    with app.app_context():
        upgrade()
        publish_paths(form_paths, echo=lambda line: None)
        _, token = create_app_user(db.session, 1, "bench phone")
        db.session.commit()
    return token


class Gunicorn:
    def __init__(self, database_url, data_dir, port, workers, threads):
        env = {**os.environ, "DOORSTEP_DATABASE_URL": database_url, "DOORSTEP_DATA_DIR": data_dir,
               "DOORSTEP_SECRET_KEY": "bench", "DOORSTEP_BIND": f"127.0.0.1:{port}"}
        if workers:         # else the shipped gunicorn defaults, i.e. what users run
            env["DOORSTEP_WORKERS"] = str(workers)
        if threads:
            env["DOORSTEP_THREADS"] = str(threads)
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        self.process = subprocess.Popen([gunicorn, "-c", "python:app.gunicorn_conf", "wsgi:app"],
                                        cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
        self.port = port
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/")
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(15)


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def multipart(xml):
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"xml_submission_file\"; "
            f"filename=\"submission.xml\"\r\nContent-Type: text/xml\r\n\r\n").encode() + xml + \
        f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def post_all(port, path, bodies, clients, method="POST"):
    """Send every (body, content type) over `clients` keep-alive connections.
    Returns (seconds, latencies in ms, status counts)."""
    latencies, statuses, lock = [], {}, threading.Lock()
    chunks = [bodies[i::clients] for i in range(clients)]

    def run(chunk):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, codes = [], {}
        for body, ctype in chunk:
            start = time.perf_counter()
            conn.request(method, path, body, {"Content-Type": ctype, "X-OpenRosa-Version": "1.0"})
            response = conn.getresponse()
            response.read()
            mine.append((time.perf_counter() - start) * 1000)
            codes[response.status] = codes.get(response.status, 0) + 1
        conn.close()
        with lock:
            latencies.extend(mine)
            for k, v in codes.items():
                statuses[k] = statuses.get(k, 0) + v

    threads = [threading.Thread(target=run, args=(c,)) for c in chunks]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, latencies, statuses


def percentile(values, p):
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]
