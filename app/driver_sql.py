"""The hottest statements of intake and merge, executed on the database driver's own cursor.

SQLAlchemy's execution path (execution context, events, result objects) costs 15-45 µs per
statement on top of the driver; on the entity path that was a tenth of a worker's CPU. A
DriverStatement keeps SQLAlchemy for everything that matters to correctness: the statement is
a Core construct compiled by SQLAlchemy for the connection's dialect (once per dialect), its
values go through the bind types' own converters (so what is stored is byte for byte what
session.execute() would store), it runs inside the session's transaction, and driver errors
come out as SQLAlchemy's exceptions (IntegrityError, which intake's race handling relies on).
What it gives up: result processing (use it only for statements returning integers, strings
and booleans that the driver already returns as Python values) and SQLAlchemy's statement
events (nothing in Doorstep listens to them on this path).
"""
from collections import namedtuple

from sqlalchemy import exc


class DriverStatement:
    """A Core statement run on the driver's cursor. execute() returns that cursor."""

    def __init__(self, statement):
        self.statement = statement
        self._by_dialect = {}
        self._rows = {}

    def _compiled(self, dialect):
        found = self._by_dialect.get(dialect.name)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            binds = compiled.binds
            defaults = {name: bind.value for name, bind in binds.items()
                        if not bind.required and bind.callable is None}
            processors = {}
            for name, bind in binds.items():
                process = bind.type.dialect_impl(dialect).bind_processor(dialect)
                if process is not None:
                    processors[name] = process
            order = compiled.positiontup if compiled.positional else None
            found = self._by_dialect[dialect.name] = (compiled.string, order, defaults,
                                                      tuple(processors.items()))
        return found

    def execute(self, session, params):
        connection = session.connection()
        dialect = connection.dialect
        sql, order, defaults, processors = self._compiled(dialect)
        values = {**defaults, **params}
        for name, process in processors:
            values[name] = process(values[name])
        arguments = tuple(values[name] for name in order) if order is not None else values
        cursor = connection.connection.driver_connection.cursor()
        try:
            cursor.execute(sql, arguments)
        except dialect.loaded_dbapi.Error as e:
            raise exc.DBAPIError.instance(sql, arguments, e, dialect.loaded_dbapi.Error,
                                          dialect=dialect) from e
        return cursor

    def first(self, session, params):
        """The first row as a named tuple (attributes named as the statement's columns), or
        None."""
        cursor = self.execute(session, params)
        row = cursor.fetchone()
        if row is None:
            return None
        names = tuple(d[0] for d in cursor.description)
        kind = self._rows.get(names)
        if kind is None:
            kind = self._rows[names] = namedtuple("Row", names)
        return kind(*row)
