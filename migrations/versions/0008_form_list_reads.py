"""Each form version keeps the columns of each attached CSV its expressions read, so a phone's
entity lists carry only those; existing versions get them computed here from their XForms.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-02 20:10:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade():
    op.add_column('form_versions', sa.Column('list_reads', JSON, nullable=True))
    from app.forms.list_reads import list_reads  # noqa: PLC0415 - the same reading as publish
    versions = sa.table('form_versions', sa.column('id', sa.Integer), sa.column('xml', sa.Text),
                        sa.column('list_reads', JSON))
    connection = op.get_bind()
    ids = [row.id for row in connection.execute(sa.select(versions.c.id))]
    for version_id in ids:       # one at a time: XForms can be large
        xml = connection.scalar(sa.select(versions.c.xml).where(versions.c.id == version_id))
        try:
            reads = list_reads(xml.encode('utf-8'))
        except Exception:  # noqa: BLE001 - unreadable: left NULL, which reads every column
            continue
        connection.execute(versions.update().where(versions.c.id == version_id)
                           .values(list_reads=reads))


def downgrade():
    with op.batch_alter_table('form_versions', schema=None) as batch_op:
        batch_op.drop_column('list_reads')
