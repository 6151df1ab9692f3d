"""Resolving a conflict in a real browser through gunicorn, at phone and desktop size: the
queue, both sides of a conflict two phones made, one choice and "resolved" in one step."""
import re

import pytest

from tests.browser.console import SIZES, check_page, open_browser, sign_in
from tests.web.test_conflicts import entity, hard  # noqa: F401 - fixtures
from tests.register.test_merge import people  # noqa: F401 - a fixture

pytestmark = pytest.mark.once("postgresql")


@SIZES
def test_a_supervisor_resolves_a_conflict_two_phones_made(browser, console_site, personas,
                                                          hard, db, width, height):  # noqa: F811
    page = open_browser(browser, width, height)
    sign_in(page, console_site, "supervisor", personas["supervisor"].password)
    page.goto(console_site + "/conflicts")
    assert page.get_attribute("html", "lang") == "zh-CN"
    check_page(page, "conflicts")
    with page.expect_navigation():
        page.click(f"a[href='/conflicts/{hard}']")
    assert "第 2 版" in page.text_content("table.sides")
    check_page(page, "conflict")
    page.check("input[name='pick.phone'][value='value:2']")
    with page.expect_navigation():
        page.click("form.resolve button[type=submit]")
    assert re.search(r"/conflicts/[0-9a-f-]+\?resolved=4$", page.url)
    assert "已处理" in page.text_content("[role=status]")
    check_page(page, "conflict-resolved")
    with page.expect_navigation():
        page.click("a.lang")
    assert "Resolved." in page.text_content("[role=status]")
    check_page(page, "conflict-resolved-en")
    woman = entity(db, hard)
    assert (woman.data["phone"], woman.conflict) == ("2", None)
    page.context.close()
