"""Merging duplicates (issue 23): entities.merged_into_id, and entity_merges, one row per merge
of a duplicate into the entity kept, with what it changed so that an unmerge puts it back.

Revision ID: 0031
Revises: 0029
Create Date: 2026-12-06 00:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN: a batch copy would fail on SQLite (other tables point at entities),
    # whose ALTER takes the reference only inline
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE entities ADD COLUMN merged_into_id INTEGER "
                   "REFERENCES entities (id)")
    else:
        op.add_column("entities", sa.Column("merged_into_id", sa.Integer, nullable=True))
        op.create_foreign_key("entities_merged_into_id_fkey", "entities", "entities",
                              ["merged_into_id"], ["id"])
    op.create_index("ix_entities_merged_into_id", "entities", ["merged_into_id"])
    op.create_table(
        "entity_merges",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("dataset_id", sa.Integer, sa.ForeignKey("datasets.id"), nullable=False),
        sa.Column("kept_id", sa.Integer, sa.ForeignKey("entities.id"), nullable=False),
        sa.Column("merged_id", sa.Integer, sa.ForeignKey("entities.id"), nullable=False),
        sa.Column("kept_version_before", sa.Integer, nullable=False),
        sa.Column("kept_version_after", sa.Integer, nullable=False),
        sa.Column("merged_version", sa.Integer, nullable=False),
        sa.Column("picks", JSON, nullable=False),
        sa.Column("references", JSON, nullable=False),
        sa.Column("actor_kind", sa.String(20)),
        sa.Column("actor_id", sa.Integer),
        sa.Column("merged_at", sa.DateTime, nullable=False),
        sa.Column("unmerged_at", sa.DateTime),
    )
    op.create_index("ix_entity_merges_kept", "entity_merges", ["kept_id"])
    op.create_index("ix_entity_merges_merged", "entity_merges", ["merged_id"])


def downgrade():
    op.drop_index("ix_entity_merges_merged", "entity_merges")
    op.drop_index("ix_entity_merges_kept", "entity_merges")
    op.drop_table("entity_merges")
    op.drop_index("ix_entities_merged_into_id", "entities")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops the column in place; a batch copy would drop the table that other
        # tables' rows point at, which its foreign keys refuse
        op.execute("ALTER TABLE entities DROP COLUMN merged_into_id")
    else:
        op.drop_constraint("entities_merged_into_id_fkey", "entities", type_="foreignkey")
        op.drop_column("entities", "merged_into_id")
