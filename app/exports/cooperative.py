"""Letting other requests run while an export computes: `pause()` yields to gevent's hub when
the process runs under gevent's monkey patching (the production worker,
app/gunicorn_worker.py) and costs nothing otherwise (tests, the CLI, threads).

An export is CPU-bound between database reads: parsing XML, writing CSV, deflating. Under
gevent nothing else on that worker runs until the greenlet yields, so the export generators
call pause() every few milliseconds of work (a few dozen submissions, a piece of the archive).

pause() is gevent.idle(), not gevent.sleep(0): sleep(0) only lets greenlets that are already
runnable go first, and the hub does not poll sockets for it, so a request arriving during an
export waited 300-500 ms (bench/export.py: a 404 took 350 ms during a 20,000-visit zip export
with sleep(0), 1-15 ms with idle()); idle() returns once the loop has polled for I/O and run
what was ready, at no measurable cost to the export when nothing else is waiting."""
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


def real_thread():
    """One OS thread that runs functions in the order given: `run(fn, *args)` returns a
    handle with ready() and get() (get() waits, cooperatively under gevent); close() ends
    the thread. Under gevent's patching a threading.Thread would be a greenlet on this
    thread, so gevent's own thread pool (real threads) is used there; else a plain
    single-worker executor."""
    if _gevent_idle() is not None:
        from gevent.threadpool import ThreadPool    # noqa: PLC0415 - only under gevent
        return _GeventThread(ThreadPool(1))
    from concurrent.futures import ThreadPoolExecutor   # noqa: PLC0415
    return _PlainThread(ThreadPoolExecutor(max_workers=1, thread_name_prefix="deflate"))


class _PlainThread:
    def __init__(self, executor):
        self.executor = executor

    def run(self, fn, *args):
        future = self.executor.submit(fn, *args)
        future.ready, future.get = future.done, future.result
        return future

    def close(self):
        self.executor.shutdown(wait=False, cancel_futures=True)


class _GeventThread:
    def __init__(self, pool):
        self.pool = pool

    def run(self, fn, *args):
        return self.pool.spawn(fn, *args)      # an AsyncResult: ready(), get()

    def close(self):
        self.pool.kill()
