"""Start a real gunicorn serving this checkout on a free loopback port."""
import os
import shutil
import socket
import subprocess
import tempfile
import sys
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, database_url, data_dir, workers=2, max_bytes=None, secret="e2e-secret",
                 env=None, instance_dir=None):
        """secret=None: no DOORSTEP_SECRET_KEY, as in the quick start; env: more variables;
        instance_dir: DOORSTEP_INSTANCE_DIR (default: a fresh temporary directory)."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.own_instance = instance_dir is None
        self.instance_dir = instance_dir or tempfile.mkdtemp(prefix="doorstep-instance-")
        env = {**os.environ, "DOORSTEP_DATABASE_URL": database_url,
               "DOORSTEP_DATA_DIR": data_dir, "DOORSTEP_INSTANCE_DIR": self.instance_dir,
               "DOORSTEP_BIND": f"127.0.0.1:{self.port}", **(env or {})}
        env.pop("DOORSTEP_WORKERS", None)
        if workers is not None:         # None: the shipped number (2 x cores + 1)
            env["DOORSTEP_WORKERS"] = str(workers)
        env.pop("DOORSTEP_SECRET_KEY", None)
        if secret is not None:
            env["DOORSTEP_SECRET_KEY"] = secret
        if max_bytes:
            env["DOORSTEP_MAX_SUBMISSION_BYTES"] = str(max_bytes)
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        # The log goes to a file: a pipe nobody reads fills up and blocks the server.
        self.log = tempfile.NamedTemporaryFile(prefix="gunicorn-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [gunicorn, "-c", "python:app.gunicorn_conf", "wsgi:app"], cwd=ROOT, env=env,
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait(self, seconds=30):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited:\n" + self.output())
            try:
                requests.get(self.url + "/formList", timeout=5)
                return self
            except requests.RequestException:       # not listening yet, or workers booting
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start in time")

    def output(self):
        with open(self.log.name, encoding="utf-8", errors="replace") as f:
            return f.read()

    def kill(self):
        """SIGKILL the master and every worker at once: a crash, not a shutdown."""
        import signal
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        # SIGINT is gunicorn's quick shutdown: SIGTERM would wait graceful_timeout for the
        # test client's idle keep-alive connections, 10 s of nothing per server
        import signal
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        if self.own_instance:
            shutil.rmtree(self.instance_dir, ignore_errors=True)


def pyodk_client(server, directory):
    """pyodk's Client signed in as the test admin on `server` (a LiveServer), with its config
    and cache files in `directory`; use it as a context manager."""
    from pyodk.client import Client   # noqa: PLC0415 - only the pyodk tests need it
    config = directory / "pyodk.toml"
    config.write_text(f'[central]\nbase_url = "{server.url}"\nusername = "admin"\n'
                      f'password = "admin-password"\ndefault_project_id = 1\n')
    return Client(config_path=str(config), cache_path=str(directory / "cache.toml"))
