"""SQLite's connection tuning (app/db/engine.py): a commit is on disk before commit() returns,
and the disk sync happens after the write lock is released, so the next writer need not wait
for it."""
import fcntl
import os

import pytest
from sqlalchemy import text

from app.audit.record import record
from app.db import transactions


@pytest.fixture
def sqlite_path(db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock and WAL sync; PostgreSQL syncs its own commits")
    return db.engine.url.database


@pytest.fixture
def syncs(monkeypatch, sqlite_path):
    """Each WAL sync as (file synced, whether the write lock was free at that moment); the
    real sync still runs."""
    seen, real = [], os.fdatasync

    def watched(fd):
        probe = os.open(sqlite_path + ".lock", os.O_RDWR)
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(probe, fcntl.LOCK_UN)
            free = True
        except BlockingIOError:
            free = False
        finally:
            os.close(probe)
        seen.append((os.readlink(f"/proc/self/fd/{fd}"), free))
        real(fd)

    monkeypatch.setattr(os, "fdatasync", watched)
    return seen


def test_commit_syncs_the_wal_once_the_write_lock_is_released(db, sqlite_path, syncs):
    assert db.session.execute(text("PRAGMA synchronous")).scalar() == 1     # NORMAL
    db.session.rollback()
    record(db.session, None, "test.write", "test:1")
    assert syncs == []                      # nothing is synced before the commit
    db.session.commit()
    assert syncs == [(os.path.realpath(sqlite_path) + "-wal", True)]


def test_reads_and_rolled_back_writes_sync_nothing(db, syncs):
    transactions.begin_reads(db.session)
    db.session.execute(text("SELECT count(*) FROM audit_events")).scalar()
    db.session.rollback()
    record(db.session, None, "test.write", "test:1")
    db.session.rollback()
    assert syncs == []


def test_a_committed_read_only_phase_syncs_nothing_unless_it_wrote(db, syncs):
    transactions.begin_reads(db.session)        # a console page's read, ended by commit
    db.session.execute(text("SELECT count(*) FROM audit_events")).scalar()
    db.session.commit()
    assert syncs == []
    transactions.begin_reads(db.session)        # a write slipped into a read phase: synced
    record(db.session, None, "test.write", "test:1")
    db.session.commit()
    assert len(syncs) == 1
    record(db.session, None, "test.write", "test:2")     # an ordinary write after it
    db.session.commit()
    assert len(syncs) == 2


def test_a_busy_database_at_begin_is_sqlalchemys_error_and_frees_the_lock(db, sqlite_path):
    import sqlite3

    from sqlalchemy import create_engine, event, exc
    from sqlalchemy.orm import Session
    # An engine of its own: the short busy timeout cannot reach a connection of the app's pool
    # (where, in the full suite, another pooled connection would wait the full 30 s).
    engine = create_engine(db.engine.url)
    event.listen(engine, "connect",
                 lambda conn, _record: conn.execute("PRAGMA busy_timeout=100"))
    db.session.rollback()
    other = sqlite3.connect(sqlite_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")        # a writer outside Doorstep (the sqlite3 shell)
    try:
        with Session(engine) as session:
            with pytest.raises(exc.OperationalError, match="locked"):
                record(session, None, "test.write", "test:1")
            session.rollback()
        probe = os.open(sqlite_path + ".lock", os.O_RDWR)
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)     # Doorstep's lock is free
            fcntl.flock(probe, fcntl.LOCK_UN)
        finally:
            os.close(probe)
    finally:
        other.rollback()
        other.close()
        engine.dispose()


def test_the_apps_start_up_objects_are_left_out_of_garbage_collection(app):
    import gc
    assert gc.get_freeze_count() > 10_000
