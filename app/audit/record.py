"""Appending to the audit log: append() is the one function that writes an audit_events row.
It runs in the caller's transaction (the event lands or rolls back with the change it
describes), chains the row onto its project's chain (app.audit.chain) and moves the chain's
head. record() and write() are its callers' shapes; nothing is committed here.

Appends to one chain are serialized by the chain's head row: on PostgreSQL the head's upsert
and the event's insert are one statement, the upsert's row lock held to the end of the
transaction, so a second transaction appending to the same project waits and then chains onto
the first one's entry; SQLite runs one writer at a time (BEGIN IMMEDIATE, app.db.engine)."""
from contextvars import ContextVar

from sqlalchemy import bindparam, column, func, inspect, insert, literal, select, table, text
from sqlalchemy.dialects.postgresql import insert as pg_insert

from app.audit import chain
from app.audit.models import AuditChainHead, AuditEvent
from app.db.columns import utcnow
from app.db.driver_sql import DriverStatement

_T, _H = AuditEvent.__table__, AuditChainHead.__table__
_FIELDS = ("project_id", "actor_type", "actor_id", "action", "target", "details", "logged_at")
#: resolve: work out the project from the target (the default of record())
RESOLVE = object()


def _sha256(value):
    """PostgreSQL's SHA-256 of a text, as lower-case hex (what chain.link computes)."""
    return func.encode(func.sha256(func.convert_to(value, literal("UTF8"))), literal("hex"))


def _pg_append():
    """One round trip: move the head (creating it for a chain's first entry) and insert the
    event chained onto the head it moved from."""
    body = bindparam("body")
    up = pg_insert(_H).values(chain=bindparam("chain"), length=1, prev_hash=chain.GENESIS,
                              hash=_sha256(literal(chain.GENESIS) + body),
                              updated_at=bindparam("now", type_=_H.c.updated_at.type))
    head = up.on_conflict_do_update(index_elements=["chain"], set_={
        "length": _H.c.length + 1, "prev_hash": _H.c.hash, "hash": _sha256(_H.c.hash + body),
        "updated_at": up.excluded.updated_at,
    }).returning(_H.c.prev_hash, _H.c.hash).cte("head")
    return (insert(_T).from_select(
        [*_FIELDS, "prev_hash", "hash"],
        select(*(bindparam(c, type_=_T.c[c].type) for c in _FIELDS),
               head.c.prev_hash, head.c.hash))
        .add_cte(head).returning(_T.c.hash))


_PG_APPEND = DriverStatement(_pg_append())
_HEAD = DriverStatement(select(_H.c.length, _H.c.hash).where(_H.c.chain == bindparam("chain")))
_INSERT = DriverStatement(insert(_T).values(
    {c: bindparam(c, type_=_T.c[c].type) for c in (*_FIELDS, "prev_hash", "hash")}))
_MOVE_HEAD = DriverStatement(text(
    "INSERT INTO audit_chain_heads (chain, length, prev_hash, hash, updated_at)"
    " VALUES (:chain, 1, :prev_hash, :hash, :now) ON CONFLICT (chain) DO UPDATE SET"
    " length = audit_chain_heads.length + 1, prev_hash = excluded.prev_hash,"
    " hash = excluded.hash, updated_at = excluded.updated_at")
    .bindparams(bindparam("now", type_=_H.c.updated_at.type)))


#: True while Alembic migrates (migrations/env.py): a data migration older than 0033 runs on
#: a schema with no chain yet, so its events are written plain and 0033 chains them in order
MIGRATING = ContextVar("doorstep_audit_migrating", default=False)
_PLAIN = table("audit_events", *(column(c, _T.c[c].type) for c in _FIELDS[1:]))


def chain_key(project_id):
    """The head row's key of a project's chain (0: the system-wide chain)."""
    return project_id or 0


def append(session, row):
    """Write one event (a dict of event_row()'s shape; without project_id, the project is
    found from its target) chained onto its project's chain, in the caller's transaction.
    Returns the entry's hash (None for an event of a schema before the chain)."""
    if MIGRATING.get() and not inspect(session.connection()).has_table(_H.name):
        session.execute(insert(_PLAIN).values({c: row[c] for c in _FIELDS[1:]}))
        return None
    if "project_id" not in row:
        row = {**row, "project_id": project_of(session, row["target"], row["details"])}
    row = {**row, "details": chain.canonical_details(row["details"])}
    body = chain.body(*(row[c] for c in _FIELDS))
    key = chain_key(row["project_id"])
    now = row["logged_at"]
    if session.get_bind().dialect.name == "postgresql":
        return _PG_APPEND.first(session, {**row, "chain": key, "body": body, "now": now}).hash
    head = _HEAD.first(session, {"chain": key})
    prev_hash = head.hash if head is not None else chain.GENESIS
    entry_hash = chain.link(prev_hash, body)
    _INSERT.run(session, {**row, "prev_hash": prev_hash, "hash": entry_hash})
    _MOVE_HEAD.run(session, {"chain": key, "prev_hash": prev_hash, "hash": entry_hash,
                             "now": now})
    return entry_hash


def record(session, actor, action, target="", *, project=RESOLVE, **details):
    """`actor` is an auth Actor (or None for the system); `project` the chain's project when
    the caller knows it (None: the system-wide chain), else it is found from `target`."""
    append(session, event_row(actor, action, target, details, project=project))


def write(session, row):
    """Write an event_row() (for a caller that built it with the other rows of a change)."""
    append(session, row)


def event_row(actor, action, target, details, logged_at=None, project=RESOLVE):
    """The audit_events row record() writes, for a caller that writes it itself. `project`
    as record()'s; left out, append() finds it from the target."""
    row = {"actor_type": actor.kind if actor else "system",
           "actor_id": actor.id if actor else None, "action": action, "target": target,
           "details": details or None, "logged_at": logged_at or utcnow()}
    if project is not RESOLVE:
        row["project_id"] = project
    return row


#: the project of a target "kind:key", by kind (a key the statement cannot match gives None)
_PROJECT_OF = {
    "project": "SELECT id FROM projects WHERE id = :n",
    "form": "SELECT project_id FROM forms WHERE id = :n",
    "draft": "SELECT project_id FROM form_drafts WHERE id = :n",
    "submission": "SELECT f.project_id FROM submissions s JOIN forms f ON f.id = s.form_id"
                  " WHERE s.id = :n",
    "dataset": "SELECT project_id FROM datasets WHERE id = :n",
    "entity": "SELECT d.project_id FROM entities e JOIN datasets d ON d.id = e.dataset_id"
              " WHERE e.uuid = :k",
    "webhook": "SELECT project_id FROM webhook_subscriptions WHERE id = :n",
    "app_user": "SELECT project_id FROM app_users WHERE id = :n",
    "outside_import": "SELECT project_id FROM outside_imports WHERE id = :n",
}
_PROJECT_OF = {kind: text(sql) for kind, sql in _PROJECT_OF.items()}


def project_of(session, target, details=None):
    """The project an event's target belongs to; None (the system-wide chain) for users and
    anything that names no project. A report's target names its month, so its project is the
    details' project_id."""
    kind, _, key = (target or "").partition(":")
    statement = _PROJECT_OF.get(kind)
    if statement is not None:
        n = int(key) if key.isdigit() and len(key) < 10 else None
        if kind == "entity":
            return session.execute(statement, {"k": key}).scalar()
        return None if n is None else session.execute(statement, {"n": n}).scalar()
    found = (details or {}).get("project_id")
    return found if isinstance(found, int) and not isinstance(found, bool) else None
