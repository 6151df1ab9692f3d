"""People and households in a real browser through gunicorn, at phone and desktop size:
find a woman by toneless pinyin, open her life course, then her household; each page passes
the page checks (no sideways scroll, axe, weight) and is screenshotted."""
import pytest

from tests.browser.console import SIZES, check_page, open_browser, sign_in
from tests.samples import instance

pytestmark = pytest.mark.once("postgresql")


@SIZES
def test_find_a_person_by_pinyin_and_open_her_timeline(browser, town, console_site, personas,
                                                       width, height):
    phone = town.phone("worker_a")
    for name in ("three_checks_confirms_with_ultrasound", "birth"):
        assert phone.submit(instance(name)).status_code == 201
    page = open_browser(browser, width, height)
    sign_in(page, console_site, "supervisor", personas["supervisor"].password)
    page.goto(console_site + "/people")
    page.fill("#q", "liu mei")
    with page.expect_navigation():
        page.click("form.search button[type=submit]")
    assert page.locator("td.name a").all_text_contents() == ["刘梅"]
    check_page(page, "people-search")
    with page.expect_navigation():
        page.click("td.name a")
    assert page.text_content("h1") == "刘梅"
    timeline = page.locator("ol.timeline li")
    assert timeline.count() >= 4
    assert "三查" in page.text_content("ol.timeline")
    assert page.locator("ol.timeline a[href^='/submissions/']").count() == timeline.count()
    assert "610425********0727" in page.text_content(".person-head")
    check_page(page, "person")
    with page.expect_navigation():
        page.click(".person-head a[href^='/households/']")
    assert "刘梅" in page.text_content("table.members")
    check_page(page, "household")
    page.context.close()
