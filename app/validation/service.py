"""Validation against the database: find a submission's form version, its schema and its
attached lists, check the submission, and keep the outcome on it.

issues_of(...) checks a submission against its form version, reading only: intake calls it in
its read phase, so the issues and the review state are written with the submission itself,
and checking holds no write lock (app.validation.step). check_submission(...) checks a stored
submission again, records its issues (submission_defs.issues) and moves its review state:
`hasIssues` when there are issues, back when a re-check finds none; states a supervisor chose
(approved, rejected) are left alone. `flask submissions revalidate` runs it for each one.
"""
import csv
import datetime as dt
import io
from functools import lru_cache
from zoneinfo import ZoneInfo

from lxml import etree
from sqlalchemy import func, select, update

from app import safexml
from app.forms.models import Form, FormAttachment, FormVersion
from app.forms.schema import safe_schema
from app.projects.models import Project
from app.submissions import rows
from app.submissions.models import Submission, SubmissionDef
from app.validation.check import CompiledForm, end_time, validate
from app.validation.issues import KEPT_CODES

#: review states validation may replace; approved and rejected are a supervisor's decision
AUTOMATIC_STATES = (None, "edited", "hasIssues")

_COMPILED = {}
_COMPILED_MAX = 64


_UNSAVED = {}      # version id -> a schema built here for a version stored without one


def compiled_form(session, version_id, md5=None, persist=True):
    """The CompiledForm of a form version, or None (encrypted, or a form we cannot read).

    A published version never changes (new XForm content is a new version), so its compiled
    form is kept by (id, md5) for the life of the process and its schema is read from the
    database once. Given the md5 (intake knows it), a cached form costs no query at all.
    A version published before validation existed gets its schema built here; it is stored
    now, or with persist=False (a read phase) by save_built_schema() in the write phase."""
    if md5 is not None and (version_id, md5) in _COMPILED:
        return _COMPILED[(version_id, md5)]
    md5, encrypted, form_id = session.execute(
        select(FormVersion.md5, FormVersion.encrypted, Form.xml_form_id)
        .join(Form, Form.id == FormVersion.form_id).where(FormVersion.id == version_id)).one()
    if encrypted:
        return None
    key = (version_id, md5)
    found = _COMPILED.get(key)
    if found is None:
        schema = session.scalar(select(FormVersion.schema).where(FormVersion.id == version_id))
        if schema is None:       # published before validation existed: build it once, keep it
            xml = session.scalar(select(FormVersion.xml).where(FormVersion.id == version_id))
            schema = safe_schema(xml.encode("utf-8"))
            if schema is None:
                return None
            if persist:
                _store_schema(session, version_id, schema)
            else:
                _UNSAVED[version_id] = schema
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        found = _COMPILED[key] = CompiledForm(schema, form_id)
    return found


def _store_schema(session, version_id, schema):
    # Unconditional: the schema of a version is a function of its XForm, so writing it twice
    # (two workers racing) stores the same thing.
    session.execute(update(FormVersion).where(FormVersion.id == version_id)
                    .values(schema=schema))


def save_built_schema(session, version_id):
    """Store the schema compiled_form() built for this version in a read phase, if any."""
    schema = _UNSAVED.pop(version_id, None)
    if schema is not None:
        _store_schema(session, version_id, schema)


def secondary_instances(session, store, version_id, form):
    """{instance id: lxml root, or None when it is not checked (a register list, a missing
    file, a format we do not read)} for the lists the form attaches."""
    external = form.schema.get("external", {})
    if not external:
        return {}
    attachments = {name: (dataset_id, sha) for name, dataset_id, sha in session.execute(
        select(FormAttachment.name, FormAttachment.dataset_id, FormAttachment.blob_sha256)
        .where(FormAttachment.form_version_id == version_id))}
    out = {}
    for name, filename in external.items():
        dataset_id, sha = attachments.get(filename, (None, None))
        out[name] = None if dataset_id is not None or not sha else _static_list(store, sha, filename)
    return out


@lru_cache(maxsize=128)
def _static_list(store, sha256, filename):
    """A parsed list file; content-addressed, so cached by its sha256 (lists are small)."""
    data = store.read(sha256)
    if filename.lower().endswith(".csv"):
        return csv_instance(data)
    if filename.lower().endswith(".xml"):
        try:
            return safexml.parse(data)
        except Exception:  # noqa: BLE001 - an unreadable file is not checked
            return None
    return None


