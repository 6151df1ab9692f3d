"""Doorstep's gunicorn worker: gevent's, one greenlet per connection, with a read deadline.

A connection that is slow or silent (a phone on a weak link, or someone holding sockets open)
then costs a greenlet and a socket while it waits, never a thread, so such connections cannot
starve the others (docs/performance.md). A connection that sends nothing for READ_SECONDS in
the middle of a request is closed, so the waits are bounded too; between requests gunicorn's
keep-alive time (app/gunicorn_conf.py) applies as before.

gevent makes sockets, sleeps and locks cooperative. Database calls and file writes are not:
they hold their worker's process while they run, as a single-threaded worker does (SQLite's
always; libpq's because `select` is left unpatched, see patch()).
"""
import errno

from gevent import monkey, socket
from gunicorn.workers.ggevent import GeventWorker

READ_SECONDS = 80     # above gunicorn_conf.keepalive (75), which ends idle keep-alive waits


class Worker(GeventWorker):
    def patch(self):
        # select stays unpatched, so psycopg keeps its C wait (wait_c) for libpq: with gevent's
        # select it waits in Python, which slows PostgreSQL intake a lot (docs/performance.md,
        # "Slow and silent connections")
        monkey.patch_all(select=False)
        # the listening sockets as gevent sockets, as GeventWorker.patch() does
        self.sockets = [socket.socket(s.FAMILY, socket.SOCK_STREAM, fileno=s.sock.fileno())
                        for s in self.sockets]

    def handle(self, listener, client, addr):
        client.settimeout(READ_SECONDS)
        super().handle(listener, _StalledIsReset(client), addr)


class _StalledIsReset:
    """The client socket, whose read timeout is reported as the client going away (which
    gunicorn closes quietly) rather than as a server fault with a traceback in the log."""
    __slots__ = ("_socket",)

    def __init__(self, sock):
        self._socket = sock

    def recv(self, *args):
        try:
            return self._socket.recv(*args)
        except TimeoutError:
            raise ConnectionResetError(errno.ECONNRESET, f"nothing read for {READ_SECONDS} s")

    def __getattr__(self, name):
        return getattr(self._socket, name)
