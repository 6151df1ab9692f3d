"""The hottest statements of intake and merge, executed on the database driver's own cursor.

SQLAlchemy's execution path (execution context, events, result objects) adds Python to every
statement on top of the driver, a large share of the hot path's CPU (docs/performance-
history.md, "The hot statements on the driver's cursor"). A DriverStatement keeps SQLAlchemy
for everything that matters to correctness: the statement is a Core construct compiled by
SQLAlchemy for the connection's dialect (once per dialect), values go through the bind types'
own converters and returned columns through the result types' own converters (so what is stored
and read is what session.execute() would store and read), it runs inside the session's
transaction, and driver errors come out as SQLAlchemy's exceptions (IntegrityError, which
intake's race handling relies on). What it gives up: SQLAlchemy's statement events (nothing in
Doorstep listens to them on this path), column defaults computed in Python (a statement names
every column it writes, and every execution passes every parameter the statement names) and
per-call variation.
"""
import weakref
from collections import namedtuple

from sqlalchemy import exc
from sqlalchemy.orm import scoped_session


class _Compiled:
    """A statement as compiled for one dialect, with its value converters."""

    def __init__(self, statement, dialect):
        compiled = statement.compile(dialect=dialect)
        # SQLAlchemy fills columns with Python-side defaults at execution; here they would be
        # NULL, so a statement must name them
        defaulted = [c.name for c in (*compiled.insert_prefetch, *compiled.update_prefetch)]
        if defaulted:
            raise ValueError(f"name the columns {defaulted} in the statement: their Python "
                             "defaults are not applied on the driver's cursor")
        self.sql = compiled.string
        self.order = compiled.positiontup if compiled.positional else None
        self.defaults = {name: bind.value for name, bind in compiled.binds.items()
                         if not bind.required and bind.callable is None}
        self.required = frozenset(name for name, bind in compiled.binds.items() if bind.required)
        self.binds = tuple(
            (name, process) for name, process in (
                (name, bind.type.dialect_impl(dialect).bind_processor(dialect))
                for name, bind in compiled.binds.items()) if process is not None)
        # a query's columns, or what DML returns (none for text() and plain DML)
        columns = list(getattr(statement, "exported_columns", ()))
        processors = [c.type.dialect_impl(dialect).result_processor(dialect, None)
                      for c in columns]
        self.results = processors if any(processors) else None
        self.row = namedtuple("Row", [c.key for c in columns]) if columns else None
        # PostgreSQL statements go through libpq directly (driver_pg, and so psycopg, is
        # imported only then: a SQLite server never loads it)
        self.libpq = None
        if dialect.driver == "psycopg" and dialect.paramstyle == "pyformat":
            from app.db import driver_pg
            self.libpq = driver_pg.Prepared(self.sql)


def _cursor(fairy):
    """One driver cursor per database connection, kept with the pool's record of it: a psycopg
    cursor caches how each Python type is sent, and one made per statement looked that up
    again for every parameter (docs/performance-history.md). Statements here fetch everything
    before returning, so one cursor is never read by two at once."""
    driver = fairy.driver_connection
    kept = fairy.info.get(_CURSOR)
    if kept is None or kept[0] is not driver:      # none yet, or the connection was replaced
        kept = fairy.info[_CURSOR] = (driver, driver.cursor())
    return kept[1]


_CURSOR = "doorstep_driver_cursor"
_CONNECTION = "doorstep_transaction_connection"


def _connection(session):
    """The session's connection for its current transaction. session.connection() walks
    Flask-SQLAlchemy's bind lookup and SQLAlchemy's transaction state machine on every call,
    several times per submission; the answer cannot change until the transaction ends,
    so it is kept in session.info beside the transaction it belongs to. A new transaction
    (after a commit or rollback) is a new object. Both are held by weak references, so that
    keeping them never extends the life of a finished transaction or of its connection."""
    if isinstance(session, scoped_session):
        session = session()
    kept = session.info.get(_CONNECTION)
    transaction = session.get_transaction()
    if kept is not None and transaction is not None and kept[0]() is transaction:
        connection = kept[1]()
        if connection is not None:         # the transaction holds it; checked all the same
            return connection
    connection = session.connection()
    session.info[_CONNECTION] = (weakref.ref(session.get_transaction()), weakref.ref(connection))
    return connection


class DriverStatement:
    """A Core statement run on the driver's cursor of the session's connection."""

    def __init__(self, statement):
        self.statement = statement
        self._by_dialect = {}

    def _execute(self, session, params):
        """(compiled, rows as tuples or None when the statement returns none)."""
        connection = _connection(session)
        dialect = connection.dialect
        compiled = self._by_dialect.get(dialect.name)
        if compiled is None:
            compiled = self._by_dialect[dialect.name] = _Compiled(self.statement, dialect)
        missing = compiled.required.difference(params)
        if missing:
            raise exc.InvalidRequestError(f"A value is required for bind parameter(s) "
                                          f"{sorted(missing)}")
        values = {**compiled.defaults, **params}
        for name, process in compiled.binds:
            values[name] = process(values[name])
        fairy = connection.connection
        driver = fairy.driver_connection
        try:
            if compiled.libpq is not None and compiled.libpq.usable(driver):
                return compiled, compiled.libpq.execute(fairy.info, driver, values)
            arguments = (tuple(values[name] for name in compiled.order)
                         if compiled.order is not None else values)
            cursor = _cursor(fairy)
            cursor.execute(compiled.sql, arguments)
            # SQLite finishes a statement only once it is read
            return compiled, (cursor.fetchall() if cursor.description is not None else None)
        except dialect.loaded_dbapi.Error as e:
            raise exc.DBAPIError.instance(compiled.sql, values, e,
                                          dialect.loaded_dbapi.Error, dialect=dialect) from e

    def run(self, session, params):
        """Execute a statement, ignoring any rows it returns."""
        self._execute(session, params)

    def rows(self, session, params):
        """Every row, as named tuples (attributes named as the statement's columns)."""
        compiled, found = self._execute(session, params)
        if not found:
            return []
        if compiled.results is not None:
            found = [tuple(p(v) if p else v for p, v in zip(compiled.results, row))
                     for row in found]
        return [compiled.row(*row) for row in found]

    def first(self, session, params):
        """The first row (named tuple) or None."""
        found = self.rows(session, params)
        return found[0] if found else None
