"""The JSON API through a real gunicorn refuses the bodies that once were 500s or silent
misreadings (issue #16, item 11) with a 400 that names the field and why, and changes nothing."""
import requests

from tests.factories import make_entity_xform, make_instance, new_instance_id
from tests.register.test_merge import PROPS


def _refused(response, where, field):
    assert response.status_code == 400, (response.status_code, response.text[:300])
    body = response.json()
    assert body["code"] == "400.79" and field in body["details"][where], body
    return body["details"][where][field]


def test_reproduced_bodies_are_400s_with_details(live_server, publish, collect, simple_form):
    publish(make_entity_xform("people_form", create=True, update=True, properties=PROPS,
                              uses_list=True))
    iid = new_instance_id()
    assert collect.submit(make_instance(instance_id=iid, values={
        "name": "x", "village": "dongwan"})).status_code == 201
    server = live_server()
    token = requests.post(f"{server.url}/v1/sessions", timeout=30,
                          json={"email": "admin", "password": "admin-password"}).json()["token"]
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    dataset = f"{server.url}/v1/projects/1/datasets/people"
    submission = f"{server.url}/v1/projects/1/forms/simple/submissions/{iid}"

    # a key named like record()'s own arguments was a TypeError: 500
    for name in ("session", "action", "target"):
        stray = http.patch(dataset, json={"approvalRequired": True, name: 1}, timeout=30)
        assert _refused(stray, "body", name) == ["Unknown field."]
    # a JSON array was an AttributeError: 500
    assert _refused(http.patch(dataset, json=[{"approvalRequired": True}], timeout=30),
                    "body", "_body") == ["Expected a JSON object."]
    assert _refused(http.post(f"{dataset}/entities", json=[{"label": "x"}], timeout=30),
                    "body", "_body") == ["Expected a JSON object."]
    # bool("false") turned approval on
    assert _refused(http.patch(dataset, json={"approvalRequired": "false"}, timeout=30),
                    "body", "approvalRequired") == ["Not a valid boolean: use JSON true or false."]
    assert http.get(dataset, timeout=30).json()["approvalRequired"] is False
    # PATCH {} reset an approved submission to received
    assert http.patch(submission, json={"reviewState": "approved"}, timeout=30).ok
    assert _refused(http.patch(submission, json={}, timeout=30),
                    "body", "reviewState") == ["Missing data for required field."]
    assert http.get(submission, timeout=30).json()["reviewState"] == "approved"
    # a mistyped query string was read as "no paging" or "false"
    assert _refused(http.get(f"{server.url}/v1/projects/1/forms/simple/submissions?$top=ten",
                             timeout=30), "query", "$top") == ["Not a valid integer."]
    assert "Traceback" not in server.output() and "unexpected error" not in server.output()
