"""Webhook subscriptions in the JSON API, for admins only (permission webhook.manage), under
/v1/projects/<id>/webhooks: list, create, read, change or pause (PATCH active=false), a new
secret, delete, the deliveries of one (?status=dead: its dead letters) and replay. Only the
answers of create and of a new secret show a secret. Handlers are thin: app.webhooks.subscriptions and app.webhooks.delivery.
"""
from flask import jsonify
from marshmallow import Schema, fields, validate, validates_schema, ValidationError

from app.api.inputs import Text
from app.api.loading import JSONBoolean, QuerySchema, takes
from app.api.views import bp
from app.audit.record import record
from app.auth import http as auth
from app.db import db
from app.db.columns import isoformat
from app.webhooks import delivery, subscriptions
from app.webhooks.models import DEAD, DELIVERED, EVENTS, PENDING

_EVENTS = fields.List(fields.String(validate=validate.OneOf(EVENTS)),
                      validate=validate.Length(min=1, max=len(EVENTS)))


class WebhookCreateBody(Schema):
    url = Text(required=True, validate=validate.Length(min=1, max=subscriptions.MAX_URL))
    events = _EVENTS
    description = Text(validate=validate.Length(max=200), load_default="")
    personalData = JSONBoolean(load_default=False)

    @validates_schema
    def _events_given(self, data, **kwargs):
        if "events" not in data:
            raise ValidationError("Name the events to send.", "events")


class WebhookUpdateBody(Schema):
    url = Text(validate=validate.Length(min=1, max=subscriptions.MAX_URL))
    events = _EVENTS
    description = Text(validate=validate.Length(max=200))
    personalData = JSONBoolean()
    active = JSONBoolean()


class DeliveryListQuery(QuerySchema):
    status = fields.String(validate=validate.OneOf((PENDING, DELIVERED, DEAD)))
    limit = fields.Integer(validate=validate.Range(min=1, max=1000), load_default=100)


class ReplayBody(Schema):
    """Which of the webhook's deliveries go out again: the dead ones, or these ids."""
    dead = JSONBoolean(load_default=False)
    ids = fields.List(fields.UUID(), validate=validate.Length(min=1, max=1000))

    @validates_schema
    def _something(self, data, **kwargs):
        if not data.get("dead") and not data.get("ids"):
            raise ValidationError("Say dead=true or name the delivery ids.", "_schema")


_NAMES = {"personalData": "personal_data"}


def _admin(project_id):
    return auth.require("webhook.manage", project_id, challenge=False)


def _json(subscription, counts=None):
    body = {"id": subscription.id, "url": subscription.url, "events": subscription.event_list,
            "description": subscription.description, "personalData": subscription.personal_data,
            "active": subscription.active, "createdAt": isoformat(subscription.created_at),
            "updatedAt": isoformat(subscription.updated_at)}
    if counts is not None:
        body["deliveries"] = counts
    return body


def _delivery_json(row):
    return {"id": row.uuid, "event": row.event, "occurredAt": isoformat(row.occurred_at),
            "status": row.status, "attempts": row.attempts,
            "nextAttemptAt": isoformat(row.next_attempt_at) if row.status == PENDING else None,
            "lastAttemptAt": isoformat(row.last_attempt_at), "lastStatus": row.last_status,
            "lastError": row.last_error, "deliveredAt": isoformat(row.delivered_at)}


@bp.get("/projects/<int:project_id>/webhooks")
@takes(permission="webhook.manage")
def list_webhooks(project_id):
    _admin(project_id)
    found = subscriptions.listed(db.session, project_id)
    counts = subscriptions.counts(db.session, [s.id for s in found])
    return jsonify([_json(s, counts[s.id]) for s in found])


@bp.post("/projects/<int:project_id>/webhooks")
@takes(body=WebhookCreateBody, permission="webhook.manage")
def create_webhook(project_id, body):
    actor = _admin(project_id)
    subscription, secret = subscriptions.create(
        db.session, actor, project_id, body["url"], body["events"], body["description"],
        body["personalData"])
    db.session.commit()
    # the only time the secret is shown: the receiver's administrator keeps it
    return jsonify({**_json(subscription), "secret": secret})


@bp.get("/projects/<int:project_id>/webhooks/<int:webhook_id>")
@takes(permission="webhook.manage")
def get_webhook(project_id, webhook_id):
    _admin(project_id)
    subscription = subscriptions.get(db.session, project_id, webhook_id)
    counts = subscriptions.counts(db.session, [webhook_id])[webhook_id]
    return jsonify(_json(subscription, counts))


@bp.patch("/projects/<int:project_id>/webhooks/<int:webhook_id>")
@takes(body=WebhookUpdateBody, permission="webhook.manage")
def update_webhook(project_id, webhook_id, body):
    actor = _admin(project_id)
    subscription = subscriptions.get(db.session, project_id, webhook_id)
    subscriptions.change(db.session, actor, subscription,
                         {_NAMES.get(k, k): v for k, v in body.items()})
    db.session.commit()
    return jsonify(_json(subscription))


@bp.post("/projects/<int:project_id>/webhooks/<int:webhook_id>/secret")
@takes(permission="webhook.manage")
def new_webhook_secret(project_id, webhook_id):
    actor = _admin(project_id)
    subscription = subscriptions.get(db.session, project_id, webhook_id)
    secret = subscriptions.new_secret(db.session, actor, subscription)
    db.session.commit()
    return jsonify({**_json(subscription), "secret": secret})


@bp.delete("/projects/<int:project_id>/webhooks/<int:webhook_id>")
@takes(permission="webhook.manage")
def delete_webhook(project_id, webhook_id):
    actor = _admin(project_id)
    subscriptions.delete(db.session, actor, subscriptions.get(db.session, project_id, webhook_id))
    db.session.commit()
    return jsonify(success=True)


@bp.get("/projects/<int:project_id>/webhooks/<int:webhook_id>/deliveries")
@takes(query=DeliveryListQuery, permission="webhook.manage")
def list_deliveries(project_id, webhook_id, query):
    _admin(project_id)
    subscription = subscriptions.get(db.session, project_id, webhook_id)
    rows = subscriptions.deliveries(db.session, subscription, query.get("status"),
                                    query["limit"])
    return jsonify([_delivery_json(r) for r in rows])


@bp.post("/projects/<int:project_id>/webhooks/<int:webhook_id>/replay")
@takes(body=ReplayBody, permission="webhook.manage")
def replay_deliveries(project_id, webhook_id, body):
    actor = _admin(project_id)
    subscription = subscriptions.get(db.session, project_id, webhook_id)
    ids = [str(i) for i in body.get("ids") or ()]
    count = delivery.replay(db.session, dead=body["dead"], ids=ids,
                            subscription_id=subscription.id)
    record(db.session, actor, "webhook.replay", f"webhook:{subscription.id}", dead=body["dead"],
           ids=ids, count=count)
    db.session.commit()
    return jsonify(replayed=count)
