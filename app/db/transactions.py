"""Read and write phases of a hot path's database work.

On SQLite every ordinary transaction takes the database-wide write lock at BEGIN (see
engine.py), which is safe but serialises everything. A read-only phase instead runs as a
deferred transaction without the lock (WAL readers never block and are never blocked), and the
writes then start their own, short, locked transaction. On PostgreSQL there is no such lock, and
reads and writes share one transaction to save round trips.

Code that splits its work this way must not rely on what it read staying true: intake relies on
unique constraints and guarded updates instead (a lost race rolls back and is retried).
"""
from sqlalchemy.orm import scoped_session

READ_ONLY = {"doorstep_read_only": True}


def _actual(session):
    return session() if isinstance(session, scoped_session) else session


def in_transaction(session):
    return _actual(session).in_transaction()


def begin_reads(session):
    """Make the session's next transaction a read-only one. No effect inside a transaction,
    and none on PostgreSQL, where the first statement begins the transaction as usual."""
    actual = _actual(session)
    if not actual.in_transaction() and actual.get_bind().dialect.name == "sqlite":
        actual.connection(execution_options=READ_ONLY)


def end_reads(session):
    """Before the writes: on SQLite end the read transaction, so that the write lock is taken
    for the writes alone; on PostgreSQL carry on in the same transaction."""
    if session.get_bind().dialect.name == "sqlite":
        session.rollback()
