"""An admin's users page while her console shows town B: a save there never gives someone
another town, or more villages in it, as a side effect. The form ticks only the villages she
has in the town shown (town A and B share village codes); a person who works in other towns
but not this one is refused (400.361: a town is given with `flask users grant`); and whether
a person of several towns is town-wide, which holds in each of her towns, is not changed from
one of them (400.362)."""
import re

from sqlalchemy import select

from app.auth import accounts
from app.auth.models import User
from tests.web.conftest import sign_in
from tests.web.test_route_policy import _csrf

BOX = re.compile(r'<input type="checkbox" name="villages" value="([^"]+)" checked>')


def _admin_in_town_b(app):
    admin = app.test_client()
    assert sign_in(app, admin, "admin", "admin-password").status_code == 303
    assert admin.get("/?project=2").status_code == 200
    return admin


def _reach(db, username):
    """(her towns, her villages as (town, code), town-wide), read afresh."""
    db.session.rollback()
    user = db.session.scalar(select(User).where(User.username == username))
    db.session.refresh(user)
    return ({p.id for p in user.projects}, {(a.project_id, a.code) for a in user.areas},
            user.all_areas)


def _save(app, admin, user_id, role, villages):
    return admin.post(f"/users/{user_id}", data={"csrf": _csrf(app, admin), "role": role,
                                                  "villages": villages})


def test_saving_town_a_staff_from_town_b_gives_her_nothing_of_town_b(app, db, towns,
                                                                      personas):
    admin = _admin_in_town_b(app)
    page = admin.get(f"/users/{personas['supervisor'].id}").get_data(as_text=True)
    # her village dongwan is town A's: town B's dongwan is not ticked for her
    assert BOX.findall(page) == []
    before = _reach(db, "supervisor")
    refused = _save(app, admin, personas["supervisor"].id, "viewer", ["dongwan"])
    assert refused.status_code == 400 and "400.361" in refused.get_data(as_text=True)
    assert _reach(db, "supervisor") == before == ({1}, {(1, "dongwan")}, False)


def test_the_form_in_town_b_ticks_only_her_villages_of_town_b(app, db, towns):
    s = db.session
    both = accounts.create_user(s, "both", "both-password", "supervisor", "r", ["dongwan"],
                                hash_method="scrypt:1024:8:1")
    accounts.grant_project(s, both, 2, ["xishan"])
    s.commit()
    admin = _admin_in_town_b(app)
    page = admin.get(f"/users/{both.id}").get_data(as_text=True)
    assert BOX.findall(page) == ["xishan"]
    assert _save(app, admin, both.id, "viewer", ["xishan"]).status_code == 303
    assert _reach(db, "both") == ({1, 2}, {(1, "dongwan"), (2, "xishan")}, False)


def test_a_person_of_several_towns_is_not_made_town_wide_from_one_of_them(app, db, towns):
    s = db.session
    both = accounts.create_user(s, "both", "both-password", "supervisor", "r", ["dongwan"],
                                hash_method="scrypt:1024:8:1")
    accounts.grant_project(s, both, 2, ["xishan"])
    s.commit()
    admin = _admin_in_town_b(app)
    refused = _save(app, admin, both.id, "supervisor", ["*"])
    assert refused.status_code == 400 and "400.362" in refused.get_data(as_text=True)
    # (else she would see every village of town A, where she was given dongwan only)
    assert _reach(db, "both") == ({1, 2}, {(1, "dongwan"), (2, "xishan")}, False)
    county = s.scalar(select(User.id).where(User.username == "county"))
    refused = _save(app, admin, county, "viewer", ["xishan"])
    assert refused.status_code == 400 and "400.362" in refused.get_data(as_text=True)
    assert _reach(db, "county") == ({1, 2}, set(), True)


def test_a_person_of_one_town_is_still_changed_there(app, db, towns, personas):
    admin = app.test_client()
    assert sign_in(app, admin, "admin", "admin-password").status_code == 303
    assert _save(app, admin, personas["supervisor"].id, "supervisor", ["*"]).status_code == 303
    assert _reach(db, "supervisor") == ({1}, set(), True)
    b = _admin_in_town_b(app)
    supervisor_b = db.session.scalar(select(User.id).where(User.username == "supervisor_b"))
    assert _save(app, b, supervisor_b, "viewer", ["xishan"]).status_code == 303
    assert _reach(db, "supervisor_b") == ({2}, {(2, "xishan")}, False)
