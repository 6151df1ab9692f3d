"""Review comments on submissions (append-only), the review queue's indexes (newest first,
all, one village's or one state's). A submission's feed reads its audit rows by target with
0024's index.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 17:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "submission_comments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"), nullable=False),
        sa.Column("actor_kind", sa.String(20), nullable=False),
        sa.Column("actor_id", sa.Integer),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False))
    op.create_index("ix_submission_comments_submission", "submission_comments",
                    ["submission_id", "id"])
    op.create_index("ix_submissions_received", "submissions", ["created_at", "id"])
    op.create_index("ix_submissions_area_received", "submissions",
                    ["area_id", "created_at", "id"])
    op.create_index("ix_submissions_state_received", "submissions",
                    ["review_state", "created_at", "id"])


def downgrade():
    op.drop_index("ix_submissions_state_received", table_name="submissions")
    op.drop_index("ix_submissions_area_received", table_name="submissions")
    op.drop_index("ix_submissions_received", table_name="submissions")
    op.drop_index("ix_submission_comments_submission", table_name="submission_comments")
    op.drop_table("submission_comments")
