"""Migration 0033 chains the entries a database already holds, in id order, each into its
target's project's chain, and verify passes after it."""
from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from app.audit import verify as chains
from app.db import db as _db
from tests.test_migrations import empty_database_url  # noqa: F401 — the fixture


def test_upgrade_to_0033_chains_existing_entries_per_project(empty_database_url, tmp_path):  # noqa: F811
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x",
                      "DATA_DIR": str(tmp_path / "data"), "INSTANCE_DIR": str(tmp_path)})
    with app.app_context():
        upgrade(revision="0032")
        with _db.engine.begin() as c:
            c.execute(text("INSERT INTO projects (id, name, created_at) VALUES"
                           " (2, 'Other town', CURRENT_TIMESTAMP)"))
            c.execute(text("INSERT INTO forms (project_id, xml_form_id, state, created_at)"
                           " VALUES (2, 'visit', 'open', CURRENT_TIMESTAMP)"))
            for actor, action, target, details in (
                    ("user", "user.session.create", "user:1", None),
                    ("system", "form.publish", "form:1", '{"version": "1", "n": 2.0}'),
                    ("user", "report.view", "report:2025-03:town", '{"project_id": 2}'),
                    ("user", "person.search", "", '{"q": "王"}'),
                    ("user", "user.session.end", "user:1", None)):
                c.execute(text("INSERT INTO audit_events (actor_type, actor_id, action, target,"
                               " details, logged_at) VALUES (:a, 1, :x, :t, :d,"
                               " CURRENT_TIMESTAMP)"), {"a": actor, "x": action, "t": target,
                                                        "d": details})
        upgrade()
        with _db.engine.connect() as c:
            found = c.execute(text("SELECT action, project_id FROM audit_events ORDER BY id")
                              ).all()
        assert [tuple(r) for r in found] == [
            ("user.session.create", None), ("form.publish", 2), ("report.view", 2),
            ("person.search", 1), ("user.session.end", None)]
        with app.test_request_context():
            for project_id, length in ((None, 2), (2, 2), (1, 1)):
                walked = chains.verify(_db.session, project_id)
                assert walked.broken is None and walked.length == length
            _db.session.remove()
        _db.engine.dispose()
