"""app.db.driver_pg: hot statements sent through libpq on PostgreSQL, prepared once per
connection; what it must keep of psycopg's behaviour (transactions, errors) and what it must
survive (rollbacks, statements that vanish)."""
import datetime as dt

import pytest
from sqlalchemy import bindparam, exc, insert, select, text
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.db.driver_pg import Prepared
from app.db.driver_sql import DriverStatement

A = AuditEvent.__table__
INSERT = DriverStatement(insert(A).values(
    {c: bindparam(c, type_=A.c[c].type)
     for c in ("actor_type", "actor_id", "action", "target", "details", "logged_at")}))
COUNT = DriverStatement(select(A.c.id).where(A.c.action == bindparam("a")))


@pytest.fixture(autouse=True)
def postgresql_only(db):
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's wire path; SQLite statements go through its driver's cursor")


def _row(action, actor_id=7):
    return {"actor_type": "app_user", "actor_id": actor_id, "action": action, "target": "t",
            "details": {"n": 1}, "logged_at": dt.datetime(2026, 11, 29, 21, 0)}


def _prepared(session):
    return set(session.execute(text(
        "SELECT name FROM pg_prepared_statements WHERE name LIKE 'doorstep_%'")).scalars())


def test_statements_stay_prepared_across_rollbacks(db):
    # one database connection throughout (the request's session may get another from the pool)
    with db.engine.connect() as connection:
        session = Session(bind=connection)
        INSERT.run(session, _row("kept"))
        session.commit()
        before = _prepared(session)
        assert before                           # INSERT is prepared on this connection
        for _ in range(3):                      # read-only requests end in a ROLLBACK
            assert len(COUNT.rows(session, {"a": "kept"})) == 1
            for _ in range(6):                  # psycopg would prepare this one of its own
                session.execute(select(A.c.id).where(A.c.action == "kept")).all()
            session.rollback()
        INSERT.run(session, _row("kept"))
        after = _prepared(session)
        assert before < after and len(after) == len(before) + 1   # COUNT once, INSERT not again
        # psycopg's own automatic preparation is off: it would DEALLOCATE ALL on each ROLLBACK
        assert connection.connection.driver_connection.prepare_threshold is None
        session.close()


def test_parameter_types_that_differ_get_their_own_statement(db):
    # psycopg sends a small int as int2 and a large one as int8: one statement for each
    INSERT.run(db.session, _row("small", actor_id=7))
    INSERT.run(db.session, _row("large", actor_id=2**40 // 2**10))
    INSERT.run(db.session, _row("none", actor_id=None))
    stored = db.session.execute(select(A.c.action, A.c.actor_id).where(
        A.c.action.in_(["small", "large", "none"])).order_by(A.c.action)).all()
    assert stored == [("large", 2**30), ("none", None), ("small", 7)]


def test_a_statement_that_vanished_fails_once_then_is_prepared_again(db):
    with db.engine.connect() as connection:         # one database connection throughout
        session = Session(bind=connection)
        COUNT.rows(session, {"a": "x"})
        session.commit()
        session.execute(text("DEALLOCATE ALL"))     # e.g. a pooler in front of PostgreSQL
        session.commit()
        with pytest.raises(exc.ProgrammingError, match="does not exist"):
            COUNT.rows(session, {"a": "x"})
        session.rollback()
        assert COUNT.rows(session, {"a": "x"}) == []
        session.close()


def test_begin_carries_the_connections_isolation_and_read_only_settings(db):
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="SERIALIZABLE")
        driver = connection.connection.driver_connection
        driver.read_only = True
        try:
            rows = Prepared("SELECT current_setting('transaction_isolation'), "
                            "current_setting('transaction_read_only')").execute(
                connection.connection.info, driver, {})
            assert rows == [("serializable", "on")]
            driver.rollback()
        finally:
            driver.read_only = None


def test_a_statement_runs_in_the_sessions_transaction_from_its_first_statement(db):
    INSERT.run(db.session, _row("first.of.its.transaction"))   # sends BEGIN itself
    assert db.session.connection().connection.driver_connection.info.transaction_status.name \
        == "INTRANS"
    db.session.rollback()
    assert COUNT.rows(db.session, {"a": "first.of.its.transaction"}) == []
