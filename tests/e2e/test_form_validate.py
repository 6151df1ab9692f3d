"""Through a real gunicorn, as ODK Central does on upload: an XLSForm that ODK Validate refuses
is not published (400.81, Validate's own words in both languages), and the fixed form is."""
import requests

from tests.forms.test_odk_validate import XLSX, fixed, group_of_calculations, require_odk_validate


def test_an_upload_odk_validate_refuses_is_not_published(live_server, personas):
    require_odk_validate()
    server = live_server()
    token = requests.post(f"{server.url}/v1/sessions", timeout=30,
                          json={"email": "admin", "password": "admin-password"}).json()["token"]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": XLSX,
               "X-XlsForm-FormId-Fallback": "checked"}
    refused = requests.post(f"{server.url}/v1/projects/1/forms", data=group_of_calculations(),
                            params={"publish": "true"}, headers=headers, timeout=120)
    assert refused.status_code == 400, refused.text
    body = refused.json()
    assert body["code"] == "400.81"
    assert "Group has no children! Group: ${update}" in body["message"]
    assert "未通过 ODK Validate" in body["message_zh"]
    listed = requests.get(f"{server.url}/v1/projects/1/forms", headers=headers, timeout=30)
    assert listed.json() == []

    accepted = requests.post(f"{server.url}/v1/projects/1/forms", data=fixed(), headers=headers,
                             params={"publish": "true"},
                             timeout=120)
    assert accepted.status_code == 200, accepted.text
    listed = requests.get(f"{server.url}/v1/projects/1/forms", headers=headers, timeout=30)
    assert [(f["xmlFormId"], f["version"]) for f in listed.json()] == [("checked", "2")]
