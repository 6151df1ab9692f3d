"""Validation: each form version keeps its form schema, each submission version its issues;
forms say whether submissions with issues still update the register; projects have a time zone.
Existing versions get their schema built on first use; existing submissions are unchecked
until `flask submissions revalidate`.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 09:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade():
    # Plain ADD COLUMN (with constant defaults) on both databases: a batch copy of these
    # tables would fail on SQLite, where other tables' foreign keys point at them.
    op.add_column('form_versions', sa.Column('schema', JSON, nullable=True))
    op.add_column('forms', sa.Column('issues_update_register', sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    op.add_column('projects', sa.Column('time_zone', sa.String(length=64), nullable=False,
                                        server_default='Asia/Shanghai'))
    op.add_column('submission_defs', sa.Column('issues', JSON, nullable=True))


def downgrade():
    with op.batch_alter_table('submission_defs', schema=None) as batch_op:
        batch_op.drop_column('issues')
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_column('time_zone')
    with op.batch_alter_table('forms', schema=None) as batch_op:
        batch_op.drop_column('issues_update_register')
    with op.batch_alter_table('form_versions', schema=None) as batch_op:
        batch_op.drop_column('schema')
