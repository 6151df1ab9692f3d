"""Subscriptions, as admins manage them (the JSON API's domain code): make one (its secret is
returned this once, as is a new one made later), change its URL, events, description, personal-data choice or pause it,
delete it (with its deliveries), and read each one's queue.

URLs: http or https, a host, no user name or password (the signature authenticates Doorstep
to the receiver; a password in a URL would end up in logs), at most 2000 characters. Private
and loopback addresses are allowed on purpose: the receivers (the police station, the
hospital, civil affairs) are on the town's LAN, and only admins, who could read all the data
anyway, name them. Redirects are never followed, so a receiver cannot send a delivery on.
"""
import re
from urllib.parse import urlsplit

from sqlalchemy import func, select

from app.audit.record import record
from app.db.columns import utcnow
from app.problems import Problem
from app.webhooks import signing
from app.webhooks.models import (DEAD, DELIVERED, PENDING, WebhookDelivery, WebhookSubscription,
                                 events_column)

MAX_URL = 2000
#: what http.client will not send in a request line or Host header
_UNSENDABLE = re.compile(r"[\x00-\x20\x7f]")


def check_url(url):
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port                                  # raises on a port that is no number
    except ValueError as e:
        raise Problem("400.211", {"url": url[:200], "reason": str(e)}) from None
    reason = None
    if len(url) > MAX_URL:
        reason = f"longer than {MAX_URL} characters"
    elif parts.scheme not in ("http", "https"):
        reason = "use http or https"
    elif not parts.hostname:
        reason = "no host"
    elif parts.username is not None or parts.password is not None:
        reason = "no user name or password in the URL (the signature proves the sender)"
    elif parts.fragment:
        reason = "no #fragment"
    elif _UNSENDABLE.search(url):
        # http.client refuses these in a request line (no header injection), so every
        # delivery to such a URL would fail and end dead: say so now instead
        reason = "no spaces or control characters (percent-encode them)"
    if reason:
        raise Problem("400.211", {"url": url[:200], "reason": reason})
    return url


def _unique(session, project_id, url, own_id=None):
    found = session.scalar(select(WebhookSubscription.id).where(
        WebhookSubscription.project_id == project_id, WebhookSubscription.url == url))
    if found is not None and found != own_id:
        raise Problem("409.211", {"url": url, "id": found})


def create(session, actor, project_id, url, events, description="", personal_data=False):
    """(the subscription, its secret). Not committed."""
    url = check_url(url)
    _unique(session, project_id, url)
    secret = signing.new_secret()
    subscription = WebhookSubscription(project_id=project_id, url=url,
                                       events=events_column(events), secret=secret,
                                       active=True, personal_data=personal_data,
                                       description=description, created_by=actor.id,
                                       created_at=utcnow())
    session.add(subscription)
    session.flush()
    record(session, actor, "webhook.create", f"webhook:{subscription.id}", url=url,
           events=subscription.event_list, personalData=personal_data)
    return subscription, secret


def change(session, actor, subscription, changes):
    """Apply `changes` (url, events, description, personal_data, active). Not committed."""
    if "url" in changes:
        changes["url"] = check_url(changes["url"])
        _unique(session, subscription.project_id, changes["url"], subscription.id)
    if "events" in changes:
        changes["events"] = events_column(changes["events"])
    for name, value in changes.items():
        setattr(subscription, name, value)
    subscription.updated_at = utcnow()
    shown = {k: (v.split() if k == "events" else v) for k, v in changes.items()}
    record(session, actor, "webhook.update", f"webhook:{subscription.id}", **shown)
    return subscription


def new_secret(session, actor, subscription):
    """Give it a new secret (the old one was lost or leaked): returned this once; messages
    signed from now on use it, queued ones included. Not committed."""
    subscription.secret = signing.new_secret()
    subscription.updated_at = utcnow()
    record(session, actor, "webhook.secret", f"webhook:{subscription.id}")
    return subscription.secret


def delete(session, actor, subscription):
    """Delete it and its deliveries (pending and dead ones too). Not committed."""
    session.query(WebhookDelivery).filter_by(subscription_id=subscription.id).delete()
    record(session, actor, "webhook.delete", f"webhook:{subscription.id}", url=subscription.url)
    session.delete(subscription)


def get(session, project_id, subscription_id):
    subscription = session.get(WebhookSubscription, subscription_id)
    if subscription is None or subscription.project_id != project_id:
        raise Problem("404.211", {"id": subscription_id})
    return subscription


def listed(session, project_id):
    return session.scalars(select(WebhookSubscription).where(
        WebhookSubscription.project_id == project_id).order_by(WebhookSubscription.id)).all()


def counts(session, subscription_ids):
    """{subscription id: {"pending": n, "delivered": n, "dead": n}}."""
    found = {i: {PENDING: 0, DELIVERED: 0, DEAD: 0} for i in subscription_ids}
    if not found:
        return found
    rows = session.execute(
        select(WebhookDelivery.subscription_id, WebhookDelivery.status, func.count())
        .where(WebhookDelivery.subscription_id.in_(list(found)))
        .group_by(WebhookDelivery.subscription_id, WebhookDelivery.status))
    for subscription_id, status, n in rows:
        found[subscription_id][status] = n
    return found


def deliveries(session, subscription, status=None, limit=100):
    """The subscription's deliveries, newest first (the dead-letter list: status="dead")."""
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    return session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit)).all()
