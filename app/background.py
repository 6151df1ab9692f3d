"""Background threads inside the server (the register's backlog timer, the webhook worker):
each starts with a process's first request, so that it runs in every gunicorn worker after
the fork rather than once in the master before it, and never in tests."""
import threading


def start_on_first_request(app, name, target, *args):
    """Run target(*args) in a daemon thread called `name`, started by this process's first
    request."""
    started = threading.Event()

    def _start():
        if not started.is_set():
            started.set()
            threading.Thread(target=target, args=args, daemon=True, name=name).start()

    app.before_request(_start)
