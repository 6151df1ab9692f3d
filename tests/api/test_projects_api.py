"""Central's projects and roles over the API: the shapes pyodk's models read, staff only."""
import pytest
from pyodk._endpoints.projects import Project

from app.projects.models import Project as ProjectRow

PROJECT_KEYS = {"id", "name", "description", "archived", "keyId", "createdAt", "updatedAt",
                "deletedAt"}


@pytest.mark.parametrize("persona", ["admin", "supervisor", "viewer"])
def test_staff_list_the_town_as_central_shapes_a_project(client, login, persona):
    listed = client.get("/v1/projects", headers=login(persona))
    assert listed.status_code == 200
    [project] = listed.json
    assert set(project) == PROJECT_KEYS
    assert (project["id"], project["name"], project["keyId"]) == (1, "Test town", None)
    assert project["createdAt"].endswith("Z")
    assert Project(**project).id == 1          # pyodk's own model takes it
    one = client.get("/v1/projects/1", headers=login(persona))
    assert one.json == project


def test_a_second_town_is_listed_too(client, db, login):
    db.session.add(ProjectRow(id=2, name="Next town"))
    db.session.commit()
    assert [p["name"] for p in client.get("/v1/projects", headers=login("admin")).json] == [
        "Test town", "Next town"]


def test_an_unknown_project_is_404(client, login):
    response = client.get("/v1/projects/99", headers=login("admin"))
    assert (response.status_code, response.json["code"]) == (404, "404.1")


@pytest.mark.parametrize("path", ["/v1/projects", "/v1/projects/1", "/v1/roles",
                                  "/v1/roles/2"])
def test_anonymous_and_phones_are_refused(client, personas, path):
    anonymous = client.get(path)
    assert (anonymous.status_code, anonymous.json["code"]) == (401, "401.2")
    phone = client.get(f"{path}?st={personas['worker_a'].token}")
    assert (phone.status_code, phone.json["code"]) == (403, "403.2")


def test_the_app_user_role_has_centrals_id(client, login):
    headers = login("viewer")
    roles = client.get("/v1/roles", headers=headers).json
    app_user = next(r for r in roles if r["system"] == "app-user")
    # pyodk grants forms with role id 2 without looking it up
    assert app_user == {"id": 2, "name": "App User", "system": "app-user", "createdAt": None,
                        "updatedAt": None, "verbs": ["form.list", "submission.create"]}
    assert {r["system"]: r["id"] for r in roles} == {
        "admin": 1, "app-user": 2, "viewer": 6, "supervisor": 101}
    assert client.get("/v1/roles/2", headers=headers).json == app_user
    assert client.get("/v1/roles/app-user", headers=headers).json == app_user
    for missing in ("/v1/roles/3", "/v1/roles/manager"):
        response = client.get(missing, headers=headers)
        assert (response.status_code, response.json["code"]) == (404, "404.1")
