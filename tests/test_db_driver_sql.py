"""Statements on the driver's cursor (app/db/driver_sql.py) store and read exactly what SQLAlchemy
would, run in the session's transaction, and fail with SQLAlchemy's exceptions."""
import datetime as dt

import pytest
from sqlalchemy import bindparam, exc, insert, select, text

from app.audit.models import AuditEvent
from app.db.driver_sql import DriverStatement
from app.register.models import Dataset

A, D = AuditEvent.__table__, Dataset.__table__
COLUMNS = ("actor_type", "actor_id", "action", "target", "details", "logged_at")
INSERT = insert(A).values({c: bindparam(c, type_=A.c[c].type) for c in COLUMNS})
WHEN = dt.datetime(2026, 11, 29, 8, 30, 5, 123456)
DETAILS = {"instanceId": "uuid:1", "names": ["a.jpg", "照片.jpg"], "n": 2, "ok": True}


def _row(action):
    return {"actor_type": "app_user", "actor_id": 7, "action": action, "target": "t:1",
            "details": DETAILS, "logged_at": WHEN}


def test_values_are_stored_as_sqlalchemy_stores_them(db):
    db.session.connection().execute(INSERT, _row("by.sqlalchemy"))
    DriverStatement(INSERT).run(db.session, _row("by.driver"))
    # the columns as the database holds them (text on SQLite, JSONB and timestamp on PostgreSQL)
    stored = db.session.execute(text(
        "SELECT action, CAST(details AS TEXT), CAST(logged_at AS TEXT) FROM audit_events "
        "WHERE action LIKE 'by.%' ORDER BY action")).all()
    assert len(stored) == 2 and stored[0][1:] == stored[1][1:]


def test_rows_come_back_as_sqlalchemy_returns_them(db):
    DriverStatement(INSERT).run(db.session, _row("read.back"))
    db.session.connection().execute(insert(D).values(project_id=1, name="people",
                                                     approval_required=True, revision=3,
                                                     created_at=WHEN))
    for query, params in (
            (select(A.c.id, A.c.details, A.c.logged_at).where(A.c.action == bindparam("a")),
             {"a": "read.back"}),
            (select(D.c.approval_required, D.c.revision, D.c.created_at)
             .where(D.c.name == bindparam("n")), {"n": "people"})):
        expected = db.session.connection().execute(query, params).one()
        got = DriverStatement(query).first(db.session, params)
        assert tuple(got) == tuple(expected) and got._fields == tuple(expected._fields)
    assert DriverStatement(select(D.c.id).where(D.c.name == "nobody")).first(db.session, {}) is None


def test_it_runs_in_the_sessions_transaction(db):
    DriverStatement(INSERT).run(db.session, _row("rolled.back"))
    db.session.rollback()
    assert db.session.scalar(select(A.c.id).where(A.c.action == "rolled.back")) is None


def test_driver_errors_are_sqlalchemys(db):
    add = DriverStatement(insert(D).values(
        {c: bindparam(c, type_=D.c[c].type)
         for c in ("project_id", "name", "approval_required", "revision", "schema_revision",
                   "created_at")}))
    row = {"project_id": 1, "name": "twice", "approval_required": False, "revision": 0,
           "schema_revision": 0, "created_at": WHEN}
    add.run(db.session, row)
    with pytest.raises(exc.IntegrityError):        # what intake's race handling catches
        add.run(db.session, row)
    db.session.rollback()
    with pytest.raises(exc.InvalidRequestError, match="name"):   # every one must be given
        add.run(db.session, {"project_id": 1})


def test_a_statement_leaving_a_python_default_to_sqlalchemy_is_refused(db):
    # schema_revision and created_at have Python defaults, which only SQLAlchemy applies
    lax = DriverStatement(insert(D).values(project_id=bindparam("p"), name=bindparam("n")))
    with pytest.raises(ValueError, match="schema_revision"):
        lax.run(db.session, {"p": 1, "n": "lax"})


def test_what_is_kept_per_connection_is_renewed_when_the_connection_is(db):
    # SQLite: one driver cursor per connection; PostgreSQL: libpq's prepared statements and
    # psycopg's Transformer (app.db.driver_pg)
    key = ("doorstep_libpq_state" if db.session.get_bind().dialect.name == "postgresql"
           else "doorstep_driver_cursor")
    count = DriverStatement(select(A.c.id).where(A.c.action == bindparam("a")))
    count.rows(db.session, {"a": "x"})
    fairy = db.session.connection().connection
    kept = fairy.info[key]
    count.rows(db.session, {"a": "y"})
    assert fairy.info[key] is kept          # reused, not made again
    db.session.connection().invalidate()        # the database connection is replaced
    db.session.rollback()
    DriverStatement(INSERT).run(db.session, _row("after.invalidate"))
    fairy = db.session.connection().connection
    driver = fairy.info[key].driver if key == "doorstep_libpq_state" else fairy.info[key][0]
    assert driver is fairy.driver_connection
    assert count.first(db.session, {"a": "after.invalidate"}) is not None


def test_rows_returned_to_run_are_read_so_the_transaction_can_commit(db):
    # an INSERT ... RETURNING left unread keeps SQLite's statement open ("SQL statements in
    # progress" at COMMIT); run() reads it to the end
    DriverStatement(INSERT.returning(A.c.id)).run(db.session, _row("returning.run"))
    db.session.commit()
    assert db.session.scalar(select(A.c.id).where(A.c.action == "returning.run")) is not None


def test_the_connection_is_kept_for_one_transaction_only(db):
    DriverStatement(INSERT).run(db.session, _row("first.transaction"))
    kept = db.session.info["doorstep_transaction_connection"]
    DriverStatement(INSERT).run(db.session, _row("first.transaction"))
    assert db.session.info["doorstep_transaction_connection"] is kept   # not looked up again
    db.session.commit()
    # the next statement opens and runs in a new transaction: rolling that back keeps the
    # first one's rows and drops its own
    DriverStatement(INSERT).run(db.session, _row("second.transaction"))
    assert db.session.info["doorstep_transaction_connection"] is not kept
    db.session.rollback()
    actions = db.session.scalars(select(A.c.action).where(A.c.action.like("%.transaction"))).all()
    assert actions == ["first.transaction", "first.transaction"]
