"""A lone UTF-16 surrogate ("\\ud800" in JSON) has no UTF-8 form, so no database can store or
compare it: every JSON text field refuses it with a 400.79 (app.api.inputs.Text), never a 500,
on SQLite and PostgreSQL."""

REPORTS = "/v1/projects/1/reports"


def _post(client, method, path, raw, headers):
    return getattr(client, method)(path, data=raw, content_type="application/json",
                                   headers=headers)


def test_a_lone_surrogate_in_a_village_or_reason_is_400(client, db, login):
    admin = login("admin")
    for method, path, raw in (
            ("post", "/months/2025-03/lock", '{"village": "\\ud800"}'),
            ("put", "/targets/2025", '{"targets": {"birth_rate": 1}, "village": "\\udfff"}')):
        response = _post(client, method, REPORTS + path, raw, admin)
        assert response.status_code == 400 and response.json["code"] == "400.79", path
    assert client.post(REPORTS + "/months/2025-03/lock", json={},
                       headers=admin).status_code == 200
    response = _post(client, "post", REPORTS + "/months/2025-03/unlock",
                     '{"reason": "\\ud800"}', admin)
    assert response.status_code == 400 and response.json["code"] == "400.79"


def test_a_lone_surrogate_in_a_log_in_name_is_400(client, personas):
    response = client.post("/v1/sessions", data='{"email": "ad\\ud800min", "password": "x"}',
                           content_type="application/json")
    assert response.status_code == 400 and response.json["code"] == "400.79"
