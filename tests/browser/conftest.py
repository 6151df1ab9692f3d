"""A real browser for the web pages' tests: Debian's chromium (apt-get install chromium),
driven headless by Playwright for Python; never a downloaded browser build. Where chromium
or Playwright is missing the tests skip with the reason, and fail under CI=true, where a
missing browser must not pass for a green run."""
import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from tests.e2e.conftest import live_server  # noqa: F401 - a real gunicorn for console tests

CHROMIUM = os.environ.get("DOORSTEP_CHROMIUM", "/usr/bin/chromium")
AXE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vendor", "axe.min.js")


def _missing(reason):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (the browser tests must run under CI)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright for Python is not installed (tests/requirements.txt)")
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        _missing(f"no chromium at {CHROMIUM}: apt-get install -y chromium")
    with sync_playwright() as playwright:
        found = playwright.chromium.launch(executable_path=CHROMIUM,
                                           args=["--no-sandbox", "--disable-gpu"])
        yield found
        found.close()


@pytest.fixture
def live(db):
    """Serve a Flask app on a free loopback port in a thread: live(app) -> base URL."""
    servers = []

    def start(app):
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"
    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def axe_violations(page, serious_only=True):
    """axe-core (vendored from the npm registry, tests/browser/vendor) run on the page: the
    violations of WCAG 2.x A/AA and best practice, only serious and critical ones by default."""
    with open(AXE, encoding="utf-8") as f:
        page.add_script_tag(content=f.read())
    result = page.evaluate("""async () => await axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})""")
    found = result["violations"]
    if serious_only:
        found = [v for v in found if v.get("impact") in ("serious", "critical")]
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:5]) for v in found]


@pytest.fixture
def console_site(live_server):  # noqa: F811
    """A real gunicorn serving this test's database: its base URL (the console's tests)."""
    return live_server().url
