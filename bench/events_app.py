"""The server bench/ingest.py --events runs: the app, with bench/events.py's deriver of a
typical size registered for bench_plain (in each gunicorn worker, as the town's are)."""
import events
from wsgi import app  # noqa: F401 - what gunicorn serves

events.register_bench_deriver()
