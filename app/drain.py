"""Read, after answering, whatever part of a request body the application did not.

A request refused before its body was read (413, a 401 challenge, a bad form id) leaves the
rest of the body in the socket, which gunicorn would otherwise have to discard before the next
request on that connection (with `-k gthread`, a thread each; with the shipped gevent worker,
a greenlet, bounded by its read deadline). Draining the body once the response has
been sent (in the response iterable's close(), as WSGI servers call it) leaves nothing unread:
the connection goes back to the poller and the phone already has its answer. The drain stops
after `limit` bytes, so an endless body cannot hold a worker.
"""
from werkzeug.wsgi import ClosingIterator

CHUNK = 1 << 16


class DrainUnreadBody:
    def __init__(self, app, limit):
        self.app = app
        self.limit = limit

    def __call__(self, environ, start_response):
        return ClosingIterator(self.app(environ, start_response), lambda: self._drain(environ))

    def _drain(self, environ):
        stream = environ.get("wsgi.input")
        if stream is None or environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return
        drained = 0
        try:
            while drained <= self.limit:
                chunk = stream.read(CHUNK)
                if not chunk:
                    return
                drained += len(chunk)
        except (OSError, ValueError):
            return      # the client went away: nothing left to keep tidy
