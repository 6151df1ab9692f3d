"""Browser-hardening headers through a real gunicorn (issue #16, item 9): on OpenRosa, JSON and
error answers; HSTS only over HTTPS (here through a trusted proxy's X-Forwarded-Proto); what a
phone sent downloads as an attachment, never renders as a page."""
import requests

from tests.factories import make_instance, make_xform, new_instance_id
from tests.test_security_headers import assert_hardened

PHONE = {"X-OpenRosa-Version": "1.0"}


def test_every_kind_of_answer_is_hardened_and_phone_files_download(live_server, monkeypatch,
                                                                   personas, publish):
    publish(make_xform("simple", "1", title="Simple", binary=["photo"]))
    monkeypatch.setenv("DOORSTEP_TRUSTED_PROXIES", "127.0.0.1")
    server = live_server(workers=2)
    phone = f"{server.url}/v1/key/{personas['worker_a'].token}/projects/1"
    iid = new_instance_id()
    page = b"<html><script>alert(document.domain)</script></html>"
    stored = requests.post(
        f"{phone}/submission", headers=PHONE, timeout=30,
        files={"xml_submission_file": ("s.xml", make_instance(instance_id=iid,
                                                              values={"photo": "page.html"})),
               "page.html": ("page.html", page, "text/html")})
    token = requests.post(f"{server.url}/v1/sessions", timeout=30, json={
        "email": "admin", "password": "admin-password"}).json()["token"]
    staff = {"Authorization": f"Bearer {token}"}
    base = f"{server.url}/v1/projects/1/forms/simple/submissions/{iid}"
    xml = requests.get(f"{base}.xml", headers=staff, timeout=30)
    attachment = requests.get(f"{base}/attachments/page.html", headers=staff, timeout=30)
    answers = [requests.get(f"{phone}/formList", headers=PHONE, timeout=30), stored,
               requests.get(f"{server.url}/v1/projects/1/forms", headers=staff, timeout=30),
               requests.get(f"{server.url}/v1/projects/1/forms", timeout=30),
               requests.get(f"{server.url}/no/such/page", timeout=30), xml, attachment]
    assert [r.status_code for r in answers] == [200, 201, 200, 401, 404, 200, 200]
    for response in answers:
        assert_hardened(response)
        assert "Strict-Transport-Security" not in response.headers
    assert attachment.content == page
    assert xml.headers["Content-Disposition"].startswith(f'attachment; filename="{iid}.xml"')
    assert attachment.headers["Content-Disposition"].startswith(
        'attachment; filename="page.html"')

    over_https = requests.get(f"{server.url}/v1/projects/1/forms", timeout=30,
                              headers={**staff, "X-Forwarded-Proto": "https"})
    assert over_https.status_code == 200
    assert over_https.headers["Strict-Transport-Security"] == "max-age=31536000"
