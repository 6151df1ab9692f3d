"""Report cells: on SQLite, an index holding every column of report_cells in the order (project,
area, cell, month, n), so the town report's sum of each village's stock history (every month
before January of last year, most rows of the table) is read from the index in group order
instead of looking each row up and sorting (206 → 31 ms at 100,000 people). Not on PostgreSQL:
there the planner keeps a parallel scan with a hash of the groups, which measured faster than
this index at 1,000,000 people (docs/reports/h-perf.md).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 16:00:00

"""
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

NAME = "ix_report_cells_area_cell"


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.create_index(NAME, "report_cells", ["project_id", "area_id", "cell", "month", "n"])


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index(NAME, table_name="report_cells")
