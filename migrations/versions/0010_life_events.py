"""Life events (issue 17): the table `life_events`, and `submissions.in_register` (its current
version's changes were let into the register, so its events count unless it is rejected or
deleted).

An existing database is brought up to date: each submission's `in_register` is worked out
from what it kept (see _in_register), the events of every counted submission are derived
(old form versions included: the derivers read them) through app.events.record.write, the one
way they are written, pregnancies get `reported_on`, `confirmed_on`, `ended_on` and
`outcome`, and people who died their `death_date`, where the old data has them
(`outcome_date`; the events just derived) through an ordinary journaled register update, so
`flask register rebuild --check` still agrees.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 08:00:00

"""
import logging

from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade():
    op.create_table(
        'life_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('submission_id', sa.Integer(), nullable=False),
        sa.Column('submission_def_id', sa.Integer(), nullable=False),
        sa.Column('form_id', sa.String(length=255), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('occurred_on', sa.Date(), nullable=True),
        sa.Column('area_id', sa.Integer(), nullable=True),
        sa.Column('person', sa.String(length=36), nullable=True),
        sa.Column('other_person', sa.String(length=36), nullable=True),
        sa.Column('household', sa.String(length=36), nullable=True),
        sa.Column('pregnancy', sa.String(length=36), nullable=True),
        sa.Column('details', sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql'),
                  nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['area_id'], ['areas.id'],
                                name=op.f('fk_life_events_area_id_areas')),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                                name=op.f('fk_life_events_project_id_projects')),
        sa.ForeignKeyConstraint(['submission_def_id'], ['submission_defs.id'],
                                name=op.f('fk_life_events_submission_def_id_submission_defs')),
        sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'],
                                name=op.f('fk_life_events_submission_id_submissions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_life_events')))
    op.create_index('ix_life_events_project_kind_date', 'life_events',
                    ['project_id', 'kind', 'occurred_on'], unique=False)
    op.create_index('ix_life_events_area_date', 'life_events', ['area_id', 'occurred_on'],
                    unique=False)
    op.create_index('ix_life_events_person', 'life_events', ['person'], unique=False)
    op.create_index('ix_life_events_pregnancy', 'life_events', ['pregnancy'], unique=False)
    op.create_index('ix_life_events_submission', 'life_events', ['submission_id'], unique=False)
    # revision 0017's column: today's app.events.record, which derives the events below,
    # writes it
    op.add_column('life_events', sa.Column('tag', sa.String(length=40), nullable=True))
    # Plain ADD COLUMN: a batch copy would fail on SQLite (other tables point at submissions).
    op.add_column('submissions', sa.Column('in_register', sa.Boolean(), nullable=False,
                                           server_default=sa.false()))
    _bring_up_to_date(op.get_bind())


def downgrade():
    op.drop_column('submissions', 'in_register')
    op.drop_index('ix_life_events_submission', table_name='life_events')
    op.drop_index('ix_life_events_pregnancy', table_name='life_events')
    op.drop_index('ix_life_events_person', table_name='life_events')
    op.drop_index('ix_life_events_area_date', table_name='life_events')
    op.drop_index('ix_life_events_project_kind_date', table_name='life_events')
    op.drop_table('life_events')


def _bring_up_to_date(connection):
    from sqlalchemy.orm import Session

    from app.events import record as life
    from app.register import rebuild
    # history brought up to date is not announced (nor do webhooks' tables exist yet)
    session = Session(bind=connection, info={"webhooks": False})
    try:
        s = sa.table('submissions', sa.column('id', sa.Integer),
                     sa.column('in_register', sa.Boolean))
        admitted = _in_register(connection)
        for chunk in range(0, len(admitted), 500):
            ids = admitted[chunk:chunk + 500]
            connection.execute(s.update().where(s.c.id.in_(ids)).values(in_register=True))
        projects = [r[0] for r in connection.execute(sa.text("SELECT id FROM projects"))]
        for project_id in projects:
            # report_cells comes with 0011, and 0013 fills it from these events
            count = rebuild.derive_life_events(session, project_id, cells=False)
            log.info("project %s: %s life events derived", project_id, count)
            _update_register(session, project_id)
        session.flush()
    finally:
        session.close()


