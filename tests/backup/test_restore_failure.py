"""A restore that fails part-way leaves the target as it was: `flask restore --force` over a
database in use, of a backup whose checksums match but whose database file the restore
cannot read to its end (a dump cut short when it was taken, or one a newer pg_dump wrote),
keeps the target's own tables and rows instead of leaving it emptied."""
import os

from flask_migrate import upgrade
from sqlalchemy import text

from app.backup import manifest
from app.extensions import db as _db
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
