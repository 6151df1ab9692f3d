"""Sending: against a real local HTTP receiver that is down, answers 500, is slow, redirects,
and recovers. Every event is delivered exactly once (one 2xx per delivery id), in the order
the events happened, signed with the subscription's secret; retries back off; a delivery that
fails past its 48 hours is dead until replayed; two workers never send one delivery at once."""
import datetime as dt
import threading
import time

from sqlalchemy import update

from app.webhooks import delivery, signing
from app.webhooks.delivery import Policy
from app.webhooks.models import WebhookDelivery
from tests.factories import make_instance, new_instance_id
from tests.webhooks.conftest import FAST, deliveries, send


def submit(collect, n):
    """n submissions through the OpenRosa route; their instanceIDs in order."""
    ids = []
    for _ in range(n):
        ids.append(new_instance_id())
        xml = make_instance("simple", instance_id=ids[-1], values={"village": "dongwan"})
        assert collect.submit(xml).status_code == 201
    return ids


def test_every_event_is_delivered_once_in_order_after_the_receiver_recovers(
        collect, simple_form, db, receiver, subscribe):
    hook = receiver()
    secret = subscribe(hook.url)["secret"]
    ids = submit(collect, 3)

    outcome = send(db)                      # down: nothing listens on its port
    assert (outcome.failed, outcome.delivered) == (1, 0)
    head = deliveries(db)[0]
    assert head.attempts == 1 and head.last_status is None
    assert "ConnectionRefused" in head.last_error
    assert [d.attempts for d in deliveries(db)[1:]] == [0, 0]   # the head blocks the queue

    hook.start()
    hook.answers = [500, 503]
    time.sleep(FAST.first)
    assert send(db).failed == 1
    assert deliveries(db)[0].last_status == 500
    time.sleep(FAST.first)
    assert send(db).failed == 1
    time.sleep(FAST.first)
    assert send(db).delivered == 3          # recovered: the head, then the rest in order

    accepted = hook.accepted()
    assert [b["data"]["instanceId"] for b in accepted] == ids
    assert len({b["id"] for b in accepted}) == 3
    assert [r["status"] for r in hook.requests] == [500, 503, 200, 200, 200]
    assert hook.verified(secret)
    request = hook.requests[-1]
    assert request["headers"]["X-Doorstep-Event"] == "submission.accepted"
    assert request["headers"]["X-Doorstep-Delivery"] == accepted[-1]["id"]
    assert request["path"] == "/hook"
    rows = deliveries(db)
    assert [(r.status, r.attempts, r.last_status) for r in rows] == [
        ("delivered", 4, 200), ("delivered", 1, 200), ("delivered", 1, 200)]
    assert send(db).attempted == 0          # nothing is sent twice


def test_a_wrong_secret_or_an_old_timestamp_fails_verification():
    body = b'{"id":"x"}'
    value = signing.header("s3cret", body, t=1_000_000)
    assert signing.verify("s3cret", body, value, now=1_000_100)
    assert not signing.verify("other", body, value, now=1_000_100)
    assert not signing.verify("s3cret", body + b" ", value, now=1_000_100)
    assert not signing.verify("s3cret", body, value, now=1_000_000 + signing.TOLERANCE + 1)
    assert not signing.verify("s3cret", body, "garbage", now=1_000_000)


def test_a_slow_receiver_within_the_timeout_is_delivered_once(collect, simple_form, db,
                                                             receiver, subscribe):
    hook = receiver().start()
    hook.delay = 0.5
    secret = subscribe(hook.url)["secret"]
    submit(collect, 2)
    assert send(db).delivered == 2
    assert [r["status"] for r in hook.requests] == [200, 200] and hook.verified(secret)


def test_a_receiver_slower_than_the_timeout_is_cut_off_and_tried_again_with_the_same_id(
        collect, simple_form, db, receiver, subscribe):
    hook = receiver().start()
    hook.delay = 3
    subscribe(hook.url)
    submit(collect, 1)
    started = time.monotonic()
    assert send(db).failed == 1
    assert time.monotonic() - started < FAST.timeout + 1        # the attempt's whole time
    [row] = deliveries(db)
    assert row.last_status is None and "timed out" in row.last_error.lower()
    hook.delay = 0
    time.sleep(FAST.first)
    assert send(db).delivered == 1
    time.sleep(3)       # the slow answer, given up on, ends too: the receiver dedupes by id
    assert {b["id"] for b in hook.accepted()} == {row.uuid}


