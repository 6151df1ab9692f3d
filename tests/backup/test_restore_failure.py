"""A restore that fails part-way leaves the target as it was: `flask restore --force` over a
database in use, of a backup whose checksums match but whose database file the restore
cannot read to its end (a dump cut short when it was taken, or one a newer pg_dump wrote),
keeps the target's own tables and rows instead of leaving it emptied. On PostgreSQL a forced
restore is refused while another client (a server still running) is connected."""
import os

import pytest

from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from app.backup import manifest
from app.db import db as _db
from app.projects.service import ensure_default_project
from tests.backup.conftest import restore_into, take_backup


def _cut_short(root):
    """Cut the backup's database file to half and write the manifest that matches it."""
    old = manifest.read(str(root))
    name = next(f["path"] for f in old["files"] if f["path"].startswith("database."))
    path = os.path.join(root, name)
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 2)
    manifest.write(str(root), old["revision"], old["database"],
                   [manifest.entry(str(root), f["path"]) for f in old["files"]])


def _projects(target_app):
    with target_app.app_context():
        try:
            return _db.session.execute(text("SELECT name FROM projects")).scalars().all()
        finally:
            _db.session.remove()
            _db.engine.dispose()


def test_a_forced_restore_that_fails_leaves_the_target_as_it_was(app, db, personas,
                                                                  make_target, tmp_path):
    db.session.commit()
    assert take_backup(app, tmp_path / "backup").exit_code == 0
    _cut_short(tmp_path / "backup")
    target_app = make_target().app()
    with target_app.app_context():
        upgrade()
        ensure_default_project(_db.session, "Another town")
        _db.session.execute(text("UPDATE projects SET name = 'Another town'"))
        _db.session.commit()
        _db.engine.dispose()
    failed = restore_into(target_app, tmp_path / "backup", "--force")
    assert failed.exit_code != 0, failed.output
    assert "damaged" in failed.output or "pg_restore failed" in failed.output, failed.output
    assert _projects(target_app) == ["Another town"]


def test_a_forced_restore_refuses_a_postgresql_database_a_server_still_uses(
        app, db, personas, make_target, tmp_path):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite keeps no list of who has its file open")
    db.session.commit()
    assert take_backup(app, tmp_path / "backup").exit_code == 0
    target = make_target()
    target_app = target.app()
    with target_app.app_context():
        upgrade()
        ensure_default_project(_db.session, "Another town")
        _db.session.execute(text("UPDATE projects SET name = 'Another town'"))
        _db.session.commit()
        _db.engine.dispose()
    server = create_engine(target.url)
    with server.connect() as still_running:
        still_running.execute(text("SELECT 1"))
        refused = restore_into(target_app, tmp_path / "backup", "--force")
    server.dispose()
    assert refused.exit_code != 0 and "1 other connections" in refused.output
    assert "停止服务器" in refused.output
    assert _projects(target_app) == ["Another town"]
    assert restore_into(target_app, tmp_path / "backup", "--force").exit_code == 0
    assert _projects(target_app) == ["Test town"]
