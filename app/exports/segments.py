"""Kept export segments: runs of a form's submissions whose CSV tables were written once,
stored deflated, and copied into later exports as they are. No Flask.

With kept lines (app.exports.lines) a warm export still reads every submission's row, builds
its metadata cells and deflates every byte; that is what kept it at a few times Central's
rate (docs/exports.md). A segment is a run of consecutive live submissions of a form, in the
export's order (newest first), with every table's lines for exactly those rows (metadata
cells included) as one deflated piece per table (app.exports.deflated). An export whose
selection is a whole form (no $filter, no village scope) and whose options are Central's
defaults copies each valid segment's pieces into the zip without deflating them again (or
inflates the root piece for the plain CSV), and writes only the rows between segments the
usual way; it keeps those runs as new segments when they are long enough (MIN_ROWS).

When a segment is still exact: every change to a submission's row counts up its
`export_version` (app.submissions.rows.update_submission, and the ORM's before_update hook
in app.submissions.models), and every change to what its line shows goes through one of
those: a review, a deletion, an edit (a new current version), a file arriving, a hold. So a
segment holds exactly the live rows between its two ends while they still number `rows` and
their ids, the ids' squares and their export_versions add up to the sums kept when it was
made: a change raises the version sum, a row arriving in the range raises the count, a
deletion lowers it, and rows arriving and deleted together leave the id sums different
(ids are never reused: submissions are never purged; the squares' sum is for ids that land
out of commit order on PostgreSQL, docs/exports.md "Kept segments").
The submitter names and form versions its metadata cells show are kept with it (`context`)
and compared with the current ones, and the layout is its kept lines' signature. All of it
is checked by one grouped query per export, on the index the submissions' arrival order
already has (valid()); a segment that fails is deleted and its rows written the usual way.

The table is derived: dropping its rows changes no export (tests/exports/test_segments.py).
"""
import json
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import BigInteger, and_, cast, delete, func, insert, or_, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.db.columns import utcnow
from app.exports import filters
from app.exports.deflated import Piece
from app.exports.models import ExportSegment
from app.submissions.models import Submission

#: rows a run needs to be kept as a segment: shorter runs (the few newest submissions
#: between two exports) are written the usual way each time rather than split into many
#: small segments
MIN_ROWS = 100

#: a run whose newest row arrived less than this long ago is not kept: a phone's submission
#: still being stored when the run was read may carry an earlier arrival time than rows
#: already committed, and would land inside the segment (the check above would see it, but
#: the newest runs change the most anyway: they are the ones still being reviewed)
SETTLE = timedelta(minutes=5)

#: the ids' squares are summed modulo this prime, so no sum of 500 can overflow 64 bits
SQUARES = 2147483647

G = ExportSegment.__table__
S = Submission.__table__


@dataclass(frozen=True, slots=True)
class Segment:
    """A valid segment's place in the export's order."""
    id: int
    newest: tuple       # (created_at, id) of its first row
    oldest: tuple       # (created_at, id) of its last row
    rows: int
    id_sum: int
    square_sum: int
    version_sum: int


@dataclass(slots=True)
class Hit:
    """A segment read back: its rows' count and each table's piece."""
    segment: Segment
    root: Piece
    repeats: list       # [(table index, Piece)]