def test_a_redirect_is_not_followed(collect, simple_form, db, receiver, subscribe):
    elsewhere = receiver().start()
    hook = receiver().start()
    hook.status, hook.location = 302, elsewhere.url
    subscribe(hook.url)
    submit(collect, 1)
    assert send(db).failed == 1
    assert deliveries(db)[0].last_status == 302 and elsewhere.requests == []


def test_backoff_doubles_from_10_seconds_to_an_hour_with_jitter(collect, simple_form, db,
                                                                receiver, subscribe):
    policy = Policy()
    assert [policy.backoff(n, rng=lambda: 0) for n in range(1, 12)] == [
        10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]
    assert policy.backoff(1, rng=lambda: 1) == 12.5         # at most a quarter more
    assert policy.backoff(20, rng=lambda: 1) == 4500
    # hours of attempts at the cap fit in the 48 hours before a delivery is dead
    assert sum(policy.backoff(n, rng=lambda: 0) for n in range(1, 56)) < 48 * 3600

    subscribe(receiver().url)               # down
    submit(collect, 1)
    before = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    assert send(db, Policy(timeout=1)).failed == 1
    [row] = deliveries(db)
    wait = (row.next_attempt_at - before).total_seconds()
    assert 10 <= wait <= 12.5 + 2
    assert send(db, Policy(timeout=1)).attempted == 0     # not due yet


def test_a_delivery_failing_past_48_hours_is_dead_and_replay_sends_it(
        app, collect, simple_form, db, receiver, subscribe, client, login):
    hook = receiver()
    secret = subscribe(hook.url)["secret"]
    first, second = submit(collect, 2)
    db.session.execute(update(WebhookDelivery).where(WebhookDelivery.id == deliveries(db)[0].id)
                       .values(give_up_at=dt.datetime(2000, 1, 1)))
    db.session.commit()
    outcome = send(db)
    # the dead one leaves the queue at once, so the next is tried in the same run
    assert (outcome.dead, outcome.failed) == (1, 1)
    dead, waiting = deliveries(db)
    assert dead.status == "dead" and waiting.status == "pending"

    hook.start()
    time.sleep(FAST.first)
    assert send(db).delivered == 1          # the dead one no longer holds the queue
    assert [b["data"]["instanceId"] for b in hook.accepted()] == [second]

    webhook = client.get("/v1/projects/1/webhooks", headers=login("admin")).json[0]
    assert webhook["deliveries"] == {"pending": 0, "delivered": 1, "dead": 1}
    listed = client.get(f"/v1/projects/1/webhooks/{webhook['id']}/deliveries?status=dead",
                        headers=login("admin")).json
    assert [d["id"] for d in listed] == [dead.uuid] and listed[0]["lastError"]

    result = app.test_cli_runner().invoke(args=["webhooks", "replay", "--dead"])
    assert result.exit_code == 0 and "1 deliveries queued again" in result.output
    row = deliveries(db)[0]
    assert (row.status, row.attempts) == ("pending", 0)
    assert row.give_up_at > dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + dt.timedelta(hours=47)
    assert send(db).delivered == 1
    assert [b["data"]["instanceId"] for b in hook.accepted()] == [second, first]
    assert hook.verified(secret)


def test_replay_by_id_and_since_and_the_command_needs_a_filter(app, collect, simple_form, db,
                                                               receiver, subscribe):
    hook = receiver().start()
    subscribe(hook.url)
    submit(collect, 2)
    assert send(db).delivered == 2
    first, second = deliveries(db)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["webhooks", "replay"]).exit_code != 0
    assert "1 deliveries" in runner.invoke(args=["webhooks", "replay", "--id", second.uuid]).output
    assert send(db).delivered == 1
    assert [b["id"] for b in hook.accepted()] == [first.uuid, second.uuid, second.uuid]
    assert "2 deliveries" in runner.invoke(args=["webhooks", "replay", "--since",
                                                 "2000-01-01"]).output
    assert runner.invoke(args=["webhooks", "replay", "--since", "soon"]).exit_code != 0
    result = runner.invoke(args=["webhooks", "send-due"])
    assert result.exit_code == 0 and "2 delivered" in result.output


