"""submission_defs: an index covering what the CSV exports read of each current version
(submission id, current, version, encrypted, deprecated id, device), so a warm export on
SQLite never steps into the version's row, whose XML (several kB, overflow pages) lies
before those columns (docs/exports.md, "Figures").

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-05 21:30:00

"""
from alembic import op

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_submission_defs_export", "submission_defs",
                    ["submission_id", "current", "form_version_id", "encrypted",
                     "deprecated_id", "device_id"])


def downgrade():
    op.drop_index("ix_submission_defs_export", table_name="submission_defs")
