"""The report's web faces over HTTP (app/reports/views.py): page, print view and XLSX, the
language switch, who may see them, and every bad request a readable bilingual page, never a
500; and the templates against a rich sample document."""
import base64
import hashlib
import io
import re

import openpyxl
import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.reports import views
from tests.reports.present_app import bearer, serving_reports
from tests.reports.sample_document import document


@pytest.fixture
def web(app, db, personas):
    return serving_reports(app).test_client()


@pytest.fixture
def admin(web):
    return bearer(web, "admin", "admin-password")


def _html(response):
    assert response.content_type == "text/html; charset=utf-8"
    return response.get_data(as_text=True)


def test_page_is_chinese_by_default_english_on_request(web, admin):
    zh = web.get("/reports/1/2025-03", headers=admin)
    assert zh.status_code == 200
    body = _html(zh)
    assert '<html lang="zh-Hans">' in body
    assert "全镇 2025-03 镇级月报" in body
    assert "<script" not in body
    policy = zh.headers["Content-Security-Policy"]
    assert "script-src" not in policy and "default-src 'none'" in policy
    assert "style-src 'self'" in policy and "frame-ancestors 'none'" in policy
    en = web.get("/reports/1/2025-03?lang=en", headers=admin)
    assert en.status_code == 200
    assert '<html lang="en">' in _html(en)
    assert "Whole town, 2025-03: town monthly report" in _html(en)
    # the links keep the language and the village
    village = _html(web.get("/reports/1/2025-03?village=dongwan&lang=en", headers=admin))
    assert 'href="/reports/1/2025-03/print?village=dongwan&amp;lang=en"' in village
    assert 'href="/reports/1/2025-03.xlsx?village=dongwan&amp;lang=en"' in village
    assert 'href="/reports/1/2025-02?village=dongwan&amp;lang=en"' in village
    assert 'href="/reports/1/2025-03?village=dongwan" lang="zh-Hans">中文</a>' in village
    assert 'href="/reports/1/2025-03?lang=en" lang="en">English</a>' in body


def test_stylesheet_is_served_by_doorstep(web):
    css = web.get("/reports/static/reports.css")
    assert css.status_code == 200 and css.content_type.startswith("text/css")
    assert b"@page" in css.data and b"@media print" in css.data


def test_print_view_has_a4_running_header_allowed_by_hash(web, admin):
    response = web.get("/reports/1/2025-03/print?village=dongwan", headers=admin)
    assert response.status_code == 200
    body = _html(response)
    style = re.search(r"<style>(.*?)</style>", body, re.S).group(1)
    assert "@top-left" in style and "2025-03" in style and "counter(pages)" in style
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in response.headers["Content-Security-Policy"]


def test_xlsx_download_is_a_workbook_and_audited(web, admin, db):
    response = web.get("/reports/1/2025-03.xlsx?village=dongwan&lang=en", headers=admin)
    assert response.status_code == 200
    assert response.content_type.startswith("application/vnd.openxmlformats")
    assert 'filename="report-dongwan-2025-03.xlsx"' in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames[0] == "Report"
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "report.download")).all()
    assert len(events) == 1
    assert events[0].details["month"] == "2025-03" and events[0].details["village"] == "dongwan"


@pytest.mark.parametrize("path, status, words", [
    ("/reports/1/2025-13", 400, ("YYYY-MM", "月份格式")),
    ("/reports/1/March", 400, ("YYYY-MM", "月份格式")),
    ("/reports/1/2025-03/print?village=nowhere", 404, ("no village nowhere", "没有这个村")),
    ("/reports/1/2025-03.xlsx?village=%3Cb%3E", 404, ("no village &lt;b&gt;", "没有这个村")),
    ("/reports/abc/2025-03", 404, ("no such project", "没有这个项目")),
    ("/reports/999/2025-03", 404, ("no such project", "没有这个项目")),
    ("/reports/1/2025-03.xlsx?village=" + "x" * 300, 400, ("Not a village code", "不是村代码")),
    ("/reports/1/2025-03?lang=fr", 400, ("must be zh or en", "语言只能是")),
    ("/reports/1/2025-03?village=a&village=b", 400, ("more than once",)),
    ("/reports/1/2025-03?colour=red", 400, ("Unknown field",)),
])
def test_bad_requests_are_readable_bilingual_pages(web, admin, path, status, words):
    response = web.get(path, headers=admin)
    assert response.status_code == status
    body = _html(response)
    for word in words:
        assert word in body
    assert "<b>" not in body


def test_credentials_are_asked_for_and_checked(web, personas):
    anonymous = web.get("/reports/1/2025-03")
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Digest")
    assert "请登录" in _html(anonymous) and "Please log in" in _html(anonymous)
    phone = web.get(f"/reports/1/2025-03?st={personas['worker_a'].token}")
    assert phone.status_code == 403
    assert "您没有执行此操作的权限" in _html(phone)
    viewer = bearer(web, "viewer", "viewer-password")
    assert web.get("/reports/1/2025-03?lang=en", headers=viewer).status_code == 200
    assert web.get("/reports/1/2025-03", headers={"Authorization": "Bearer nope"}
                   ).status_code == 401


