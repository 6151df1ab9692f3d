"""`flask users grant` without --areas gives village staff no villages of the new town, as
its help says ("none more"): before, the empty list was read as "no filter" and she was given
every village of that town, so a village supervisor of town A read all of town B."""
from sqlalchemy import select

from app.auth.models import User
from app.cli import users
from tests.towns.conftest import B_PERSON


def _bearer(client, name):
    r = client.post("/v1/sessions", json={"email": name, "password": f"{name}-password"})
    return {"Authorization": f"Bearer {r.json['token']}"}


def test_granting_village_staff_a_town_without_villages_gives_her_none_of_it(
        app, db, client, towns, personas):
    granted = app.test_cli_runner().invoke(users, ["grant", "supervisor", "--project", "2"])
    assert granted.exit_code == 0, granted.output
    db.session.expire_all()
    supervisor = db.session.scalar(select(User).where(User.username == "supervisor"))
    assert [p.id for p in supervisor.projects] == [1, 2]
    assert sorted((a.project_id, a.code) for a in supervisor.areas) == [(1, "dongwan")]
    listed = client.get("/v1/projects/2/datasets/people/entities",
                        headers=_bearer(client, "supervisor"))
    assert listed.status_code == 200 and B_PERSON not in listed.get_data(as_text=True)


def test_granting_a_town_wide_person_adds_no_village_rows(app, db, towns):
    db.session.expire_all()
    county = db.session.scalar(select(User).where(User.username == "county"))
    assert county.all_areas and county.areas == []
