"""Migration 0034 on a server that holds users and signed-in browsers: the supervisors and
viewers become members of project 1 (the town they saw), the admin stays server-wide, the
browsers stay signed in, and they can then sign in and see what they saw."""
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app import create_app
from app.auth import actors
from app.auth.models import User
from app.db import db as _db
from tests.test_migrations import empty_database_url  # noqa: F401 - a fixture


def test_upgrade_to_0034_makes_staff_members_of_project_1(empty_database_url, tmp_path):  # noqa: F811
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x",
                      "DATA_DIR": str(tmp_path / "data"), "INSTANCE_DIR": str(tmp_path)})
    with app.app_context():
        upgrade(revision="0032")
        with _db.engine.begin() as c:
            c.execute(text("INSERT INTO projects (id, name, time_zone, created_at) SELECT 1,"
                           " 'T', 'Asia/Shanghai', CURRENT_TIMESTAMP WHERE NOT EXISTS"
                           " (SELECT 1 FROM projects WHERE id = 1)"))
            for n, role in enumerate(("admin", "supervisor", "viewer"), 1):
                c.execute(text("INSERT INTO users (id, username, password_hash, digest_ha1, role,"
                               " all_areas, disabled, created_at) VALUES (:i, :u, 'x', '', :r,"
                               " true, false, CURRENT_TIMESTAMP)"), {"i": n, "u": role, "r": role})
            c.execute(text("INSERT INTO web_sessions (token_hash, user_id, created_at, seen_at,"
                           " expires_at) VALUES ('h', 2, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP,"
                           " CURRENT_TIMESTAMP)"))
        upgrade()
        with _db.engine.connect() as c:
            rows = c.execute(text("SELECT user_id, project_id FROM user_projects ORDER BY user_id"))
            assert [tuple(r) for r in rows] == [(2, 1), (3, 1)]
            assert c.execute(text("SELECT project_id FROM web_sessions")).all() == [(None,)]
        s = _db.session
        admin, supervisor = s.get(User, 1), s.get(User, 2)
        assert actors.from_user(admin).project_ids is None
        assert actors.from_user(supervisor).project_ids == frozenset({1})
        s.close()
        downgrade(revision="0032")
        with _db.engine.connect() as c:
            assert c.execute(text("SELECT count(*) FROM web_sessions")).scalar() == 1
        _db.engine.dispose()
