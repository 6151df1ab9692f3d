"""Ids in a URL beyond what a database integer holds are unknown ids (404), never an overflow
in the query (a 500 on PostgreSQL)."""
import pytest


@pytest.mark.parametrize("path", [
    "/v1/projects/2147483648/forms",
    "/v1/projects/99999999999999999999/forms",
    "/v1/projects/99999999999999999999/datasets",
    "/v1/projects/99999999999999999999/reports/months/2025-03",
])
def test_an_id_beyond_a_database_integer_is_404(client, login, path):
    response = client.get(path, headers=login("admin"))
    assert response.status_code == 404, response.get_data(as_text=True)


def test_the_largest_database_integer_is_still_an_id(client, login):
    response = client.get("/v1/projects/2147483647/forms", headers=login("admin"))
    assert response.status_code < 500
