"""Life events with what the monthly reports count (issue 18): the new kind `registered` (a
person put on the register neither born nor moved in) and new details (who died or moved: sex,
dob, marital_status, contraception; a newborn death's sex; a couple's `woman` and `woman_dob`;
a procedure's `previous_method`).

No table changes: the events of every counted submission of an existing database are derived
again (app.register.rebuild.derive_life_events, through app.events.record.write, the one way
events are written; older form versions included), in place of the ones it holds, so
`flask register rebuild --check` still agrees. Each rewritten event keeps the time its
submission's events were first written (`created_at`: the reports tell late records by it);
an event new to a submission (a `registered`) takes the time its submission version was stored.
`report_cells`, empty since 0011, is left empty: the revision that fills it reads the events
rewritten here.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 14:40:00

"""
import logging

from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

#: submissions whose first-written times are restored per UPDATE statement
CHUNK = 500


def upgrade():
    add_tag_column(op.get_bind())
    rederive(op.get_bind())


def add_tag_column(connection):
    """life_events.tag (revision 0017's): today's app.events.record, which this revision
    derives the events with, writes it."""
    if "tag" not in {c["name"] for c in sa.inspect(connection).get_columns("life_events")}:
        op.add_column("life_events", sa.Column("tag", sa.String(length=40), nullable=True))


def downgrade():
    # The richer events are a superset of what 0011 read: nothing to take back.
    pass


def rederive(connection):
    """Replace every project's life events by those today's derivers give."""
    from sqlalchemy.orm import Session

    from app.register import rebuild
    session = Session(bind=connection)
    try:
        projects = [r[0] for r in connection.execute(sa.text("SELECT id FROM projects"))]
        for project_id in projects:
            first = dict(connection.execute(sa.text(
                "SELECT submission_id, MIN(created_at) FROM life_events"
                " WHERE project_id = :p GROUP BY submission_id"), {"p": project_id}).all())
            connection.execute(sa.text("DELETE FROM life_events WHERE project_id = :p"),
                               {"p": project_id})
            count = rebuild.derive_life_events(session, project_id, cells=False)
            session.flush()
            _restore_times(connection, project_id, first)
            log.info("project %s: %s life events derived again", project_id, count)
        # the next revision fills the report cells from these events, once
        session.flush()
    finally:
        session.close()


def _restore_times(connection, project_id, first):
    """Give each submission's events the time its events were first written (`first`:
    submission id -> that time), or, for a submission that had none, the time its current
    version was stored."""
    connection.execute(sa.text(
        "UPDATE life_events SET created_at = (SELECT d.created_at FROM submission_defs d"
        " WHERE d.id = life_events.submission_def_id) WHERE project_id = :p"), {"p": project_id})
    items = sorted(first.items())
    for start in range(0, len(items), CHUNK):
        connection.execute(sa.text(
            "UPDATE life_events SET created_at = :t WHERE submission_id = :s"),
            [{"s": s, "t": t} for s, t in items[start:start + CHUNK]])
