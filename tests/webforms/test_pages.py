"""The browser forms' pages through the test client (app/webforms/pages.py, policy.py): a
link lists only the forms its key may fill, a refused key gets a page in Chinese that says
why, every page carries its policy headers, and the engine's and service worker's files are
cached as each needs."""
import gzip
import re

import pytest

from app.auth import accounts
from app.auth.models import AppUser
from app.db.columns import utcnow
from app.webforms import assets
from tests.factories import make_xform

NONCE = re.compile(r"'nonce-([^']+)'")
IMPORTMAP = re.compile(r'<script type="importmap" nonce="([^"]+)">')


@pytest.fixture
def leader(db, publish, simple_form, webforms_files):
    """A leader's key for village dongwan given the `simple` form only; `other` and a closed
    form are published beside it."""
    publish(make_xform("other", "1", title="Other form"))
    publish(make_xform("shut", "1", title="Shut form"))
    from app.forms.models import Form
    from sqlalchemy import select
    db.session.scalar(select(Form).where(Form.xml_form_id == "shut")).state = "closed"
    _user, token = accounts.create_app_user(db.session, 1, "妇女小组长", ["dongwan"], ["simple"])
    db.session.commit()
    return token


def _text(response):
    return response.get_data(as_text=True)


def test_a_link_lists_only_its_own_forms(client, leader, personas, db):
    page = _text(client.get(f"/-/web/{leader}/"))
    assert 'data-form="simple"' in page and "妇女小组长" in page
    assert 'data-form="other"' not in page and "Other form" not in page
    assert 'data-form="shut"' not in page
    everything = _text(client.get(f"/-/web/{personas['worker_a'].token}/"))   # every open form
    assert 'data-form="other"' in everything and 'data-form="shut"' not in everything
    refused = client.get(f"/-/web/{leader}/form/other")
    assert refused.status_code == 404 and "Doorstep 填报" in _text(refused)


def test_a_given_form_once_closed_answers_404_not_the_403_that_makes_sw_forget_the_link(
        client, leader, db):
    from app.forms.models import Form
    from sqlalchemy import select
    db.session.scalar(select(Form).where(Form.xml_form_id == "simple")).state = "closed"
    db.session.commit()
    response = client.get(f"/-/web/{leader}/form/simple")
    # sw.js forgets a link's pages and form files on any 403 or 401 of a link page
    assert response.status_code == 404 and "404.171" in _text(response)
    assert "已停止接收提交" in _text(response)
    assert client.get(f"/-/web/{leader}/").status_code == 200


def test_a_closing_form_s_page_still_opens_for_a_draft_since_its_submissions_are_taken(
        client, leader, db):
    from app.forms.models import Form
    from sqlalchemy import select
    db.session.scalar(select(Form).where(Form.xml_form_id == "simple")).state = "closing"
    db.session.commit()
    assert 'data-form="simple"' not in _text(client.get(f"/-/web/{leader}/"))   # not listed
    response = client.get(f"/-/web/{leader}/form/simple")
    assert response.status_code == 200 and 'data-form="simple"' in _text(response)


def test_a_form_page_points_at_the_key_s_own_openrosa_urls(client, leader):
    page = _text(client.get(f"/-/web/{leader}/form/simple"))
    base = f"/v1/key/{leader}/projects/1"
    assert f'data-base="{base}"' in page and f'data-xml="{base}/forms/simple.xml"' in page
    assert 'data-preview' not in page and 'data-sw="/-/web/sw.js"' in page


def test_the_pages_are_in_chinese_by_default_and_english_when_asked(client, leader):
    chinese = _text(client.get(f"/-/web/{leader}/"))
    assert '<html lang="zh-CN">' in chinese and "<title>我的表单 · Doorstep 填报</title>" in chinese
    assert 'data-t-sent="已发送。"' in chinese
    english = _text(client.get(f"/-/web/{leader}/?lang=en"))
    assert '<html lang="en">' in english and "<title>My forms · Doorstep forms</title>" in english


def test_a_revoked_key_gets_a_403_page_in_chinese_with_the_message(client, leader, db):
    db.session.query(AppUser).filter(AppUser.display_name == "妇女小组长").update(
        {"revoked_at": utcnow()})
    db.session.commit()
    for url in (f"/-/web/{leader}/", f"/-/web/{leader}/form/simple"):
        response = client.get(url)
        assert response.status_code == 403 and response.content_type.startswith("text/html")
        page = _text(response)
        assert "无法打开此链接" in page and "撤销" in page and "403.1" in page
        assert "WWW-Authenticate" not in response.headers        # a page, not a prompt
        assert response.headers["Cache-Control"] == "no-store"


def test_a_malformed_key_gets_a_401_page(client, webforms_files):
    response = client.get("/-/web/not-a-key/")
    assert response.status_code == 401 and "链接中的访问令牌格式不正确" in _text(response)
    assert "WWW-Authenticate" not in response.headers


def test_each_page_s_policy_headers_and_the_nonce_of_its_import_map(client, leader):
    for url in (f"/-/web/{leader}/", f"/-/web/{leader}/form/simple"):
        response = client.get(url)
        nonce = NONCE.search(response.headers["Content-Security-Policy"]).group(1)
        assert IMPORTMAP.search(_text(response)).group(1) == nonce and len(nonce) >= 16
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    again = client.get(f"/-/web/{leader}/")
    assert NONCE.search(again.headers["Content-Security-Policy"]).group(1) != nonce


def test_engine_files_are_gzipped_when_accepted_and_cached_as_immutable(client, webforms_files):
    url = f"/-/web/engine/{assets.tag()}/{assets.ENGINE}"
    plain = client.get(url)
    zipped = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert plain.status_code == zipped.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.data) == plain.data and len(zipped.data) < len(plain.data)
    for response in (plain, zipped):
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "Accept-Encoding" in response.headers["Vary"]
        assert response.content_type.startswith("text/javascript")


def test_engine_files_go_as_brotli_where_the_browser_takes_it_and_gzip_where_it_refuses_it(
        client, webforms_files):
    import brotli
    url = f"/-/web/engine/{assets.tag()}/{assets.ENGINE}"
    plain = client.get(url).data
    both = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert both.headers["Content-Encoding"] == "br"
    assert brotli.decompress(both.data) == plain
    assert len(both.data) < len(client.get(url, headers={"Accept-Encoding": "gzip"}).data)
    refused = client.get(url, headers={"Accept-Encoding": "br;q=0, gzip"})
    assert refused.headers["Content-Encoding"] == "gzip"


def test_the_engine_route_answers_404_for_another_tag_or_name(client, webforms_files):
    assert client.get(f"/-/web/engine/0.21.0-3.5.46/{assets.ENGINE}").status_code == 404
    assert client.get(f"/-/web/engine/{assets.tag()}/{assets.MANIFEST}").status_code == 404


def test_not_installed_is_a_503_171_page(app, client, leader, tmp_path):
    kept = app.config["WEBFORMS_DIR"]
    app.config["WEBFORMS_DIR"] = str(tmp_path / "empty")
    try:
        response = client.get(f"/-/web/{leader}/")
        engine = client.get(f"/-/web/engine/{assets.tag()}/{assets.ENGINE}")
    finally:
        app.config["WEBFORMS_DIR"] = kept
    assert response.status_code == 503 and "503.171" in _text(response)
    assert "浏览器" in _text(response) or "未安装" in _text(response)
    assert engine.status_code == 404


def test_the_service_worker_is_never_cached_by_http(client):
    response = client.get("/-/web/sw.js")
    assert response.status_code == 200 and response.content_type.startswith("text/javascript")
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
