"""Every JSON route loads its query string and body through a declared schema: unknown and
mistyped fields are a 400.79 whose details name the field and why, never a 500, never a
silent misreading ("false" read as on, {} read as "back to received")."""
import json

import pytest
from flask import Blueprint, Flask
from sqlalchemy import select

from app.api import inputs
from app.api.loading import BYTES, DECLARATION, JSON_OR_CSV, QuerySchema, takes
from app.register.models import Dataset
from app.submissions.models import Submission
from tests.api.test_submissions_api import _submit
from tests.factories import make_entity_xform
from tests.register.test_merge import PROPS

OPENROSA = ("openrosa", "openrosa_key", "openrosa_root", "openrosa_draft")
#: HTML faces with their own walks (tests/web/test_route_policy.py): the console, and the
#: browser forms (a leader's link pages through their query schema, the engine's files)
PAGES = ("console", "webforms")
DATASET = "/v1/projects/1/datasets/people"
SUBMISSIONS = "/v1/projects/1/forms/simple/submissions"


def undeclared_routes(app):
    """Rules answering JSON whose view declares no @takes, or declares a body on a route that
    cannot carry one; the OpenRosa face (XML, multipart) and static files are not JSON."""
    wrong = []
    for rule in app.url_map.iter_rules():
        if (rule.endpoint.split(".")[-1] == "static"
                or rule.endpoint.split(".")[0] in OPENROSA + PAGES):
            continue
        declared = getattr(app.view_functions[rule.endpoint], DECLARATION, None)
        if declared is None or not issubclass(declared.query, QuerySchema):
            wrong.append(f"{rule.rule} ({rule.endpoint}): no @takes")
        elif declared.body is not None and not rule.methods & {"POST", "PATCH", "PUT"}:
            wrong.append(f"{rule.rule} ({rule.endpoint}): a body on {sorted(rule.methods)}")
        elif declared.body is not None and not (
                declared.body == BYTES or isinstance(declared.body, JSON_OR_CSV)
                or isinstance(declared.body, type)):
            wrong.append(f"{rule.rule} ({rule.endpoint}): unknown body kind {declared.body!r}")
    return wrong


def test_every_json_route_declares_its_query_and_body(app):
    api_rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")]
    assert len(api_rules) >= 25          # the walk does see the API
    assert undeclared_routes(app) == []


def test_the_url_map_walk_finds_a_route_without_a_schema():
    app = Flask(__name__)
    bp = Blueprint("api", __name__)

    @bp.get("/declared")
    @takes()
    def declared():
        return "{}"

    @bp.post("/forgotten")
    def forgotten():
        return "{}"

    @bp.get("/body-on-get")
    @takes(body=inputs.BulkIdsBody)
    def body_on_get():
        return "{}"
    app.register_blueprint(bp, url_prefix="/v1")
    assert undeclared_routes(app) == [
        "/v1/forgotten (api.forgotten): no @takes",
        "/v1/body-on-get (api.body_on_get): a body on ['GET', 'HEAD', 'OPTIONS']"]


# The reproduced bodies -------------------------------------------------------------------------

def _refused(response, where, field):
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.json
    assert set(body) == {"code", "message", "message_zh", "details"}
    assert body["code"] == "400.79"
    assert field in body["details"][where], body["details"]
    if not field.startswith("_"):        # _body, _schema: the body as a whole
        assert field in body["message"] and field in body["message_zh"]
    return body["details"][where][field]


@pytest.fixture
def people(publish):
    publish(make_entity_xform("people_form", create=True, update=True, properties=PROPS,
                              uses_list=True))


@pytest.mark.parametrize("name", ["session", "action", "target", "approvalrequired"])
def test_a_dataset_patch_with_a_stray_key_is_refused_not_a_500(client, people, login, name):
    response = client.patch(DATASET, headers=login("admin"),
                            json={"approvalRequired": True, name: "x"})
    assert _refused(response, "body", name) == ["Unknown field."]


