"""Writing a submission's life events into `life_events`, in the caller's transaction.

A submission's events exist exactly when its register changes count: its current version was
let into the register (Submission.in_register: stored without being held for review, or
approved) and it is neither rejected nor deleted. They are written by one function, `write`
(derive, then a multi-row Core INSERT on the driver's cursor), which every path uses: intake's
processing step (`record_received`, after the register merge), a review decision or deletion
(`resync`), the rebuild (app.register.rebuild) and the migration that brought older databases
up to date.
An edit replaces the old version's events with the new one's; a held edit removes them.
The monthly summary cells (app.reports.cells) move with the rows, in the same transaction:
what `insert_rows` writes is added to them, what `remove` deletes is taken off.
"""
import datetime as dt
import logging
import math

from sqlalchemy import bindparam, delete, insert, select

from app import safexml
from app.db.columns import utcnow
from app.db.driver_sql import DriverStatement
from app.events.derive import derive
from app.events.kinds import KINDS
from app.events.models import LifeEvent
from app.projects.models import Area
from app.reports import cells as report_cells

log = logging.getLogger(__name__)

T = LifeEvent.__table__
_DELETE = DriverStatement(delete(T).where(T.c.submission_id == bindparam("s")))
#: what the cells need of the rows `remove` deletes
_COUNTED = DriverStatement(select(T.c.project_id, T.c.submission_id, T.c.position, T.c.kind,
                                  T.c.occurred_on, T.c.area_id, T.c.person, T.c.household,
                                  T.c.details)
                           .where(T.c.submission_id == bindparam("s")))
#: what a row holds besides its id (rebuild compares and copies these)
COLUMNS = ("project_id", "submission_id", "submission_def_id", "form_id", "kind", "occurred_on",
           "area_id", "person", "other_person", "household", "pregnancy", "details", "tag",
           "position", "created_at")
#: kind -> the detail kept in the row's `tag` column, so the reports count events of a round,
#: a benefit or a certificate from an index instead of reading every row's details
TAGS = {"three_checks": "round", "reward_paid": "benefit", "certificate_issued": "certificate",
        "double_check": "direction"}
#: rows per INSERT statement; a submission rarely reports more
CHUNK = 8
_INSERTS = {}          # number of rows -> (DriverStatement inserting that many, its names)


def _insert_of(count):
    """One INSERT of `count` rows (multi-row VALUES), built and compiled once per count, with
    the parameter name of each (row, column)."""
    found = _INSERTS.get(count)
    if found is None:
        names = [[(f"{c}_{i}", c) for c in COLUMNS] for i in range(count)]
        found = _INSERTS[count] = (DriverStatement(insert(T).values([
            {c: bindparam(name, type_=T.c[c].type) for name, c in row} for row in names])),
            names)
    return found


def insert_rows(session, rows, cells=True, removed=()):
    """Insert life_events rows: one statement per CHUNK rows, on the driver's cursor like
    intake's other statements (app.db.driver_sql): an executemany through SQLAlchemy's execution
    path made the events much dearer to write (docs/performance-history.md, "Life events in
    intake"); and
    add them to the report cells (cells=False only where report_cells does not exist yet:
    migration 0010), settled in the same upsert with the rows `removed` (`remove`, cells=False)
    in this transaction."""
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        statement, names = _insert_of(len(chunk))
        statement.run(session, {name: row[c] for row, row_names in zip(chunk, names)
                                for name, c in row_names})
    if cells:
        report_cells.change(session, rows, removed)


def counted(in_register, review_state, deleted_at):
    """Whether a submission in this state has its events in `life_events`."""
    return bool(in_register) and review_state != "rejected" and deleted_at is None


def _uuid(value):
    # a deriver's odd value must not fail the insert (the column holds a uuid)
    return value if isinstance(value, str) and 0 < len(value) <= 36 else None


