"""Letting other requests run while an export computes: `pause()` yields to gevent's hub when
the process runs under gevent's monkey patching (the production worker,
app/gunicorn_worker.py) and costs nothing otherwise (tests, the CLI, threads).

An export is CPU-bound between database reads: parsing XML, writing CSV, deflating. Under
gevent nothing else on that worker runs until the greenlet yields, so the export generators
call pause() every few milliseconds of work (a few dozen submissions, a piece of the archive).

pause() is gevent.idle(), not gevent.sleep(0): sleep(0) only lets greenlets that are already
runnable go first, and the hub does not poll sockets for it, so a request arriving during an
export waited for a long stretch of it (figures: docs/exports.md, "How it streams with flat
memory"); idle() returns once the loop has polled for I/O and run what was ready, at no
measurable cost to the export when nothing else is waiting."""
import sys


def _gevent_idle():
    """gevent.idle when gevent has patched this process, else None."""
    if "gevent" not in sys.modules:
        return None
    from gevent import monkey   # noqa: PLC0415 - only where gevent is in use
    if not monkey.is_module_patched("socket"):
        return None
    from gevent import idle     # noqa: PLC0415
    return idle


def pause():
    """Give other greenlets (and the sockets they wait on) a turn; a no-op without gevent."""
    idle = _gevent_idle()
    if idle is not None:
        idle()

