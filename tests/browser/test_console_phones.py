"""Phones, users, account and Today in a real browser through gunicorn: a supervisor enrols a
phone, the test reads the QR code off the screen (zxing-cpp) and the phone's URL in it works
for formList; she revokes the phone and it is refused. The admin's pages pass the page checks
at both sizes."""
import io

import pytest
import requests

from app.auth import provisioning
from tests.browser.console import SIZES, check_page, open_browser, sign_in

pytestmark = pytest.mark.once("postgresql")

OPENROSA = {"X-OpenRosa-Version": "1.0"}


def _read_qr(page):
    """The text of the QR code on the page, decoded from a screenshot of it."""
    import zxingcpp
    from PIL import Image
    shot = page.locator("svg.qr").screenshot()
    # zxing-cpp may report one code twice (seen once in a loaded full run): one text is one code
    found = {code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))}
    assert len(found) == 1, found
    return found.pop()


@SIZES
def test_a_supervisor_enrols_a_phone_scans_its_sheet_and_revokes_it(
        browser, console_site, personas, simple_form, width, height):
    page = open_browser(browser, width, height)
    sign_in(page, console_site, "supervisor", personas["supervisor"].password)
    page.goto(console_site + "/phones")
    assert "worker_a" in page.text_content("main") and "worker_b" not in page.text_content("main")
    check_page(page, "phones")
    with page.expect_navigation():
        page.click("text=登记手机")
    check_page(page, "phone-new")
    page.fill("#name", f"王小梅的手机 {width}")
    with page.expect_navigation():
        page.click("button[type=submit].primary")
    assert "/phones/" in page.url
    check_page(page, "phone-sheet")

    settings = provisioning.decode(_read_qr(page))
    server_url = settings["general"]["server_url"]
    assert server_url.startswith(console_site + "/v1/key/") and server_url.endswith("/projects/1")
    assert settings["general"]["form_update_mode"] == "match_exactly"
    assert page.text_content("code.url") == server_url
    listed = requests.get(server_url + "/formList", headers=OPENROSA, timeout=10)
    assert listed.status_code == 200 and "<formID>simple</formID>" in listed.text

    with page.expect_navigation():
        page.click("button.danger")
    assert page.locator("svg.qr").count() == 0 and "已撤销" in page.text_content("main")
    check_page(page, "phone-revoked")
    refused = requests.get(server_url + "/formList", headers=OPENROSA, timeout=10)
    assert refused.status_code == 403
    page.context.close()


@SIZES
def test_the_admin_s_today_users_and_account_pages_pass_the_page_checks(
        browser, console_site, personas, width, height):
    page = open_browser(browser, width, height)
    sign_in(page, console_site, "admin", personas["admin"].password)
    check_page(page, "today-admin")
    page.goto(console_site + "/users")
    check_page(page, "users")
    page.goto(console_site + f"/users/{personas['supervisor'].id}")
    check_page(page, "user")
    page.goto(console_site + "/users/new")
    check_page(page, "user-new")
    page.goto(console_site + "/account?lang=en")
    check_page(page, "account-en")
    page.context.close()
