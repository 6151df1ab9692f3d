"""The Exports page in a real browser through gunicorn, at phone and desktop size: it passes
the page checks (no sideways scroll, axe, weight), the filters carry onto the links, and a
click on a download saves a file that openpyxl (XLSX) or csv (CSV for Excel) reads back."""
import csv
import io

import pytest
from openpyxl import load_workbook

from tests.browser.console import SIZES, check_page, open_browser, sign_in
from tests.samples import instance

pytestmark = pytest.mark.once("postgresql")


def _download(page, selector):
    with page.expect_download() as found:
        page.click(selector)
    download = found.value
    with open(download.path(), "rb") as f:
        return download.suggested_filename, f.read()


@SIZES
def test_the_exports_page_downloads_a_forms_workbook_and_a_list_for_excel(
        browser, town, console_site, personas, width, height):
    assert town.phone("worker_a").submit(instance("home_visit_birth")).status_code == 201
    page = open_browser(browser, width, height)
    page.context.set_default_timeout(60_000)
    sign_in(page, console_site, "supervisor", personas["supervisor"].password)
    page.goto(console_site + "/")
    with page.expect_navigation():
        page.click("nav a[href='/exports']")
    assert page.text_content("h1") == "导出"
    check_page(page, "exports")

    page.fill("#since", "2020-01-01")
    page.select_option("#state", "received")
    with page.expect_navigation():
        page.click("form[method=get] button[type=submit]")
    assert page.text_content("h1") == "导出", page.url + page.content()[:3000]
    link = page.locator("a[href^='/exports/forms/home_visit.xlsx']")
    assert "state=received" in link.get_attribute("href")

    name, body = _download(page, "a[href^='/exports/forms/home_visit.xlsx']")
    assert name.startswith("home_visit-") and name.endswith(".xlsx")
    book = load_workbook(io.BytesIO(body))
    root = [[c.value for c in row] for row in book.worksheets[0].iter_rows()]
    assert len(root) == 2 and "提交时间" in root[0]
    assert len(book.sheetnames) >= 2

    name, body = _download(page, "a[href^='/exports/lists/people.excel.csv']")
    assert name.startswith("people-") and name.endswith(".csv")
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows and {r["所属村"] for r in rows} == {"东湾村"}
    assert any(r["姓名"] == "王小妹" for r in rows)       # made by the visit just sent
    page.context.close()
