"""Life events: a `tag` column holding the detail the reports tell events of a kind apart by
(a three-checks round, a benefit, a certificate, a double check's direction:
app.events.record.TAGS), filled for the events already recorded, and the index by kind and
date made to hold it with the village and the people, so the reports' distinct counts (women
checked this round, beneficiaries paid) read the index alone instead of every row's details
(docs/reports/bench.md); and an index by household, which app.reports.firsts looks a
household's payments up by at intake; and the distinct cells it keeps (women first checked
in a round, beneficiaries first paid in a year) summed from the events already recorded.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 19:10:00

"""
import json

from alembic import op
import sqlalchemy as sa

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade():
    connection = op.get_bind()
    # revision 0012 adds the column on databases it derives events for
    if "tag" not in {c["name"] for c in sa.inspect(connection).get_columns("life_events")}:
        op.add_column("life_events", sa.Column("tag", sa.String(length=40), nullable=True))
    from app.events.record import TAGS, tag_of
    kinds = sorted(TAGS)
    last = 0
    while True:
        rows = connection.execute(sa.text(
            "SELECT id, kind, details FROM life_events WHERE id > :last AND kind IN :kinds"
            " ORDER BY id LIMIT :n").bindparams(sa.bindparam("kinds", expanding=True)),
            {"last": last, "kinds": kinds, "n": BATCH}).all()
        if not rows:
            break
        last = rows[-1][0]
        updates = []
        for id, kind, details in rows:
            if isinstance(details, (str, bytes)):
                details = json.loads(details)
            updates.append({"i": id, "t": tag_of(kind, details or {})})
        connection.execute(sa.text("UPDATE life_events SET tag = :t WHERE id = :i"), updates)
    op.drop_index("ix_life_events_project_kind_date", table_name="life_events")
    op.create_index("ix_life_events_kind_date", "life_events",
                    ["project_id", "kind", "occurred_on", "tag", "area_id", "person",
                     "household"])
    op.create_index("ix_life_events_household", "life_events", ["household"])
    _distinct_cells(connection)


def _distinct_cells(connection):
    """The report cells of app.reports.firsts, from the events already recorded (in place of
    any: revision 0013, run again after a downgrade, fills them with the rest)."""
    from sqlalchemy.orm import Session

    from app.reports import cells, firsts
    _drop_distinct_cells(connection)
    session = Session(bind=connection)
    try:
        rows = [r._mapping for r in connection.execute(sa.text(
            "SELECT project_id, submission_id, position, kind, occurred_on, area_id, person,"
            " household, details FROM life_events WHERE kind IN :kinds")
            .bindparams(sa.bindparam("kinds", expanding=True)), {"kinds": list(firsts.KINDS)})]
        found = firsts.totals(rows)
        if found:
            cells._upsert(session, found)
        session.flush()
    finally:
        session.close()


def _drop_distinct_cells(connection):
    connection.execute(sa.text("DELETE FROM report_cells WHERE cell LIKE 'three_checks_women:%'"
                               " OR cell LIKE 'reward_payees:%'"))


def downgrade():
    _drop_distinct_cells(op.get_bind())
    op.drop_index("ix_life_events_household", table_name="life_events")
    op.drop_index("ix_life_events_kind_date", table_name="life_events")
    op.create_index("ix_life_events_project_kind_date", "life_events",
                    ["project_id", "kind", "occurred_on"])
    op.drop_column("life_events", "tag")
