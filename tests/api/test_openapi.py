"""GET /v1/openapi.json describes the JSON API the server runs: it validates as OpenAPI 3.1,
every JSON rule of the URL map is in it with its methods, nothing in it is missing from the
URL map, and its body schemas refuse what the routes refuse."""
import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from werkzeug.exceptions import MethodNotAllowed, NotFound

from app.api.openapi import openapi_path
from app.auth.actors import PERMISSIONS

#: the blueprints that answer JSON (or CSV, OData, XML documents) under /v1: all must be there
JSON_BLUEPRINTS = {"api", "odata", "exports", "reports_api"}
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
DATASET = "/v1/projects/1/datasets/people"


@pytest.fixture(scope="module")
def described(app):
    response = app.test_client().get("/v1/openapi.json")       # no credentials: public
    assert response.status_code == 200 and response.content_type == "application/json"
    return response.json


def _operations(described):
    for path, item in described["paths"].items():
        for method in HTTP_METHODS & set(item):
            yield path, method, item[method]


@pytest.mark.database_independent
def test_the_description_is_valid_openapi_3_1(described):
    assert described["openapi"].startswith("3.1")
    validate(described)              # raises on any fault, with the path to it


@pytest.mark.database_independent
def test_every_json_rule_is_described_with_its_methods(app, described):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.split(".")[0] in JSON_BLUEPRINTS]
    assert len(rules) >= 50          # the walk sees the API, OData, exports and reports
    missing = []
    for rule in rules:
        item = described["paths"].get(openapi_path(rule), {})
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if item.get(method.lower(), {}).get("operationId", "").rstrip("_") != rule.endpoint:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert missing == []


def _sample(path):
    """The path with each {argument} filled so that any converter matches it."""
    return re.sub(r"\{[^}]+\}", "1", path)


@pytest.mark.database_independent
def test_no_path_in_the_description_is_missing_from_the_url_map(app, described):
    urls = app.url_map.bind("doorstep.test")
    operations = list(_operations(described))
    assert len(operations) >= 50
    for path, method, operation in operations:
        try:
            endpoint, _args = urls.match(_sample(path), method=method.upper())
        except (NotFound, MethodNotAllowed):
            pytest.fail(f"{method.upper()} {path} is described but not served")
        assert endpoint == operation["operationId"].rstrip("_"), (path, method)
        declared = {p["name"] for p in described["paths"][path].get("parameters", [])
                    if p["in"] == "path"}
        assert declared == set(re.findall(r"\{([^}]+)\}", path)), path


@pytest.mark.database_independent
def test_problems_and_permissions_come_from_their_catalogues(described):
    from app.problems import CATALOGUE
    assert set(described["x-problems"]) == set(CATALOGUE)
    codes = described["components"]["schemas"]["Problem"]["properties"]["code"]["enum"]
    assert set(codes) == set(CATALOGUE)
    for path, method, operation in _operations(described):
        public = operation.get("security") == []
        assert ("401" in operation["responses"]) != (path == "/v1/openapi.json"), path
        assert public == (path in ("/v1/sessions", "/v1/openapi.json")), (method, path)
        if "x-permission" in operation:
            assert operation["x-roles"] == sorted(PERMISSIONS[operation["x-permission"]])
    one = described["paths"][
        "/v1/projects/{project_id}/forms/{xml_form_id}/submissions/{instance_id}"]
    assert (one["patch"]["x-permission"], one["patch"]["x-roles"]) == (
        "submission.update", ["admin", "supervisor"])
    submissions = described["paths"]["/v1/projects/{project_id}/forms/{xml_form_id}/submissions"]
    assert {p["name"] for p in submissions["get"]["parameters"]} >= {"$top", "$skip",
                                                                      "reviewState"}


def _body_validator(described, path, method="post"):
    schema = described["paths"][path][method]["requestBody"]["content"]["application/json"][
        "schema"]
    return Draft202012Validator({**schema, "components": described["components"]})


@pytest.mark.parametrize("body, accepted", [
    ({"approvalRequired": True}, True),
    ({"approvalRequired": "false"}, False),              # a string is not a boolean
    ({"approvalRequired": True, "session": 1}, False),   # an unknown field
])
def test_the_dataset_body_schema_refuses_what_the_route_refuses(client, described, login,
                                                                publish, body, accepted):
    from tests.factories import make_entity_xform
    from tests.register.test_merge import PROPS
    publish(make_entity_xform("people_form", create=True, properties=PROPS, uses_list=True))
    validator = _body_validator(described, "/v1/projects/{project_id}/datasets/{name}", "patch")
    response = client.patch(DATASET, headers=login("admin"), json=body)
    assert validator.is_valid(body) is accepted
    assert (response.status_code == 200) is accepted, response.json
    if not accepted:
        assert response.json["code"] == "400.79"


def test_the_entity_body_schema_refuses_a_nested_mistake_as_the_route_does(
        client, described, login, publish):
    from tests.factories import make_entity_xform
    from tests.register.test_merge import PROPS
    publish(make_entity_xform("people_form", create=True, properties=PROPS, uses_list=True))
    validator = _body_validator(described, "/v1/projects/{project_id}/datasets/{name}/entities")
    wrong = {"entities": [{"label": "A"}, {"label": 5, "colour": "red"}],
             "source": {"name": "x", "size": "2"}}
    errors = sorted(validator.iter_errors(wrong), key=lambda e: list(e.absolute_path))
    assert [list(e.absolute_path) for e in errors] == [["entities", 1], ["entities", 1, "label"]]
    refused = client.post(f"{DATASET}/entities", headers=login("admin"), json=wrong)
    assert refused.status_code == 400
    assert set(refused.json["details"]["body"]["entities"]["1"]) == {"label", "colour"}
    right = {"entities": [{"label": "A", "data": {"village": "dongwan"}}],
             "source": {"name": "x", "size": 1}}
    assert validator.is_valid(right)
    assert client.post(f"{DATASET}/entities", headers=login("admin"), json=right).json == {
        "success": True, "count": 1}


@pytest.mark.database_independent
def test_the_description_names_the_sub_path_it_is_served_under(app, described):
    assert described["servers"] == [{"url": "/"}]
    behind = app.test_client().get("/v1/openapi.json", base_url="http://doorstep.test/town")
    assert behind.json["servers"] == [{"url": "/town"}]
    assert behind.json["paths"] == described["paths"]
