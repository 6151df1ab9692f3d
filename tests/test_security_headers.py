"""Browser-hardening headers on every answer (app/security_headers.py) and downloads of what a
phone sent served as attachments, never as pages (issue #16, item 9)."""
from app.security_headers import CONTENT_SECURITY_POLICY
from tests.factories import make_instance, new_instance_id

BASE = "/v1/projects/1/forms/simple/submissions"


def _admin(client):
    token = client.post("/v1/sessions", json={"email": "admin",
                                              "password": "admin-password"}).json["token"]
    return {"Authorization": f"Bearer {token}"}


def assert_hardened(response):
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"


def test_openrosa_json_and_error_answers_all_carry_the_hardening_headers(client, collect,
                                                                          simple_form, personas):
    answers = [collect.form_list(), collect.submit(make_instance()),
               collect.submit(b"<not-xml"), collect.get(f"{collect.base}/forms/nope/manifest"),
               client.get("/v1/projects/1/forms", headers=_admin(client)),
               client.get("/v1/projects/1/forms"), client.get("/no/such/page"),
               client.post("/v1/sessions", json={"email": "admin", "password": "wrong"})]
    assert [r.status_code for r in answers] == [200, 201, 400, 404, 200, 401, 404, 401]
    for response in answers:
        assert_hardened(response)
        assert "Strict-Transport-Security" not in response.headers     # plain HTTP


def test_https_answers_tell_browsers_to_stay_on_https(client, personas):
    secure = client.get("/v1/projects/1/forms", base_url="https://localhost")
    plain = client.get("/v1/projects/1/forms")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in plain.headers


def test_what_a_phone_sent_downloads_as_an_attachment_never_as_a_page(client, collect,
                                                                       simple_form, personas):
    iid = new_instance_id()
    page = b"<html><script>alert(document.domain)</script></html>"
    assert collect.submit(make_instance(instance_id=iid, values={"photo": "page.html"}),
                          files={"page.html": page}).status_code == 201
    headers = _admin(client)
    xml = client.get(f"{BASE}/{iid}.xml", headers=headers)
    attachment = client.get(f"{BASE}/{iid}/attachments/page.html", headers=headers)
    assert [xml.status_code, attachment.status_code] == [200, 200]
    assert attachment.data == page
    assert xml.headers["Content-Disposition"].startswith(
        f'attachment; filename="{iid}.xml"')
    assert attachment.headers["Content-Disposition"].startswith(
        'attachment; filename="page.html"')
    for response in (xml, attachment):
        assert_hardened(response)
