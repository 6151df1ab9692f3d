"""dataset_properties.published_at: when a property joined its list (Central's publishedAt
on a list's properties, which pyodk's model of a list requires). Existing properties take
their list's creation time.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05 21:30:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("dataset_properties") as batch:
        batch.add_column(sa.Column("published_at", sa.DateTime))
    op.execute("UPDATE dataset_properties SET published_at = (SELECT created_at FROM datasets "
               "WHERE datasets.id = dataset_properties.dataset_id)")


def downgrade():
    with op.batch_alter_table("dataset_properties") as batch:
        batch.drop_column("published_at")
