"""Hot statements on PostgreSQL sent through libpq as psycopg sends them, without psycopg's
per-execution Python, and prepared once per connection.

psycopg's Cursor.execute() spends Python on every statement around the libpq call: its query
conversion, its prepared-statement manager, the generator machinery that waits for the result,
its bookkeeping of results (figures: docs/performance.md, "PostgreSQL through libpq
directly"). app.db.driver_sql runs intake's and the merge's hot
statements, a handful per submission; here they go to psycopg's own libpq wrapper
(`pgconn.exec_prepared`, which releases the GIL while it waits) with psycopg's own C
Transformer dumping the parameters and loading the rows, so values travel exactly as through
a cursor: the same dumpers, parameter types and loaders.

Prepared statements: each statement is prepared once per database connection and set of
parameter types (they follow the values, e.g. int2 or int8, as in psycopg's own cache).
psycopg's automatic preparation is switched off for Doorstep's engine (app.config): psycopg
deallocates every prepared statement of the session on each ROLLBACK, its own and these, and
every read-only request ends in one. A statement that has vanished all the same (a pooler in
front of PostgreSQL, a DEALLOCATE by hand) fails once; the connection's statements are then
prepared again.

Transactions stay as psycopg keeps them: when the connection is idle and not in autocommit,
BEGIN is sent first, with the connection's isolation level, read-only and deferrable settings
(what psycopg itself sends); COMMIT and ROLLBACK go through psycopg, which reads the state of
the transaction from libpq. A failed statement raises psycopg's exception for its SQLSTATE, as
a cursor would.
"""
import re

from psycopg import IsolationLevel, OperationalError, errors, pq
from psycopg.adapt import PyFormat, Transformer

_STATE = "doorstep_libpq_state"
_PLACEHOLDER = re.compile(r"%\(([^)]+)\)s|%%")
_IDLE, _INTRANS = pq.TransactionStatus.IDLE, pq.TransactionStatus.INTRANS
_OK = (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK)


class Prepared:
    """A statement compiled for psycopg ("%(name)s" placeholders) in libpq's form ($1, $2…)."""

    def __init__(self, sql):
        order = {}

        def number(match):
            if match.group(0) == "%%":
                return "%"
            if match.group(1) not in order:
                order[match.group(1)] = len(order) + 1
            return f"${order[match.group(1)]}"

        self.sql = _PLACEHOLDER.sub(number, sql).encode()
        self.names = tuple(order)         # parameter $i is values[names[i - 1]]
        self.formats = [PyFormat.AUTO] * len(self.names)

    @staticmethod
    def usable(driver):
        """Whether statements can go this way on a psycopg connection: not in autocommit
        (where each statement is its own transaction, psycopg's business), and idle or inside
        a healthy transaction."""
        return not driver.autocommit and driver.pgconn.transaction_status in (_IDLE, _INTRANS)

    def execute(self, info, driver, values):
        """Run the statement with `values` (name -> Python value, as for a cursor) on
        `driver`, a psycopg connection that is usable(). Returns the rows as tuples, or None
        for a statement that returns none. `info` is the pool's per-connection dict."""
        state = info.get(_STATE)
        if state is None or state.driver is not driver:      # none yet, or a new connection
            state = info[_STATE] = _Connection(driver)
        transformer = state.transformer
        params = transformer.dump_sequence([values[n] for n in self.names], self.formats)
        types = tuple(transformer.types)
        pgconn = driver.pgconn
        if pgconn.transaction_status == _IDLE:
            _check(pgconn.exec_(_begin(driver)), driver)
        name = state.names.get((self, types))
        if name is None:
            name = f"doorstep_{len(state.names)}".encode()
            _check(pgconn.prepare(name, self.sql, types), driver)
            state.names[(self, types)] = name
        result = pgconn.exec_prepared(name, params, transformer.formats)
        if (result.status not in _OK
                and result.error_field(pq.DiagnosticField.SQLSTATE) == b"26000"):
            del info[_STATE]              # it has vanished: prepare them all again next time
        _check(result, driver)
        if result.status != pq.ExecStatus.TUPLES_OK:
            return None
        transformer.set_pgresult(result)
        return transformer.load_rows(0, result.ntuples, tuple)


class _Connection:
    """What is kept per database connection: its Transformer and its prepared statements."""

    def __init__(self, driver):
        self.driver = driver
        self.transformer = Transformer(driver)
        self.names = {}                   # (Prepared, parameter types) -> statement name


def _begin(driver):
    """The BEGIN psycopg would send for this connection."""
    parts = [b"BEGIN"]
    if driver.isolation_level is not None:
        level = IsolationLevel(driver.isolation_level).name.replace("_", " ")
        parts.append(b"ISOLATION LEVEL " + level.encode())
    if driver.read_only is not None:
        parts.append(b"READ ONLY" if driver.read_only else b"READ WRITE")
    if driver.deferrable is not None:
        parts.append(b"DEFERRABLE" if driver.deferrable else b"NOT DEFERRABLE")
    return b" ".join(parts)


def _check(result, driver):
    if result.status in _OK:
        return
    if result.status == pq.ExecStatus.FATAL_ERROR:
        raise errors.error_from_result(result, encoding=driver.info.encoding)
    raise OperationalError(f"unexpected result from PostgreSQL: {result.status.name}")


#: connect_args for Doorstep's PostgreSQL engine (see the module's docstring)
CONNECT_ARGS = {"prepare_threshold": None}
