"""A backup's manifest (DEST/manifest.json) and its check.

The manifest names the backup's format version, the Doorstep (Alembic) revision of the
database, the kind of database, when it was taken, and every file with its size and SHA-256.
It is written last, through a temporary file renamed into place, so a backup cut short has no
manifest and fails verify(). verify() recomputes every checksum and lists the files that are
missing, changed or not in the manifest.
"""
import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone

from app.backup import BackupError

NAME = "manifest.json"
FORMAT = "doorstep-backup"
VERSION = 1
CHUNK = 1 << 20


def digest(path):
    """(size, sha256 hex) of a file, read in chunks."""
    sha, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            sha.update(chunk)
            size += len(chunk)
    return size, sha.hexdigest()


def entry(root, relpath):
    size, sha256 = digest(os.path.join(root, relpath))
    return {"path": relpath, "size": size, "sha256": sha256}


def write(root, revision, database, files, created_at=None):
    """Write root/manifest.json for `files` (entries from entry()), durably and last."""
    manifest = {"format": FORMAT, "format_version": VERSION, "revision": revision,
                "database": database,
                "created_at": (created_at or datetime.now(timezone.utc)).isoformat(),
                "files": sorted(files, key=lambda f: f["path"])}
    temporary = os.path.join(root, f".{NAME}.tmp")
    with open(temporary, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, os.path.join(root, NAME))
    fsync_dir(root)
    return manifest


def fsync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read(root):
    """The manifest of the backup at `root`; BackupError if there is none this code reads."""
    try:
        with open(os.path.join(root, NAME), encoding="utf-8") as f:
            manifest = json.load(f)
    except FileNotFoundError:
        raise BackupError(f"{root} has no {NAME}: not a backup, or one cut short.",
                          f"{root} 没有 {NAME}：不是备份，或备份未完成。") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise BackupError(f"{NAME} is not valid JSON: {error}.",
                          f"{NAME} 不是有效的 JSON：{error}。") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT \
            or manifest.get("format_version") != VERSION \
            or not isinstance(manifest.get("files"), list) \
            or not all(_is_entry(item) for item in manifest["files"]):
        raise BackupError(f"{NAME} is not a Doorstep backup manifest of format version "
                          f"{VERSION}.",
                          f"{NAME} 不是第 {VERSION} 版格式的 Doorstep 备份清单。")
    return manifest


def _is_entry(item):
    return (isinstance(item, dict) and isinstance(item.get("path"), str)
            and isinstance(item.get("size"), int) and isinstance(item.get("sha256"), str))


@dataclass
class Check:
    """What verify() found: paths missing, changed (size or SHA-256) and extra."""
    manifest: dict
    missing: list = field(default_factory=list)
    changed: list = field(default_factory=list)
    extra: list = field(default_factory=list)

    @property
    def ok(self):
        return not (self.missing or self.changed or self.extra)

    def summary(self, zh=False):
        counts = (len(self.missing), len(self.changed), len(self.extra))
        if zh:
            return "缺少 {}、已更改 {}、多出 {} 个文件".format(*counts)
        return "{} missing, {} changed, {} extra".format(*counts)


def verify(root):
    """Recompute every file's size and SHA-256 against the manifest."""
    manifest = read(root)
    check = Check(manifest)
    listed = set()
    for item in manifest["files"]:
        path = item["path"]
        listed.add(path)
        full = _inside(root, path)
        if full is None or not os.path.isfile(full):
            check.missing.append(path)
        elif digest(full) != (item["size"], item["sha256"]):
            check.changed.append(path)
    check.extra = sorted(p for p in _files(root) if p not in listed and p != NAME)
    return check


def _inside(root, relpath):
    """The path of a manifest entry, or None if it would lead out of the backup (by `..`, an
    absolute path or a symbolic link: restore would read a file of the server's)."""
    full = os.path.realpath(os.path.join(root, relpath))
    return full if full.startswith(os.path.realpath(root) + os.sep) else None


def _files(root):
    for folder, _dirs, names in os.walk(root):
        for name in names:
            yield os.path.relpath(os.path.join(folder, name), root)
