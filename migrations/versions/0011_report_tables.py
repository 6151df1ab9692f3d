"""Report tables (issue 18): `report_cells` (monthly summary cells of the life events),
`report_targets` (a year's target per indicator, town or village) and `report_locks` (a
month's report as its meeting closed it). Created empty; filling the cells from existing
events is a later revision's work, after the events themselves are brought up to date.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 14:20:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql')


def upgrade():
    op.create_table(
        'report_cells',
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('area_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('cell', sa.String(length=80), nullable=False),
        sa.Column('n', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                                name=op.f('fk_report_cells_project_id_projects')),
        sa.PrimaryKeyConstraint('project_id', 'area_id', 'month', 'cell',
                                name=op.f('pk_report_cells')))
    op.create_table(
        'report_targets',
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('indicator', sa.String(length=60), nullable=False),
        sa.Column('area_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('value', sa.Float(), nullable=False),
        sa.Column('set_by', sa.String(length=40), nullable=False),
        sa.Column('set_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                                name=op.f('fk_report_targets_project_id_projects')),
        sa.PrimaryKeyConstraint('project_id', 'year', 'indicator', 'area_id',
                                name=op.f('pk_report_targets')))
    op.create_table(
        'report_locks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('area_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('locked_at', sa.DateTime(), nullable=False),
        sa.Column('locked_by', sa.String(length=40), nullable=False),
        sa.Column('document', JSON, nullable=False),
        sa.Column('event_ids', JSON, nullable=False),
        sa.Column('unlocked_at', sa.DateTime(), nullable=True),
        sa.Column('unlocked_by', sa.String(length=40), nullable=True),
        sa.Column('unlock_reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                                name=op.f('fk_report_locks_project_id_projects')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_report_locks')))
    op.create_index('ix_report_locks_month', 'report_locks', ['project_id', 'month', 'area_id'],
                    unique=False)


def downgrade():
    op.drop_index('ix_report_locks_month', table_name='report_locks')
    op.drop_table('report_locks')
    op.drop_table('report_targets')
    op.drop_table('report_cells')
