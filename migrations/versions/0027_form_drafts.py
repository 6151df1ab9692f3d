"""form_drafts, form_draft_attachments, form_draft_submissions: Central's form drafts and
draft testing, in tables of their own (app/forms/draft_models.py).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05 21:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "form_drafts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("xml_form_id", sa.String(255), nullable=False),
        sa.Column("version", sa.String(255), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("xml", sa.Text, nullable=False),
        sa.Column("md5", sa.String(32), nullable=False),
        sa.Column("source_sha256", sa.String(64), sa.ForeignKey("blobs.sha256"), nullable=False),
        sa.Column("source_name", sa.String(255), nullable=False),
        sa.Column("token", sa.String(64), nullable=False, unique=True),
        sa.Column("warnings", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime),
        sa.UniqueConstraint("project_id", "xml_form_id"))
    op.create_table(
        "form_draft_attachments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("draft_id", sa.Integer, sa.ForeignKey("form_drafts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("blob_sha256", sa.String(64), sa.ForeignKey("blobs.sha256")),
        sa.Column("updated_at", sa.DateTime),
        sa.UniqueConstraint("draft_id", "name"))
    op.create_table(
        "form_draft_submissions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("draft_id", sa.Integer, sa.ForeignKey("form_drafts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("instance_id", sa.String(255), nullable=False),
        sa.Column("xml", sa.Text, nullable=False),
        sa.Column("attachments", JSON, nullable=False),
        sa.Column("submitter_id", sa.Integer),
        sa.Column("device_id", sa.String(255)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("draft_id", "instance_id"))


def downgrade():
    op.drop_table("form_draft_submissions")
    op.drop_table("form_draft_attachments")
    op.drop_table("form_drafts")
