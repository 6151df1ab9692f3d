"""Sending the outbox: each active subscription's oldest pending delivery goes out when due,
one at a time per subscription (so a receiver gets its events in the order they happened),
signed, over a plain POST that follows no redirect.

- A worker *claims* a delivery with a conditional UPDATE (pending, due, no live lease) that
  sets a lease; only the worker whose UPDATE changed the row sends it, so several processes
  may run workers and no delivery is ever sent twice at once. A worker that dies mid-send
  leaves a lease that expires, and the delivery is sent again (at least once: receivers
  dedupe by X-Doorstep-Delivery).
- 2xx is delivered. Anything else (a refused connection, a timeout, a 3xx, a 4xx, a 5xx) is
  tried again after a backoff doubling from `first` to `cap` seconds, plus up to a quarter
  more at random (so receivers coming back are not hit by every sender at the same second);
  a failure after `give_up_at` (48 h after the event) makes it dead: out of the queue, in the
  dead-letter list, until replay() puts it back.
- Each attempt notes its time, the HTTP status (None when there was no answer) and a short
  error; at most MAX_READ bytes of an answer are read.
"""
import http.client
import logging
import random
import secrets
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import and_, func, or_, select, update

from app.db import transactions
from app.db.columns import utcnow
from app.webhooks import signing
from app.webhooks.models import DEAD, DELIVERED, PENDING, WebhookDelivery, WebhookSubscription
from app.webhooks.outbox import give_up_at

log = logging.getLogger(__name__)
MAX_READ = 4096
KEEP_DAYS = 30          # delivered ones are kept this long, for questions and replays
USER_AGENT = "Doorstep-Webhooks/1"
_S, _D = WebhookSubscription.__table__, WebhookDelivery.__table__


@dataclass(frozen=True)
class Policy:
    first: float = 10.0         # seconds before the first retry
    cap: float = 3600.0         # the longest wait between two attempts
    jitter: float = 0.25        # up to this share of the wait is added at random
    timeout: float = 10.0       # an attempt's whole time, connecting to reading the answer
    batch: int = 500            # deliveries a send_due() call sends at most
    parallel: int = 8           # POSTs to different subscriptions at once

    @property
    def lease(self):
        """How long a claim holds: well past an attempt's timeout."""
        return timedelta(seconds=self.timeout * 3 + 30)

    def backoff(self, attempts, rng=random.random):
        """Seconds to wait after the `attempts`-th failed attempt (1, 2, …)."""
        wait = min(self.cap, self.first * 2 ** (attempts - 1))
        return wait * (1 + self.jitter * rng())


@dataclass
class Outcome:
    delivered: int = 0
    failed: int = 0
    dead: int = 0

    @property
    def attempted(self):
        return self.delivered + self.failed + self.dead


def _heads(now, limit):
    """Each active subscription's oldest pending delivery, when it is due and not leased."""
    head = (select(func.min(_D.c.id)).where(_D.c.subscription_id == _S.c.id,
                                            _D.c.status == PENDING)
            .correlate(_S).scalar_subquery())
    return (select(_D.c.id, _D.c.uuid, _D.c.event, _D.c.body, _D.c.attempts, _D.c.give_up_at,
                   _S.c.url, _S.c.secret)
            .select_from(_S.join(_D, _D.c.id == head))
            .where(_S.c.active.is_(True), _D.c.next_attempt_at <= now,
                   or_(_D.c.lease_until.is_(None), _D.c.lease_until < now))
            .order_by(_D.c.id).limit(limit))


def claim(session, delivery_ids, policy, now=None):
    """Lease deliveries for this worker: (its token, the ids it got); another worker's, or
    one no longer due, is left out. One UPDATE, committed, so other workers see the leases."""
    now = now or utcnow()
    token = secrets.token_hex(16)
    got = session.execute(
        update(_D).where(_D.c.id.in_(list(delivery_ids)), _D.c.status == PENDING,
                         _D.c.next_attempt_at <= now,
                         or_(_D.c.lease_until.is_(None), _D.c.lease_until < now))
        .values(lease_until=now + policy.lease, lease_token=token)
        .returning(_D.c.id)).scalars().all()
    session.commit()
    return token, set(got)


