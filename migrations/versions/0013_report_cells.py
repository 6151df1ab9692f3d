"""Report cells (issue 18): `report_cells` filled from the life events already recorded (after
0012 brought their details up to date), as app.reports.cells keeps them from now on in each
submission's own transaction; `flask register rebuild --check` then finds them equal to what
the events give.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 15:00:00

"""
import logging

from alembic import op
import sqlalchemy as sa

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade():
    from sqlalchemy.orm import Session

    from app.reports import cells
    session = Session(bind=op.get_bind())
    try:
        written = cells.rebuild(session)
        session.flush()
        log.info("%s report cells filled from the life events", written)
    finally:
        session.close()


def downgrade():
    # the table is 0011's; its rows are this revision's
    op.execute(sa.text("DELETE FROM report_cells"))
