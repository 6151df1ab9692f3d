"""`flask backup verify SRC` recomputes every checksum of the manifest and names each file
that is missing, changed or not in it; `flask restore` refuses a damaged backup, and one of a
revision this Doorstep does not know, before touching the target."""
import hashlib
import os

import pytest

from app.backup import manifest
from app.cli import backup, restore_command

pytestmark = pytest.mark.database_independent


@pytest.fixture
def made(tmp_path):
    """A backup folder written by hand: a database file and two blobs, with their manifest."""
    root = tmp_path / "backup"
    (root / "blobs").mkdir(parents=True)
    (root / "database.sqlite3").write_bytes(b"not really a database")
    paths = ["database.sqlite3"]
    for content in (b"photo one", b"photo two"):
        sha = hashlib.sha256(content).hexdigest()
        (root / "blobs" / sha).write_bytes(content)
        paths.append(os.path.join("blobs", sha))
    manifest.write(str(root), "0032", "sqlite", [manifest.entry(str(root), p) for p in paths])
    return root, paths


def _verify(app, root):
    with app.app_context():
        return app.test_cli_runner().invoke(backup, ["verify", str(root)])


def test_verify_passes_an_untouched_backup(app, made):
    root, paths = made
    result = _verify(app, root)
    assert result.exit_code == 0, result.output
    assert f"All {len(paths)} files match" in result.output and "与清单一致" in result.output


def test_verify_names_a_changed_a_missing_and_an_extra_file(app, made):
    root, paths = made
    (root / paths[1]).write_bytes(b"photo 0ne")                 # same size, other bytes
    os.unlink(root / paths[2])
    (root / "blobs" / "stray").write_bytes(b"left behind")
    result = _verify(app, root)
    assert result.exit_code != 0
    lines = result.output.splitlines()
    assert f"changed / 已更改: {paths[1]}" in lines
    assert f"missing / 缺少: {paths[2]}" in lines
    assert f"extra / 多出: {os.path.join('blobs', 'stray')}" in lines
    assert "1 missing, 1 changed, 1 extra" in result.output and "备份与清单不符" in result.output


def test_verify_refuses_a_folder_without_a_manifest(app, made):
    root, _paths = made
    os.unlink(root / manifest.NAME)                  # as a backup cut short leaves it
    result = _verify(app, root)
    assert result.exit_code != 0 and "no manifest.json" in result.output
    assert "备份未完成" in result.output


def test_a_manifest_entry_cannot_name_a_file_outside_the_backup(app, made, tmp_path):
    root, paths = made
    (tmp_path / "elsewhere").write_bytes(b"x")
    entry = manifest.entry(str(tmp_path), "elsewhere")
    manifest.write(str(root), "0032", "sqlite", [manifest.entry(str(root), p) for p in paths]
                   + [{**entry, "path": "../elsewhere"}])
    assert "missing / 缺少: ../elsewhere" in _verify(app, root).output


def test_restore_refuses_a_damaged_backup_before_touching_the_target(app, made):
    root, paths = made
    (root / paths[1]).write_bytes(b"changed")
    with app.app_context():
        result = app.test_cli_runner().invoke(restore_command, [str(root)])
    assert result.exit_code != 0
    assert "damaged (0 missing, 1 changed, 0 extra)" in result.output
    assert "备份已损坏" in result.output


def test_restore_refuses_a_backup_of_a_revision_it_does_not_know(app, made):
    root, paths = made
    manifest.write(str(root), "9999", "sqlite", [manifest.entry(str(root), p) for p in paths])
    with app.app_context():
        result = app.test_cli_runner().invoke(restore_command, [str(root)])
    assert result.exit_code != 0 and "revision 9999" in result.output
    assert "版本 9999" in result.output


def test_verify_refuses_a_manifest_of_another_shape(app, made):
    root, _paths = made
    (root / manifest.NAME).write_text('{"format": "doorstep-backup", "format_version": 1, '
                                      '"files": [{"path": "database.sqlite3"}]}')
    result = _verify(app, root)
    assert result.exit_code != 0 and "not a Doorstep backup manifest" in result.output
    assert "不是第 1 版格式" in result.output


def test_backup_refuses_a_destination_that_holds_files(app, made):
    root, _paths = made
    before = sorted(os.listdir(root))
    with app.app_context():
        result = app.test_cli_runner().invoke(backup, [str(root)])
    assert result.exit_code != 0 and "not an empty directory" in result.output
    assert "不是空目录" in result.output and sorted(os.listdir(root)) == before


def test_a_link_inside_the_backup_to_a_file_outside_it_is_not_part_of_it(app, made, tmp_path):
    """A crafted backup cannot have restore read (and store as a blob) a file of the server's
    outside it: a symbolic link under blobs/ is missing, not followed."""
    root, paths = made
    secret = tmp_path / "secret"
    secret.write_bytes(b"a file of the server's")
    sha = hashlib.sha256(secret.read_bytes()).hexdigest()
    os.symlink(secret, root / "blobs" / sha)
    linked = os.path.join("blobs", sha)
    manifest.write(str(root), "0032", "sqlite",
                   [manifest.entry(str(root), p) for p in [*paths, linked]])
    output = _verify(app, root).output
    assert f"missing / 缺少: {linked}" in output
