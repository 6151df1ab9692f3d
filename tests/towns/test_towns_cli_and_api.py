"""Making towns and giving people more of them: `POST /v1/projects` (Central's, admin only),
`flask projects create`, `flask users grant`, `--project` on the commands that act on a town;
what each person's `GET /v1/projects` lists; and the same xmlFormId and list name living
independently in two towns."""
import threading
import time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import AppUser, User
from app.cli import app_users, areas, forms, users
from app.forms.models import Form
from app.projects.cli import projects
from app.projects.models import Area, Project
from tests.factories import make_xform


def run(app, group, args, **kw):
    return app.test_cli_runner().invoke(group, args, **kw)


def test_an_admin_creates_a_town_over_centrals_api_and_no_one_else_may(client, login, db):
    made = client.post("/v1/projects", json={"name": "  丙镇 "}, headers=login("admin"))
    assert made.status_code == 200, made.json
    assert (made.json["id"], made.json["name"]) == (2, "丙镇")
    assert client.get("/v1/projects/2", headers=login("admin")).json["name"] == "丙镇"
    for role in ("supervisor", "viewer"):
        refused = client.post("/v1/projects", json={"name": "x"}, headers=login(role))
        assert refused.status_code == 403, role
    assert client.post("/v1/projects", json={"name": ""},
                       headers=login("admin")).json["code"] == "400.79"
    assert db.session.scalar(select(Project.id).where(Project.name == "x")) is None


def test_each_person_lists_the_towns_she_works_in(client, towns):
    def listed(username):
        token = client.post("/v1/sessions", json={"email": username,
                                                   "password": f"{username}-password"}).json
        headers = {"Authorization": f"Bearer {token['token']}"}
        return [p["id"] for p in client.get("/v1/projects", headers=headers).json]
    assert listed("admin") == [1, 2] and listed("county") == [1, 2]
    assert listed("supervisor") == [1] and listed("supervisor_b") == [2]


def test_one_xml_form_id_and_one_list_name_in_two_towns_are_two_things(client, towns, login):
    admin = login("admin")
    a = client.get("/v1/projects/1/forms/simple", headers=admin).json
    b = client.get("/v1/projects/2/forms/simple", headers=admin).json
    assert a["projectId"] == 1 and b["projectId"] == 2
    a_subs = client.get("/v1/projects/1/forms/simple/submissions", headers=admin).json
    b_subs = client.get("/v1/projects/2/forms/simple/submissions", headers=admin).json
    assert towns.b["instance_id"] in [s["instanceId"] for s in b_subs]
    assert towns.b["instance_id"] not in [s["instanceId"] for s in a_subs]
    a_people = client.get("/v1/projects/1/datasets/people/entities", headers=admin).json
    b_people = client.get("/v1/projects/2/datasets/people/entities", headers=admin).json
    assert [e["uuid"] for e in b_people] == sorted([towns.b["uuid"], towns.b["other"]])
    assert towns.b["uuid"] not in [e["uuid"] for e in a_people]


def test_a_phone_of_town_b_gets_town_bs_forms_and_is_refused_town_a(client, towns):
    b_list = client.get(f"/v1/key/{towns.b_token}/projects/2/formList",
                        headers={"X-OpenRosa-Version": "1.0"})
    assert b_list.status_code == 200 and b"<formID>simple</formID>" in b_list.data
    a_list = client.get(f"/v1/key/{towns.b_token}/projects/1/formList",
                        headers={"X-OpenRosa-Version": "1.0"})
    assert a_list.status_code == 403


def test_projects_create_with_villages_then_users_grant_and_the_town_commands(app, db,
                                                                             personas,
                                                                             tmp_path):
    villages = tmp_path / "v.csv"
    villages.write_text("name,label_zh,label_en\nnanshan,南山村,Nanshan\n", encoding="utf-8")
    made = run(app, projects, ["create", "丁镇", "--villages", str(villages)])
    assert made.exit_code == 0, made.output
    assert "project 2" in made.output and "1 villages" in made.output
    assert "丁镇" in run(app, projects, ["list"]).output
    assert run(app, areas, ["import", str(villages), "--project", "2"]).exit_code == 0
    granted = run(app, users, ["grant", "supervisor", "--project", "2", "--areas", "nanshan"])
    assert granted.exit_code == 0, granted.output
    db.session.expire_all()
    supervisor = db.session.scalar(select(User).where(User.username == "supervisor"))
    assert [p.id for p in supervisor.projects] == [1, 2]
    assert sorted(a.code for a in supervisor.areas) == ["dongwan", "nanshan"]
    again = run(app, users, ["grant", "supervisor", "--project", "2"])
    assert again.exit_code != 0 and "already works in town 2" in again.output
    assert run(app, users, ["grant", "admin", "--project", "2"]).exit_code != 0
    assert run(app, users, ["grant", "viewer", "--project", "9"]).exit_code != 0
    phone = run(app, app_users, ["create", "--name", "丁镇手机", "--areas", "nanshan",
                                 "--project", "2", "--base-url", "http://x"])
    assert phone.exit_code == 0, phone.output
    assert db.session.scalar(select(AppUser.project_id).where(
        AppUser.display_name == "丁镇手机")) == 2
    form = tmp_path / "visit.xml"
    form.write_bytes(make_xform("visit", "1"))
    assert run(app, forms, ["publish", str(form), "--project", "2"]).exit_code == 0
    assert run(app, forms, ["state", "visit", "closing", "--project", "2"]).exit_code == 0
    assert run(app, forms, ["state", "visit", "closing"]).exit_code != 0     # not in town 1
    assert db.session.scalar(select(Form.state).where(Form.project_id == 2)) == "closing"
    assert db.session.scalar(select(Area.project_id).where(Area.code == "nanshan")) == 2


def test_a_town_wide_user_is_not_given_villages(app, db, personas):
    run(app, projects, ["create", "戊镇"])
    refused = run(app, users, ["grant", "viewer", "--project", "2", "--areas", "dongwan"])
    assert refused.exit_code != 0 and "every village" in refused.output


def test_new_village_staff_work_in_their_town_and_admins_in_every_town(db, personas):
    by_name = {u.username: u for u in db.session.scalars(select(User))}
    assert [p.id for p in by_name["supervisor"].projects] == [1]
    assert [p.id for p in by_name["viewer"].projects] == [1]
    assert by_name["admin"].projects == []


def test_two_towns_created_at_once_get_two_numbers(db):
    """PostgreSQL: the second insert of the same number waits for the first, fails, and takes
    the next number (SQLite has one writer at a time, so no race to show there)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("one writer at a time on SQLite")
    from app.projects import service
    db.session.commit()
    first, second = Session(db.engine), Session(db.engine)
    try:
        made = service.create_project(first, "甲")          # its insert not committed yet
        found = {}

        def create_the_second():
            found["id"] = service.create_project(second, "乙").id
            second.commit()
        racing = threading.Thread(target=create_the_second)
        racing.start()
        time.sleep(0.5)                  # the second waits on the first's row
        first.commit()
        racing.join(10)
        assert (made.id, found["id"]) == (2, 3)
    finally:
        first.close()
        second.close()
