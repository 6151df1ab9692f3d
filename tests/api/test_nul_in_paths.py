"""A NUL in any path value names nothing: 404.1 on every face, never a 500 (PostgreSQL's text
cannot hold one, so a query with one fails): the JSON API, OData feeds and CSV exports, the
OpenRosa face and a draft's test link."""
import pytest


@pytest.mark.parametrize("url", [
    "/v1/projects/1/forms/si%00mple", "/v1/projects/1/forms/simple/submissions/a%00b",
    "/v1/projects/1/forms/si%00mple.svc", "/v1/projects/1/forms/si%00mple.svc/Submissions",
    "/v1/projects/1/forms/si%00mple/submissions.csv", "/v1/projects/1/datasets/p%00x",
    "/v1/projects/1/datasets/p%00x.svc/Entities", "/v1/projects/1/datasets/p%00x/entities.csv"])
def test_a_nul_in_a_json_path_is_404_1(client, login, simple_form, url):
    response = client.get(url, headers=login("admin"))
    assert (response.status_code, response.json["code"]) == (404, "404.1")


def test_a_nul_in_an_openrosa_path_is_an_openrosa_404(client, personas, simple_form):
    response = client.get(f"/v1/key/{personas['worker_a'].token}/projects/1/forms/si%00mple.xml",
                          headers={"X-OpenRosa-Version": "1.0"})
    assert response.status_code == 404 and b"OpenRosaResponse" in response.data
