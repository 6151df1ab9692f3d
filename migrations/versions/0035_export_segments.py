"""Kept export segments (issue 21): `export_segments`, a run of a form's submissions
exported once as Central's default CSV tables, stored deflated, and
`submissions.export_version`, counted up by every change to a submission, so an export can
tell whether a segment still holds exactly the rows it was made from (app/exports/segments.py,
docs/exports.md "Kept segments"). The index on a form's live submissions by arrival time
gains the id and that counter, so the check reads the index alone.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-06 11:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None

LIVE = "deleted_at IS NULL"


def upgrade():
    op.add_column("submissions", sa.Column("export_version", sa.Integer, nullable=False,
                                           server_default="0"))
    op.drop_index("ix_submissions_form_time", table_name="submissions")
    op.create_index("ix_submissions_form_time", "submissions",
                    ["form_id", "created_at", "id", "export_version"],
                    postgresql_where=sa.text(LIVE), sqlite_where=sa.text(LIVE))
    op.create_table(
        "export_segments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("form_id", sa.Integer, sa.ForeignKey("forms.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("signature", sa.String(64), nullable=False),
        sa.Column("newest_at", sa.DateTime, nullable=False),
        sa.Column("newest_id", sa.Integer, nullable=False),
        sa.Column("oldest_at", sa.DateTime, nullable=False),
        sa.Column("oldest_id", sa.Integer, nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("id_sum", sa.BigInteger, nullable=False),
        sa.Column("version_sum", sa.BigInteger, nullable=False),
        sa.Column("square_sum", sa.BigInteger, nullable=False),
        sa.Column("context", sa.Text, nullable=False),
        sa.Column("root", sa.LargeBinary, nullable=False),
        sa.Column("root_size", sa.BigInteger, nullable=False),
        sa.Column("root_crc", sa.BigInteger, nullable=False),
        sa.Column("repeats", sa.LargeBinary, nullable=False),
        sa.Column("repeats_index", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        # never reuse an id on SQLite: an export checks a segment by id, then reads it
        sqlite_autoincrement=True,
    )
    op.create_index("ix_export_segments_form", "export_segments",
                    ["form_id", "signature", "newest_at", "newest_id"])


def downgrade():
    op.drop_index("ix_export_segments_form", table_name="export_segments")
    op.drop_table("export_segments")
    op.drop_index("ix_submissions_form_time", table_name="submissions")
    op.create_index("ix_submissions_form_time", "submissions", ["form_id", "created_at"],
                    postgresql_where=sa.text(LIVE), sqlite_where=sa.text(LIVE))
    if op.get_bind().dialect.name == "sqlite":
        # not a batch (a copy of the table): with foreign keys on, dropping the old table
        # fails while submission_defs refer to it; SQLite 3.35 drops a column in place
        op.execute("ALTER TABLE submissions DROP COLUMN export_version")
    else:
        op.drop_column("submissions", "export_version")
