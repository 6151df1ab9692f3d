"""Web console sessions: a browser's cookie token (hashed), its user, when it was last used
(idle expiry) and when it ends however busy (absolute expiry).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 17:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("seen_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False))
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])


def downgrade():
    op.drop_index("ix_web_sessions_user_id", table_name="web_sessions")
    op.drop_table("web_sessions")
