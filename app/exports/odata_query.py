"""The database side of the OData feeds, without Flask: which submissions and entities a
feed reads (a form's or a list's, within the reader's villages, through the $filter), how many,
where a $skiptoken resumes, and the rows themselves read in batches on a connection of the
feed's own, so a page of any size streams with flat memory and no request session stays open.

Order is Central's: newest first (createdAt DESC, id DESC) unless $orderby says otherwise,
then id as the stable key.
"""
from dataclasses import dataclass

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from app.auth.models import AppUser, User
from app.db.transactions import READ_ONLY
from app.exports import filters
from app.exports.odata import SubmissionFacts
from app.forms.models import FormVersion
from app.problems import Problem
from app.register.models import Entity, EntityVersion
from app.submissions.models import Submission, SubmissionAttachment, SubmissionDef

BATCH = 500


def _name_of(kind_column, id_column):
    """The display name of an actor given as (kind, id): an app user's name or a user's."""
    return case(
        (kind_column == "app_user", select(AppUser.display_name)
         .where(AppUser.id == id_column).scalar_subquery()),
        (kind_column == "user", select(User.username).where(User.id == id_column)
         .scalar_subquery()),
        else_=None)


# Submissions -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SubmissionScope:
    """Which submissions a feed reads: a form's, within villages (None: all), filtered."""
    form_id: int
    area_ids: frozenset | None
    filter: object = None               # filters.parse() result or None

    def condition(self):
        parts = [Submission.form_id == self.form_id,
                 filters.where(self.filter, filters.submission_columns())]
        if self.area_ids is not None:
            parts.append(Submission.area_id.in_(self.area_ids))
        return and_(*parts)


def submissions_query(scope, orderby=None, after=None, skip=0, top=None):
    """SELECT of what a root row needs, in the feed's order; `after`: the cursor row
    (created_at, id) a $skiptoken names, for the default order."""
    current = SubmissionDef
    others = SubmissionDef.__table__.alias("all_defs")
    attachments = SubmissionAttachment.__table__
    present = (select(func.count(attachments.c.blob_sha256))
               .where(attachments.c.def_id == current.id).scalar_subquery())
    expected = (select(func.count()).select_from(attachments)
                .where(attachments.c.def_id == current.id).scalar_subquery())
    edits = (select(func.count()).select_from(others)
             .where(others.c.submission_id == Submission.id).scalar_subquery())
    query = (select(Submission.id, Submission.instance_id, Submission.created_at,
                    Submission.updated_at, Submission.deleted_at, Submission.submitter_id,
                    _name_of(Submission.submitter_kind, Submission.submitter_id)
                    .label("submitter_name"),
                    present.label("present"), expected.label("expected"),
                    Submission.review_state, Submission.device_id, edits.label("defs"),
                    FormVersion.version.label("form_version"), current.encrypted,
                    current.xml)
             .join(current, and_(current.submission_id == Submission.id,
                                 current.current.is_(True)))
             .join(FormVersion, FormVersion.id == current.form_version_id)
             .where(scope.condition()))
    if orderby:
        query = query.order_by(*filters.order_by(orderby, filters.submission_columns(False),
                                                 Submission.id))
    else:
        query = query.order_by(Submission.created_at.desc(), Submission.id.desc())
    if after is not None:
        query = query.where(_after(after))
    if skip:
        query = query.offset(skip)
    if top is not None:
        query = query.limit(top)
    return query


def _after(cursor):
    return filters.older_than(Submission.created_at, Submission.id, cursor)


def count_submissions(session, scope, after=None):
    query = select(func.count()).select_from(Submission).where(scope.condition())
    if after is not None:
        query = query.where(_after(after))
    return session.scalar(query)


