"""The browser forms end to end (issue 20), in Debian's chromium at 360×740 through a real
gunicorn: a women's group leader's link opens her forms list and the pregnancy report in ODK
Web Forms, and what she sends arrives once and updates the register as Collect's would."""
import datetime
import re

import pytest
from lxml import etree
from sqlalchemy import select

from app.auth import accounts
from tests.browser import webforms as wf
from tests.browser.conftest import axe_violations
from tests.samples.register import SUN_MIN

pytestmark = pytest.mark.once

UUID = re.compile(r"^uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@pytest.fixture
def leader(live_server, town, db, webforms_files):
    """A real gunicorn on the town, and a women's group leader's link on it (her village's
    phone, given the pregnancy report only): (server, app user, link URL)."""
    server = live_server()
    app_user, link = wf.leader_link(db, server.url)
    return server, app_user, link


def _fields(xml):
    """The submission's answers and its two entity blocks' attributes."""
    root = etree.fromstring(xml.encode("utf-8"))
    update, create = root.find("woman_update/meta/entity"), root.find("meta/entity")
    return root, dict(update.attrib), dict(create.attrib)


def _day(text):
    return datetime.date.fromisoformat(text)


def test_a_leader_s_report_sent_from_the_browser_arrives_once_and_updates_the_register(
        browser, leader, db):
    _, _, link = leader
    context = wf.phone_context(browser)
    page = context.new_page()
    errors = wf.console_errors(page)
    page.goto(link)
    assert page.locator("#forms a").all_text_contents() == ["孕情报告 Pregnancy report"]
    page.click("#forms a[data-form=pregnancy_report]")
    wf.wait_for_form(page)
    wf.choose(page, "村（社区）", "东湾村")
    # the village's women of 15 to 50 from the register (李秀英 is 55, 赵燕 lives in 西山村):
    # the list's filter compares birth dates, which compat.js lets Web Forms 0.22 evaluate
    assert sorted(wf.options(page, "孕妇")) == sorted(["张丽", "陈红", "孙敏", "刘梅", "周芳",
                                                        "何静"])
    wf.fill_report(page, "孙敏", weeks="10")
    wf.send(page)
    wf.wait_for_state(page, "#status", "sent")
    assert wf.waiting(page) == 0

    [(instance_id, xml, deprecated)] = wf.received(db)
    assert UUID.match(instance_id) and deprecated is None
    root, update, create = _fields(xml)
    assert root.findtext("meta/instanceID") == instance_id
    # Web Forms 0.22 fills the entity attributes the form computes, as Collect does: the
    # woman's id and the version of her row in people.csv, and a new pregnancy's id
    assert update == {"dataset": "people", "update": "1", "baseVersion": "1",
                      "trunkVersion": "", "branchId": "", "id": SUN_MIN}
    assert create["dataset"] == "pregnancies" and create["create"] == "1"
    report_date = _day(root.findtext("report_date"))
    lmp = report_date - datetime.timedelta(weeks=10)
    assert root.findtext("lmp") == lmp.isoformat()
    assert root.findtext("edd") == (lmp + datetime.timedelta(days=280)).isoformat()

    (version, data, _), versions = wf.entity(db, SUN_MIN)
    assert (version, data["pregnant"]) == (2, "yes")
    assert [(v, base) for v, base, _, _ in versions] == [(1, None), (2, 1)]
    assert versions[-1][3] is None                     # no conflict
    pregnancies = wf.in_list(db, "pregnancies")
    label, made = pregnancies[create["id"]]
    assert label == f"孙敏 {lmp.isoformat()}"
    assert {k: made[k] for k in ("woman", "village", "status", "reported_by", "lmp",
                                 "birth_order", "prepregnancy_check_date")} == {
        "woman": SUN_MIN, "village": "dongwan", "status": "reported",
        "reported_by": "group_leader", "lmp": lmp.isoformat(), "birth_order": "1",
        "prepregnancy_check_date": "2026-09-10"}

    page.wait_for_timeout(500)
    assert wf.received(db) == [(instance_id, xml, None)]      # still once
    assert errors == []
    context.close()


def test_two_reports_filled_offline_wait_survive_a_closed_page_and_arrive_once_each_in_order(
        browser, leader, db):
    _, _, link = leader
    context = wf.phone_context(browser)
    page = wf.open_report(context, link)
    wf.wait_for_worker(page)

    context.set_offline(True)
    for woman in ("张丽", "陈红"):
        wf.fill_report(page, woman, weeks="8")
        wf.send(page)
        wf.wait_for_state(page, "#outbox", "1" if woman == "张丽" else "2")
        assert wf.status(page) == "kept"
    assert wf.waiting(page) == 2
    page.evaluate("window.doorstepSaveDraft()")
    assert wf.drafts(page) == []            # the fresh form after Send is not a draft
    queued = wf.outbox(page)
    assert len(queued) == 2 and all(UUID.match(i) for i in queued)
    page.close()
    assert wf.received(db) == []

    page = context.new_page()               # still offline: the service worker's copy
    page.goto(link)
    wf.wait_for_state(page, "#outbox", "2")
    assert page.locator("#forms a").count() == 1
    page.click("#forms a[data-form=pregnancy_report]")     # the form opens offline too
    wf.wait_for_form(page)
    wf.wait_for_state(page, "#outbox", "2")
    assert wf.received(db) == []
    context.set_offline(False)
    wf.wait_for_state(page, "#outbox", "0")
    rows = wf.received(db)
    assert [r[0] for r in rows] == queued                      # once each, oldest first
    assert [_fields(xml)[0].findtext("woman_name") for _, xml, _ in rows] == ["张丽", "陈红"]
    assert all(deprecated is None for _, _, deprecated in rows)
    page.reload()
    wf.wait_for_state(page, "#outbox", "0")
    assert len(wf.received(db)) == 2
    context.close()


def test_a_draft_kept_across_a_browser_restart_is_resumed_and_arrives_once_with_its_own_id(
        browser, leader, db, tmp_path):
    _, _, link = leader
    profile = str(tmp_path / "profile")
    context = wf.persistent_phone(browser.browser_type, profile)
    page = wf.open_report(context, link)
    wf.choose(page, "村（社区）", "东湾村")
    wf.choose(page, "孕妇", "孙敏")
    page.evaluate("window.doorstepSaveDraft()")
    [draft] = wf.drafts(page)
    kept_id = wf.instance_id(draft["xml"])
    assert UUID.match(kept_id) and draft["form"] == "pregnancy_report"
    context.close()                                    # the browser is closed

    context = wf.persistent_phone(browser.browser_type, profile)
    page = context.new_page()
    page.goto(link)
    resume = page.locator(f"#drafts a[data-draft='{draft['id']}']")
    resume.wait_for()
    assert page.locator("#drafts-section").is_visible()
    resume.click()
    wf.wait_for_form(page)
    assert wf.question(page, "孕妇").locator(".p-select-label").inner_text() == "孙敏"
    wf.tick(page, "按末次月经还是孕周填写", "孕周")
    wf.fill_number(page, "孕周", "12")
    wf.tick(page, "是否头胎", "是")
    wf.send(page)
    wf.wait_for_state(page, "#status", "sent")

    [(instance_id, xml, deprecated)] = wf.received(db)
    assert (instance_id, deprecated) == (kept_id, None)
    root, update, _ = _fields(xml)
    assert root.find("meta/deprecatedID") is None and update["id"] == SUN_MIN
    assert root.findtext("weeks") == "12"
    assert wf.drafts(page) == []
    page.goto(link)
    wf.wait_for_state(page, "#outbox", "0")
    assert page.locator("#drafts-section").is_hidden()
    assert len(wf.received(db)) == 1
    context.close()


def test_a_revoked_link_is_refused_in_both_languages_and_its_unsent_form_is_not_accepted(
        browser, leader, db):
    _, app_user, link = leader
    idle = wf.phone_context(browser).new_page()          # a second phone, nothing to send
    idle.goto(link)
    wf.wait_for_state(idle, "#status", "ready")
    assert any("people.csv" in url for url in wf.kept_files(idle))
    context = wf.phone_context(browser)
    page = wf.open_report(context, link)
    context.set_offline(True)
    wf.fill_report(page, "孙敏")
    wf.send(page)
    wf.wait_for_state(page, "#outbox", "1")

    accounts.revoke_app_user(db.session, db.session.merge(app_user))
    db.session.commit()
    context.set_offline(False)                     # the outbox tries, and hears 403
    wf.wait_for_state(page, "#status", "revoked")
    wf.wait_for_state(page, "#outbox", "1")        # counted again after the attempt
    assert len(wf.outbox(page)) == 1               # kept on the phone
    assert wf.received(db) == []
    assert wf.kept_files(page) == []        # the register's lists are forgotten on the phone

    assert idle.goto(link).status == 403    # the worker hears it, and forgets them too
    assert wf.kept_files(idle) == []
    idle.context.close()

    refused = page.goto(link)
    assert refused.status == 403 and page.get_attribute("html", "lang") == "zh-CN"
    assert "此手机的访问权限已被撤销" in page.inner_text("main .problem")
    assert "403.1" in page.inner_text("main")
    refused = page.goto(link + "?lang=en")
    assert refused.status == 403 and page.get_attribute("html", "lang") == "en"
    assert "access has been revoked" in page.inner_text("main .problem")
    context.set_offline(True)                      # the worker forgot the link's pages
    assert page.goto(link).status == 503
    assert wf.received(db) == []
    context.close()


def test_a_waiting_form_no_longer_given_to_the_phone_is_refused_alone_the_report_after_it_arrives_and_it_goes_once_given_back(
        browser, leader, db):
    _, app_user, link = leader
    context = wf.phone_context(browser)
    page = wf.open_report(context, link)
    context.set_offline(True)
    # a home visit filled while that form was given to her, then taken from her phone: the
    # server refuses it with 403.3, as it refuses a revoked key with 403.1
    wf.queue_withdrawn_visit(page)
    wf.fill_report(page, "孙敏")
    wf.send(page)
    wf.wait_for_state(page, "#outbox", "2")
    kept = wf.kept_files(page)
    assert any("people.csv" in url for url in kept)

    context.set_offline(False)
    wf.wait_for_state(page, "#status", "refused")
    wf.wait_for_state(page, "#outbox", "1")        # the refused visit stays, marked
    assert [_fields(xml)[0].findtext("woman_name") for _, xml, _ in wf.received(db)] == ["孙敏"]
    assert "home_visit" in page.inner_text("#status")
    assert wf.kept_files(page) == kept             # the link still works: nothing forgotten

    # the supervisor gives the form back: the next open offers the refused visit again
    from app.auth.models import AppUser
    from app.forms.models import Form
    phone = db.session.get(AppUser, app_user.id)
    phone.forms.append(db.session.scalar(select(Form).where(Form.xml_form_id == "home_visit")))
    db.session.commit()
    page.reload()
    wf.wait_for_state(page, "#outbox", "0")
    assert [r[0] for r in wf.received(db, "home_visit")] == [wf.WITHDRAWN_VISIT]
    context.close()


FIRST_OPEN, LATER_OPEN = 1_500_000, 50_000


def _open_twice(browser, link, log, wire):
    """Bytes on the wire (and the server's body bytes by kind) for a first open of the link
    in a fresh browser until it is ready offline, and for a later open plus opening a form."""
    context = wf.phone_context(browser)
    page = context.new_page()
    wire.take()
    wf.access_log_bodies(log)
    page.goto(link)
    wf.wait_for_state(page, "#status", "ready", timeout=40000)
    page.wait_for_timeout(300)                     # stragglers (the worker's own fetches)
    first, first_bodies = wire.take(), wf.access_log_bodies(log)
    page.close()
    page = context.new_page()
    page.goto(link)
    wf.wait_for_state(page, "#status", "ready")
    page.click("#forms a[data-form=pregnancy_report]")
    wf.wait_for_form(page)
    page.wait_for_timeout(300)
    later, later_bodies = wire.take(), wf.access_log_bodies(log)
    encoding = page.evaluate("""async () => {
        const map = JSON.parse(document.querySelector("script[type=importmap]").textContent);
        return (await fetch(map.imports["@getodk/web-forms"])).headers.get("Content-Encoding");
    }""")
    context.close()
    # chromium asks for brotli from a secure context (HTTPS, and loopback as here); over
    # plain HTTP on a LAN it takes gzip, about 190 KB more for the engine
    first_bodies["engine encoding"] = encoding
    return first, first_bodies, later, later_bodies


def test_a_leader_s_link_costs_under_1_5_mb_on_first_open_and_under_50_kb_later(
        browser, live_server, town, db, webforms_files, tmp_path):
    log = str(tmp_path / "access.log")
    server = live_server(env={"DOORSTEP_ACCESS_LOG": log})
    wire = wf.WireCounter(server.port)
    _, link = wf.leader_link(db, wire.url)
    first, first_bodies, later, later_bodies = _open_twice(browser, link, log, wire)
    print(f"\nleader's link (1 form): first open {first} B on the wire {first_bodies}, "
          f"later open {later} B {later_bodies}")
    assert first < FIRST_OPEN and later < LATER_OPEN
    assert later_bodies["engine"] == 0              # the engine answers from the worker
    wire.close()


def test_a_link_with_all_ten_forms_opens_later_under_50_kb_and_its_engine_and_pages_under_1_5_mb(
        browser, live_server, town, db, webforms_files, tmp_path):
    """All ten town forms precached on the first open exceed 1.5 MB by their XML, which the
    OpenRosa routes send uncompressed (about 276 KB, 45 KB gzipped): measured and split."""
    log = str(tmp_path / "access.log")
    server = live_server(env={"DOORSTEP_ACCESS_LOG": log})
    wire = wf.WireCounter(server.port)
    link = f"{wire.url}/-/web/{town.personas['worker_a'].token}/"
    first, first_bodies, later, later_bodies = _open_twice(browser, link, log, wire)
    print(f"\nall ten forms: first open {first} B on the wire {first_bodies}, "
          f"later open {later} B {later_bodies}")
    assert first - first_bodies["forms"] < FIRST_OPEN
    assert later < LATER_OPEN and later_bodies["engine"] == 0
    wire.close()


def test_the_forms_list_and_a_form_page_pass_axe_on_a_phone_and_a_desktop_and_never_scroll_sideways(
        browser, leader, db):
    _, _, link = leader
    context = wf.phone_context(browser, bypass_csp=True)       # axe-core is injected
    page = context.new_page()
    page.goto(link)
    wf.wait_for_state(page, "#status", "ready")
    sideways = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert sideways <= 0, f"the forms list scrolls sideways by {sideways}px"
    assert axe_violations(page) == []
    page.goto(link + "?lang=en")
    wf.wait_for_state(page, "#status", "ready")
    assert axe_violations(page) == []
    page.goto(link)
    page.click("#forms a[data-form=pregnancy_report]")
    wf.wait_for_form(page)
    wf.choose(page, "村（社区）", "东湾村")           # the woman's list is drawn
    # the whole page, Web Forms' own markup included: a11y.js names its selects' and date
    # picker's controls, webforms.css darkens its Send button
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    # and on a desktop (a leader's family computer): the list and the form again
    page.set_viewport_size({"width": 1366, "height": 768})
    assert axe_violations(page) == []
    page.goto(link)
    wf.wait_for_state(page, "#status", "ready")
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    context.close()


def test_over_plain_http_on_a_lan_the_link_still_fills_sends_and_keeps_a_form_while_offline(
        browser, leader, db):
    """A LAN address without HTTPS is no secure context: no service worker, no Cache Storage.
    The forms still open and send, and one filled when the connection drops waits in
    IndexedDB and goes when it returns; the list says why nothing is kept for offline."""
    _, _, link = leader
    lan = browser.browser_type.launch(executable_path=wf.CHROMIUM, args=[
        *wf.ARGS, "--host-resolver-rules=MAP leader.lan 127.0.0.1"])
    try:
        page = lan.new_context(viewport=wf.PHONE, locale="zh-CN").new_page()
        errors = wf.console_errors(page)
        page.goto(link.replace("127.0.0.1", "leader.lan"))
        assert page.evaluate("window.isSecureContext") is False
        wf.wait_for_state(page, "#status", "insecure")
        assert "HTTPS" in page.text_content("#status")
        page.click("#forms a[data-form=pregnancy_report]")
        wf.wait_for_form(page)
        wf.fill_report(page, "孙敏", weeks="10")
        wf.send(page)
        wf.wait_for_state(page, "#status", "sent")
        page.context.set_offline(True)
        wf.fill_report(page, "张丽", weeks="8")
        wf.send(page)
        wf.wait_for_state(page, "#outbox", "1")
        assert len(wf.received(db)) == 1
        page.context.set_offline(False)
        wf.wait_for_state(page, "#outbox", "0")
        names = [_fields(xml)[0].findtext("woman_name") for _, xml, _ in wf.received(db)]
        assert names == ["孙敏", "张丽"]
        # the only failures: the send tried while the connection was down
        assert [e for e in errors if "ERR_INTERNET_DISCONNECTED" not in e] == []
    finally:
        lan.close()


def test_a_form_waiting_when_the_phone_gets_a_new_code_is_sent_from_the_new_link(
        browser, leader, db, personas):
    """What the browser keeps is the phone's (its app user's), not the key's: after a new
    code (the old key refused), the new link shows the waiting report and sends it once."""
    from app.auth.actors import from_user
    from app.auth.models import User
    from app.console import phones
    server, app_user, link = leader
    context = wf.phone_context(browser)
    page = wf.open_report(context, link)
    context.set_offline(True)
    wf.fill_report(page, "孙敏")
    wf.send(page)
    wf.wait_for_state(page, "#outbox", "1")
    page.close()

    admin = from_user(db.session.get(User, personas["admin"].id))
    token = phones.new_code(db.session, admin, 1, app_user.id)
    db.session.commit()
    context.set_offline(False)
    page = context.new_page()
    page.goto(f"{server.url}/-/web/{token}/")
    wf.wait_for_state(page, "#outbox", "0")
    [(_, xml, _)] = wf.received(db)
    assert _fields(xml)[0].findtext("woman_name") == "孙敏"
    context.close()


def test_a_refused_form_is_shown_on_the_list_with_the_server_s_reason_and_she_may_delete_it(
        browser, leader, db):
    _, _, link = leader
    context = wf.phone_context(browser)
    page = wf.open_report(context, link)
    wf.queue_withdrawn_visit(page)
    page.reload()
    wf.wait_for_state(page, "#status", "refused")
    page.goto(link)
    page.wait_for_selector("#refused li")
    assert "home_visit" in page.inner_text("#refused li")
    assert wf.waiting(page) == 1
    page.once("dialog", lambda dialog: dialog.dismiss())      # "no": it stays
    page.click("#refused button")
    assert wf.waiting(page) == 1
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#refused button")
    wf.wait_for_state(page, "#outbox", "0")
    assert page.locator("#refused-section").is_hidden()
    assert wf.received(db, "home_visit") == []
    context.close()