def test_a_lease_lets_only_one_worker_claim_a_delivery(collect, simple_form, db, receiver,
                                                       subscribe):
    subscribe(receiver().url)
    submit(collect, 1)
    [row] = deliveries(db)
    first, got = delivery.claim(db.session, [row.id], FAST)
    assert got == {row.id}
    assert delivery.claim(db.session, [row.id], FAST)[1] == set()      # held by the first
    later = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) + FAST.lease + dt.timedelta(seconds=1)
    second, got = delivery.claim(db.session, [row.id], FAST, now=later)   # the lease expired
    assert got == {row.id} and second != first


def test_two_workers_at_once_send_each_delivery_once_and_in_order(app, collect, simple_form, db,
                                                                  receiver, subscribe):
    from app.db import db as flask_db
    hook = receiver().start()
    hook.delay = 0.05
    other = receiver().start()
    subscribe(hook.url)
    subscribe(other.url)
    ids = submit(collect, 8)
    db.session.remove()
    errors = []

    def worker():
        with app.app_context():
            try:
                while delivery.send_due(flask_db.session, FAST).attempted:
                    pass
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)
            finally:
                flask_db.session.remove()
    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    for r in (hook, other):
        assert [b["data"]["instanceId"] for b in r.accepted()] == ids
        assert len(r.requests) == 8             # no delivery was sent twice
    assert {d.status for d in deliveries(db)} == {"delivered"}


def test_a_paused_subscription_queues_nothing_new_and_sends_nothing_until_resumed(
        collect, simple_form, db, receiver, subscribe, client, login):
    hook = receiver().start()
    webhook = subscribe(hook.url)
    url = f"/v1/projects/1/webhooks/{webhook['id']}"
    first, = submit(collect, 1)
    assert client.patch(url, json={"active": False}, headers=login("admin")).status_code == 200
    submit(collect, 1)                              # while paused: not announced
    assert len(deliveries(db)) == 1
    assert send(db).attempted == 0                  # and the queued one waits
    assert client.patch(url, json={"active": True}, headers=login("admin")).status_code == 200
    assert send(db).delivered == 1
    assert [b["data"]["instanceId"] for b in hook.accepted()] == [first]


def test_delivered_deliveries_are_forgotten_after_30_days_dead_ones_kept(collect, simple_form,
                                                                        db, receiver,
                                                                        subscribe):
    hook = receiver().start()
    subscribe(hook.url)
    submit(collect, 3)
    assert send(db).delivered == 3
    old, dead, recent = (d.id for d in deliveries(db))
    long_ago = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(days=31)
    db.session.execute(update(WebhookDelivery).where(WebhookDelivery.id.in_([old, dead]))
                       .values(occurred_at=long_ago))
    db.session.execute(update(WebhookDelivery).where(WebhookDelivery.id == dead)
                       .values(status="dead"))
    assert delivery.prune(db.session) == 1
    db.session.commit()
    assert [d.id for d in deliveries(db)] == [dead, recent]


def test_a_silent_receiver_delays_the_others_by_one_timeout_at_most(collect, simple_form, db,
                                                                   receiver, subscribe):
    silent, healthy = receiver().start(), receiver().start()
    silent.delay = 3
    subscribe(silent.url)
    subscribe(healthy.url)
    ids = submit(collect, 3)
    started = time.monotonic()
    outcome = send(db)
    assert time.monotonic() - started < FAST.timeout + 1.5
    assert (outcome.delivered, outcome.failed) == (3, 1)
    assert [b["data"]["instanceId"] for b in healthy.accepted()] == ids


def test_more_subscriptions_than_parallel_posts_take_turns(collect, simple_form, db, receiver,
                                                           subscribe):
    hooks = [receiver().start() for _ in range(3)]
    for hook in hooks:
        subscribe(hook.url)
    ids = submit(collect, 2)
    policy = Policy(first=0.2, cap=0.2, timeout=1, parallel=2)
    assert send(db, policy).delivered == 6
    for hook in hooks:
        assert [b["data"]["instanceId"] for b in hook.accepted()] == ids
