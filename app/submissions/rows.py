"""Intake's data access in SQLAlchemy Core: the few selects and inserts a submission needs.

Statements are built once at import with bind parameters and run on the session's connection:
no ORM identity map or unit of work, no statement rebuilding or cache-key work per request
(under load those cost more than the SQL itself: docs/performance-history.md, "Where the time
goes, and what was changed"). Everything else may use the ORM models; these statements write
the same tables in the same transaction.
"""
from sqlalchemy import bindparam, insert, select, update

from app.db.columns import utcnow
from app.db.driver_sql import DriverStatement
from app.forms.models import Form, FormVersion
from app.projects.models import Project
from app.submissions.models import Submission, SubmissionAttachment, SubmissionDef

F, V, P = Form.__table__, FormVersion.__table__, Project.__table__
S, D, A = Submission.__table__, SubmissionDef.__table__, SubmissionAttachment.__table__

# Form, version and any def already stored under this instanceID, in one round trip.
_D2 = D.alias("existing")
_S2 = S.alias("existing_submission")
_FORM_WITH_VERSION = DriverStatement(
    select(F.c.id, F.c.project_id, F.c.xml_form_id, F.c.state,
           V.c.id.label("version_id"), V.c.binary_paths, V.c.md5.label("version_md5"),
           P.c.time_zone,
           _D2.c.id.label("existing_id"), _D2.c.submission_id.label("existing_submission_id"),
           _D2.c.xml_sha256.label("existing_sha"), _D2.c.current.label("existing_current"),
           _S2.c.deleted_at.label("existing_deleted_at"))
    .select_from(
        F.join(P, P.c.id == F.c.project_id)
        .outerjoin(V, (V.c.form_id == F.c.id) & (V.c.version == bindparam("version")))
        .outerjoin(_D2, (_D2.c.form_id == F.c.id) & (_D2.c.instance_id == bindparam("iid")))
        .outerjoin(_S2, _S2.c.id == _D2.c.submission_id))
    .where(F.c.project_id == bindparam("project_id"), F.c.xml_form_id == bindparam("form"))
    .limit(1))
_DEF_BY_INSTANCE = (
    select(D.c.id, D.c.submission_id, D.c.instance_id, D.c.xml_sha256, D.c.current,
           S.c.deleted_at, S.c.area_id)
    .select_from(D.join(S, S.c.id == D.c.submission_id))
    .where(D.c.form_id == bindparam("form_id"), D.c.instance_id == bindparam("instance_id")))
_SET_ISSUES = (update(D).where(D.c.id == bindparam("d"))
               .values(issues=bindparam("issues", type_=D.c.issues.type)))
_ATTACHMENTS = select(A.c.name, A.c.blob_sha256).where(A.c.def_id == bindparam("def_id"))
_INSERT_ATTACHMENT = insert(A)
_SET_BLOB = (update(A).where(A.c.def_id == bindparam("d"), A.c.name == bindparam("n"))
             .values(blob_sha256=bindparam("sha")))
_SUPERSEDE = (update(D).where(D.c.id == bindparam("d"), D.c.current.is_(True))
              .values(current=False))


def _conn(session):
    return session.connection()


def form_with_version(session, project_id, xml_form_id, version, instance_id):
    """One row: form id, project, state; the matching version's id and binary paths (None when
    that version was never published); and existing_* columns of a def already stored under
    `instance_id` (None when new). None if there is no such form."""
    return _FORM_WITH_VERSION.first(session, {
        "project_id": project_id, "form": xml_form_id, "version": version,
        "iid": instance_id})


def def_by_instance_id(session, form_id, instance_id):
    return _conn(session).execute(_DEF_BY_INSTANCE, {
        "form_id": form_id, "instance_id": instance_id}).first()


def attachments(session, def_id):
    """name -> blob sha256 (None while missing)."""
    return dict(_conn(session).execute(_ATTACHMENTS, {"def_id": def_id}).all())


def insert_def(session, **values):
    return _INSERT_DEF.first(session, {"created_at": utcnow(), **values}).id


_S_COLS = ("form_id", "instance_id", "submitter_kind", "submitter_id", "device_id", "area_id",
           "review_state", "in_register", "created_at")
_D_COLS = ("form_id", "form_version_id", "instance_id", "deprecated_id", "xml", "xml_sha256",
           "current", "encrypted", "instance_name", "submitter_kind", "submitter_id", "device_id",
           "user_agent", "issues", "created_at")
def _create_in_one_statement():
    """PostgreSQL: submission and its first version in one round trip (a data-modifying CTE)
    instead of two. (Its audit event is appended by intake, chained: app.audit.record.)"""
    s = (insert(S).values({c: bindparam(f"s_{c}", type_=S.c[c].type) for c in _S_COLS})
         .returning(S.c.id).cte("new_submission"))
    return (insert(D).from_select(
        ["submission_id", *_D_COLS],
        select(s.c.id, *(bindparam(f"d_{c}", type_=D.c[c].type) for c in _D_COLS)))
        .returning(D.c.id, D.c.submission_id).add_cte(s))


_CREATE = DriverStatement(_create_in_one_statement())
#: SQLite: the same rows, one statement each (the version's insert serves edits too)
_INSERT_FIRST_SUBMISSION = DriverStatement(insert(S).values(
    {c: bindparam(c, type_=S.c[c].type) for c in _S_COLS}).returning(S.c.id))
_INSERT_DEF = DriverStatement(insert(D).values(
    {c: bindparam(c, type_=D.c[c].type) for c in ("submission_id", *_D_COLS)}).returning(D.c.id))


def create_submission(session, submission, definition):
    """Insert a new submission with its first version (intake appends its audit event).
    Returns (submission id, def id)."""
    now = utcnow()
    submission, definition = {**submission, "created_at": now}, {**definition, "created_at": now}
    if session.get_bind().dialect.name == "postgresql":
        params = {**{f"s_{k}": v for k, v in submission.items()},
                  **{f"d_{k}": v for k, v in definition.items()}}
        created = _CREATE.first(session, params)
        submission_id, def_id = created.submission_id, created.id
    else:
        submission_id = _INSERT_FIRST_SUBMISSION.first(session, submission).id
        def_id = _INSERT_DEF.first(session, {**definition, "submission_id": submission_id}).id
    return submission_id, def_id


def insert_attachments(session, def_id, blobs):
    if blobs:
        _conn(session).execute(_INSERT_ATTACHMENT, [
            {"def_id": def_id, "name": n, "blob_sha256": b} for n, b in blobs.items()])


def set_attachment_blob(session, def_id, name, sha256):
    _conn(session).execute(_SET_BLOB, {"d": def_id, "n": name, "sha": sha256})


def update_submission(session, submission_id, **values):
    """The one Core update of a submission's row: it counts up export_version, which tells
    the kept export segments the row changed (app/exports/segments.py)."""
    # Few call sites, varying columns: built per call.
    _conn(session).execute(update(S).where(S.c.id == submission_id)
                           .values(**values, export_version=S.c.export_version + 1))


def set_issues(session, def_id, issues):
    _conn(session).execute(_SET_ISSUES, {"d": def_id, "issues": issues})


def supersede(session, def_id):
    """Mark a def no longer current; False if it already was not (another edit won)."""
    return _conn(session).execute(_SUPERSEDE, {"d": def_id}).rowcount == 1
