"""Helpers for the console's browser tests: a real gunicorn on the test database, a browser
signed in at phone (360×740) or desktop (1366×768) size, and one check every page passes:
no sideways scroll on a phone, no serious or critical axe-core violation, under 300 KB on
first load, and a screenshot saved under test-output/screenshots (DOORSTEP_SCREENSHOTS)."""
import os
import re

import pytest

from tests.browser.conftest import axe_violations
from tests.conftest import ROOT

PHONE, DESKTOP = (360, 740), (1366, 768)
SIZES = pytest.mark.parametrize("width,height", [PHONE, DESKTOP], ids=["phone", "desktop"])
SHOTS = os.environ.get("DOORSTEP_SCREENSHOTS", os.path.join(ROOT, "test-output", "screenshots"))
FIRST_LOAD_LIMIT = 300_000


def open_browser(browser, width, height):
    """A fresh browser context (no cookies) at this size; its page counts the bytes it loads."""
    context = browser.new_context(viewport={"width": width, "height": height},
                                  locale="zh-CN", bypass_csp=True)  # axe is injected
    page = context.new_page()
    page.loaded_bytes = 0

    def count(response):
        try:
            page.loaded_bytes += len(response.body())
        except Exception:     # noqa: BLE001 - a redirect has no body to count
            pass
    page.on("response", count)
    return page


def sign_in(page, base, username, password):
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/login" not in page.url, page.content()[:2000]


def check_page(page, name):
    """The checks every console page passes; `name` names its screenshot."""
    width = page.viewport_size["width"]
    os.makedirs(SHOTS, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    page.screenshot(path=os.path.join(SHOTS, f"{safe}-{width}.png"), full_page=True)
    sideways = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert sideways <= 0, f"{name} scrolls sideways by {sideways}px at {width}px"
    found = axe_violations(page)
    assert not found, f"{name}: {found}"
    assert page.loaded_bytes < FIRST_LOAD_LIMIT, f"{name}: {page.loaded_bytes} bytes"


def first_load(browser, base, path, cookies, width, height):
    """The bytes a page costs with an empty cache (the page, its stylesheet, its images)."""
    page = open_browser(browser, width, height)
    page.context.add_cookies(cookies)
    page.goto(base + path)
    page.wait_for_load_state("networkidle")
    return page.loaded_bytes