def test_false_as_a_string_does_not_turn_approval_on(client, db, people, login):
    headers = login("admin")
    response = client.patch(DATASET, headers=headers, json={"approvalRequired": "false"})
    assert _refused(response, "body", "approvalRequired") == [
        "Not a valid boolean: use JSON true or false."]
    db.session.expire_all()
    assert db.session.scalar(select(Dataset.approval_required)) is False
    assert client.patch(DATASET, headers=headers,
                        json={"approvalRequired": True}).json["approvalRequired"] is True


@pytest.mark.parametrize("body", ["[]", '[{"approvalRequired": true}]', '"yes"', "7", "null",
                                  '{"approvalRequired": tru', "[" * 100_000])
def test_a_body_that_is_not_a_json_object_is_refused(client, people, login, body):
    response = client.patch(DATASET, headers={**login("admin"),
                                              "Content-Type": "application/json"}, data=body)
    reasons = _refused(response, "body", "_body")
    assert reasons in (["Expected a JSON object."], ["Not valid JSON."])


def test_an_empty_submission_patch_keeps_its_review_state(client, db, collect, simple_form,
                                                          login):
    iid = _submit(collect, "dongwan")
    headers = login("supervisor")
    assert client.patch(f"{SUBMISSIONS}/{iid}", json={"reviewState": "approved"},
                        headers=headers).status_code == 200
    response = client.patch(f"{SUBMISSIONS}/{iid}", json={}, headers=headers)
    assert _refused(response, "body", "reviewState") == ["Missing data for required field."]
    db.session.expire_all()
    assert db.session.scalar(select(Submission.review_state)) == "approved"
    # null is said, not implied: it sets the submission back to received
    assert client.patch(f"{SUBMISSIONS}/{iid}", json={"reviewState": None},
                        headers=headers).json["reviewState"] is None


def test_a_list_body_to_entity_creation_is_refused(client, people, login):
    response = client.post(f"{DATASET}/entities", headers=login("admin"),
                           json=[{"label": "x"}])
    assert _refused(response, "body", "_body") == ["Expected a JSON object."]


def test_entity_bodies_are_checked_field_by_field(client, people, login):
    headers = login("admin")
    response = client.post(f"{DATASET}/entities", headers=headers, json={
        "entities": [{"label": "A"}, {"label": 5, "colour": "red"}], "source": {"name": "x"}})
    assert response.status_code == 400
    assert response.json["details"]["body"] == {"entities": {"1": {
        "label": ["Not a valid string."], "colour": ["Unknown field."]}}}
    mixed = client.post(f"{DATASET}/entities", headers=headers,
                        json={"label": "A", "entities": [{"label": "B"}]})
    assert _refused(mixed, "body", "_schema")
    assert _refused(client.post(f"{DATASET}/entities", headers=headers, json={"data": {}}),
                    "body", "label")
    for bad in ({"ids": "abc"}, {"ids": []}, {"ids": [1]}, {}):
        response = client.post(f"{DATASET}/entities/bulk-delete", headers=headers, json=bad)
        assert _refused(response, "body", "ids"), bad


@pytest.mark.parametrize("query, field", [
    ("?$top=abc", "$top"), ("?$top=-1", "$top"), ("?$skip=1e3", "$skip"),
    ("?$top=99999999999999999999", "$top"), ("?reviewState=great", "reviewState"),
    ("?$count=true", "$count"), ("?$top=1&$top=2", "$top"),
])
def test_submission_list_query_strings_are_checked(client, simple_form, login, query, field):
    _refused(client.get(SUBMISSIONS + query, headers=login("admin")), "query", field)


