"""gunicorn settings for Doorstep: `gunicorn -c python:app.gunicorn_conf wsgi:app`.

Workers keep connections alive (phones on weak links pay dearly for new TCP and TLS
handshakes) while they wait, each connection in a greenlet (app/gunicorn_worker.py). Every value
can be overridden the usual way (command-line flags, GUNICORN_CMD_ARGS, or DOORSTEP_WORKERS /
DOORSTEP_THREADS, which applies to `-k gthread`).
"""
import multiprocessing
import os

bind = os.environ.get("DOORSTEP_BIND", "0.0.0.0:8000")
# The best shape depends on the database (measured on 2 cores: docs/performance-history.md):
# - SQLite: 2 x cores + 1 processes, and one thread each under `-k gthread`, since a second
#   thread shares its process's GIL and the thread holding SQLite's write lock would wait for
#   the other one's Python, with every writer waiting behind it.
# - PostgreSQL: 4 x cores + 1 processes (2 threads each under `-k gthread`), since a request
#   there waits on several round trips and a database call holds its gevent process as one
#   thread does: with fewer processes intake fell while the processes waited on the database.


def shape_for(database_url, environ=os.environ):
    """(workers, threads) for a server on this database: the environment's, else the above."""
    postgresql = (database_url or "").startswith("postgresql")
    default_workers = (4 if postgresql else 2) * multiprocessing.cpu_count() + 1
    return (int(environ.get("DOORSTEP_WORKERS", default_workers)),
            int(environ.get("DOORSTEP_THREADS", 2 if postgresql else 1)))


workers, threads = shape_for(os.environ.get("DOORSTEP_DATABASE_URL"))
# One greenlet per connection (app/gunicorn_worker.py): slow or silent connections wait without
# holding a thread. gthread held one per connection mid-request: two idle uploads timed out a
# single-threaded SQLite server (docs/performance.md). `-k gthread` still runs the old shape,
# with `threads` as above.
worker_class = "app.gunicorn_worker.Worker"
worker_connections = 1000   # per worker (gunicorn's default), slow ones included
keepalive = 75           # longer than Collect's OkHttp idle pool (5 min) is pointless; 75 s as nginx
timeout = 120            # a large video upload on a slow link must not be killed mid-way
graceful_timeout = 30
# gunicorn itself limits request lines and headers, never bodies: the body limit is the app's
# DOORSTEP_MAX_SUBMISSION_BYTES, the same number advertised to phones (checklist item 28).
# Workers prove they are alive by touching a file on every request; on tmpfs that costs
# nothing, on a disk a noticeable share of a request (gunicorn's own advice for containers;
# docs/performance.md, "The machine").
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Only DOORSTEP_TRUSTED_PROXIES decides whose X-Forwarded-* headers count, here as in Flask
# (app/proxy.py): gunicorn's default trusts every local peer, so any local process could claim
# HTTPS and have Basic credentials accepted over plain HTTP.
forwarded_allow_ips = ",".join(
    p.strip() for p in os.environ.get("DOORSTEP_TRUSTED_PROXIES", "").split(",") if p.strip())
errorlog = "-"
accesslog = os.environ.get("DOORSTEP_ACCESS_LOG") or None