def send_due(session, policy=Policy(), rng=random.random):
    """Send what is due now, each subscription's queue in order, until nothing is due or
    `policy.batch` attempts were made. Returns the Outcome. Commits as it goes.

    Each pass takes every subscription's due head at once: claimed together (one short write
    transaction), POSTed side by side (up to `policy.parallel` at a time, on threads, or
    greenlets under gevent, doing no database work), then recorded. A receiver that is slow
    or silent thus delays the others by one attempt's timeout at most, not by one per head."""
    outcome = Outcome()
    while outcome.attempted < policy.batch:
        transactions.begin_reads(session)      # SQLite: no write lock to look
        # one wave of POSTs per pass, so that every claim is sent well within its lease
        heads = session.execute(_heads(utcnow(), min(policy.parallel,
                                                     policy.batch - outcome.attempted))).all()
        session.rollback()
        if not heads:
            break
        token, got = claim(session, [h.id for h in heads], policy)
        claimed = [head for head in heads if head.id in got]
        if not claimed:         # other workers took them all
            break
        if len(claimed) == 1:
            answers = [_attempt(claimed[0], policy)]
        else:
            with ThreadPoolExecutor(len(claimed)) as pool:
                answers = list(pool.map(lambda head: _attempt(head, policy), claimed))
        for head, (status, error) in zip(claimed, answers):
            _record(session, head, token, status, error, policy, rng, outcome)
        session.commit()
    return outcome


def _attempt(head, policy):
    body = head.body.encode()
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
               "X-Doorstep-Event": head.event, "X-Doorstep-Delivery": head.uuid,
               "X-Doorstep-Signature": signing.header(head.secret, body)}
    return post(head.url, body, headers, policy.timeout)


def _record(session, head, token, status, error, policy, rng, outcome):
    now = utcnow()
    attempts = head.attempts + 1
    values = {"attempts": attempts, "last_attempt_at": now, "last_status": status,
              "last_error": error, "lease_until": None, "lease_token": None}
    if error is None:
        values.update(status=DELIVERED, delivered_at=now)
        outcome.delivered += 1
    elif now >= head.give_up_at:
        values.update(status=DEAD)
        outcome.dead += 1
        log.warning("webhook delivery %s is dead after %d attempts: %s", head.uuid, attempts,
                    error)
    else:
        values.update(next_attempt_at=now + timedelta(seconds=policy.backoff(attempts, rng)))
        outcome.failed += 1
    # only while this worker still holds the lease: one that expired belongs to another now
    session.execute(update(_D).where(_D.c.id == head.id, _D.c.lease_token == token)
                    .values(**values))


def post(url, body, headers, timeout):
    """POST once: (HTTP status or None, None when 2xx else a short error). Never follows a
    redirect; reads at most MAX_READ bytes of the answer; gives up after `timeout` seconds
    in all (a receiver trickling its answer byte by byte included)."""
    parts = urlsplit(url)
    connection_class = (http.client.HTTPSConnection if parts.scheme == "https"
                        else http.client.HTTPConnection)
    connection = connection_class(parts.hostname, parts.port, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    aborted = threading.Event()
    deadline = threading.Timer(timeout, _abort, [connection, aborted])
    deadline.daemon = True
    deadline.start()
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read(MAX_READ)
        if 200 <= response.status < 300:
            return response.status, None
        return response.status, f"HTTP {response.status}: " + answer[:200].decode("utf-8",
                                                                                  "replace")
    except (OSError, http.client.HTTPException, ValueError) as e:
        if aborted.is_set() or isinstance(e, TimeoutError):
            return None, f"timed out after {timeout:g} s"
        return None, (f"{type(e).__name__}: {e}" if str(e) else type(e).__name__)[:500]
    finally:
        deadline.cancel()
        connection.close()


def _abort(connection, aborted):
    aborted.set()
    sock = connection.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def replay(session, dead=False, since=None, ids=None, subscription_id=None):
    """Put deliveries back in their queues, due now with a fresh 48 hours: the dead ones
    (`dead`), those of events at or after `since`, those with these delivery ids (`ids`), those
    of one subscription; the filters given all apply. Pending ones are left alone (they are queued already). They keep
    their delivery id: a receiver that kept it will see a duplicate. Returns how many; does
    not commit."""
    now = utcnow()
    where = [_D.c.status != PENDING]
    if dead:
        where.append(_D.c.status == DEAD)
    if since is not None:
        where.append(_D.c.occurred_at >= since)
    if ids:
        where.append(_D.c.uuid.in_(list(ids)))
    if subscription_id is not None:
        where.append(_D.c.subscription_id == subscription_id)
    return session.execute(update(_D).where(and_(*where)).values(
        status=PENDING, attempts=0, next_attempt_at=now, give_up_at=give_up_at(now),
        lease_until=None, lease_token=None, delivered_at=None)).rowcount


def prune(session, days=KEEP_DAYS):
    """Forget delivered deliveries older than `days` (their bodies are copies of what the
    receiver has); dead ones stay until replayed or their subscription is deleted. Returns how
    many; does not commit."""
    before = utcnow() - timedelta(days=days)
    return session.execute(_D.delete().where(_D.c.status == DELIVERED,
                                             _D.c.occurred_at < before)).rowcount
