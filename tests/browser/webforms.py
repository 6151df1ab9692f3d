"""Helpers for the browser forms' tests: a women's group leader's link, a phone-sized browser
on it, filling the town's pregnancy report in ODK Web Forms' own controls, what the database
received (submissions in arrival order, the register's entities), and a relay that counts the
bytes a browser receives."""
import re
import socket
import threading

from sqlalchemy import select

from app.auth import accounts
from app.forms.models import Form
from app.register.models import Dataset, Entity, EntityVersion
from app.submissions.models import Submission, SubmissionDef

PHONE = {"width": 360, "height": 740}
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu"]


def leader_link(db, base_url, name="妇女小组长 东湾", village="dongwan"):
    """An app user for one village given only the pregnancy report: (app_user, link URL)."""
    app_user, token = accounts.create_app_user(db.session, 1, name, [village],
                                               ["pregnancy_report"])
    db.session.commit()         # the server (another process) must see her, and may write
    return app_user, f"{base_url}/-/web/{token}/"


def phone_context(browser, **options):
    """A fresh phone-sized context in Chinese; with service workers allowed (the default)."""
    return browser.new_context(viewport=PHONE, locale="zh-CN", **options)


def persistent_phone(browser_type, user_data_dir):
    """A phone-sized browser that keeps its profile (IndexedDB, Cache Storage) on disk, so
    closing and relaunching it is a phone's browser closed and opened again."""
    return browser_type.launch_persistent_context(
        user_data_dir, executable_path=CHROMIUM, args=ARGS, headless=True, viewport=PHONE,
        locale="zh-CN")


def open_report(context, link):
    """A new page of `context` on the link, once it is ready offline (engine, pages and forms
    kept), with the pregnancy report open in it."""
    page = context.new_page()
    page.goto(link)
    wait_for_state(page, "#status", "ready")
    page.click("#forms a[data-form=pregnancy_report]")
    wait_for_form(page)
    return page


WITHDRAWN_VISIT = "uuid:0b7e1d4c-9a53-4c4e-8f6e-2f1d3c4b5a69"


def queue_withdrawn_visit(page):
    """Put in the page's outbox a home visit filled while that form was given to the phone
    and since taken from it (the server refuses it with 403.3, as a revoked key with 403.1)."""
    page.evaluate("""async ([owner, id]) => {
        const store = await import("/-/web/static/store.js");
        await store.queue({ instanceID: id, owner, form: "home_visit", queued: 1,
          attachments: [], xml: '<data id="home_visit" version="2026120401"><meta>' +
          '<instanceID>' + id + '</instanceID></meta></data>' });
    }""", [page.get_attribute("body", "data-owner"), WITHDRAWN_VISIT])


def console_errors(page):
    """A list that collects the page's console errors and failed (4xx/5xx) responses."""
    found = []
    page.on("console", lambda m: m.type == "error" and found.append(m.text))
    page.on("response", lambda r: r.status >= 400 and found.append(f"{r.status} {r.url}"))
    return found


def wait_for_form(page):
    """Until ODK Web Forms has drawn the form's questions."""
    page.wait_for_selector(".questions-card .question-container", timeout=20000)


def question(page, label):
    """A question's box, found by its label's exact text (the form's Chinese labels)."""
    return page.locator(".question-container").filter(
        has=page.locator(".control-text label",
                         has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))).first


def choose(page, label, option):
    """Pick an option of a dropdown or autocomplete select (PrimeVue's Select)."""
    question(page, label).locator(".p-select").click()
    page.locator("[role=option]", has_text=option).first.click()
    page.locator("[role=listbox]").wait_for(state="detached")    # the overlay has closed


def options(page, label):
    """The options a select offers now (its dropdown opened and closed again)."""
    question(page, label).locator(".p-select").click()
    found = page.locator("[role=option]").all_inner_texts()
    page.keyboard.press("Escape")
    page.locator("[role=listbox]").wait_for(state="detached")
    return found


def tick(page, label, option):
    """Pick a radio option of a single-choice question."""
    question(page, label).locator("label.value-option", has_text=option).click()


def fill_number(page, label, value):
    number = question(page, label).locator("input")
    number.click()
    number.press_sequentially(value)       # PrimeVue's InputNumber takes keys, not fill()
    number.press("Tab")


def fill_report(page, woman, weeks="10", first=True):
    """The pregnancy report as a group leader fills it: her village, the woman (from the
    register's people list, filtered by village, sex and age), weeks pregnant, first or not."""
    choose(page, "村（社区）", "东湾村")
    choose(page, "孕妇", woman)
    tick(page, "按末次月经还是孕周填写", "孕周")
    fill_number(page, "孕周", weeks)
    tick(page, "是否头胎", "是" if first else "否")


def send(page):
    """Press the form's Send; the form is queued and then sent (or kept, offline)."""
    page.locator(".odk-form .footer button", has_text="Send").click()


