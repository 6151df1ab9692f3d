"""The town switcher and the county roll-up in a real browser through gunicorn, at phone and
desktop size: a county viewer switches towns with the frame's select and button (no script)
and reads the county page; both pages pass the console's page checks (no sideways scroll at
360 px, no serious axe-core violation, light)."""
import pytest

from tests.browser.console import SIZES, check_page, open_browser, sign_in
from tests.towns.conftest import towns  # noqa: F401 - a fixture: two towns and their staff

# the pages in a browser once, as the console's other pages; tests/towns covers their
# database code on both databases
pytestmark = pytest.mark.once("postgresql")


@SIZES
def test_county_staff_switch_towns_and_read_the_roll_up(browser, console_site, towns,  # noqa: F811
                                                       width, height):
    page = open_browser(browser, width, height)
    sign_in(page, console_site, "county", "county-password")
    assert page.is_visible("form.town select")
    check_page(page, "towns-today")
    page.select_option("form.town select", "2")
    with page.expect_navigation():
        page.click("form.town button")
    assert page.url.endswith("/?project=2")
    assert page.eval_on_selector("form.town select", "s => s.value") == "2"
    page.goto(console_site + "/review")            # remembered: still town 2
    assert page.eval_on_selector("form.town select", "s => s.value") == "2"
    page.goto(console_site + "/county?month=2026-05")
    assert "全县合计" in page.text_content("main")
    check_page(page, "towns-county")
    page.context.close()
