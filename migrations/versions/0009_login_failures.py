"""Failed log-ins (wrong password or Digest answer) are written down, per user name and
address, so that every worker and host refuses guessing together (app/auth/throttle.py).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 20:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'login_failures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=120), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('failed_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failures')))
    op.create_index(op.f('ix_login_failures_failed_at'), 'login_failures', ['failed_at'],
                    unique=False)
    op.create_index('ix_login_failures_username_failed_at', 'login_failures',
                    ['username', 'failed_at'], unique=False)
    op.create_index('ix_login_failures_address_failed_at', 'login_failures',
                    ['address', 'failed_at'], unique=False)


def downgrade():
    op.drop_index('ix_login_failures_address_failed_at', table_name='login_failures')
    op.drop_index('ix_login_failures_username_failed_at', table_name='login_failures')
    op.drop_index(op.f('ix_login_failures_failed_at'), table_name='login_failures')
    op.drop_table('login_failures')
