"""A form's preview in a real browser through gunicorn: a supervisor opens it from the console
at phone and desktop size, the page passes the accessibility checks, and what its script
fetches with her cookie (the XForm, the manifest, the people list) comes from the console's
routes, cut to her village; and the form opens in the engine (its script fetches the
preview's files with her cookie and keeps none of them: app/webforms/static/store.js `file`
with keep=false)."""
import pytest

from tests.browser.conftest import axe_violations
from tests.browser.console import SIZES, open_browser, sign_in

pytestmark = pytest.mark.once("postgresql")
FETCH = """async (url) => {
  const r = await fetch(url, {credentials: "same-origin"});
  return {status: r.status, type: r.headers.get("Content-Type"), text: await r.text()};
}"""


def _open(browser, console_site, personas, width, height):
    page = open_browser(browser, width, height)
    sign_in(page, console_site, "supervisor", personas["supervisor"].password)
    page.goto(console_site + "/forms/pregnancy_report/preview")
    return page


@SIZES
def test_a_supervisor_s_preview_page_and_the_files_it_reads_with_her_cookie(
        browser, console_site, personas, town, webforms_files, db, width, height):
    db.session.commit()
    page = _open(browser, console_site, personas, width, height)
    assert page.get_attribute("body", "data-preview") == "1"
    assert "预览" in page.text_content("main")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert not axe_violations(page)
    xml = page.evaluate(FETCH, page.get_attribute("body", "data-xml"))
    assert xml["status"] == 200 and "<h:html" in xml["text"]
    manifest = page.evaluate(FETCH, page.get_attribute("body", "data-manifest"))
    assert manifest["status"] == 200 and "people.csv" in manifest["text"]
    people = page.evaluate(FETCH, "/preview/pregnancy_report/media/people.csv")
    assert people["status"] == 200 and "刘梅" in people["text"] and "赵燕" not in people["text"]
    page.context.close()


def test_the_preview_opens_the_form_in_the_engine(browser, console_site, personas, town,
                                                  webforms_files, db):
    db.session.commit()
    page = _open(browser, console_site, personas, 360, 740)
    try:
        page.wait_for_function(
            "!document.querySelector('#form .loading') && "
            "!document.querySelector('#form').textContent.includes('无法打开表单')",
            timeout=20000)
        assert "无法打开表单" not in page.text_content("#form")
        assert page.locator("#form input, #form select, #form textarea").count() > 0
    finally:
        page.context.close()
