"""Report stock bases: each village's stocks summed up to a cut month (app.reports.bases), so
a report reads a few dozen rows per village instead of its whole stock history. Every existing
project gets the default cut (December three years before the upgrade's year) and its bases
summed from its report cells.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 18:30:00

"""
import logging

from alembic import op
import sqlalchemy as sa

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade():
    op.create_table(
        "report_stock_cuts",
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id"), primary_key=True),
        sa.Column("cut", sa.String(length=7), nullable=False),
    )
    op.create_table(
        "report_stock_bases",
        sa.Column("project_id", sa.Integer(), sa.ForeignKey("projects.id"), primary_key=True),
        sa.Column("area_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("cell", sa.String(length=80), primary_key=True),
        sa.Column("n", sa.BigInteger(), nullable=False),
    )
    from sqlalchemy.orm import Session

    from app.reports import bases
    session = Session(bind=op.get_bind())
    try:
        for (project_id,) in session.execute(sa.text("SELECT id FROM projects")).all():
            written = bases.move(session, project_id, bases.default_cut())
            log.info("project %s: %s report stock bases to %s", project_id, written,
                     bases.default_cut())
        session.flush()
    finally:
        session.close()


def downgrade():
    op.drop_table("report_stock_bases")
    op.drop_table("report_stock_cuts")
