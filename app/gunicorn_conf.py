"""gunicorn settings for Doorstep: `gunicorn -c python:app.gunicorn_conf wsgi:app`.

gthread workers keep connections alive (phones on weak links pay dearly for new TCP and TLS
handshakes) while they wait. Every value can be overridden the usual way (command-line flags,
GUNICORN_CMD_ARGS, or DOORSTEP_WORKERS / DOORSTEP_THREADS).
"""
import multiprocessing
import os

bind = os.environ.get("DOORSTEP_BIND", "0.0.0.0:8000")
# Measured on 2 cores (docs/performance.md): 2 x cores + 1 single-threaded processes beat
# cores + 1 processes of 2 threads by 10-30 % (entity submissions on SQLite most). A second
# thread shares its process's GIL: the thread holding SQLite's write lock then waits for the
# other one's Python, and every writer waits with it. Processes keep busy while one waits on
# the database. The price: a slow upload holds its whole worker, so at scale put a proxy that
# buffers request bodies in front (nginx does by default), or raise DOORSTEP_THREADS.
workers = int(os.environ.get("DOORSTEP_WORKERS", 2 * multiprocessing.cpu_count() + 1))
worker_class = "gthread"
threads = int(os.environ.get("DOORSTEP_THREADS", 1))
keepalive = 75           # longer than Collect's OkHttp idle pool (5 min) is pointless; 75 s as nginx
timeout = 120            # a large video upload on a slow link must not be killed mid-way
graceful_timeout = 30
# gunicorn itself limits request lines and headers, never bodies: the body limit is the app's
# DOORSTEP_MAX_SUBMISSION_BYTES, the same number advertised to phones (checklist item 28).
# Workers prove they are alive by touching a file on every request; on tmpfs that costs
# nothing, on a disk it was ~5% of a request (gunicorn's own advice for containers).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
errorlog = "-"
accesslog = os.environ.get("DOORSTEP_ACCESS_LOG") or None

