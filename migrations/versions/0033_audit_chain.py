"""A tamper-evident audit log (issue 24 part 5): each audit event names its project and
carries the hash of the entry before it in that project's chain; audit_chain_heads keeps each
chain's last hash and length. Existing entries are chained here, in id order.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06 00:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql')
#: the console's one project (app.web.blueprint.PROJECT_ID): its pages' targets name no kind
CONSOLE_PROJECT = 1
#: the project of a target "kind:key": (kind, SQL giving key -> project rows)
OWNERS = {
    "project": "SELECT id, id FROM projects",
    "form": "SELECT id, project_id FROM forms",
    "draft": "SELECT id, project_id FROM form_drafts",
    "submission": "SELECT s.id, f.project_id FROM submissions s JOIN forms f ON f.id = s.form_id",
    "dataset": "SELECT id, project_id FROM datasets",
    "entity": "SELECT e.uuid, d.project_id FROM entities e JOIN datasets d"
              " ON d.id = e.dataset_id",
    "webhook": "SELECT id, project_id FROM webhook_subscriptions",
    "app_user": "SELECT id, project_id FROM app_users",
    "outside_import": "SELECT id, project_id FROM outside_imports",
}
BATCH = 2000


def upgrade():
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("project_id", sa.Integer))
        batch.add_column(sa.Column("prev_hash", sa.String(64)))
        batch.add_column(sa.Column("hash", sa.String(64)))
    op.create_index("ix_audit_events_chain", "audit_events", ["project_id", "id"])
    op.create_table(
        "audit_chain_heads",
        sa.Column("chain", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("length", sa.BigInteger, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    _chain_existing(op.get_bind())


def _project(owners, projects, target, details):
    """As app.audit.record.project_of, from maps loaded once."""
    kind, found, key = (target or "").partition(":")
    if not found:
        return CONSOLE_PROJECT if CONSOLE_PROJECT in projects else None
    if kind in owners:
        return owners[kind].get(key)
    value = (details or {}).get("project_id") if isinstance(details, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _chain_existing(connection):
    # the hash rules as of this revision (docs/audit.md); imported, not copied, so the
    # migration and the server cannot disagree
    from app.audit import chain
    owners = {kind: {str(k): p for k, p in connection.execute(sa.text(sql))}
              for kind, sql in OWNERS.items()}
    projects = set(owners["project"].values())
    events = sa.table("audit_events", sa.column("id", sa.Integer),
                      sa.column("actor_type", sa.String), sa.column("actor_id", sa.Integer),
                      sa.column("action", sa.String), sa.column("target", sa.String),
                      sa.column("details", JSON), sa.column("logged_at", sa.DateTime),
                      sa.column("project_id", sa.Integer), sa.column("prev_hash", sa.String),
                      sa.column("hash", sa.String))
    heads = {}                          # chain -> [length, prev_hash, hash, logged_at]
    pending = []
    update = (events.update().where(events.c.id == sa.bindparam("b_id"))
              .values(project_id=sa.bindparam("b_project"),
                      prev_hash=sa.bindparam("b_prev"), hash=sa.bindparam("b_hash")))
    last = 0
    while True:
        rows = connection.execute(
            sa.select(events.c.id, events.c.actor_type, events.c.actor_id, events.c.action,
                      events.c.target, events.c.details, events.c.logged_at)
            .where(events.c.id > last).order_by(events.c.id).limit(BATCH)).all()
        if not rows:
            break
        for r in rows:
            project = _project(owners, projects, r.target, r.details)
            head = heads.setdefault(project or 0, [0, chain.GENESIS, chain.GENESIS, None])
            body = chain.body(project, r.actor_type, r.actor_id, r.action, r.target,
                              r.details, r.logged_at)
            entry = chain.link(head[2], body)
            pending.append({"b_id": r.id, "b_project": project, "b_prev": head[2],
                            "b_hash": entry})
            head[:] = [head[0] + 1, head[2], entry, r.logged_at]
        connection.execute(update, pending)
        pending = []
        last = rows[-1].id
    if heads:
        connection.execute(
            sa.text("INSERT INTO audit_chain_heads (chain, length, prev_hash, hash, updated_at)"
                    " VALUES (:c, :n, :p, :h, :t)").bindparams(
                sa.bindparam("t", type_=sa.DateTime)),
            [{"c": c, "n": n, "p": p, "h": h, "t": t} for c, (n, p, h, t) in heads.items()])


def downgrade():
    op.drop_table("audit_chain_heads")
    op.drop_index("ix_audit_events_chain", "audit_events")
    if op.get_bind().dialect.name == "sqlite":
        # in place, as 0031 does: no batch copy of a table
        for column in ("hash", "prev_hash", "project_id"):
            op.execute(f"ALTER TABLE audit_events DROP COLUMN {column}")
    else:
        for column in ("hash", "prev_hash", "project_id"):
            op.drop_column("audit_events", column)