def csv_instance(data):
    """A CSV attachment as phones read it: <root><item><column>value</column>…</item></root>.
    Columns whose names are not XML names are left out (phones cannot use them either)."""
    root = etree.Element("root")
    for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig", errors="replace"))):
        item = etree.SubElement(root, "item")
        for key, value in row.items():
            if not key:
                continue
            try:
                etree.SubElement(item, key.strip()).text = value or ""
            except ValueError:
                continue
    return root


def filled_at(session, form, version_id, root, received_at, time_zone=None):
    """The moment taken as today()/now(): the form's `end` timestamp if it records one, else
    when the server received it (UTC), in the town's time zone; a local wall-clock time."""
    end = end_time(form, root)
    if end is not None:
        return end
    time_zone = time_zone or session.scalar(
        select(Project.time_zone).join(Form, Form.project_id == Project.id)
        .join(FormVersion, FormVersion.form_id == Form.id).where(FormVersion.id == version_id))
    zone = ZoneInfo(time_zone or "Asia/Shanghai")
    return received_at.replace(tzinfo=dt.timezone.utc).astimezone(zone).replace(tzinfo=None)


def issues_of(session, store, *, version_id, root, received_at, version_md5=None,
              time_zone=None, persist=True):
    """The issues of a submission (read only), or None when its version is not checked
    (encrypted, or a form we cannot read). With the form cached and no attached lists this
    touches no database at all."""
    form = compiled_form(session, version_id, version_md5, persist)
    if form is None:
        return None
    now = filled_at(session, form, version_id, root, received_at, time_zone)
    return validate(form, root, now, secondary_instances(session, store, version_id, form))


def review_state_after(found, review_state, edit=False):
    """The review state a submission gets from validation's findings (`hasIssues`, or back to
    what it was before issues); a supervisor's approved/rejected is kept."""
    if review_state not in AUTOMATIC_STATES:
        return review_state
    if found:
        return "hasIssues"
    return "edited" if edit else None


def check_submission(session, store, *, version_id, def_id, submission_id, root, received_at,
                     review_state, current=True, edit=False, stored=None):
    """Validate one stored submission version again; store its issues (keeping those of
    `stored`, its issues so far, that checking does not find: KEPT_CODES); move the review
    state. Returns the issues, or None when the version is not checked."""
    found = issues_of(session, store, version_id=version_id, root=root, received_at=received_at)
    if found is None:
        return None
    kept = [i for i in stored or [] if i.get("code") in KEPT_CODES]
    rows.set_issues(session, def_id, [i.as_dict() for i in found] + kept)
    state = review_state_after(found or kept, review_state, edit)
    if current and state != review_state:
        rows.update_submission(session, submission_id, review_state=state)
    return found


def revalidate(session, store, form_pk, batch=200):
    """Check again every current submission version of a form (after a rule or the form's
    checks changed), oldest first. Yields (submission id, issues) one at a time, after each
    batch's changes are flushed; the caller commits (and may show progress)."""
    last = 0
    while True:
        found = session.execute(
            select(SubmissionDef.id, SubmissionDef.submission_id, SubmissionDef.form_version_id,
                   SubmissionDef.xml, SubmissionDef.created_at, SubmissionDef.deprecated_id,
                   Submission.review_state, SubmissionDef.issues)
            .join(Submission, Submission.id == SubmissionDef.submission_id)
            .where(SubmissionDef.form_id == form_pk, SubmissionDef.current.is_(True),
                   SubmissionDef.encrypted.is_(False), Submission.deleted_at.is_(None),
                   SubmissionDef.id > last)
            .order_by(SubmissionDef.id).limit(batch)).all()
        if not found:
            return
        for (def_id, submission_id, version_id, xml, created_at, deprecated_id, state,
             stored) in found:
            issues = check_submission(
                session, store, version_id=version_id, def_id=def_id,
                submission_id=submission_id, root=safexml.parse(xml.encode("utf-8")),
                received_at=created_at, review_state=state, edit=deprecated_id is not None,
                stored=stored)
            yield submission_id, issues
            last = def_id
        session.flush()


def count_current(session, form_pk):
    return session.scalar(select(func.count()).select_from(SubmissionDef)
                          .join(Submission, Submission.id == SubmissionDef.submission_id)
                          .where(SubmissionDef.form_id == form_pk, SubmissionDef.current.is_(True),
                                 SubmissionDef.encrypted.is_(False),
                                 Submission.deleted_at.is_(None)))
