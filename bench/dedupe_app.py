"""The server bench/dedupe.py posts registrations to: the app, with the duplicate check at
each write timed (its own time only) and appended to the file DOORSTEP_DEDUPE_TIMES names."""
import os
import time

from app.quality import duplicates
from wsgi import app  # noqa: F401 - what gunicorn serves

_check = duplicates.check
# open for the worker's life, a line written per check
_times = open(os.environ["DOORSTEP_DEDUPE_TIMES"], "a", buffering=1)  # noqa: SIM115


def timed_check(*args, **kwargs):
    start = time.perf_counter()
    try:
        return _check(*args, **kwargs)
    finally:
        _times.write(f"{time.perf_counter() - start:.6f}\n")


duplicates.check = timed_check
