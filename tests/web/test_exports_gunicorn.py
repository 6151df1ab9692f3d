"""The console's XLSX export from a real gunicorn (the shipped gevent worker): streamed with
no Content-Length, read back with openpyxl, and the same worker keeps answering other
requests while a big workbook is being written."""
import io
import re
import threading
import time

import pytest
import requests
from openpyxl import load_workbook

from tests.e2e.conftest import live_server  # noqa: F401 - a real gunicorn
from tests.e2e.test_csv_export import _copies
from tests.samples import instance

pytestmark = pytest.mark.once


def _console(server, username):
    browser = requests.Session()
    page = browser.get(f"{server.url}/login", timeout=10).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    signed = browser.post(f"{server.url}/login", data={
        "csrf": csrf, "username": username, "password": f"{username}-password"},
        allow_redirects=False, timeout=10)
    assert signed.status_code == 303
    return browser


def test_the_workbook_streams_from_gunicorn_while_other_requests_are_answered(
        live_server, town, personas, db):
    for name in ("home_visit_birth", "home_visit_death"):
        assert town.phone("worker_a").submit(instance(name)).status_code == 201
    _copies(db, 5_000)
    server = live_server(workers=1)
    browser = _console(server, "admin")
    times = {}

    def download():
        times["start"] = time.monotonic()
        with browser.get(f"{server.url}/exports/forms/home_visit.xlsx", stream=True,
                         timeout=300) as response:
            times["status"] = response.status_code
            times["length"] = response.headers.get("Content-Length")
            times["body"] = b"".join(response.iter_content(1 << 16))
        times["export"] = time.monotonic()
    thread = threading.Thread(target=download)
    thread.start()
    time.sleep(0.5)
    sent = time.monotonic()
    other = _console(server, "viewer").get(f"{server.url}/exports", timeout=60)
    times["other"] = time.monotonic() - sent
    thread.join()
    assert other.status_code == 200 and "home_visit" in other.text
    assert times["status"] == 200 and times["length"] is None        # streamed
    book = load_workbook(io.BytesIO(times["body"]), read_only=True)
    assert sum(1 for _row in book.worksheets[0].iter_rows()) == 5_003   # header, 2 + 5,000 visits
    export_seconds = times["export"] - times["start"]
    assert export_seconds > 1.0, "the export was too quick to show anything"
    assert times["other"] < export_seconds / 2, times
