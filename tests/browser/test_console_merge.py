"""Merging a duplicate person in a real browser through gunicorn, at phone and desktop size:
both records side by side, one pick changed, the preview, the merge, A's page listing B with
its unmerge button, B's page linking to A, and the unmerge; each page passes the page checks
(no sideways scroll, axe, weight) and is screenshotted."""
import pytest
from sqlalchemy import select

from app.register.models import Entity
from tests.browser.console import SIZES, check_page, open_browser, sign_in
from tests.quality.test_merging import A, B_DATA, PEOPLE

pytestmark = pytest.mark.once


@SIZES
def test_a_supervisor_compares_merges_and_unmerges_two_records(browser, town, console_site,
                                                               personas, client, login, db,
                                                               width, height):
    b = client.post(PEOPLE, headers=login("admin"),
                    json={"label": "刘梅", "data": B_DATA}).json["uuid"]
    page = open_browser(browser, width, height)
    sign_in(page, console_site, "supervisor", personas["supervisor"].password)
    page.goto(f"{console_site}/duplicates/{A}/{b}")
    assert page.text_content("h1") == "合并重复记录"
    assert page.is_checked("input[name='pick.phone'][value='kept']")
    assert page.is_checked("input[name='pick.iud_status'][value='merged']")
    check_page(page, "merge-compare")
    page.check("input[name='pick.phone'][value='merged']")
    with page.expect_navigation():
        page.click("form.resolve button[type=submit]")
    assert "13700002222" in page.text_content("#merged-preview + p + dl, section[aria-labelledby='merged-preview']")
    check_page(page, "merge-preview")
    with page.expect_navigation():
        page.click("button.primary")
    assert page.url.endswith(f"/people/{A}")
    assert b in page.get_attribute("#merged-in + ul a", "href")
    check_page(page, "merge-kept-person")
    page.goto(f"{console_site}/people/{b}")
    assert page.get_attribute("[role=status] a", "href") == f"/people/{A}"
    check_page(page, "merge-merged-person")
    page.goto(f"{console_site}/people/{A}")
    with page.expect_navigation():
        page.click("#merged-in + ul button.danger")
    assert page.url.endswith(f"/people/{b}")
    db.session.rollback()
    merged = db.session.scalar(select(Entity).where(Entity.uuid == b))
    assert merged.merged_into_id is None and merged.deleted_at is None
    page.context.close()
