"""Entities keep their resident ID number in an indexed column, so the duplicate check on each
create is a lookup instead of a scan of every row's JSON (quadratic as the register grows).
Existing entities get theirs from their `id_number` property.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 10:30:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN: a batch copy would fail on SQLite (other tables point at entities).
    op.add_column('entities', sa.Column('id_number', sa.String(length=32), nullable=True))
    op.create_index('ix_entities_dataset_id_number', 'entities', ['dataset_id', 'id_number'],
                    unique=False)
    entities = sa.table('entities', sa.column('id', sa.Integer), sa.column('data', sa.JSON),
                        sa.column('id_number', sa.String))
    connection = op.get_bind()
    rows = connection.execute(sa.select(entities.c.id, entities.c.data)).all()
    for entity_id, data in rows:
        if isinstance(data, str):
            import json
            data = json.loads(data)
        value = ((data or {}).get('id_number') or '').strip().upper()
        if value:
            connection.execute(entities.update().where(entities.c.id == entity_id)
                               .values(id_number=value[:32]))


def downgrade():
    op.drop_index('ix_entities_dataset_id_number', table_name='entities')
    op.drop_column('entities', 'id_number')