def _render(app, doc, lang="zh", printing=False):
    with serving_reports(app).test_request_context("/reports/1/2025-03"):
        return views.render_page(doc, lang, printing)


def test_page_renders_every_part_of_a_rich_document(app, db):
    body, hashes = _render(app, document("town"))
    assert hashes == []
    for section in ("A 人口", "B 人口变动", "C 出生", "J 统计质量"):
        assert section in body
    assert "孕情消失名单" in body and "李秀英" in body and "逾期未报结局孕情" in body
    assert "已锁定（第2版，锁定于 2025-04-01 16:00 UTC，锁定人 supervisor）" in body
    assert "出生率 (‰)" in body and "14.35" in body and "5,020" in body
    assert '<td class="num none">—</td>' in body             # a rate on no denominator
    assert "108.4–180.8" in body and "偏高" in body           # SRB with its interval and flag
    assert "uuid:0b7c-late" in body and "uuid:11aa-corr" in body
    assert "出生性别比偏高" in body                             # alerts
    assert "分村汇总" in body and "<td class=\"num\">2,001</td>" in body   # the village table
    # indicators: the judged value, target, met and its basis come first
    assert ('<th scope="row">三查覆盖率 (%)</th><td class="num headline">62.50</td>'
            '<td class="num">95.00</td><td class="met met-no">未达标</td>'
            '<td class="basis-cell">本轮</td>') in body
    # a list: its own columns, its number heading each row
    assert '<tr><th scope="row" class="num">1</th><td>李秀英</td><td>东湾村</td>' in body
    # tables: headers with scope, in a focusable named scrolling region
    assert body.count('<th scope="col"') > 40 and '<th scope="row">' in body
    assert 'role="region" aria-labelledby="section-B-h" tabindex="0"' in body
    # the charts inline, each with its title and description
    assert body.count("<svg") == 4 and body.count("<title id=") == 4
    assert '<desc id="chart-srb-desc">' in body
    # village links on the town report only when the view gives them
    english, _ = _render(app, document("village", "open"), "en")
    assert "Open (figures may still change)" in english
    assert "Dongwan, 2025-03: village monthly report" in english
    assert "Pregnancies ended" in english and "Late records (about earlier months)" in english


def test_print_view_breaks_pages_between_sections(app, db):
    body, hashes = _render(app, document("village"), "en", printing=True)
    assert len(hashes) == 1
    style = re.search(r"<style>(.*?)</style>", body, re.S).group(1)
    assert "Dongwan · 2025-03 · Locked (version 2" in style
    assert body.count('<section class="page"') == 10 + 2 + 2   # sections, lists, SRB, amendments
    town, _ = _render(app, document("town"), "en", printing=True)
    assert town.count('<section class="page"') == 10 + 2 + 2 + 1     # and the village table
    assert "Lists: Pregnancies ended" in body


def test_print_header_cannot_break_out_of_its_style(app, db):
    doc = document("village")
    doc["village"] = {"code": "x", "zh": '坏"村</style><script>alert(1)</script>\\', "en": "x"}
    body, _ = _render(app, doc, printing=True)
    style = re.search(r"<style>(.*?)</style>", body, re.S).group(1)
    assert "<script>" not in style and "\\3c /style" in style
    assert '坏\\"村' in style
    assert "<script>" not in body


@pytest.mark.parametrize("code", ["dong wan", "东湾二村", "dw#2"])
def test_a_village_code_areas_import_accepts_is_served_as_the_json_api_serves_it(
        web, admin, db, code):
    from urllib.parse import quote

    from app.projects.models import Area
    db.session.add(Area(project_id=1, code=code, name_zh="东湾二", name_en="Dongwan 2"))
    db.session.commit()
    q = "?village=" + quote(code)
    assert web.get("/v1/projects/1/reports/months/2025-03" + q, headers=admin).status_code == 200
    for path in ("/reports/1/2025-03", "/reports/1/2025-03/print", "/reports/1/2025-03.xlsx"):
        assert web.get(path + q, headers=admin).status_code == 200, path
    page = _html(web.get("/reports/1/2025-03" + q + "&lang=en", headers=admin))
    assert "Dongwan 2" in page
    # still a readable page, not a 500, for a code that is no village or no code at all
    missing = web.get("/reports/1/2025-03?village=" + quote(code + "x"), headers=admin)
    assert missing.status_code == 404 and "没有这个村" in _html(missing)
    nul = web.get("/reports/1/2025-03?village=dong%00wan", headers=admin)
    assert nul.status_code == 400 and "NUL" in _html(nul)
