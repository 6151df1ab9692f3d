"""take(): a consistent backup of a running Doorstep into an empty directory.

The database and the list of blobs come from one snapshot, so every blob row in the backup
has its file and no file is missing for a submission: a blob's file is fsynced before the row
that names it commits (app/storage/store.py), and blob files are never removed while a row
names them.

- SQLite: the online backup API copies the whole database in one step under one read
  transaction (WAL lets the server's writers go on meanwhile); the blob list is read from the
  copy.
- PostgreSQL: a REPEATABLE READ transaction exports its snapshot (pg_export_snapshot()), reads
  the revision and the blob list in it, and `pg_dump -Fc --snapshot=` dumps exactly that
  snapshot. pg_dump rather than a COPY of each table because its custom format carries the
  schema, sequences and constraints that pg_restore puts back in the right order.

Blobs are read through the blob store's open(sha256), not by path, so any store with that
interface (local disk, S3-compatible) is backed up the same way.
"""
import hashlib
import os
import sqlite3

from sqlalchemy import text

from app.backup import BackupError, manifest, pg

SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
BLOBS = "blobs"


def take(engine, store, dest):
    """Back up the database behind `engine` and its blobs from `store` into `dest` (absent or
    an empty directory); returns the manifest."""
    _prepare(dest)
    if engine.dialect.name == "sqlite":
        database, name = "sqlite", SQLITE_FILE
        revision, blobs = _sqlite(_sqlite_path(engine), os.path.join(dest, name))
    elif engine.dialect.name == "postgresql":
        database, name = "postgresql", PG_FILE
        revision, blobs = _postgres(engine, os.path.join(dest, name))
    else:
        raise BackupError(f"Cannot back up a {engine.dialect.name} database.",
                          f"无法备份 {engine.dialect.name} 数据库。")
    files = [manifest.entry(dest, name)]
    os.makedirs(os.path.join(dest, BLOBS))
    files += [_copy_blob(store, dest, sha256) for sha256 in blobs]
    manifest.fsync_dir(os.path.join(dest, BLOBS))
    return manifest.write(dest, revision, database, files)


def _prepare(dest):
    if os.path.exists(dest) and (not os.path.isdir(dest) or os.listdir(dest)):
        raise BackupError(f"{dest} exists and is not an empty directory: choose a new one.",
                          f"{dest} 已存在且不是空目录：请另选一个目录。")
    # Only its owner may read a new backup: it holds people's names and ID numbers. An empty
    # directory made beforehand keeps its own mode unless it is set here too.
    os.makedirs(dest, mode=0o700, exist_ok=True)
    try:
        os.chmod(dest, 0o700)
    except OSError as error:
        raise BackupError(f"{dest} cannot be made readable by its owner only: {error}.",
                          f"无法将 {dest} 设为仅所有者可读：{error}。") from None


def _sqlite_path(engine):
    path = engine.url.database
    if not path or path == ":memory:":
        raise BackupError("The SQLite database is in memory: nothing to back up.",
                          "SQLite 数据库在内存中：没有可备份的文件。")
    return path


def _sqlite(source_path, copy_path):
    """Copy the live database with the online backup API; (revision, blob sha256s) of the copy."""
    source = sqlite3.connect(source_path)
    copy = sqlite3.connect(copy_path)
    try:
        source.backup(copy)              # pages=-1: all pages in one step, one read snapshot
        # One self-contained file: no -wal or -shm beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
        revision = _revision(copy.execute)
        blobs = [row[0] for row in copy.execute("SELECT sha256 FROM blobs ORDER BY sha256")]
    finally:
        copy.close()
        source.close()
    _fsync(copy_path)
    return revision, blobs


def _revision(execute):
    rows = list(execute("SELECT version_num FROM alembic_version"))
    if len(rows) != 1:
        raise BackupError("The database has no single Alembic revision: is it migrated?",
                          "数据库没有唯一的 Alembic 版本：是否已迁移？")
    return rows[0][0]


def _postgres(engine, dump_path):
    """pg_dump the snapshot in which the revision and blob list are read."""
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        with conn.begin():
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            revision = _revision(lambda sql: conn.execute(text(sql)).all())
            blobs = list(conn.execute(text("SELECT sha256 FROM blobs ORDER BY sha256"))
                         .scalars())
            # The exported snapshot lives only while this transaction is open.
            pg.run("pg_dump", ["-Fc", f"--snapshot={snapshot}", "-f", dump_path], engine.url)
    _fsync(dump_path)
    return revision, blobs


def _copy_blob(store, dest, sha256):
    """Copy one blob out of the store, checking its bytes against its name."""
    relpath = os.path.join(BLOBS, sha256)
    sha, size = hashlib.sha256(), 0
    try:
        source = store.open(sha256)
    except FileNotFoundError:
        raise BackupError(f"Blob {sha256} is in the database but not in the store.",
                          f"数据库中有文件 {sha256}，但存储中没有。") from None
    with source, open(os.path.join(dest, relpath), "wb") as out:
        while chunk := source.read(manifest.CHUNK):
            sha.update(chunk)
            size += len(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    if sha.hexdigest() != sha256:
        raise BackupError(f"Blob {sha256} in the store does not match its SHA-256.",
                          f"存储中的文件 {sha256} 与其 SHA-256 不符。")
    return {"path": relpath, "size": size, "sha256": sha256}


def _fsync(path):
    with open(path, "rb") as f:
        os.fsync(f.fileno())
