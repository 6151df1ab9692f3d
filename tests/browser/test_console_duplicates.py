"""The possible duplicates page in a real browser through gunicorn, at phone and desktop size:
a phone's second registration of 张丽 listed with its evidence in Chinese, and "not a
duplicate" taking it off the list."""
import pytest
from sqlalchemy import select

from app.quality.models import DuplicatePair
from tests.browser.console import SIZES, check_page, open_browser, sign_in
from tests.quality.test_duplicates import _register

pytestmark = pytest.mark.once


@SIZES
def test_a_supervisor_reads_a_pair_and_says_it_is_not_a_duplicate(browser, console_site,
                                                                  personas, town, db, width,
                                                                  height):
    _register(town, db)
    db.session.rollback()
    page = open_browser(browser, width, height)
    sign_in(page, console_site, "supervisor", personas["supervisor"].password)
    page.goto(console_site + "/duplicates")
    assert "姓名读音相同（同音字）" in page.text_content("ul.pairs")
    check_page(page, "duplicates")
    with page.expect_navigation():
        page.click("ul.pairs form button[type=submit]")
    assert "没有待处理的可能重复人员" in page.text_content("[role=status]")
    check_page(page, "duplicates-none")
    db.session.rollback()
    assert db.session.scalar(select(DuplicatePair.status)) == "dismissed"
    db.session.rollback()
    page.context.close()
