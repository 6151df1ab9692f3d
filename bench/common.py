"""Shared plumbing for benchmarks: a scratch database and data dir, a real gunicorn, a
keep-alive HTTP load generator, and percentile arithmetic. Nothing here is timed itself."""
import http.client
import os
import socket
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


def make_app(database_url, data_dir, config=None):
    """The app on the bench's database; `config`: more settings (the object store's)."""
    import logging
    logging.getLogger("alembic").setLevel(logging.WARNING)      # no migration chatter
    from app import create_app
    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "DATA_DIR": data_dir,
                       "SECRET_KEY": "bench", **(config or {})})


@contextmanager
def s3_store():
    """A real S3 API on loopback (moto's server, in a thread of this process; moto[server] is
    in tests/requirements.txt) with an empty bucket: yields the app's settings naming it."""
    import logging

    import boto3
    from moto.server import ThreadedMotoServer
    logging.getLogger("werkzeug").setLevel(logging.WARNING)    # not a line per S3 request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        boto3.session.Session().client(
            "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="bench",
            aws_secret_access_key="bench").create_bucket(Bucket="bench")
        yield {"STORAGE_URL": "s3://bench/town", "STORAGE_ENDPOINT_URL": endpoint,
               "STORAGE_REGION": "us-east-1", "STORAGE_ACCESS_KEY_ID": "bench",
               "STORAGE_SECRET_ACCESS_KEY": "bench"}
    finally:
        server.stop()


def prepare(app, form_paths, village=None):
    """Migrate, publish the forms and create one app user; returns its token. `village`: the
    phone is limited to that one village (forms/villages.csv), as a field worker's is."""
    from flask_migrate import upgrade

    from app.auth.accounts import create_app_user
    from app.cli import publish_paths
    from app.db import db
    with app.app_context():
        upgrade()
        publish_paths(form_paths, echo=lambda line: None)
        if village:
            from app.projects.service import import_areas
            import_areas(db.session, 1, os.path.join(os.path.dirname(os.path.dirname(
                os.path.abspath(__file__))), "forms", "villages.csv"))
        _, token = create_app_user(db.session, 1, "bench phone", [village] if village else None)
        db.session.commit()
    return token


class Gunicorn:
    """A real gunicorn serving this checkout, in its own process group (so it can be crashed
    whole), logging to a temporary file."""

    def __init__(self, database_url, data_dir, port, workers, threads, max_bytes=None,
                 app_uri="wsgi:app", env=None, root=None):
        """env: more variables (the object store's settings, DOORSTEP_INSTANCE_DIR); root:
        another checkout to serve (a bench's "before")."""
        self.env = {**os.environ, "DOORSTEP_DATABASE_URL": database_url,
                    "DOORSTEP_DATA_DIR": data_dir, "DOORSTEP_SECRET_KEY": "bench",
                    "DOORSTEP_BIND": f"127.0.0.1:{port}", **(env or {})}
        if workers:         # else the shipped gunicorn defaults, i.e. what users run
            self.env["DOORSTEP_WORKERS"] = str(workers)
        if threads:
            self.env["DOORSTEP_THREADS"] = str(threads)
        if max_bytes:
            self.env["DOORSTEP_MAX_SUBMISSION_BYTES"] = str(max_bytes)
        self.port, self.app_uri, self.root = port, app_uri, root or ROOT
        self.log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log",
                                               delete=False)
        self.start()

    def start(self, seconds=60):
        """Start gunicorn and wait until it answers; started again if it exits at once (the
        port still held by a crashed predecessor's workers)."""
        self._spawn()
        self.wait_ready(seconds)

    def _spawn(self):
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        # a bench's own app module (bench/events_app.py) is found on bench/'s path
        path = [] if self.app_uri == "wsgi:app" else ["--pythonpath", os.path.join(ROOT, "bench")]
        self.process = subprocess.Popen([gunicorn, "-c", "python:app.gunicorn_conf", *path,
                                         self.app_uri],
                                        cwd=self.root, env=self.env, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, seconds=60):
        """Until a request is answered (after a worker was killed, the master starts another)."""
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.process.poll() is not None:
                time.sleep(0.2)
                self._spawn()
                continue
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/")
                conn.getresponse().read()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn does not answer")

    def workers(self):
        """The worker processes' pids."""
        try:
            with open(f"/proc/{self.process.pid}/task/{self.process.pid}/children") as f:
                return [int(p) for p in f.read().split()]
        except OSError:
            return []

    def kill_worker(self, rng):
        """SIGKILL one worker (the master starts another). Returns its pid or None."""
        import signal
        pids = self.workers()
        if not pids:
            return None
        pid = rng.choice(pids)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return None
        return pid

    def crash(self):
        """SIGKILL the master and every worker at once (a crashed host or container)."""
        import signal
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(10)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.crash()


def cpu_reference():
    """Milliseconds this machine takes for a fixed pure-Python loop (best of 3): a yardstick
    printed beside results, since the 2-core VM's speed drifts by up to 3x within an hour
    (docs/performance.md gives the range seen)."""
    best = None
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i
        elapsed = (time.perf_counter() - start) * 1000
        best = elapsed if best is None else min(best, elapsed)
    return best


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
    """Send every (body, content type) over `clients` keep-alive connections, each its own
    thread. Requests are rendered to bytes beforehand and responses read with a minimal parser,
    so the load generator takes as little as possible of the CPU it shares with the server
    (http.client cost ~0.3 ms per request here). Returns (seconds, latencies ms, statuses)."""
    latencies, statuses, lock = [], {}, threading.Lock()
    rendered = [_render(method, path, port, body, ctype) for body, ctype in bodies]
    chunks = [rendered[i::clients] for i in range(clients)]

    def run(chunk):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffer, mine, codes = b"", [], {}
        for request in chunk:
            start = time.perf_counter()
            if sock is None:        # the server closed the last one: connect again, as phones do
                sock = socket.create_connection(("127.0.0.1", port))
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(request)
            status, buffer, close = _read_response(sock, buffer, method == "HEAD")
            if close:
                sock.close()
                sock, buffer = None, b""
            mine.append((time.perf_counter() - start) * 1000)
            codes[status] = codes.get(status, 0) + 1
        if sock is not None:
            sock.close()
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


def _render(method, path, port, body, ctype):
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"X-OpenRosa-Version: 1.0\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    return head + body


def _read_response(sock, buffer, head_only):
    """(status, leftover bytes, whether the server closes the connection) for one HTTP/1.1
    response with Content-Length (or none)."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length, close = 0, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection":
            close = value.strip().lower() == b"close"
    if head_only or status in (204, 304):
        length = 0
    while len(rest) < length:
        rest += sock.recv(65536)
    return status, rest[length:], close


def percentile(values, p):
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]
