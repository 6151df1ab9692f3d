"""Outside lists (issue 23): imported hospital-birth and household-registry files, their
records (one per key), which file carried which record, and the reconciliation's results.

Revision ID: 0032
Revises: 0029
Create Date: 2026-12-06 00:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0032'
down_revision = '0029'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql')


def upgrade():
    op.create_table(
        "outside_imports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(400), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("rows_read", sa.Integer, nullable=False),
        sa.Column("rows_kept", sa.Integer, nullable=False),
        sa.Column("rows_skipped", sa.Integer, nullable=False),
        sa.Column("rejected", JSON, nullable=False),
        sa.Column("rows_rejected", sa.Integer, nullable=False),
        sa.Column("area_ids", JSON, nullable=False),
        sa.Column("first_date", sa.Date),
        sa.Column("last_date", sa.Date),
        sa.Column("actor_type", sa.String(20), nullable=False),
        sa.Column("actor_id", sa.Integer),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("reconciled_at", sa.DateTime),
        sa.UniqueConstraint("project_id", "kind", "sha256", "scope"))
    op.create_table(
        "outside_records",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("area_id", sa.Integer, sa.ForeignKey("areas.id"), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime),
        sa.UniqueConstraint("project_id", "kind", "key"))
    op.create_table(
        "outside_import_rows",
        sa.Column("import_id", sa.Integer,
                  sa.ForeignKey("outside_imports.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("record_id", sa.Integer, sa.ForeignKey("outside_records.id"),
                  primary_key=True),
        sa.Column("row_no", sa.Integer, nullable=False))
    op.create_table(
        "outside_results",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("import_id", sa.Integer,
                  sa.ForeignKey("outside_imports.id", ondelete="CASCADE"), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("record_id", sa.Integer, sa.ForeignKey("outside_records.id")),
        sa.Column("register_uuid", sa.String(36)),
        sa.Column("area_id", sa.Integer, sa.ForeignKey("areas.id")),
        sa.Column("occurred_on", sa.Date),
        sa.Column("exact", sa.Boolean),
        sa.Column("score", sa.Float),
        sa.Column("band", sa.String(10)),
        sa.Column("evidence", JSON, nullable=False),
        sa.Column("register", JSON, nullable=False))
    op.create_index("ix_outside_results_list", "outside_results",
                    ["import_id", "status", "area_id", "id"])


def downgrade():
    op.drop_index("ix_outside_results_list", table_name="outside_results")
    for table in ("outside_results", "outside_import_rows", "outside_records",
                  "outside_imports"):
        op.drop_table(table)