def _in_register(connection):
    """Ids of the submissions whose current version was let into the register: received,
    edited or approved ones; and one marked hasIssues or rejected when the register journal
    holds its merge, or else when nothing in what it kept says it was held (an issue under
    its form's waiting policy, a village outside the sender's, a failure in processing)."""
    import json
    merged = {r[0] for r in connection.execute(sa.text(
        "SELECT DISTINCT submission_def_id FROM register_events"
        " WHERE submission_def_id IS NOT NULL"))}
    failed = {r[0] for r in connection.execute(sa.text(
        "SELECT DISTINCT target FROM audit_events"
        " WHERE action IN ('submission.process.error', 'entity.error')"))}
    rows = connection.execute(sa.text(
        "SELECT s.id, s.review_state, d.id, d.issues, d.encrypted, f.issues_update_register"
        " FROM submissions s JOIN submission_defs d ON d.submission_id = s.id"
        " JOIN forms f ON f.id = s.form_id WHERE d.current = :yes"), {"yes": True}).all()
    admitted = []
    for sid, state, def_id, issues, encrypted, issues_update, in rows:
        if encrypted:
            continue
        if isinstance(issues, str):
            issues = json.loads(issues)
        issues = issues or []
        if state in (None, 'edited', 'approved') or def_id in merged:
            admitted.append(sid)
        elif not (f"submission:{sid}" in failed
                  or any(i.get('code') == 'outside_villages' for i in issues)
                  or issues and not issues_update):
            admitted.append(sid)
    return admitted


#: list -> property -> (the event kind it comes from, the event's column naming the entity,
#: which of its dates: min the first, max the last)
_DATES = {
    "pregnancies": {"reported_on": ("pregnancy_reported", "pregnancy", min),
                    "confirmed_on": ("pregnancy_confirmed", "pregnancy", min),
                    "ended_on": ("pregnancy_ended", "pregnancy", max)},
    "people": {"death_date": ("death", "person", max)},
}
_OLD_OUTCOMES = {"late_termination": "medical_termination"}


def _update_register(session, project_id):
    """Fill the new properties that are still blank, from the old ones and the events (a
    pregnancy's dates and outcome, a person's death date); journaled like an API change, so
    a rebuild replays it."""
    from app.events.models import LifeEvent
    from app.register import entities
    from app.register.models import Dataset, Entity
    for name, properties in _DATES.items():
        dataset = session.scalar(sa.select(Dataset).where(Dataset.project_id == project_id,
                                                          Dataset.name == name))
        if dataset is None:
            continue
        known = {}            # entity uuid -> {property: value}
        kinds = {kind: (prop, column, pick) for prop, (kind, column, pick) in properties.items()}
        for row in session.execute(
                sa.select(LifeEvent.kind, LifeEvent.occurred_on, LifeEvent.details,
                          LifeEvent.person, LifeEvent.pregnancy)
                .where(LifeEvent.project_id == project_id, LifeEvent.kind.in_(list(kinds)))
                .order_by(LifeEvent.submission_id, LifeEvent.position)):
            prop, column, pick = kinds[row.kind]
            uuid = getattr(row, column)
            if uuid is None:
                continue
            found = known.setdefault(uuid, {})
            if row.occurred_on is not None:
                day = row.occurred_on.isoformat()
                found[prop] = pick(found.get(prop, day), day)
            if row.kind == "pregnancy_ended" and (row.details or {}).get("outcome"):
                found["outcome"] = row.details["outcome"]   # the last report of its end
        updated = 0
        for entity in session.scalars(sa.select(Entity).where(
                Entity.dataset_id == dataset.id, Entity.deleted_at.is_(None),
                Entity.purged_at.is_(None)).order_by(Entity.id)).all():
            data = entity.data or {}
            values = dict(known.get(entity.uuid, {}))
            if name == "pregnancies" and data.get("outcome_date"):
                values.setdefault("ended_on", data["outcome_date"][:10])
            changes = {k: v for k, v in values.items() if v and not data.get(k)}
            if name == "pregnancies":
                outcome = changes.get("outcome", data.get("outcome"))
                if outcome in _OLD_OUTCOMES:
                    changes["outcome"] = _OLD_OUTCOMES[outcome]
            if changes:
                entities.update(session, entity, data=changes, dataset=dataset)
                updated += 1
        session.flush()
        log.info("project %s: %s %s brought up to date", project_id, updated, name)
