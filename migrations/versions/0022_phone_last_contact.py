"""Phones' last contact: app_users.last_seen_at (written at most once per
actors.LAST_SEEN_EVERY by the token lookup). The index of submissions by village alone goes:
0020's (village, arrival) index serves every query it served, and the console's received
today / this month counts, so intake maintains no more indexes than before.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 17:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("app_users") as batch_op:
        batch_op.add_column(sa.Column("last_seen_at", sa.DateTime(), nullable=True))
    op.drop_index("ix_submissions_area_id", table_name="submissions")


def downgrade():
    op.create_index("ix_submissions_area_id", "submissions", ["area_id"])
    with op.batch_alter_table("app_users") as batch_op:
        batch_op.drop_column("last_seen_at")
