"""Webhooks: what writing the outbox costs when someone listens, and how fast one worker
sends. Writes N events for S subscriptions (emit(), in transactions of 100 events), then
sends them all with send_due() in this process to a local receiver (http.server, one thread
per connection, answering 200 at once) and prints events written/s and deliveries sent/s.

    python bench/webhooks.py [--db sqlite|postgresql] [--n 2000] [--subscriptions 2]
"""
import argparse
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402


class _Ok(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--subscriptions", type=int, default=2)
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with common.scratch_database(args.db) as url, tempfile.TemporaryDirectory() as data:
        app = common.make_app(url, data)
        common.prepare(app, [])
        from app.db import db
        from app.webhooks import delivery, outbox, payloads
        from app.webhooks.models import WebhookSubscription, events_column
        with app.app_context():
            for i in range(args.subscriptions):
                db.session.add(WebhookSubscription(
                    project_id=1, url=f"http://127.0.0.1:{server.server_port}/{i}",
                    events=events_column(["entity.updated"]), secret="s" * 64))
            db.session.commit()
            started = time.perf_counter()
            for i in range(args.n):
                outbox.emit(db.session, "entity.updated", 1, lambda i=i: payloads.entity(
                    "people", f"00000000-0000-4000-8000-{i:012d}", 2, "dongwan", "x",
                    {"phone": "1"}))
                if i % 100 == 99:
                    db.session.commit()
            db.session.commit()
            wrote = time.perf_counter() - started
            started = time.perf_counter()
            outcome = delivery.send_due(db.session, delivery.Policy(batch=10 ** 9))
            sent = time.perf_counter() - started
    server.shutdown()
    total = args.n * args.subscriptions
    assert outcome.delivered == total, outcome
    print(f"# webhooks, {args.db}: {args.n} events x {args.subscriptions} subscriptions")
    print(f"outbox writes   {args.n / wrote:8.0f} events/s ({total / wrote:.0f} deliveries/s)")
    print(f"one worker      {total / sent:8.0f} deliveries/s sent (claim, POST, record)")


if __name__ == "__main__":
    main()
