"""A backup holds everyone's names and ID numbers: whatever the directory it is written into,
no one but its owner can read it."""
import os
import stat

from app.cli import backup
from tests.factories import make_xform


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_backup_into_an_existing_open_directory_is_readable_by_its_owner_only(
        app, db, personas, publish, tmp_path):
    publish(make_xform("visit", "1", media=["logo.png"]), media={"logo.png": b"PNG1"})
    dest = tmp_path / "nightly"
    dest.mkdir()
    os.chmod(dest, 0o755)                  # made beforehand by an operator: world-readable
    old = os.umask(0o022)
    try:
        with app.app_context():
            result = app.test_cli_runner().invoke(backup, [str(dest)])
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(dest)) == ["blobs", "database." + (
        "sqlite3" if db.engine.dialect.name == "sqlite" else "pgdump"), "manifest.json"]
    # (its files lie inside it: no one else can open them, whatever their own mode)
    assert _mode(dest) == 0o700