class Plan:
    """The segments one whole-form export of one layout may read, and the runs it may keep.
    `writer`: the engine its writes go through (as lines.Cache's)."""

    def __init__(self, form_id, signature, writer=None, repeats=True):
        self.form_id = form_id
        self.signature = signature
        self.writer = writer
        self.repeats = repeats
        self.kept = 0           # segments written
        self.gapless = False    # valid(): no live row between two valid segments

    def _checked(self, *columns):
        """SELECT `columns` of this form's segments of this layout with what their ranges
        hold now: the live rows' count, id sum, square sum and version sum, grouped per
        segment on the index of the form's submissions by arrival."""
        live = and_(S.c.form_id == G.c.form_id, S.c.deleted_at.is_(None),
                    S.c.created_at.between(G.c.oldest_at, G.c.newest_at),
                    or_(S.c.created_at > G.c.oldest_at, S.c.id >= G.c.oldest_id),
                    or_(S.c.created_at < G.c.newest_at, S.c.id <= G.c.newest_id))
        return (select(*columns, func.count(S.c.id), func.sum(S.c.id),
                       func.sum(cast(S.c.id, BigInteger) * S.c.id % SQUARES),
                       func.sum(S.c.export_version))
                .select_from(G.join(S, live))
                .where(G.c.form_id == self.form_id, G.c.signature == self.signature)
                .group_by(G.c.id))

    def valid(self, connection, names, versions):
        """The valid segments, newest first and not overlapping; deletes the others of this
        form (another layout's, stale ones, overlapping ones). `names`: reading.Names;
        `versions`: {form version id: version}."""
        # read first: a segment with no live row left has no row in the grouped query
        every = set(connection.scalars(select(G.c.id).where(G.c.form_id == self.form_id)))
        found = connection.execute(
            self._checked(G.c.id, G.c.newest_at, G.c.newest_id, G.c.oldest_at, G.c.oldest_id,
                          G.c.rows, G.c.id_sum, G.c.square_sum, G.c.version_sum, G.c.context)
            .order_by(G.c.newest_at.desc(), G.c.newest_id.desc())).all()
        connection.commit()
        accepted, stale = [], []
        for (sid, newest_at, newest_id, oldest_at, oldest_id, rows, id_sum, square_sum,
             version_sum, context, *now) in found:
            segment = Segment(sid, (newest_at, newest_id), (oldest_at, oldest_id), rows,
                              id_sum, square_sum, version_sum)
            if (tuple(now) == (rows, id_sum, square_sum, version_sum)
                    and _same_context(context, names, versions)
                    and (not accepted or segment.newest < accepted[-1].oldest)):
                accepted.append(segment)
            else:
                stale.append(sid)
        # besides those: another layout's, and those with no live row left
        stale += sorted(every - {sid for sid, *_ in found})
        if stale:
            # best effort, as lines.write
            _write(self.writer, delete(G).where(G.c.id.in_(stale)))
        self.gapless = bool(accepted) and self._gapless(connection, accepted)
        return accepted

    def _gapless(self, connection, accepted):
        """Whether no live row lies between two of the `accepted` segments (the common
        case: every run kept), counted in one query, so the export need not ask at each
        segment (a round trip each, which is most of a warm export on PostgreSQL)."""
        newer = filters.newer_than(S.c.created_at, S.c.id, accepted[0].newest)
        older = filters.older_than(S.c.created_at, S.c.id, accepted[-1].oldest)
        total, head, tail = connection.execute(
            select(func.count(), func.count().filter(newer), func.count().filter(older))
            .where(S.c.form_id == self.form_id, S.c.deleted_at.is_(None))).one()
        connection.commit()
        return total - head - tail == sum(segment.rows for segment in accepted)

    def load(self, connection, segment):
        """The segment's pieces (the root's alone when the export has no repeat tables), or
        None when it no longer holds what valid() found: checked again in the same
        statement, since a download may copy it minutes after the export began (a review
        meanwhile), and since another export may have deleted it (and, on SQLite, kept
        another under a new id)."""
        columns = [G.c.root, G.c.root_size, G.c.root_crc, G.c.rows, G.c.id_sum,
                   G.c.square_sum, G.c.version_sum]
        if self.repeats:
            columns += [G.c.repeats, G.c.repeats_index]
        at, first = segment.newest
        oldest_at, last = segment.oldest
        row = connection.execute(self._checked(*columns).where(
            G.c.id == segment.id, G.c.newest_at == at, G.c.newest_id == first,
            G.c.oldest_at == oldest_at, G.c.oldest_id == last)).first()
        connection.commit()
        expected = (segment.rows, segment.id_sum, segment.square_sum, segment.version_sum)
        if row is None or tuple(row[-4:]) != expected or tuple(row[3:7]) != expected:
            return None         # its rows are read instead
        repeats = []
        if self.repeats:
            data, at = row.repeats, 0
            for index, length, size, crc in json.loads(row.repeats_index):
                repeats.append((index, Piece(data[at:at + length], size, crc)))
                at += length
        return Hit(segment, Piece(row.root, row.root_size, row.root_crc), repeats)

    def wants(self, rows):
        """Whether a run of ExportRows (newest first) is to be kept: long enough and
        settled (MIN_ROWS, SETTLE)."""
        return len(rows) >= MIN_ROWS and rows[0].created_at <= utcnow() - SETTLE

    def keep(self, rows, root, repeats):
        """Write a run of ExportRows (newest first, consecutive in the export's order, read
        in one statement) as a segment, with its pieces: `root` and [(table index, Piece)].
        Only for a run it wants() (central_csv asks first, before deflating anything)."""
        first, last = rows[0], rows[-1]
        data, index = [], []
        for table, piece in repeats:
            data.append(piece.data)
            index.append([table, len(piece.data), piece.size, piece.crc])
        values = {
            "form_id": self.form_id, "signature": self.signature,
            "newest_at": first.created_at, "newest_id": first.id,
            "oldest_at": last.created_at, "oldest_id": last.id,
            "rows": len(rows), "id_sum": sum(r.id for r in rows),
            "square_sum": sum(r.id * r.id % SQUARES for r in rows),
            "version_sum": sum(r.export_version for r in rows),
            "context": _context(rows), "root": root.data, "root_size": root.size,
            "root_crc": root.crc, "repeats": b"".join(data),
            "repeats_index": json.dumps(index), "created_at": utcnow()}
        if _write(self.writer, insert(G).values(values)):
            self.kept += 1


def _context(rows):
    """What the rows' metadata cells show besides their own columns: the submitters' names
    and the form versions, as JSON."""
    names = {(r.submitter_kind, r.submitter_id): r.submitter_name
             for r in rows if r.submitter_id is not None}
    versions = {r.root_version_id: r.form_version for r in rows}
    return json.dumps({"names": sorted([k, i, n] for (k, i), n in names.items()),
                       "versions": sorted([i, v] for i, v in versions.items())},
                      ensure_ascii=False)


def _same_context(context, names, versions):
    kept = json.loads(context)
    return (all(names.get(kind, actor) == name for kind, actor, name in kept["names"])
            and all(versions.get(version_id, "") == version
                    for version_id, version in kept["versions"]))


def _write(engine, statement):
    """Run one write in a short transaction of its own; False when it could not be made
    (a lock not granted, a form deleted meanwhile): the segments are a cache."""
    try:
        with engine.begin() as connection:
            connection.execute(statement)
        return True
    except (IntegrityError, DBAPIError):
        return False
