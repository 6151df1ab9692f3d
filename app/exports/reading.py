"""Reading a form's submissions for an export: scoped, filtered, in keyset batches, on a
connection of its own. No Flask.

An export's body streams after its request's handler has returned, so it cannot read through
the request's scoped session (which Flask tears down, and which would otherwise stay open as
long as the download). `Selection` is what a handler decides (the form, the actor's villages,
the $filter) as plain values; `batches()` opens its own connection from the engine and reads
BATCH submissions at a time, newest first as Central exports them (createdAt DESC, id DESC),
each batch a keyset query after the last row of the one before, so memory holds one batch
whatever the number of submissions, and no cursor stays open between batches.

Each row is an `ExportRow`: the submission, its current version's XML, and Central's export
metadata (lib/model/query/submissions.js _export): SubmitterID/Name, AttachmentsPresent
(files received) and AttachmentsExpected (files named) of the current version, Edits (versions
after the first), and FormVersion, the version of the form the submission was first made with
(Central's root def).
"""
from dataclasses import dataclass

from sqlalchemy import and_, func, null, or_, select

from app.auth.models import AppUser, User
from app.db.transactions import READ_ONLY
from app.exports import filters
from app.exports.models import ExportLines
from app.forms.models import FormVersion
from app.submissions.models import Submission, SubmissionAttachment, SubmissionDef

#: submissions per query: a household visit's XML is about 10 kB, so a batch is a few MB
BATCH = 500

S = Submission.__table__
D = SubmissionDef.__table__
A = SubmissionAttachment.__table__
L = ExportLines.__table__


@dataclass(frozen=True)
class Selection:
    """Which submissions an export reads: plain values, safe to keep past the request."""
    form_id: int
    area_ids: frozenset | None      # the actor's villages (None: every village)
    filter: object = None           # a parsed filters.Filter, or None
    has_attachments: bool = True    # whether any version of the form names files

    def where(self):
        conditions = [S.c.form_id == self.form_id,
                      filters.where(self.filter, submission_columns())]
        if self.area_ids is not None:
            conditions.append(S.c.area_id.in_(sorted(self.area_ids)))
        return and_(*conditions)


def submission_columns():
    """filters.submission_columns() over the Core table (what these queries select from)."""
    return {name: S.c[column.key] for name, column in filters.submission_columns().items()}


@dataclass(slots=True)
class ExportRow:
    """One submission to export (a plain slotted class: a frozen dataclass's __init__ adds
    a cost to every row for nothing, docs/exports.md)."""
    id: int
    instance_id: str
    created_at: object
    review_state: str | None
    device_id: str | None
    xml: str
    submitter_id: int | None
    submitter_name: str | None
    attachments_present: int
    attachments_expected: int
    edits: int
    form_version: str
    encrypted: bool = False         # its XML is the encrypted envelope: no data to read
    def_id: int | None = None
    root_line: str | None = None    # with kept lines (lines.Cache): the row's cached text,
    repeat_lines: str | None = None  # and xml is None
    export_version: int = 0         # what a kept segment adds up (app.exports.segments)
    submitter_kind: str | None = None
    root_version_id: int | None = None   # the form version FormVersion names


def count(connection, selection):
    return connection.scalar(select(func.count()).select_from(S).where(selection.where()))


def connect(engine):
    """A connection of the export's own, read-only: on SQLite its transactions are deferred
    ones that take no write lock (app/db/engine.py), so an export never holds up intake."""
    return engine.connect().execution_options(**READ_ONLY)


def batches(engine, selection, batch=None, lines=None, segments=None):
    """Yield lists of ExportRow, newest first, BATCH at a time, on a connection of its own.

    With `lines` (an app.exports.lines.Cache) the XML is not read: each row comes with its
    kept lines (root_line, repeat_lines), the misses computed and written back by
    lines.fill() on this connection before the batch is handed on; encrypted versions come
    with neither (their cells are empty).

    With `segments` (an app.exports.segments.Plan, for a whole form's selection) each valid
    kept segment comes as one segments.Hit in place of its rows, and the batches between
    them stop short of the next segment."""
    with connect(engine) as connection:
        reader = _Reader(connection, selection, lines, batch or BATCH)
        if segments is not None:
            copied = False
            for segment in segments.valid(connection, reader.names, reader.versions):
                # (no rows to ask for between two segments when valid() counted none)
                if not (copied and segments.gapless):
                    yield from reader.run(until=segment.newest)
                hit = segments.load(connection, segment)
                copied = hit is not None
                if copied:              # else gone meanwhile: the next run reads its rows
                    yield hit
                    reader.after = segment.oldest
        yield from reader.run()


