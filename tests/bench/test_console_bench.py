"""bench/console.py: the walk reaches every GET page of the console (or says why it cannot),
and the database time it puts beside each page counts what SQLAlchemy's events alone would
miss. (A small register and two timed rounds; the benchmark itself is not run here.)"""
import os
import sqlite3
import sys
import time

import pytest
from sqlalchemy import create_engine, text

from tests import samples
from tests.samples import register as sample

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "bench"))
import console as bench  # noqa: E402


def quiet(*args, **kwargs):
    pass


def test_the_walk_times_every_console_page_as_both_people_or_says_why_not(app, db, town):
    assert town.phone("worker_a").submit(samples.instance("benefit_pension_person")) \
        .status_code == 201
    values = bench.fillers(db.session)
    assert values["village"] == "dongwan" and values["person"] == sample.LI_XIUYING
    assert values["submission_id"] and values["app_user_id"] == town.personas["worker_a"].id
    people = bench.personas(app, values["village"])
    values["user_id"] = people["supervisor"][2]
    undo, plain = bench.instrument(app), app.wsgi_app
    app.wsgi_app = bench.ServerTimer(plain)
    try:
        clients = {who: bench.sign_in(app, username, password)
                   for who, (username, password, _id) in people.items()}
        rows = bench.walk(app, clients, values, warmups=1, rounds=2, echo=quiet)
    finally:
        app.wsgi_app = plain
        undo()
    walked = {rule for rule, *_ in rows}
    for rule, _endpoint, _fields in bench.routes(app):
        assert rule.rule in walked, f"{rule.rule} left out"
    for rule, label, who, result, note in rows:
        if result is None:
            assert note, (rule, label)          # not timed, and why
            continue
        assert result["status"] == 200 or (who == "supervisor" and result["status"] == 403), \
            (rule, label, who, result["status"])
        if result["status"] == 200:
            assert len(result["server"]) == len(result["db"]) == 2, (rule, label, who)
            assert min(result["statements"]) >= 1       # her session, at least
            assert all(d <= s for d, s in zip(result["db"], result["server"]))
    report = "\n".join(bench.table(rows))
    assert all(f"`{rule}`" in report for rule in walked)


@pytest.mark.database_independent
def test_the_rows_sqlite_yields_after_the_first_count_as_database_time(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path}/clock.sqlite3",
                           connect_args={"factory": bench.TimedConnection})
    undo = bench.instrument_engine(engine)
    count = ("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 300000) "
             "SELECT x FROM n")
    try:
        with engine.connect() as c:
            c.execute(text("SELECT 1")).all()               # connected before the clock runs
            bench.CLOCK.reset()
            started = time.perf_counter()
            rows = c.execute(text(count)).all()
            elapsed = time.perf_counter() - started
    finally:
        undo()
        engine.dispose()
    assert len(rows) == 300_000
    # the same query on a plain sqlite3 connection: its execute alone steps to the first row
    # (the events' share), its fetchall runs the rest
    plain = sqlite3.connect(":memory:")
    cursor = plain.cursor()
    started = time.perf_counter()
    cursor.execute(count)
    first = time.perf_counter() - started
    cursor.fetchall()
    bare = time.perf_counter() - started
    plain.close()
    assert first < 0.1 * bare
    assert bench.CLOCK.statements == 1
    # without the fetches the clock would hold about `first`; with them, several times it
    # (a ratio, not a share of `bare`: on a loaded machine the two runs differ by a lot)
    assert 3 * first < bench.CLOCK.seconds < elapsed, (bench.CLOCK.seconds, first, elapsed)
    assert list(bench.CLOCK.by_sql) == [" ".join(count.split())]


def test_a_statement_on_the_drivers_own_cursor_counts_once(app, db):
    from app.auth.actors import app_user_by_token
    db.session.rollback()
    undo = bench.instrument(app)
    try:
        db.session.execute(text("SELECT 1")).all()      # the transaction's BEGIN, before
        bench.CLOCK.reset()
        assert app_user_by_token(db.session, "no such token") is None   # one driver statement
    finally:
        undo()
        db.session.rollback()
    assert bench.CLOCK.statements == 1 and bench.CLOCK.seconds > 0
    [sql] = bench.CLOCK.by_sql
    assert sql.startswith("SELECT app_users.id") and "FROM app_users" in sql


@pytest.mark.database_independent
def test_a_variant_the_page_cannot_take_is_listed_not_sent():
    values = {"village": "dongwan", "pinyin": "lixiuying"}
    found = {label: (query, note) for label, query, note in bench.variants(
        "console.people", {"lang", "village", "q"}, values)}
    assert found[""] == ({}, "")
    assert found["q=pinyin"] == ({"q": "lixiuying"}, "")
    assert found["q=initials"][0] is None and "initials" in found["q=initials"][1]
    assert found["women 15-49"][0] is None and "wra" in found["women 15-49"][1]
    # a page with a village filter and no variants of its own is opened on one village too
    other = bench.variants("console.somewhere", {"lang", "village"}, values)
    assert ("one village", {"village": "dongwan"}, "") in other
