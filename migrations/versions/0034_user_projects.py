"""Many towns on one server (issue 24 part 3): user_projects, the towns a non-admin web user
works in, and web_sessions.project_id, the town her console shows (docs/towns.md). Every
existing supervisor and viewer becomes a member of project 1, the one town they saw before,
so nothing changes for them; an admin has no rows and stays server-wide.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-06 00:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_projects",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id", ondelete="CASCADE"),
                  primary_key=True),
    )
    op.execute("INSERT INTO user_projects (user_id, project_id) SELECT users.id, projects.id"
               " FROM users JOIN projects ON projects.id = 1 WHERE users.role <> 'admin'")
    with op.batch_alter_table("web_sessions") as batch:
        batch.add_column(sa.Column("project_id", sa.Integer, sa.ForeignKey(
            "projects.id", name="fk_web_sessions_project_id", ondelete="SET NULL")))


def downgrade():
    with op.batch_alter_table("web_sessions") as batch:
        batch.drop_constraint("fk_web_sessions_project_id", type_="foreignkey")
        batch.drop_column("project_id")
    op.drop_table("user_projects")