@pytest.mark.parametrize("path, query, field", [
    ("/entities", "?deleted=yes", "deleted"),
    ("/entities", "?include=all", "include"),
    ("/entities/{eid}", "?baseVersion=x&force=false", "baseVersion"),
    ("/entities/{eid}", "?baseVersion=0", "baseVersion"),
    ("/entities/{eid}", "?force=maybe", "force"),
    ("/entities/{eid}", "?force=true&resolve=1", "resolve"),
    ("/entities/{eid}/versions", "?relevantToConflict=on", "relevantToConflict"),
    ("", "?convert=yes", "convert"),
])
def test_register_query_strings_are_checked(client, people, login, path, query, field):
    headers = login("admin")
    eid = client.post(f"{DATASET}/entities", headers=headers,
                      json={"label": "A", "data": {"village": "dongwan"}}).json["uuid"]
    url = DATASET + path.format(eid=eid) + query
    method = client.patch if path in ("", "/entities/{eid}") else client.get
    _refused(method(url, headers=headers, json={}), "query", field)


def test_pyodk_and_central_spellings_still_load(client, people, login):
    headers = login("admin")
    eid = client.post(f"{DATASET}/entities", headers=headers, json={
        "uuid": "5a5d4f3e-2b1c-4d6e-8f90-a1b2c3d4e5f6", "label": "A",
        "data": {"village": "dongwan"}}).json["uuid"]
    # pyodk sends Python's True for force; Central reads true case-insensitively
    forced = client.patch(f"{DATASET}/entities/{eid}?force=True", headers=headers,
                          json={"label": "B"})
    assert forced.status_code == 200 and forced.json["currentVersion"]["label"] == "B"
    assert client.patch(f"{DATASET}/entities/{eid}?baseVersion=2", headers=headers,
                        json={"data": {"village": "dongwan"}}).status_code == 200
    # pyodk's create_many: a string size
    many = client.post(f"{DATASET}/entities", headers=headers, json={
        "entities": [{"label": "C", "data": {}}], "source": {"name": "pyodk v1", "size": "1"}})
    assert many.json == {"success": True, "count": 1}


def test_a_token_may_still_ride_in_the_query(client, simple_form, personas):
    # an app user's ?st= token is read (and refused the staff API), not refused as unknown
    response = client.get(f"{SUBMISSIONS}?st={personas['worker_a'].token}&$top=1")
    assert response.status_code == 403 and response.json["code"] == "403.2"


def test_form_publish_and_attachment_uploads_keep_their_raw_bodies(client, personas, login):
    from tests.factories import make_xform
    headers = {**login("admin"), "Content-Type": "application/xml"}
    created = client.post("/v1/projects/1/forms?ignoreWarnings=true&publish=true",
                          headers=headers, data=make_xform("rawbody", "1", media=["a.csv"]))
    assert created.status_code == 200, created.json
    assert _refused(client.post("/v1/projects/1/forms?publish=maybe", headers=headers,
                                data=make_xform("rawbody", "2")), "query", "publish")
    uploaded = client.post("/v1/projects/1/forms/rawbody/attachments/a.csv",
                           headers=headers, data=b"name,label\n")
    assert uploaded.status_code == 200


def test_login_needs_string_credentials(client, personas):
    for body in ({"email": "admin"}, {"email": ["admin"], "password": "admin-password"},
                 {"email": "admin", "password": "admin-password", "remember": True}):
        response = client.post("/v1/sessions", json=body)
        assert response.status_code == 400 and response.json["code"] == "400.79", body
    assert json.loads(client.post("/v1/sessions", data="[]",
                                  content_type="application/json").data)["code"] == "400.79"


def test_a_client_without_credentials_gets_its_401_before_any_schema(client, people):
    response = client.patch(DATASET, json={"approvalRequired": "false", "session": 1})
    assert response.status_code == 401 and response.json["code"] == "401.2"
    assert client.get(SUBMISSIONS + "?$top=ten").status_code == 401


def test_a_bulk_body_wrong_throughout_names_ten_fields_and_details_them_all(client, people,
                                                                            login):
    response = client.post(f"{DATASET}/entities", headers=login("admin"),
                           json={"entities": [{"label": i} for i in range(500)]})
    assert response.status_code == 400 and len(response.json["details"]["body"]["entities"]) == 500
    assert response.json["message"].endswith("; and 490 more")
    assert len(response.json["message"]) < 1000
