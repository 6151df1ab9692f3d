"""Report cells: an index in the order (project, month, area, cell, n), so a report's months
(January of last year to its month) are read from the index alone, whatever the villages:
the town report's per-village windows and its month-by-month series of a 1,000,000-person
register on PostgreSQL went from 620 and 213 ms to 278 and 103 ms (docs/reports/bench.md).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 19:00:00

"""
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_report_cells_month", "report_cells",
                    ["project_id", "month", "area_id", "cell", "n"])


def downgrade():
    op.drop_index("ix_report_cells_month", table_name="report_cells")
