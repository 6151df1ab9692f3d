"""The exports' own database connections. A streamed export or OData feed holds a connection
for as long as its client takes to download it; drawn from the requests' pool (5 + 10
overflow per worker), 15 slow downloads at once took every connection of their worker, and
its other requests, phones' submissions included, waited until the pool gave up (a 500):
tests/e2e/test_export_streams.py. Streamed bodies therefore read through an engine of their
own with CONNECTIONS per worker process; an export beyond them waits for one (WAIT seconds)
instead of taking the requests'. No Flask import: the caller hands in its app (its
`extensions` keep the engine, its SQLALCHEMY_ENGINE_OPTIONS are the engine's too).

On PostgreSQL each worker opens up to 15 + CONNECTIONS connections: 5 workers (2 cores) make
95, under the server's default max_connections of 100.
"""
from sqlalchemy import create_engine

#: connections per worker process for streamed exports and feeds
CONNECTIONS = 4
#: how long an export waits for one of them when all are streaming (seconds)
WAIT = 600
_KEY = "doorstep_export_engine"


def export_engine(app, engine):
    """The export engine beside `engine` (same database, same options, its own pool), made
    once per process and kept in the app's extensions."""
    found = app.extensions.get(_KEY)
    if found is None or found[0] is not engine:
        own = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        own.update(pool_size=CONNECTIONS, max_overflow=0, pool_timeout=WAIT)
        found = (engine, create_engine(engine.url, **own))
        app.extensions[_KEY] = found
    return found[1]
