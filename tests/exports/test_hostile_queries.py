"""Review of issue 21's routes as an attacker and a confused user would use them: each test
is one finding of the review (docs: the report of branch h-review), proved on the real
database through Flask's test client."""
import pytest

from app.exports import odata
from tests.exports.test_odata import BASE, visits  # noqa: F401 - the three visits fixture

CSV = "/v1/projects/1/forms/visit/submissions.csv"


@pytest.mark.parametrize("number", ["99999999999999999999999999", "-9223372036854775809",
                                    "1e999", "-1e999"])
@pytest.mark.parametrize("url", [f"{BASE}/Submissions", CSV,
                                 "/v1/projects/1/datasets/people.svc/Entities"])
def test_a_number_too_large_for_the_database_in_a_filter_is_a_400_not_a_500(
        visits, login, number, url, publish):  # noqa: F811
    from tests.factories import make_entity_xform
    publish(make_entity_xform("register_person", "people", properties=("full_name",)))
    field = "__system/version" if "Entities" in url else "__system/submitterId"
    response = visits.get(url, query_string={"$filter": f"{field} eq {number}"},
                          headers=login("admin"))
    assert response.status_code == 400
    assert response.json["code"] == "400.191"
    assert "too large" in response.json["message"] and response.json["message_zh"]
