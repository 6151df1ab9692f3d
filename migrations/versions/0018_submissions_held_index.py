"""Submissions: a partial index of those held out of the register (not deleted), which a
report counts as waiting for review; the count read every submission of the project (95 ms
of a town report at 1,000,000 people on PostgreSQL), and reads a few index entries now.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 19:20:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

HELD = "NOT in_register AND deleted_at IS NULL"


def upgrade():
    op.create_index("ix_submissions_held", "submissions", ["form_id", "area_id", "review_state"],
                    postgresql_where=sa.text(HELD), sqlite_where=sa.text(HELD))


def downgrade():
    op.drop_index("ix_submissions_held", table_name="submissions")
