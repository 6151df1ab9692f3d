"""The README's first command, as a new user runs it: `flask --app wsgi setup` then gunicorn
with the shipped config, in a fresh instance directory with the default SQLite database."""
import os
import re
import sqlite3
import subprocess
import sys

import pytest
import requests

from tests.e2e.live import ROOT, free_port

BIN = os.path.dirname(sys.executable)


def _setup(env):
    return subprocess.run([os.path.join(BIN, "flask"), "--app", "wsgi", "setup"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.database_independent
def test_setup_then_gunicorn_serves_a_phone(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOORSTEP_")}
    env["DOORSTEP_INSTANCE_DIR"] = str(tmp_path)
    first = _setup(env)
    assert first.returncode == 0, first.stderr
    url = re.search(r"Server URL for ODK Collect: (\S+)", first.stdout).group(1)
    # it ends with the console's address and the admin's password
    console, password = re.search(r"Web console / 管理台: (\S+)\nAdmin login / 管理员登录: "
                                  r"admin / (\S+)\n$", first.stdout).groups()
    assert console == "http://127.0.0.1:8000/"
    assert (tmp_path / "quickstart-phone.png").read_bytes().startswith(b"\x89PNG")
    villages = sqlite3.connect(tmp_path / "doorstep.sqlite3").execute(
        "select count(*) from areas").fetchone()[0]
    assert villages == 12

    again = _setup(env)
    assert again.returncode == 0 and url in again.stdout        # idempotent, same phone

    port = free_port()
    env["DOORSTEP_BIND"] = f"127.0.0.1:{port}"
    server = subprocess.Popen([os.path.join(BIN, "gunicorn"), "-c", "python:app.gunicorn_conf",
                               "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        path = url.split(":8000", 1)[1]
        import time
        deadline = time.time() + 60
        while True:       # not listening yet, or its workers still booting on a busy machine
            try:
                response = requests.get(f"http://127.0.0.1:{port}{path}/formList",
                                        headers={"X-OpenRosa-Version": "1.0"}, timeout=10)
                break
            except requests.RequestException:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        assert response.status_code == 200
        assert b"http://openrosa.org/xforms/xformsList" in response.content
        form_ids = sorted(re.findall(rb"<formID>([^<]+)</formID>", response.content))
        assert form_ids == [b"benefit_payment", b"contraception_service", b"double_check",
                            b"home_visit", b"migrant", b"person", b"pregnancy_outcome",
                            b"pregnancy_report", b"prepregnancy_check",
                            b"three_checks"]           # the town's ten forms, on the phone
        browser = requests.Session()            # the admin signs in to the console
        page = browser.get(f"http://127.0.0.1:{port}/login", timeout=10)
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        today = browser.post(f"http://127.0.0.1:{port}/login", timeout=10, data={
            "csrf": token, "username": "admin", "password": password})
        assert today.status_code == 200 and today.url.endswith(":%d/" % port)
        assert "今日" in today.text
    finally:
        server.terminate()
        server.wait(40)     # a graceful stop: gevent workers finish within graceful_timeout (30 s)
