"""restore(): a backup back into an empty database and the configured blob store.

In this order, so that nothing is changed before the backup is known whole and the target
known empty: every checksum of the manifest is recomputed; the target database is refused if
it holds any table (unless forced, when everything in it is dropped first); every blob is put
into the store, whose own SHA-256 of the bytes must match the blob's name; then the database
is restored (SQLite: the online backup API into the target file; PostgreSQL: pg_restore). The
caller then migrates the database up to this code's revision, so an older backup restores.
"""
import os
import sqlite3
from urllib.parse import quote

from sqlalchemy import inspect, text

from app.backup import BackupError, manifest, pg
from app.backup.snapshot import BLOBS, PG_FILE, SQLITE_FILE


def restore(engine, store, src, force=False):
    """Restore the backup at `src` into the database behind `engine` and into `store`;
    returns the manifest. The engine's connections are closed before the database is
    replaced."""
    backup = _whole(src, engine.dialect.name)
    tables = inspect(engine).get_table_names()
    if tables and not force:
        raise BackupError(
            f"The target database is not empty ({len(tables)} tables): restore only into an "
            "empty database, or add --force to replace everything in it.",
            f"目标数据库不是空的（{len(tables)} 张表）：只能恢复到空数据库，或加 --force 替换其全部内容。")
    if tables and engine.dialect.name == "postgresql":
        _no_one_else(engine)
    for item in backup["files"]:
        if item["path"].startswith(BLOBS + os.sep):
            _put_blob(store, os.path.join(src, item["path"]), os.path.basename(item["path"]))
    engine.dispose()
    if engine.dialect.name == "sqlite":
        _sqlite(os.path.join(src, SQLITE_FILE), engine.url.database)
    elif tables:
        pg.replace(os.path.join(src, PG_FILE), _emptying_postgres(engine), engine.url)
    else:
        _postgres(os.path.join(src, PG_FILE), engine.url)
    engine.dispose()
    return backup


def _whole(src, kind):
    """The manifest of a backup whose every file matches it and whose database is of `kind`."""
    found = manifest.verify(src)
    if not found.ok:
        raise BackupError(
            f"The backup is damaged ({found.summary()}): run `flask backup verify {src}`.",
            f"备份已损坏（{found.summary(zh=True)}）：请运行 `flask backup verify {src}`。")
    backup = found.manifest
    if backup.get("database") != kind:
        raise BackupError(f"This is a {backup.get('database')} backup; the configured database "
                          f"is {kind}.",
                          f"这是 {backup.get('database')} 的备份，而配置的数据库是 {kind}。")
    database_file = SQLITE_FILE if kind == "sqlite" else PG_FILE
    if not any(item["path"] == database_file for item in backup["files"]):
        raise BackupError(f"The backup's manifest does not list {database_file}.",
                          f"备份清单中没有 {database_file}。")
    return backup


def _put_blob(store, path, sha256):
    with open(path, "rb") as f:
        stored = store.put_stream(f)
    if stored.sha256 != sha256:
        raise BackupError(f"Blob {sha256} changed while it was restored.",
                          f"文件 {sha256} 在恢复过程中被更改。")


def _sqlite(copy_path, target_path):
    """Copy the backup's pages over the target database (a file left by an earlier database,
    with its -wal beside it, is replaced whole, which a plain file copy would not do)."""
    if not target_path or target_path == ":memory:":
        raise BackupError("The configured SQLite database is in memory.",
                          "配置的 SQLite 数据库在内存中。")
    _readable_sqlite(copy_path)
    os.makedirs(os.path.dirname(os.path.abspath(target_path)), exist_ok=True)
    source = sqlite3.connect(copy_path)
    target = sqlite3.connect(target_path)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _readable_sqlite(path):
    """BackupError unless SQLite reads the backup's database whole: the backup API copies
    pages as they are, so a file cut short would replace the target with a damaged one."""
    try:
        copy = sqlite3.connect(f"file:{quote(os.path.abspath(path))}?mode=ro", uri=True)
        try:
            found = [row[0] for row in copy.execute("PRAGMA quick_check")]
        finally:
            copy.close()
    except sqlite3.DatabaseError as error:
        found = [str(error)]
    if found != ["ok"]:
        raise BackupError(f"The backup's database is damaged: {'; '.join(found[:3])}.",
                          f"备份中的数据库已损坏：{'; '.join(found[:3])}。")


def _no_one_else(engine):
    """BackupError while other clients are connected to the database (a server still
    running would write into it meanwhile, and serve what it cached of the replaced one)."""
    with engine.connect() as conn:
        others = conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")).scalar_one()
    engine.dispose()
    if others:
        raise BackupError(f"{others} other connections to the target database: stop the "
                          "server (and any other client) before replacing its database.",
                          f"目标数据库还有 {others} 个其他连接：替换数据库前请先停止服务器（及其他客户端）。")


def _emptying_postgres(engine):
    """The statements that drop every table, view and sequence of the target's schema
    (restore --force), run in the restore's own transaction (pg.replace)."""
    drops = []
    with engine.connect() as conn:
        for kind, query in (("VIEW", "SELECT table_name FROM information_schema.views "
                                     "WHERE table_schema = current_schema()"),
                            ("TABLE", "SELECT tablename FROM pg_tables "
                                      "WHERE schemaname = current_schema()"),
                            ("SEQUENCE", "SELECT sequence_name FROM information_schema.sequences "
                                         "WHERE sequence_schema = current_schema()")):
            for name in conn.execute(text(query)).scalars().all():
                quoted = conn.dialect.identifier_preparer.quote_identifier(name)
                drops.append(f"DROP {kind} IF EXISTS {quoted} CASCADE;")
    engine.dispose()
    return "\n".join(drops)


def _postgres(dump_path, url):
    # No owners or grants from the source server: the restored objects belong to the
    # configured user, who may have another name there.
    pg.run("pg_restore", ["--no-owner", "--no-privileges", "--exit-on-error",
                          "--single-transaction", dump_path], url)
