"""Reconciliation in a real browser through gunicorn, at phone and desktop size: the
supervisor uploads the hospital's births, sees her village's accuracy, opens the omitted
births and follows one to the mother's page; each page passes the page checks (no sideways
scroll, axe, weight) and is screenshotted."""
import pytest

from tests.browser.console import SIZES, check_page, open_browser, sign_in
from tests.quality.test_outside_import import hospital_rows
from tests.quality.test_outside_support import HOSPITAL_ZH, births, seed_people  # noqa: F401
from tests.quality.test_outside_support import write

pytestmark = pytest.mark.once


@SIZES
def test_upload_see_accuracy_and_follow_an_omitted_birth(browser, console_site, db, personas,
                                                         births, tmp_path, width,
                                                         height):  # noqa: F811
    seed_people(db.session)
    births("wang", "2026-03-05", "male")
    db.session.commit()
    path = tmp_path / "births.xlsx"
    path.write_bytes(write("xlsx", HOSPITAL_ZH, hospital_rows()))
    page = open_browser(browser, width, height)
    sign_in(page, console_site, "supervisor", personas["supervisor"].password)
    page.goto(console_site + "/reconcile")
    check_page(page, "reconcile-empty")
    page.select_option("#kind", "hospital_births")
    page.set_input_files("#file", str(path))
    with page.expect_navigation():
        page.click("form[enctype] button[type=submit]")
    assert "/reconcile/" in page.url, page.text_content("main")[:600]
    figures = page.text_content("table.figures")
    assert "东湾村" in figures and "33.33%" in figures and "西山村" not in figures
    check_page(page, "reconcile-import")
    with page.expect_navigation():
        page.click("nav.card a[href*='status=omitted']")
    rows = page.locator("table.results tbody tr")
    assert rows.count() == 2                    # H002 and H004: neither reported
    assert "补录出生" in page.text_content("table.results")
    check_page(page, "reconcile-omitted")
    with page.expect_navigation():
        page.locator("table.results a[href^='/people/']").first.click()
    assert page.text_content("h1") in ("李娜", "陈静")
    page.goto(console_site + "/reconcile")
    assert "33.33%" in page.text_content("main")
    check_page(page, "reconcile")
    page.context.close()
