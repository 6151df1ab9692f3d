"""The SQLAlchemy and Alembic extensions, created unbound and bound in create_app(); how each
SQLite connection is set up.

SQLite is the embedded default, so it is tuned for several gunicorn workers writing at once:
WAL lets readers run beside the writer, and every transaction starts with BEGIN IMMEDIATE so
that two workers never both read and then fail to upgrade to a write lock.

Durability is kept as with synchronous=FULL, but the sync is taken out of the write lock: with
synchronous=NORMAL a COMMIT appends the transaction to the WAL file without syncing it, and
when the connection goes back to the pool (the write lock released, the caller not yet
answered) the WAL file is synced. Session.commit() therefore still returns only once the
transaction is on disk, so the phone hears 201 after its submission is durable; but the next
writer starts while this one waits for the disk, and concurrent syncs share the disk's work
(a group commit), so no writer waits for another's disk (docs/performance-history.md). What
another request may see for that fraction of a millisecond is a commit not yet on disk; after
a power cut (not a process crash) it could be lost, but then its phone never heard 201 and
sends it again. A checkpoint syncs the WAL before copying it into the database (SQLite does
that at NORMAL too), so no committed transaction is dropped in between.

Waiting writers queue on an flock() of <database>.lock rather than on SQLite's busy handler,
which sleeps in growing steps, so a writer could wait long after the lock was free
(docs/performance-history.md, "Where the time goes, and what was changed"); the kernel wakes
the next waiter as soon as the lock is released.

Within one process, writers also queue on a process lock before the flock: under gevent
(app/gunicorn_worker.py) a greenlet that waited in flock() while another greenlet of its own
process held the lock would stop the whole process, the holder included.
"""
import fcntl
import os
import threading

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

# Stable constraint names, so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))
migrate = Migrate(render_as_batch=True, compare_type=True)

_LOCK_FD = "doorstep_lock_fd"
_WAL = "doorstep_wal_path"
#: the connection's count of changed rows when a read-only phase began
_CHANGES = "doorstep_changes_at_begin"
_COMMITTED = "doorstep_committed"
_HOLDS = "doorstep_holds_process_lock"
_PATH = "doorstep_lock_path"
_process_locks = {}


def _writers_in_this_process(path):
    """The process lock of one database, made at its first write: after gevent's patching,
    which makes it a cooperative lock (this module is imported before the patching, in
    gunicorn's master). One per database, as the flock is: a rebuild writes a scratch
    database while it holds the live one's lock."""
    lock = _process_locks.get(path)
    if lock is None:
        lock = _process_locks.setdefault(path, threading.Lock())
    return lock


def _is_sqlite(dbapi_connection):
    return type(dbapi_connection).__module__ == "sqlite3"


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, record):
    if not _is_sqlite(dbapi_connection):
        return
    # Take transaction control from the driver so BEGIN IMMEDIATE below is what runs.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # NORMAL: COMMIT writes the WAL without syncing it; _on_reset syncs it once the write
    # lock is released (see the module docstring)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    path = cursor.execute("PRAGMA database_list").fetchone()[2]
    cursor.close()
    if path:        # a file, not :memory:
        # One open file description per connection: flock() then also excludes other
        # threads of the same process, each on its own connection.
        record.info[_LOCK_FD] = os.open(path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        record.info[_PATH] = path
        record.info[_WAL] = path + "-wal"


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection):
    if connection.dialect.name != "sqlite":
        return
    if connection.get_execution_options().get("doorstep_read_only"):
        # A declared read-only phase (app/db/transactions.py): deferred, no lock.
        _send_begin(connection, "BEGIN")
        connection.connection.info[_CHANGES] = connection.connection.driver_connection.total_changes
        return
    info = connection.connection.info
    info.pop(_CHANGES, None)
    fd = info.get(_LOCK_FD)
    if fd is not None:
        if not info.get(_HOLDS):
            lock = _writers_in_this_process(info[_PATH])
            lock.acquire()
            info[_HOLDS] = lock
        fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        _send_begin(connection, "BEGIN IMMEDIATE")
    except BaseException:
        _release(connection.connection.info)
        raise


def _send_begin(connection, sql):
    """BEGIN on the driver's connection itself: SQLAlchemy's execution machinery around
    exec_driver_sql() was a visible share of a SQLite submission, which begins two (the read
    phase and the write phase; docs/performance-history.md). Errors still come out as
    SQLAlchemy's (a busy database: OperationalError)."""
    dialect = connection.dialect
    try:
        connection.connection.driver_connection.execute(sql)
    except dialect.loaded_dbapi.Error as e:
        raise exc.DBAPIError.instance(sql, (), e, dialect.loaded_dbapi.Error,
                                      dialect=dialect) from e


def _release(info):
    fd = info.get(_LOCK_FD)
    if fd is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
    lock = info.pop(_HOLDS, None)
    if lock is not None:
        lock.release()


@event.listens_for(Engine, "commit")
def _sqlite_commit(connection):
    if connection.dialect.name != "sqlite":
        return
    info = connection.connection.info
    # A read-only phase that indeed changed no row has nothing to make durable: committing
    # one (a console page ends each this way) skips the WAL's fdatasync, which a read-only
    # page does not need (docs/console-bench.md, "Observations").
    before = info.pop(_CHANGES, None)
    if before is None or before != connection.connection.driver_connection.total_changes:
        info[_COMMITTED] = True


def _sync_wal(info):
    """Make what this connection committed durable: sync the WAL file, which holds it."""
    path = info.get(_WAL)
    if path is None:
        return
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:       # checkpointed and removed: the database file holds it
        return
    try:
        os.fdatasync(fd)
    finally:
        os.close(fd)


@event.listens_for(Pool, "reset")
def _on_reset(dbapi_connection, record, reset_state):
    # Sessions and engine.begin() return their connection to the pool when a transaction
    # ends; the reset runs after COMMIT/ROLLBACK reached the database, so the next writer
    # never waits on a transaction that is not yet durable. (ConnectionEvents "commit" would
    # fire before the COMMIT.) flock() on an fd this connection already holds is a no-op, so
    # a transaction begun again before a reset cannot deadlock on itself.
    if _is_sqlite(dbapi_connection):
        _release(record.info)
        if record.info.pop(_COMMITTED, False):
            _sync_wal(record.info)


@event.listens_for(Pool, "close")
def _on_close(dbapi_connection, record):
    # an invalidated connection is closed without a reset: closing its fd frees the flock,
    # and the process lock must go with it
    _release(record.info)
    fd = record.info.pop(_LOCK_FD, None)
    if fd is not None:
        os.close(fd)
