"""The console's frame in a real browser through gunicorn: signing in and out at phone and
desktop size, in both languages, accessible, light and without sideways scroll."""
import pytest

from tests.browser.console import SIZES, check_page, open_browser, sign_in

# the pages in a browser once (SQLite pass); tests/web covers their database code on both
pytestmark = pytest.mark.once("postgresql")


@SIZES
def test_sign_in_page_and_today_page_pass_the_page_checks(browser, console_site, personas,
                                                          width, height):
    page = open_browser(browser, width, height)
    page.goto(console_site + "/")
    assert "/login" in page.url
    assert page.get_attribute("html", "lang") == "zh-CN"
    check_page(page, "login")
    sign_in(page, console_site, "supervisor", personas["supervisor"].password)
    assert page.get_attribute("html", "lang") == "zh-CN"
    check_page(page, "today")
    with page.expect_navigation():
        page.click("a.lang")
    assert page.get_attribute("html", "lang") == "en"
    check_page(page, "today-en")
    with page.expect_navigation():
        page.click("form.out button")
    assert "/login" in page.url
    page.goto(console_site + "/")
    assert "/login" in page.url
    page.context.close()


def test_a_wrong_password_is_shown_on_the_page(browser, console_site, personas):
    page = open_browser(browser, 360, 740)
    page.goto(console_site + "/login")
    page.fill("#username", "supervisor")
    page.fill("#password", "not-it")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "用户名或密码不正确" in page.text_content("[role=alert]")
    check_page(page, "login-wrong-password")
    page.context.close()
