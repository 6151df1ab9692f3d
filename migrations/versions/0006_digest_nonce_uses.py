"""Digest requests remember each (nonce, nc) they were accepted with, so a captured
Authorization header cannot be sent again while its nonce is fresh.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 19:55:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'digest_nonce_uses',
        sa.Column('nonce', sa.String(length=100), nullable=False),
        sa.Column('nc', sa.String(length=16), nullable=False),
        sa.Column('used_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('nonce', 'nc', name=op.f('pk_digest_nonce_uses')))
    op.create_index(op.f('ix_digest_nonce_uses_used_at'), 'digest_nonce_uses', ['used_at'],
                    unique=False)


def downgrade():
    op.drop_index(op.f('ix_digest_nonce_uses_used_at'), table_name='digest_nonce_uses')
    op.drop_table('digest_nonce_uses')
