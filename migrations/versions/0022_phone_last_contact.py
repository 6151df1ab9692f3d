"""Phones' last contact and the console's Today counts: app_users.last_seen_at (written at
most once per app_users.LAST_SEEN_EVERY by the token lookup); submissions indexed by village
and arrival (replacing the index on the village alone, which the new one serves as well, so
intake maintains no more indexes than before) for the received-today and this-month counts;
a partial index of the entities in conflict by village (a few rows: written only when an
entity is in conflict).

Revision ID: 0022
Revises: 0019 (0021 once the console branches are merged)
Create Date: 2026-12-04 17:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0022'
down_revision = '0019'
branch_labels = None
depends_on = None

IN_CONFLICT = "conflict IS NOT NULL AND deleted_at IS NULL"


def upgrade():
    with op.batch_alter_table("app_users") as batch_op:
        batch_op.add_column(sa.Column("last_seen_at", sa.DateTime(), nullable=True))
    op.create_index("ix_submissions_area_created", "submissions", ["area_id", "created_at"])
    op.drop_index("ix_submissions_area_id", table_name="submissions")
    op.create_index("ix_entities_conflict", "entities", ["area_id"],
                    postgresql_where=sa.text(IN_CONFLICT), sqlite_where=sa.text(IN_CONFLICT))


def downgrade():
    op.drop_index("ix_entities_conflict", table_name="entities")
    op.create_index("ix_submissions_area_id", "submissions", ["area_id"])
    op.drop_index("ix_submissions_area_created", table_name="submissions")
    with op.batch_alter_table("app_users") as batch_op:
        batch_op.drop_column("last_seen_at")
