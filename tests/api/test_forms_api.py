"""Forms over HTTP: list, publish at once (?publish=true, XForm or XLSForm body), state, media
upload. Drafts (POST /forms without publish=true): tests/api/test_drafts_api.py."""
from sqlalchemy import func, select

from app.forms.models import Form
from tests.factories import make_instance, make_xform
from tests.forms.test_odk_validate import fixed, group_of_calculations, require_odk_validate
from tests.forms.test_publish import xlsform
from tests.openrosa.docs import form_entries, media_files

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_admin_publishes_xform_and_xlsform_over_http(client, login, collect):
    headers = login("admin")
    r = client.post("/v1/projects/1/forms?publish=true", data=make_xform("visit", "1"),
                    headers=headers, content_type="application/xml")
    assert r.status_code == 200 and r.json["xmlFormId"] == "visit" and r.json["outcome"] == "created"
    r = client.post("/v1/projects/1/forms?publish=true",
                    data=xlsform([("text", "name", "Name")]),
                    headers={**headers, "X-XlsForm-FormId-Fallback": "pregnancy"},
                    content_type=XLSX)
    assert r.status_code == 200 and r.json["xmlFormId"] == "pregnancy"
    listed = client.get("/v1/projects/1/forms", headers=headers).json
    assert sorted(f["xmlFormId"] for f in listed) == ["pregnancy", "visit"]
    assert sorted(e["formID"] for e in form_entries(collect.form_list())) == ["pregnancy", "visit"]


def test_publish_errors_are_json_problems(client, login):
    headers = login("admin")
    client.post("/v1/projects/1/forms?publish=true", data=make_xform("f", "1"), headers=headers,
                content_type="application/xml")
    again = client.post("/v1/projects/1/forms?publish=true", data=make_xform("f", "2"),
                        headers=headers, content_type="application/xml")
    assert again.status_code == 409 and again.json["code"] == "409.3"      # as Central
    broken = client.post("/v1/projects/1/forms?publish=true",
                         data=xlsform([("textX", "a", "A")]), headers=headers, content_type=XLSX)
    assert broken.status_code == 400 and "textX" in broken.json["message"]


def test_only_admins_publish(client, login):
    r = client.post("/v1/projects/1/forms?publish=true", data=make_xform("f", "1"),
                    headers=login("supervisor"), content_type="application/xml")
    assert r.status_code == 403


def test_state_change_closes_the_form(client, login, collect, simple_form):
    headers = login("admin")
    r = client.patch("/v1/projects/1/forms/simple", json={"state": "closed"}, headers=headers)
    assert r.status_code == 200 and r.json["state"] == "closed"
    assert collect.submit(make_instance()).status_code == 409


def test_media_upload_after_publishing(client, login, collect, media_form):
    headers = login("admin")
    r = client.post("/v1/projects/1/forms/withmedia/attachments/villages.csv",
                    data=b"name,label\n", headers=headers)
    assert r.status_code == 200
    files = media_files(collect.get(f"{collect.base}/forms/withmedia/manifest"))
    assert sorted(f["filename"] for f in files) == ["logo.png", "villages.csv"]
    unknown = client.post("/v1/projects/1/forms/withmedia/attachments/other.csv", data=b"x",
                          headers=headers)
    assert unknown.status_code == 404


def test_the_json_api_refuses_an_xlsform_odk_validate_refuses(client, login, db):
    require_odk_validate()
    headers = {**login("admin"), "X-XlsForm-FormId-Fallback": "checked"}
    refused = client.post("/v1/projects/1/forms?publish=true", data=group_of_calculations(),
                          headers=headers, content_type=XLSX)
    assert refused.status_code == 400 and refused.json["code"] == "400.81"
    assert "Group has no children! Group: ${update}" in refused.json["message"]
    assert "未通过 ODK Validate" in refused.json["message_zh"]
    assert db.session.scalar(select(func.count()).select_from(Form)) == 0
    accepted = client.post("/v1/projects/1/forms?publish=true", data=fixed(), headers=headers,
                           content_type=XLSX)
    assert accepted.status_code == 200 and accepted.json["version"] == "2"