class _Reader:
    """Keyset batches of one selection on one connection."""

    def __init__(self, connection, selection, lines, batch):
        self.connection, self.selection, self.lines, self.batch = (connection, selection,
                                                                  lines, batch)
        self.versions = dict(connection.execute(
            select(FormVersion.id, FormVersion.version)
            .where(FormVersion.form_id == selection.form_id)).all())
        self.names = Names(connection)
        self.after = None
        joined = S.join(D, and_(D.c.submission_id == S.c.id, D.c.current.is_(True)))
        if lines is None:
            content = (D.c.xml, null().label("line_root"), null().label("line_repeats"))
        else:
            content = (null().label("xml"), *lines.columns)
            joined = joined.outerjoin(L, lines.join(D))
        self.query = (select(S.c.id, S.c.instance_id, S.c.created_at, S.c.review_state,
                             D.c.device_id, *content, S.c.submitter_kind, S.c.submitter_id,
                             D.c.id.label("def_id"), D.c.deprecated_id,
                             D.c.form_version_id, D.c.encrypted, S.c.export_version)
                      .select_from(joined)
                      .where(selection.where())
                      .order_by(S.c.created_at.desc(), S.c.id.desc())
                      .limit(batch))

    def run(self, until=None):
        """Batches of the rows older than self.after (the last row read, or the end of the
        last segment copied) and newer than `until` ((created_at, id) keys; None: no
        bound); self.after follows."""
        connection, lines, batch = self.connection, self.lines, self.batch
        bounded = self.query
        if until is not None:
            bounded = bounded.where(filters.newer_than(S.c.created_at, S.c.id, until))
        while True:
            query = bounded
            if self.after is not None:
                query = query.where(filters.older_than(S.c.created_at, S.c.id, self.after))
            rows = connection.execute(query).all()
            decorated = _decorate(connection, rows, self.versions, self.names,
                                  self.selection.has_attachments)
            # end the implicit transaction before handing the batch on: no snapshot or lock
            # is held while the caller works (a SQLite reader would otherwise pin the WAL)
            connection.commit()
            if not rows:
                return
            if lines is not None:
                misses = [r for r in decorated if r.root_line is None and not r.encrypted]
                if misses:
                    lines.fill(connection, misses)
            self.after = (rows[-1].created_at, rows[-1].id)
            yield decorated
            if len(rows) < batch:
                return


def _decorate(connection, rows, versions, names, has_attachments):
    if not rows:
        return []
    edited = [r.id for r in rows if r.deprecated_id is not None]
    history = {}
    if edited:
        # Edits and the version first used, for the few submissions that were edited
        first = (select(D.c.submission_id, func.count().label("n"), func.min(D.c.id).label("first"))
                 .where(D.c.submission_id.in_(edited)).group_by(D.c.submission_id).subquery())
        for sid, n, version_id in connection.execute(
                select(first.c.submission_id, first.c.n, D.c.form_version_id)
                .join(D, D.c.id == first.c.first)):
            history[sid] = (n - 1, version_id)
    files = {}
    if has_attachments:
        for def_id, present, expected in connection.execute(
                select(A.c.def_id, func.count(A.c.blob_sha256), func.count())
                .where(A.c.def_id.in_([r.def_id for r in rows])).group_by(A.c.def_id)):
            files[def_id] = (present, expected)
    out = []
    append = out.append
    name = names.get
    version = versions.get
    no_files = (0, 0)
    # positional unpacking: reading a Row's 16 attributes by name is dearer (docs/exports.md)
    for (sid, instance_id, created_at, review_state, device_id, xml, root_line, repeat_lines,
         submitter_kind, submitter_id, def_id, _deprecated, form_version_id, encrypted,
         export_version) in rows:
        edits, root_version = history.get(sid, (0, form_version_id)) if history else \
            (0, form_version_id)
        present, expected = files.get(def_id, no_files) if files else no_files
        append(ExportRow(sid, instance_id, created_at, review_state, device_id, xml,
                         submitter_id, name(submitter_kind, submitter_id), present, expected,
                         edits, version(root_version, ""), bool(encrypted), def_id, root_line,
                         repeat_lines, export_version, submitter_kind, root_version))
    return out


class Names:
    """Display names of submitters, looked up once each (an export has a few dozen)."""

    def __init__(self, connection):
        self.connection = connection
        self.cache = {}

    def get(self, kind, actor_id):
        if actor_id is None:
            return None
        key = (kind, actor_id)
        if key not in self.cache:
            if kind == "app_user":
                name = self.connection.scalar(select(AppUser.display_name)
                                              .where(AppUser.id == actor_id))
            else:
                name = self.connection.scalar(select(User.username).where(User.id == actor_id))
            self.cache[key] = name
        return self.cache[key]


def attachments(engine, selection, batch=BATCH):
    """Yield (name, blob sha256) of the received files of the selected submissions' current
    versions, in the export's order, read in keyset batches on a connection of its own."""
    with engine.connect() as connection:
        after = None
        while True:
            query = (select(S.c.created_at, S.c.id, A.c.id.label("aid"), A.c.name,
                            A.c.blob_sha256)
                     .select_from(S.join(D, and_(D.c.submission_id == S.c.id,
                                                 D.c.current.is_(True)))
                                  .join(A, A.c.def_id == D.c.id))
                     .where(selection.where(), A.c.blob_sha256.is_not(None))
                     .order_by(S.c.created_at.desc(), S.c.id.desc(), A.c.id)
                     .limit(batch))
            if after is not None:
                created, sid, aid = after
                query = query.where(S.c.created_at <= created,
                                    or_(S.c.created_at < created,
                                        and_(S.c.created_at == created, S.c.id < sid),
                                        and_(S.c.created_at == created, S.c.id == sid,
                                             A.c.id > aid)))
            rows = connection.execute(query).all()
            connection.commit()
            for r in rows:
                yield r.name, r.blob_sha256
            if len(rows) < batch:
                return
            after = (rows[-1].created_at, rows[-1].id, rows[-1].aid)
