"""Checklist items 1–5: the OpenRosa envelope on every response."""
from email.utils import parsedate_to_datetime

from tests.factories import make_instance


def assert_openrosa_headers(response):
    assert response.headers["X-OpenRosa-Version"] == "1.0"
    date = response.headers["Date"]
    assert date.endswith(" GMT") and parsedate_to_datetime(date) is not None


def test_item_01_every_openrosa_response_has_version_and_date(collect, simple_form, media_form):
    ok = [collect.form_list(), collect.get(f"{collect.base}/forms/withmedia/manifest"),
          collect.head_submission(), collect.submit(make_instance())]
    errors = [collect.submit(b"<not-xml"), collect.get(f"{collect.base}/forms/nope/manifest"),
              collect.submit(make_instance(form_id="nope"))]
    assert [r.status_code for r in ok] == [200, 200, 204, 201]
    assert [r.status_code for r in errors] == [400, 404, 404]
    for response in ok + errors:
        assert_openrosa_headers(response)


def test_item_02_wrong_date_header_is_ignored(collect, simple_form):
    for date in ("Sun, 29 Nov 2026 05:30:00 GMT+00:00", "garbage", ""):
        headers = {"Date": date}
        assert collect.get(f"{collect.base}/formList", headers=headers).status_code == 200
        assert collect.submit(make_instance(), headers=headers).status_code == 201


def test_item_03_unknown_query_parameters_change_nothing(collect, simple_form):
    plain = collect.form_list()
    odd = collect.form_list("?deviceID=collect:xyz&foo=bar&verbose=false")
    assert odd.status_code == 200 and odd.data == plain.data
    response = collect.submit(make_instance(), query="?deviceID=collect:1&anything=else")
    assert response.status_code == 201


def test_item_04_missing_openrosa_version_header_is_400(client, collect, simple_form):
    for path in ("/formList", "/forms/simple/manifest", "/submission"):
        response = client.get(collect.base + path)
        assert response.status_code == 400, path
        assert b"OpenRosaResponse" in response.data and b'nature="error"' in response.data
        assert b"X-OpenRosa-Version" in response.data
    response = client.post(collect.base + "/submission", headers={"X-OpenRosa-Version": "2.0"})
    assert response.status_code == 400


def test_item_05_post_submission_is_never_redirected(collect, simple_form):
    for suffix in ("/submission", "/submission/"):
        response = collect.client.post(
            collect.base + suffix, headers=collect.headers, content_type="multipart/form-data",
            data={"xml_submission_file": (__import__("io").BytesIO(make_instance()), "s.xml")})
        assert response.status_code == 201, suffix
        assert "Location" not in response.headers
