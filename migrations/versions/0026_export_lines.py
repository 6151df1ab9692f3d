"""export_lines: each submission version's flattened CSV text for the default CSV exports
(a derived cache, app/exports/lines.py).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05 01:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "export_lines",
        sa.Column("def_id", sa.Integer,
                  sa.ForeignKey("submission_defs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("signature", sa.String(64), nullable=False),
        sa.Column("root", sa.Text, nullable=False),
        sa.Column("repeats", sa.Text, nullable=False))


def downgrade():
    op.drop_table("export_lines")
