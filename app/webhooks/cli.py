"""`flask --app wsgi webhooks …`: send-due (once, for cron), run (a dedicated worker
process), replay (dead letters or any delivered ones back in their queues)."""
import threading
from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup

from app.db import db
from app.webhooks import delivery, timer

webhooks = AppGroup("webhooks", help="Webhook deliveries: send, run a worker, replay.")


@webhooks.command("send-due")
def send_due():
    """Send every delivery due now (first forgetting delivered ones older than 30 days),
    then exit."""
    delivery.prune(db.session)
    db.session.commit()
    outcome = delivery.send_due(db.session, timer.policy(current_app.config))
    click.echo(f"{outcome.delivered} delivered, {outcome.failed} to retry, "
               f"{outcome.dead} dead")


@webhooks.command("run")
@click.option("--every", type=click.FloatRange(min=0.1), default=None,
              help="Seconds between looks at the outbox (default DOORSTEP_WEBHOOK_SECONDS or 5).")
def run(every):
    """Send deliveries as they fall due, until stopped."""
    seconds = every or current_app.config.get("WEBHOOK_SECONDS") or 5
    click.echo(f"sending webhooks every {seconds:g} s; Ctrl-C stops")
    timer.loop(current_app._get_current_object(), seconds, threading.Event())


def _since(value):
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date or time (2026-12-01 or "
                                 "2026-12-01T08:00)") from None


@webhooks.command("replay")
@click.option("--dead", is_flag=True, help="Only dead deliveries (the dead-letter list).")
@click.option("--since", help="Only events at or after this UTC date or time.")
@click.option("--id", "ids", multiple=True, help="A delivery id (X-Doorstep-Delivery); repeat.")
def replay(dead, since, ids):
    """Put deliveries back in their queues, due now, with another 48 hours of attempts."""
    if not (dead or since or ids):
        raise click.UsageError("say --dead, --since or --id (replaying everything ever sent "
                               "is not what anyone means)")
    count = delivery.replay(db.session, dead=dead, since=_since(since), ids=ids)
    db.session.commit()
    click.echo(f"{count} deliveries queued again")