def status(page):
    """The form page's status line's state (data-state: kept, sent, offline, revoked...)."""
    return page.get_attribute("#status", "data-state")


def waiting(page):
    """How many forms the page says wait in the outbox (#outbox's data-state)."""
    found = page.get_attribute("#outbox", "data-state")
    return int(found) if found and found.isdigit() else None


def wait_for_worker(page):
    """Until the service worker controls the page (it then answers with no connection)."""
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller",
                           timeout=20000)


def _store(page, name):
    return page.evaluate("""(name) => new Promise((resolve, reject) => {
        const open = indexedDB.open("doorstep-webforms");
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
            const all = open.result.transaction(name).objectStore(name).getAll();
            all.onsuccess = () => { open.result.close(); resolve(all.result); };
        };
    })""", name)


def drafts(page):
    """The drafts this browser keeps: [{id, form, xml, ...}] (from IndexedDB)."""
    return [{k: v for k, v in d.items() if k != "attachments"} for d in _store(page, "drafts")]


def instance_id(xml):
    found = re.search(r"<(?:\w+:)?instanceID>([^<]*)<", xml)
    return found.group(1) if found else None


def kept_files(page):
    """The URLs of the form files (forms, lists, media) this browser keeps for offline use."""
    return page.evaluate("""async () => (await (await caches.open("doorstep-webforms-files"))
                                         .keys()).map((r) => r.url)""")


def outbox(page):
    """The instanceIDs waiting in this browser's outbox, oldest first (from IndexedDB)."""
    rows = sorted(_store(page, "outbox"), key=lambda e: e["queued"])
    return [e["instanceID"] for e in rows]


def wait_for_state(page, selector, state, timeout=20000):
    page.wait_for_function(
        "([s, v]) => { const n = document.querySelector(s); return n && n.dataset.state === v; }",
        arg=[selector, state], timeout=timeout)


def received(db, xml_form_id="pregnancy_report"):
    """The form's submissions in the order the server stored them: [(instance_id, xml,
    deprecated_id)], read afresh (the server wrote them from another process)."""
    db.session.rollback()
    rows = db.session.execute(
        select(Submission.instance_id, SubmissionDef.xml, SubmissionDef.deprecated_id)
        .join(SubmissionDef, SubmissionDef.submission_id == Submission.id)
        .join(Form, Form.id == Submission.form_id)
        .where(Form.xml_form_id == xml_form_id).order_by(Submission.id)).all()
    db.session.rollback()
    return [tuple(r) for r in rows]


def entity(db, uuid):
    """An entity's current (version, data) and its versions' (version, base_version,
    submission_id), read afresh."""
    db.session.rollback()
    found = db.session.scalar(select(Entity).where(Entity.uuid == uuid))
    now = (found.version, dict(found.data), found.label)
    versions = db.session.execute(
        select(EntityVersion.version, EntityVersion.base_version, EntityVersion.submission_id,
               EntityVersion.conflict)
        .where(EntityVersion.entity_id == found.id).order_by(EntityVersion.version)).all()
    db.session.rollback()
    return now, [tuple(v) for v in versions]


def in_list(db, name):
    """{uuid: (label, data)} of an entity list, read afresh."""
    db.session.rollback()
    rows = {e.uuid: (e.label, dict(e.data)) for e in db.session.scalars(
        select(Entity).join(Dataset).where(Dataset.name == name))}
    db.session.rollback()
    return rows


class WireCounter:
    """A loopback TCP relay in front of the server that counts the bytes it passes to the
    browser: exactly what crosses the wire (status lines, headers, compressed bodies), the
    service worker's requests included."""

    def __init__(self, port):
        self.target = ("127.0.0.1", port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.received = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                browser, _ = self.listener.accept()
            except OSError:
                return                                  # closed
            server = socket.create_connection(self.target)
            threading.Thread(target=self._pump, args=(browser, server, False),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(server, browser, True),
                             daemon=True).start()

    def _pump(self, source, sink, counted):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
                if counted:
                    with self.lock:
                        self.received += len(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def take(self):
        """The bytes received since the last take."""
        with self.lock:
            found, self.received = self.received, 0
        return found

    def close(self):
        self.listener.close()


def access_log_bodies(path):
    """Body bytes the server sent by kind (engine, form files, pages and scripts) from its
    access log, which it then empties."""
    kinds = {"engine": 0, "forms": 0, "pages": 0}
    with open(path, encoding="utf-8") as f:
        for line in f:
            found = re.search(r'"GET (\S+) HTTP/1\.1" \d{3} (\d+|-)', line)
            if not found or found.group(2) == "-":
                continue
            where = found.group(1)
            kind = ("engine" if where.startswith("/-/web/engine/") else
                    "forms" if where.startswith("/v1/") else "pages")
            kinds[kind] += int(found.group(2))
    open(path, "w").close()
    return kinds
