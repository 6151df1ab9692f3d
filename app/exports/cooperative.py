"""Letting other requests run while an export computes: `pause()` yields to gevent's hub when
the process runs under gevent's monkey patching (the production worker,
app/gunicorn_worker.py) and costs nothing otherwise (tests, the CLI, threads).

An export is CPU-bound between database reads: parsing XML, writing CSV, deflating. Under
gevent nothing else on that worker runs until the greenlet yields, so the export generators
call pause() once per chunk (a batch of rows, a piece of the archive)."""
import sys


def _sleep():
    """gevent.sleep when gevent has patched this process, else None."""
    if "gevent" not in sys.modules:
        return None
    from gevent import monkey   # noqa: PLC0415 - only where gevent is in use
    if not monkey.is_module_patched("socket"):
        return None
    from gevent import sleep    # noqa: PLC0415
    return sleep


def pause():
    """Give other greenlets a turn (gevent.sleep(0)); a no-op without gevent."""
    sleep = _sleep()
    if sleep is not None:
        sleep(0)
