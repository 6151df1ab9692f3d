"""Slow and silent connections against a real gunicorn in its shipped shape: can a normal
request still get through? And what the worker class costs in intake throughput.

For each server (by default the shipped one, and the same checkout with `-k gthread`, the
shape before app/gunicorn_worker.py), on the same database:
- probes: HEAD /submission (authenticated by an app-user token, so it reads the database),
  each on a new connection, one every 0.25 s; first with nothing else going on, then while
  `--idle` connections have sent the headers of a 100 MB submission POST without credentials
  and nothing more, and `--slow` connections trickle the body of one (10 bytes every 0.5 s).
  Reported: how many probes were answered within 1 s, their median and slowest latency.
- throughput: submissions/s of ../shared/bench/bench_plain.xml over 8 keep-alive clients,
  the servers' rounds interleaved (A B B A ...), since this machine's speed drifts.

    python bench/slow_clients.py [--db sqlite|postgresql|both] [--idle 200] [--slow 200]
        [--rounds 4] [--n 1000] [--before DIR] [--extra '-w 9']
    (DIR: an older checkout, run as one more server; --extra: one more server's gunicorn args)
"""
import argparse
import os
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import ingest  # noqa: E402


class Server(common.Gunicorn):
    def __init__(self, name, root, cmd_args, url, data):
        self.name, self.root = name, root
        saved = os.environ.get("GUNICORN_CMD_ARGS")
        os.environ["GUNICORN_CMD_ARGS"] = cmd_args
        try:
            super().__init__(url, data, common.free_port(), 0, 0)
        finally:
            os.environ.pop("GUNICORN_CMD_ARGS")
            if saved is not None:
                os.environ["GUNICORN_CMD_ARGS"] = saved

    def _spawn(self):
        import subprocess
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        self.process = subprocess.Popen([gunicorn, "-c", "python:app.gunicorn_conf", "wsgi:app"],
                                        cwd=self.root, env=self.env, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)


def probe(port, token, timeout=5.0):
    """Seconds one HEAD /submission took on a new connection, or None (no answer in time)."""
    start = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall((f"HEAD /v1/key/{token}/projects/1/submission HTTP/1.1\r\n"
                       f"Host: 127.0.0.1\r\nX-OpenRosa-Version: 1.0\r\n"
                       "Connection: close\r\n\r\n").encode())
            if not s.recv(100).startswith(b"HTTP/1.1 204"):
                return None
    except OSError:
        return None
    return time.perf_counter() - start


def probes(port, token, count=20):
    results = []
    for _ in range(count):
        results.append(probe(port, token))
        time.sleep(0.25)
    return results


class Pests:
    """`idle` connections that sent a large POST's headers and stop; `slow` ones trickling its
    body. They run until stop() (and at most `seconds`), on one thread."""

    def __init__(self, port, token, idle, slow, seconds=120):
        self.port, self.token, self.seconds = port, token, seconds
        self.idle, self.slow, self.stopped = idle, slow, threading.Event()
        self.sockets = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _open(self, path, extra=""):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        s.sendall((f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-OpenRosa-Version: 1.0\r\n"
                   "Content-Type: multipart/form-data; boundary=b\r\n"
                   f"Content-Length: 100000000\r\n{extra}\r\n").encode())
        s.setblocking(False)
        return s

    def start(self):
        for _ in range(self.idle):
            self.sockets.append(self._open("/v1/projects/1/submission"))
        self.trickling = [self._open(f"/v1/key/{self.token}/projects/1/submission")
                          for _ in range(self.slow)]
        self.thread.start()
        return self

    def _run(self):
        deadline = time.monotonic() + self.seconds
        while not self.stopped.wait(0.5) and time.monotonic() < deadline:
            for s in self.trickling:
                try:
                    s.send(b"--b\r\nxxxxx")
                except OSError:         # closed by the server, or its buffer full
                    pass

    def stop(self):
        self.stopped.set()
        self.thread.join(10)
        for s in self.sockets + self.trickling:
            s.close()


def summary(results):
    answered = sorted(r for r in results if r is not None)
    within = sum(1 for r in answered if r <= 1.0)
    if not answered:
        return f"{within}/{len(results)} within 1 s, none answered"
    return (f"{within}/{len(results)} within 1 s, median {answered[len(answered) // 2] * 1000:.0f}"
            f" ms, slowest {answered[-1] * 1000:.0f} ms")


def run(kind, args):
    form = os.path.join(common.SHARED_BENCH, "bench_plain.xml")
    with common.scratch_database(kind) as url, tempfile.TemporaryDirectory() as data:
        app = common.make_app(url, data)
        token = common.prepare(app, [form])
        shapes = [("shipped", common.ROOT, ""), ("-k gthread", common.ROOT, "-k gthread")]
        if args.before:
            shapes.insert(0, ("before", args.before, ""))
        shapes += [(extra, common.ROOT, extra) for extra in args.extra]
        servers = [Server(name, root, cmd, url, data) for name, root, cmd in shapes]
        try:
            path = f"/v1/key/{token}/projects/1/submission"
            rates = {s.name: [] for s in servers}
            for s in servers:
                common.post_all(s.port, path, bodies(200), 8)               # warm up
            for r in range(args.rounds):
                for s in (servers if r % 2 == 0 else servers[::-1]):
                    seconds, _, statuses = common.post_all(s.port, path, bodies(args.n), 8)
                    assert set(statuses) == {201}, statuses
                    rates[s.name].append(args.n / seconds)
            for s in servers:
                quiet = probes(s.port, token)
                pests = Pests(s.port, token, args.idle, args.slow).start()
                time.sleep(2)
                try:
                    loaded = probes(s.port, token)
                finally:
                    pests.stop()
                median = sorted(rates[s.name])[len(rates[s.name]) // 2]
                print(f"{kind:10} {s.name:11} alone: {summary(quiet)}; with {args.idle} idle + "
                      f"{args.slow} slow: {summary(loaded)}; intake median {median:.0f}/s "
                      f"(rounds {', '.join(f'{x:.0f}' for x in rates[s.name])})", flush=True)
                s.stop()        # its pests' connections must not linger into the next one
        finally:
            for s in servers:
                if s.process.poll() is None:
                    s.stop()


def bodies(n):
    return [common.multipart(ingest.plain_instance("bench_plain", i)) for i in range(n)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--idle", type=int, default=200)
    parser.add_argument("--slow", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--before", help="an older checkout, measured as a third server")
    parser.add_argument("--extra", action="append", default=[],
                        help="GUNICORN_CMD_ARGS of one more server (e.g. '-w 9'); repeatable")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; CPU reference {common.cpu_reference():.0f} ms", flush=True)
    for kind in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        run(kind, args)


if __name__ == "__main__":
    main()
