"""Webhooks: subscriptions (a project's receivers, their events and signing secrets) and the
outbox of deliveries, with the index that finds each subscription's next delivery.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 00:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id"), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("events", sa.String(400), nullable=False),
        sa.Column("secret", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("personal_data", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("description", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_by", sa.Integer),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime),
        sa.UniqueConstraint("project_id", "url"))
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uuid", sa.String(36), nullable=False, unique=True),
        sa.Column("subscription_id", sa.Integer,
                  sa.ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), nullable=False),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("occurred_at", sa.DateTime, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("give_up_at", sa.DateTime, nullable=False),
        sa.Column("lease_until", sa.DateTime),
        sa.Column("lease_token", sa.String(32)),
        sa.Column("last_attempt_at", sa.DateTime),
        sa.Column("last_status", sa.Integer),
        sa.Column("last_error", sa.String(500)),
        sa.Column("delivered_at", sa.DateTime))
    op.create_index("ix_webhook_deliveries_queue", "webhook_deliveries",
                    ["subscription_id", "status", "id"])
    op.create_index("ix_webhook_deliveries_time", "webhook_deliveries",
                    ["status", "occurred_at"])


def downgrade():
    op.drop_index("ix_webhook_deliveries_time", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_queue", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_subscriptions")
