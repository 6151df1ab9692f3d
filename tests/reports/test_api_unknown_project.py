"""The JSON report routes of a project that does not exist: 404.1 in both languages before
anything else (no report, no lock, no targets, no audit row), and a project id past the
database's integer range is unknown too, never a 500, on SQLite and PostgreSQL."""
import pytest

from tests.reports.locks_helpers import audit

CALLS = (("get", "/months/2025-03", None),
         ("post", "/months/2025-03/lock", {}),
         ("post", "/months/2025-03/unlock", {"reason": "x"}),
         ("get", "/targets/2025", None),
         ("put", "/targets/2025", {"targets": {"birth_rate": 1}}))


@pytest.mark.parametrize("project", ["2", "2147483648", "99999999999999999999"])
@pytest.mark.parametrize("method, path, body", CALLS)
def test_an_unknown_or_out_of_range_project_is_404_in_both_languages(
        client, db, login, project, method, path, body):
    response = getattr(client, method)(f"/v1/projects/{project}/reports{path}", json=body,
                                       headers=login("admin"))
    if project == "2":
        assert response.status_code == 404, response.data[:300]
        assert response.json["code"] == "404.1"
        assert response.json["message"] and response.json["message_zh"] == "未找到请求的内容。"
    else:
        # no route takes an id past a database integer (app.DatabaseInteger): Werkzeug says
        # 404, or 405 where another method's rule had matched the path's shape
        assert response.status_code in (404, 405), response.data[:300]
        assert response.json["message"] and response.json["message_zh"]
    assert [e for e in audit(db) if e.action.startswith("report.")] == []


def test_the_existing_project_still_answers(client, db, login):
    assert client.get("/v1/projects/1/reports/months/2025-03",
                      headers=login("admin")).status_code == 200