def _plain(value):
    """A JSON value both databases store (dates as ISO text; NaN and infinity, which
    PostgreSQL's JSON refuses, as null; anything else as its text)."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


def _details(details):
    if not isinstance(details, dict):
        return {}
    return {str(k): _plain(v) for k, v in details.items()}


def event_rows(events, project_id, submission_id, def_id, form_id, area_id, villages, now):
    """The life_events rows of `events` (app.events.derive.Event). `villages`: code -> area id
    of the project, for events that name their own village; others take `area_id`, the
    submission's. An event of an unknown kind is left out (logged), never an error."""
    rows = []
    for event in events:
        if event.kind not in KINDS:
            log.warning("a %s deriver yielded unknown kind %r: left out", form_id, event.kind)
            continue
        occurred = event.occurred_on if isinstance(event.occurred_on, dt.date) else None
        if isinstance(occurred, dt.datetime):
            occurred = occurred.date()
        rows.append({
            "project_id": project_id, "submission_id": submission_id,
            "submission_def_id": def_id, "form_id": form_id, "kind": event.kind,
            "occurred_on": occurred,
            "area_id": villages.get(event.village, area_id) if event.village else area_id,
            "person": _uuid(event.person), "other_person": _uuid(event.other_person),
            "household": _uuid(event.household), "pregnancy": _uuid(event.pregnancy),
            "details": _details(event.details), "position": len(rows), "created_at": now})
        rows[-1]["tag"] = tag_of(event.kind, rows[-1]["details"])
    return rows


def tag_of(kind, details):
    """The `tag` of a row of `kind` with `details`: its TAGS detail as the report cells name it
    ('unknown' when blank or not a short token), None for a kind without one."""
    name = TAGS.get(kind)
    return report_cells.token(details, name) if name else None


def villages(session, project_id):
    """Village code -> area id."""
    return dict(session.execute(select(Area.code, Area.id)
                                .where(Area.project_id == project_id)).all())


def write(session, project_id, submission_id, def_id, form_id, root, version, area_id,
          cells=True, removed=()):
    """Derive the events of one submission version and insert them (and, with `cells`, add
    them to the report cells, less the rows `removed` before them). Returns how many."""
    events = derive(form_id, root, version)
    if not events:
        if cells:
            report_cells.change(session, (), removed)
        return 0
    codes = villages(session, project_id) if any(e.village for e in events) else {}
    rows = event_rows(events, project_id, submission_id, def_id, form_id, area_id, codes,
                      utcnow())
    insert_rows(session, rows, cells, removed)
    return len(rows)


def remove(session, submission_id, cells=True):
    """Delete a submission's events and take them off the report cells; with cells=False the
    caller settles the cells (`write`'s `removed`: one upsert for an edit's old and new
    events, whose cells mostly cancel, and every cell locked in one order). Returns the rows
    deleted."""
    found = _COUNTED.rows(session, {"s": submission_id})
    if not found:
        return []
    _DELETE.run(session, {"s": submission_id})
    if cells:
        report_cells.apply(session, found, -1)
    return found


def record_received(session, received):
    """Intake's processing step (app.submissions.processing), after the register merge: the
    events of the version just stored, unless it is held for a supervisor (`received.held`)
    or an earlier step failed; an edit's old events go first."""
    if received.outcome not in ("created", "edited"):
        return
    removed = remove(session, received.submission_id, cells=False) if (
        received.outcome == "edited") else []
    if received.failures or received.held:
        report_cells.apply(session, removed, -1)
        return
    area_id = received.area_id
    if received.outcome == "edited":
        from app.submissions.models import Submission   # noqa: PLC0415
        area_id = session.scalar(select(Submission.area_id)
                                 .where(Submission.id == received.submission_id))
    instance = received.instance
    write(session, received.project_id, received.submission_id, received.def_id,
          instance.xml_form_id, instance.root, instance.version, area_id, removed=removed)


def resync(session, submission_id):
    """After a review decision or a deletion: remove the submission's events and, if it
    counts, write those of its current version again."""
    from app.forms.models import Form, FormVersion   # noqa: PLC0415
    from app.submissions.models import Submission, SubmissionDef   # noqa: PLC0415
    session.flush()
    removed = remove(session, submission_id, cells=False)
    row = session.execute(
        select(Submission.in_register, Submission.review_state, Submission.deleted_at,
               Submission.area_id, Form.project_id, Form.xml_form_id, SubmissionDef.id,
               SubmissionDef.xml, SubmissionDef.encrypted, FormVersion.version)
        .join(Form, Form.id == Submission.form_id)
        .join(SubmissionDef, (SubmissionDef.submission_id == Submission.id)
              & SubmissionDef.current.is_(True))
        .join(FormVersion, FormVersion.id == SubmissionDef.form_version_id)
        .where(Submission.id == submission_id)).first()
    if row is None or row.encrypted or not counted(row.in_register, row.review_state,
                                                   row.deleted_at):
        report_cells.apply(session, removed, -1)
        return 0
    return write(session, row.project_id, submission_id, row.id, row.xml_form_id,
                 safexml.parse(row.xml.encode("utf-8")), row.version, row.area_id,
                 removed=removed)
