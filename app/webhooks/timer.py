"""The webhook worker inside the server: every DOORSTEP_WEBHOOK_SECONDS each server process
sends what is due (delivery.send_due), and once an hour forgets delivered deliveries older
than 30 days (delivery.prune). It starts with the first request (after gunicorn has forked
its workers) and never in tests; 0 turns it off, for a dedicated `flask webhooks run` or a
cron `flask webhooks send-due`. Every process of every host runs the loop, but one run
happens at a time across them all (background.alone, a PostgreSQL advisory lock); a delivery
is also claimed with a lease before it is sent (app/webhooks/delivery.py), which keeps the
command and the server apart. Under gevent the thread is a
greenlet and sending waits on sockets only, so requests on that worker go on being served.
"""
import logging
import threading
import time

from app.background import alone, start_on_first_request
from app.webhooks import delivery

PRUNE_EVERY = 3600      # seconds between two prunes of old delivered deliveries

log = logging.getLogger(__name__)


def policy(config):
    return delivery.Policy(timeout=config.get("WEBHOOK_TIMEOUT_SECONDS")
                           or delivery.Policy.timeout)


def install(app):
    seconds = app.config.get("WEBHOOK_SECONDS") or 0
    if app.testing or seconds <= 0:
        return
    start_on_first_request(app, "doorstep-webhooks", loop, app, seconds)


def loop(app, seconds, stop=None):
    stop = stop or threading.Event()
    pruned = 0.0
    while not stop.wait(seconds):
        prune = time.monotonic() - pruned > PRUNE_EVERY
        if prune:
            pruned = time.monotonic()
        run_once(app, prune)


def run_once(app, prune=False):
    """One run; returns its delivery.Outcome, or None when another process was running it."""
    from app.db import db
    with app.app_context():
        try:
            with alone(db.engine, "webhooks-send") as mine:
                if not mine:
                    return None
                if prune:
                    delivery.prune(db.session)
                    db.session.commit()
                outcome = delivery.send_due(db.session, policy(app.config))
            if outcome.attempted:
                log.info("webhooks: %d delivered, %d to retry, %d dead", outcome.delivered,
                         outcome.failed, outcome.dead)
            return outcome
        except Exception:  # noqa: BLE001 - the worker must survive a bad moment
            db.session.rollback()
            log.exception("sending webhooks failed")
        finally:
            db.session.remove()
