"""The forms, audit log and months pages in a real browser through gunicorn, at phone and
desktop size: an admin publishes an XLSForm by uploading it, sees a broken one refused with
pyxform's words, finds the publishing in the audit log, and opens a month's report from the
months page with no second password prompt; every page passes the page checks."""
import pytest

from tests.browser.console import SIZES, check_page, open_browser, sign_in
from tests.factories import make_xlsform

pytestmark = pytest.mark.once("postgresql")


def xlsform(tmp_path, name, survey):
    path = tmp_path / name
    path.write_bytes(make_xlsform(survey=survey, settings={
        "form_id": "visit", "version": "2026120401", "form_title": "入户走访"}))
    return str(path)


GOOD = [{"type": "text", "name": "name", "label::中文 (zh)": "姓名", "label::English (en)": "Name"},
        {"type": "image", "name": "photo", "label::中文 (zh)": "照片",
         "label::English (en)": "Photo"}]
BROKEN = [{"type": "textX", "name": "name", "label": "Name"}]


def submit(page):
    with page.expect_navigation():
        page.click("main button[type=submit]")


@SIZES
def test_an_admin_publishes_a_form_and_finds_it_in_the_audit_log(browser, console_site,
                                                                  personas, tmp_path, width,
                                                                  height):
    page = open_browser(browser, width, height)
    sign_in(page, console_site, "admin", personas["admin"].password)
    page.goto(console_site + "/forms")
    page.click("text=发布表单")
    page.set_input_files("#file", xlsform(tmp_path, "broken.xlsx", BROKEN))
    submit(page)
    assert "表单定义无效" in page.text_content("[role=alert]")
    assert "textX" in page.text_content("[role=alert]")
    check_page(page, "form-refused")
    page.set_input_files("#file", xlsform(tmp_path, "visit.xlsx", GOOD))
    submit(page)
    assert page.url.endswith("/forms/visit?done=created")
    assert "已发布：新表单。" in page.text_content("[role=status]")
    assert "max-pixels" in page.text_content("ul.warnings")
    check_page(page, "form")
    page.goto(console_site + "/forms")
    check_page(page, "forms")
    page.goto(console_site + "/audit")
    first = page.locator("table.list tbody tr").first
    assert "发布了表单" in first.text_content() and "admin" in first.text_content()
    with page.expect_navigation():
        first.locator("a").click()
    assert page.url.endswith("/forms/visit")
    page.goto(console_site + "/audit?action=form.publish")
    check_page(page, "audit")
    page.goto(console_site + "/months")
    check_page(page, "months")
    with page.expect_navigation():
        page.locator("ol.months a").first.click()
    assert "/reports/1/" in page.url and page.locator("h1").count() >= 1
    assert "未找到" not in page.content() and "登录" not in page.title()
    page.context.close()