def submission_cursor(session, form_id, instance_id, area_ids=None):
    """(created_at, id) of the submission a $skiptoken names (deleted ones too, as Central),
    within the reader's villages: a token naming another village's submission is one this
    server never gave her, and answering it otherwise would tell her that submission exists."""
    query = select(Submission.created_at, Submission.id).where(
        Submission.form_id == form_id, Submission.instance_id == instance_id)
    if area_ids is not None:
        query = query.where(Submission.area_id.in_(area_ids))
    row = session.execute(query).first()
    if row is None:
        raise Problem("400.197")
    return tuple(row)


def facts(row):
    return SubmissionFacts(
        instance_id=row.instance_id, created_at=row.created_at, updated_at=row.updated_at,
        deleted_at=row.deleted_at, submitter_id=row.submitter_id,
        submitter_name=row.submitter_name, attachments_present=row.present,
        attachments_expected=row.expected, review_state=row.review_state,
        device_id=row.device_id, edits=max(0, (row.defs or 1) - 1),
        form_version=row.form_version, encrypted=bool(row.encrypted),
        has_data=bool(row.xml))


def stream(engine, query, batch=BATCH):
    """The query's rows, read in batches on a read-only connection of its own (no write lock
    on SQLite, a server-side cursor on PostgreSQL), closed when the iteration ends or the
    client goes away (the generator is closed)."""
    with engine.connect() as connection:
        connection = connection.execution_options(**READ_ONLY)
        result = connection.execution_options(yield_per=batch).execute(query)
        try:
            yield from result
        finally:
            result.close()
            connection.rollback()


# Entities --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EntityScope:
    dataset_id: int
    area_ids: frozenset | None
    filter: object = None

    def condition(self):
        parts = [Entity.dataset_id == self.dataset_id, Entity.purged_at.is_(None),
                 filters.where(self.filter, filters.entity_columns())]
        if self.area_ids is not None:
            parts.append(Entity.area_id.in_(self.area_ids))
        return and_(*parts)


def entities_query(scope, orderby=None, after=None, skip=0, top=None):
    first = EntityVersion.__table__.alias("first_version")
    # correlated to the entity however deep they are nested (inside the name's subquery too)
    creator = (select(first.c.actor_id).where(first.c.entity_id == Entity.id,
                                               first.c.version == 1)
               .correlate_except(first).scalar_subquery())
    creator_kind = (select(first.c.actor_kind).where(first.c.entity_id == Entity.id,
                                                      first.c.version == 1)
                    .correlate_except(first).scalar_subquery())
    query = select(Entity, creator.label("creator_id"),
                   _name_of(creator_kind, creator).label("creator_name")).where(scope.condition())
    if orderby:
        query = query.order_by(*filters.order_by(orderby, filters.entity_columns(), Entity.id))
    else:
        query = query.order_by(Entity.created_at.desc(), Entity.id.desc())
    if after is not None:
        query = query.where(filters.older_than(Entity.created_at, Entity.id, after))
    if skip:
        query = query.offset(skip)
    if top is not None:
        query = query.limit(top)
    return query


def count_entities(session, scope, after=None):
    query = select(func.count()).select_from(Entity).where(scope.condition())
    if after is not None:
        query = query.where(filters.older_than(Entity.created_at, Entity.id, after))
    return session.scalar(query)


def entity_cursor(session, dataset_id, uuid, area_ids=None):
    """(created_at, id) of the entity a $skiptoken names, within the reader's villages (as
    submission_cursor)."""
    query = select(Entity.created_at, Entity.id).where(Entity.dataset_id == dataset_id,
                                                       Entity.uuid == uuid)
    if area_ids is not None:
        query = query.where(Entity.area_id.in_(area_ids))
    row = session.execute(query).first()
    if row is None:
        raise Problem("400.197")
    return tuple(row)


def stream_entities(engine, query, batch=BATCH):
    """Entities as ORM objects with their creator, in batches, on a session of their own."""
    session = Session(engine)
    try:
        session.connection(execution_options=READ_ONLY)
        result = session.execute(query.execution_options(yield_per=batch))
        for row in result:
            yield row
            session.expunge(row[0])      # memory stays flat: the identity map is not a cache
    finally:
        session.rollback()
        session.close()
