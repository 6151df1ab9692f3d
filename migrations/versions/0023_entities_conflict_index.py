"""Entities: a partial index of those flagged with a conflict, which the console's conflicts
queue lists across lists; without it the queue read every entity of the project (0.5 s at
100,000 people on SQLite), and reads a few index entries now.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 17:10:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

FLAGGED = "conflict IS NOT NULL"


def upgrade():
    op.create_index("ix_entities_conflict", "entities", ["conflict", "area_id"],
                    postgresql_where=sa.text(FLAGGED), sqlite_where=sa.text(FLAGGED))


def downgrade():
    op.drop_index("ix_entities_conflict", table_name="entities")
