"""A form's preview in the console: the page is the browser forms' form page in preview mode
(data-preview, the engine with its nonce), and the files its script reads come from console
routes, as a phone of the person's villages would get them: her villages' rows of an entity
list, only the columns the form reads, and an audit row for each list sent."""
import csv
import io
import re

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth import accounts
from tests import conftest as top

NONCE = re.compile(r"'nonce-([^']+)'")


def _rows(response):
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def _lists_read(db, username):
    db.session.rollback()
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == "entity.list")
                              .order_by(AuditEvent.id)).all()


def test_the_preview_is_the_form_page_in_preview_mode_in_chinese_with_the_engine_by_nonce(
        console, town, webforms_files):
    response = console("supervisor").get("/forms/pregnancy_report/preview")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'data-preview="1"' in body and '<html lang="zh-CN">' in body
    assert "Doorstep 填报" in body and "预览：在这里填写的内容既不保存也不发送。" in body
    assert 'data-xml="/preview/pregnancy_report/xform"' in body
    assert 'data-manifest="/preview/pregnancy_report/manifest"' in body
    assert 'data-sw=""' in body                  # no service worker: nothing kept offline
    nonce = NONCE.search(response.headers["Content-Security-Policy"]).group(1)
    assert f'<script type="importmap" nonce="{nonce}">' in body
    assert response.headers["Cache-Control"] == "no-store"
    english = console("supervisor").get("/forms/pregnancy_report/preview?lang=en")
    assert "Preview: what is filled here is neither kept nor sent." in english.get_data(
        as_text=True)


def test_the_preview_serves_the_current_xform_and_a_manifest_of_console_urls(console, town):
    supervisor = console("supervisor")
    xml = supervisor.get("/preview/pregnancy_report/xform")
    assert xml.status_code == 200 and xml.content_type.startswith("application/xml")
    assert b"pregnancy_report" in xml.data and b"<h:html" in xml.data
    manifest = supervisor.get("/preview/pregnancy_report/manifest")
    assert manifest.status_code == 200
    urls = re.findall(r"<downloadUrl>([^<]+)</downloadUrl>", manifest.get_data(as_text=True))
    assert "/preview/pregnancy_report/media/people.csv" in urls
    assert all(u.startswith("/preview/pregnancy_report/media/") for u in urls)


def test_an_entity_list_in_the_preview_has_only_her_villages_rows_and_is_audited(
        console, town, db):
    before = len(_lists_read(db, "supervisor"))
    people = console("supervisor").get("/preview/pregnancy_report/media/people.csv")
    assert people.status_code == 200
    names = {row["label"] for row in _rows(people)}
    assert "刘梅" in " ".join(names) and not any("赵燕" in n for n in names)    # xishan's
    events = _lists_read(db, "supervisor")
    assert len(events) == before + 1
    assert events[-1].details["route"] == "console" and events[-1].details["count"] > 0
    # the admin (town-wide) sees the other village's woman too
    everyone = console("admin").get("/preview/pregnancy_report/media/people.csv")
    assert any("赵燕" in row["label"] for row in _rows(everyone))


def test_an_entity_list_in_the_preview_carries_only_the_columns_the_form_reads(console, town):
    from app.db import db
    from app.forms.list_reads import EVERY
    from app.forms.models import Form, FormVersion
    form = db.session.scalar(select(Form).where(Form.xml_form_id == "pregnancy_report"))
    reads = db.session.get(FormVersion, form.current_version_id).list_reads["people.csv"]
    header = console("admin").get("/preview/pregnancy_report/media/people.csv") \
        .get_data(as_text=True).splitlines()[0].split(",")
    assert header[:3] == ["name", "label", "__version"]
    assert reads != EVERY               # the town's form reads a few of the people's columns
    properties = {c for c in header[3:] if not c.startswith("__")}
    assert properties == {r for r in reads if r not in ("name", "label") and r[:2] != "__"}
    assert "id_number" not in properties          # the people list has it; this form reads none


def test_a_person_of_another_village_previews_the_form_with_her_own_rows_only(
        console, town, db, app):
    accounts.create_user(db.session, "supervisor_x", "x-password", "supervisor", top.REALM,
                         ["xishan"], hash_method="scrypt:1024:8:1")
    db.session.commit()
    from tests.web.conftest import Console, sign_in
    client = app.test_client()
    assert sign_in(app, client, "supervisor_x", "x-password").status_code == 303
    rows = _rows(Console(app, client).get("/preview/pregnancy_report/media/people.csv"))
    assert rows and all("赵燕" in r["label"] or "西山" in r["label"] for r in rows), rows


def test_the_preview_refuses_anonymous_fetches_and_unknown_files(console, town, app):
    anonymous = app.test_client().get("/preview/pregnancy_report/xform")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login")
    supervisor = console("supervisor")
    assert supervisor.get("/preview/pregnancy_report/media/nope.csv").status_code == 404
    assert supervisor.get("/preview/no_such_form/xform").status_code == 404


def test_the_form_page_links_its_preview(console, town):
    body = console("admin").get("/forms/pregnancy_report").get_data(as_text=True)
    assert 'href="/forms/pregnancy_report/preview"' in body and ">预览<" in body
