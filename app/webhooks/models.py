"""The webhook tables: subscriptions (who receives which events) and deliveries (the outbox:
one row per event per subscription, its body exactly as sent, and its sending state)."""
from app.db import db
from app.db.columns import utcnow

#: the events a subscription may name, in the order the docs list them
EVENTS = ("submission.accepted", "submission.reviewed", "entity.created", "entity.updated",
          "entity.merged", "entity.unmerged", "report.locked")

PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"


def events_column(events):
    """How a subscription's events are stored: space-separated with a space at both ends, so
    that `events LIKE '% name %'` matches one whole name (no name holds a LIKE wildcard)."""
    return " " + " ".join(e for e in EVENTS if e in set(events)) + " "


class WebhookSubscription(db.Model):
    __tablename__ = "webhook_subscriptions"
    __table_args__ = (db.UniqueConstraint("project_id", "url"),)
    id = db.Column(db.Integer, primary_key=True)
    project_id = db.Column(db.ForeignKey("projects.id"), nullable=False)
    url = db.Column(db.String(2000), nullable=False)
    events = db.Column(db.String(400), nullable=False)
    #: the HMAC key, shown once when made; kept as is because signing needs it
    secret = db.Column(db.String(64), nullable=False)
    active = db.Column(db.Boolean, nullable=False, default=True)
    #: the receiver may get entities' labels and changed values (see payloads.py)
    personal_data = db.Column(db.Boolean, nullable=False, default=False)
    description = db.Column(db.String(200), nullable=False, default="")
    created_by = db.Column(db.Integer)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime)

    @property
    def event_list(self):
        return self.events.split()


class WebhookDelivery(db.Model):
    """One event for one subscription. A subscription's pending deliveries go out oldest
    first (by id), one at a time: the oldest blocks the others until it is delivered or dead."""
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # a subscription's queue head: min(id) of its pending deliveries
        db.Index("ix_webhook_deliveries_queue", "subscription_id", "status", "id"),
        db.Index("ix_webhook_deliveries_time", "status", "occurred_at"),
    )
    id = db.Column(db.Integer, primary_key=True)
    #: X-Doorstep-Delivery and the body's "id": receivers dedupe by it
    uuid = db.Column(db.String(36), nullable=False, unique=True)
    subscription_id = db.Column(db.ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"),
                                nullable=False)
    event = db.Column(db.String(40), nullable=False)
    body = db.Column(db.Text, nullable=False)
    occurred_at = db.Column(db.DateTime, nullable=False)
    status = db.Column(db.String(10), nullable=False, default=PENDING)
    attempts = db.Column(db.Integer, nullable=False, default=0)
    next_attempt_at = db.Column(db.DateTime, nullable=False)
    #: a failed attempt after this makes the delivery dead (replay sets it again)
    give_up_at = db.Column(db.DateTime, nullable=False)
    #: a worker holds the delivery until then (claimed with a conditional UPDATE)
    lease_until = db.Column(db.DateTime)
    lease_token = db.Column(db.String(32))
    last_attempt_at = db.Column(db.DateTime)
    last_status = db.Column(db.Integer)
    last_error = db.Column(db.String(500))
    delivered_at = db.Column(db.DateTime)
