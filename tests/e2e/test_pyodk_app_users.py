"""pyodk's projects calls against a real gunicorn (issue 22): `projects.list`, `projects.get`
and `projects.create_app_users` with and without forms, as pyodk's own end-to-end suite makes
them; then each new app user's token is used as a phone uses it."""
import re
import uuid

import requests

from tests.e2e.live import pyodk_client
from tests.factories import make_instance, make_xform

OPENROSA = {"X-OpenRosa-Version": "1.0"}


def _form_ids(server, token):
    response = requests.get(f"{server.url}/v1/key/{token}/projects/1/formList",
                            headers=OPENROSA, timeout=30)
    assert response.status_code == 200, response.text
    return sorted(re.findall(r"<formID>([^<]*)</formID>", response.text))


def _submit(server, token, instance):
    return requests.post(f"{server.url}/v1/key/{token}/projects/1/submission",
                         files={"xml_submission_file": ("submission.xml", instance, "text/xml")},
                         headers=OPENROSA, timeout=30)


def test_pyodk_lists_projects_and_creates_app_users_with_forms(live_server, personas, publish,
                                                               tmp_path):
    publish(make_xform("simple", "1", title="Simple"))
    publish(make_xform("other", "1", title="Other"))
    server = live_server()
    with pyodk_client(server, tmp_path) as client:
        assert [(p.id, p.name) for p in client.projects.list()] == [(1, "Test town")]
        assert client.projects.get().name == "Test town"
        with_forms = client.projects.create_app_users(display_names=["王小梅", "李娜"],
                                                      forms=["simple", "other"])
        names_only = client.projects.create_app_users(display_names=["张丽"])

    assert [u.displayName for u in with_forms] == ["王小梅", "李娜"]
    for user in with_forms:
        assert _form_ids(server, user.token) == ["other", "simple"]
    instance = make_instance(instance_id=f"uuid:{uuid.uuid4()}",
                             values={"name": "王芳", "village": "dongwan"})
    assert _submit(server, with_forms[0].token, instance).status_code == 201
    [bare] = names_only
    assert _form_ids(server, bare.token) == []
    assert _submit(server, bare.token, make_instance()).status_code == 403
