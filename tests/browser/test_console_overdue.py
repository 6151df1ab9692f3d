"""The overdue pregnancies page in a real browser through gunicorn, at phone and desktop size:
a supervisor opens it from the menu, sees her village's overdue woman (not the other
village's, not the one still within four weeks), follows the row to the woman's page; an admin
narrows the list with the village filter, in English too; each page passes the page checks
(no sideways scroll at 360 px, axe, weight) and is screenshotted."""
import datetime as dt

import pytest

from tests.browser.console import SIZES, check_page, open_browser, sign_in
from tests.quality.test_omissions import _pregnancy, _today, _uuid
from tests.samples import register as sample

pytestmark = pytest.mark.once


def _seed(db):
    edd = _today() - dt.timedelta(days=45)
    _pregnancy(db, _uuid(1), edd)
    _pregnancy(db, _uuid(2), edd, village="xishan", woman=sample.ZHAO_YAN, name="赵燕")
    _pregnancy(db, _uuid(3), _today() - dt.timedelta(days=10), woman=sample.ZHANG_LI,
               name="张丽")


@SIZES
def test_a_supervisor_follows_an_overdue_pregnancy_to_the_woman(browser, town, db, console_site,
                                                                personas, width, height):
    _seed(db)
    page = open_browser(browser, width, height)
    sign_in(page, console_site, "supervisor", personas["supervisor"].password)
    with page.expect_navigation():
        page.click("nav a[href='/overdue']")
    assert page.text_content("h1") == "孕情去向不明"
    assert page.locator("td.name a").all_text_contents() == ["刘梅"]
    assert "45" in page.text_content("table.overdue")
    check_page(page, "overdue")
    with page.expect_navigation():
        page.click("td.name a")
    assert page.text_content("h1") == "刘梅"
    page.context.close()


@SIZES
def test_an_admin_filters_by_village_in_english(browser, town, db, console_site, personas,
                                                width, height):
    _seed(db)
    page = open_browser(browser, width, height)
    sign_in(page, console_site, "admin", personas["admin"].password)
    page.goto(console_site + "/overdue?lang=en")
    assert page.text_content("h1") == "Overdue pregnancies"
    assert sorted(page.locator("td.name a").all_text_contents()) == ["刘梅", "赵燕"]
    page.click("details.filters summary")
    page.select_option("#village", "xishan")
    with page.expect_navigation():
        page.click("details.filters button[type=submit]")
    assert page.locator("td.name a").all_text_contents() == ["赵燕"]
    check_page(page, "overdue-village-en")
    page.context.close()
