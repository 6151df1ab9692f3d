"""The server's timers (the register's backlog, the webhook sender) run once across hosts:
hosts on one PostgreSQL database take an advisory lock around each run (app/background.py),
and a host whose tick comes while another runs skips it. SQLite is one host by design."""
import datetime as dt
import threading
import time

import pytest
from sqlalchemy import create_engine, select, update

from app.background import alone, lock_key
from app.register import timer
from app.register.models import EntityBacklog
from app.webhooks import timer as webhook_timer
from tests.register.test_merge import entity_instance, get, new_id, people  # noqa: F401


def _url(app):
    return app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql://",
                                                         "postgresql+psycopg://", 1)


@pytest.mark.database_independent
def test_a_jobs_lock_key_is_the_same_in_every_process_and_differs_between_jobs():
    assert lock_key("register-backlog") == lock_key("register-backlog")
    assert lock_key("register-backlog") != lock_key("webhooks-send")
    assert -2**63 <= lock_key("webhooks-send") < 2**63


def test_on_sqlite_every_run_goes_ahead_and_on_postgresql_the_first_one(app, db):
    with alone(db.engine, "job") as first:
        assert first is True
        if db.engine.dialect.name == "postgresql":   # the same process asks again: a 2nd host
            with alone(db.engine, "job") as second:
                assert second is False
    with alone(db.engine, "job") as again:
        assert again is True                        # released when the run ended


@pytest.mark.postgresql_only
def test_hosts_starting_the_same_job_at_the_same_moment_run_it_once(app, db):
    # four "hosts", each with its own engine (its own connection pool) on the same database
    engines = [create_engine(_url(app)) for _ in range(4)]
    ready, ran, refused = threading.Barrier(4), [], []

    def host(engine):
        ready.wait()
        with alone(engine, "register-backlog") as mine:
            if mine:
                ran.append(engine)
                time.sleep(0.4)             # a run under way while the others' ticks come
            else:
                refused.append(engine)

    threads = [threading.Thread(target=host, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for engine in engines:
        engine.dispose()
    assert len(ran) == 1 and len(refused) == 3


@pytest.mark.postgresql_only
def test_the_backlog_timer_skips_its_run_while_another_host_runs_it(app, db, collect, people):  # noqa: F811
    eid = new_id()
    collect.submit(entity_instance(eid, "", update=True, base="1", branch=new_id(), phone="2"))
    db.session.execute(update(EntityBacklog).values(held_at=dt.datetime(2026, 1, 1)))
    db.session.commit()
    other_host = create_engine(_url(app))
    try:
        with alone(other_host, "register-backlog") as mine:
            assert mine
            assert timer.run_once(app) is None
            assert get(db, eid) is None                 # still held: this host did nothing
            assert len(db.session.scalars(select(EntityBacklog)).all()) == 1
            db.session.rollback()
        assert timer.run_once(app) == 1                 # the other host's run has ended
    finally:
        other_host.dispose()
    assert get(db, eid) is not None and db.session.scalars(select(EntityBacklog)).all() == []


@pytest.mark.postgresql_only
def test_the_webhook_sender_skips_its_run_while_another_host_runs_it(app, db):
    other_host = create_engine(_url(app))
    try:
        with alone(other_host, "webhooks-send"):
            assert webhook_timer.run_once(app) is None
        outcome = webhook_timer.run_once(app)
    finally:
        other_host.dispose()
    assert outcome is not None and outcome.attempted == 0
