"""Doorstep's gunicorn worker: gevent's, one greenlet per connection, with a read deadline.

A connection that is slow or silent (a phone on a weak link, or someone holding sockets open)
then costs a greenlet and a socket while it waits, never a thread, so such connections cannot
starve the others (docs/performance.md). A connection that sends nothing for READ_SECONDS in
the middle of a request is closed, so the waits are bounded too; between requests gunicorn's
keep-alive time (app/gunicorn_conf.py) applies as before.

gevent makes sockets and locks cooperative; libpq waits are cooperative too (psycopg 3.1.14+
detects gevent's patching). SQLite calls and file writes are not, and hold their worker's
process while they run, as a single-threaded worker does.
"""
import errno

from gunicorn.workers.ggevent import GeventWorker

READ_SECONDS = 80     # above gunicorn_conf.keepalive (75), which ends idle keep-alive waits


class Worker(GeventWorker):
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
