"""Validation against the database: find a submission's form version, its schema and its
attached lists, check the submission, and keep the outcome on it.

check_submission(...) checks one stored submission version, records its issues on it
(submission_defs.issues) and moves the submission's review state: `hasIssues` when there are
issues; back when a re-check finds none. States a supervisor chose (approved, rejected) are
left alone. It runs inside intake's transaction (the `validate` processing step) and for each
stored submission in `flask submissions revalidate`.
"""
import csv
import datetime as dt
import io
from functools import lru_cache
from zoneinfo import ZoneInfo

from lxml import etree
from sqlalchemy import select, update

from app import safexml
from app.forms.models import Form, FormAttachment, FormVersion
from app.forms.schema import safe_schema
from app.projects.models import Project
from app.submissions import rows
from app.submissions.models import SubmissionDef
from app.validation.check import CompiledForm, end_time, validate

#: review states validation may replace; approved and rejected are a supervisor's decision
AUTOMATIC_STATES = (None, "edited", "hasIssues")

_COMPILED = {}
_COMPILED_MAX = 64


def compiled_form(session, version_id):
    """(CompiledForm or None, time zone) for a form version. A published version never changes
    (new XForm content is a new version), so its compiled form is kept by (id, md5) for the
    life of the process and its schema is read from the database once."""
    md5, encrypted, form_id, time_zone = session.execute(
        select(FormVersion.md5, FormVersion.encrypted, Form.xml_form_id, Project.time_zone)
        .join(Form, Form.id == FormVersion.form_id).join(Project, Project.id == Form.project_id)
        .where(FormVersion.id == version_id)).one()
    if encrypted:
        return None, time_zone
    key = (version_id, md5)
    found = _COMPILED.get(key)
    if found is None:
        schema = session.scalar(select(FormVersion.schema).where(FormVersion.id == version_id))
        if schema is None:       # published before validation existed: build it once, keep it
            xml = session.scalar(select(FormVersion.xml).where(FormVersion.id == version_id))
            schema = safe_schema(xml.encode("utf-8"))
            if schema is None:
                return None, time_zone
            session.execute(update(FormVersion).where(FormVersion.id == version_id)
                            .values(schema=schema))
        if len(_COMPILED) >= _COMPILED_MAX:
            _COMPILED.clear()
        found = _COMPILED[key] = CompiledForm(schema, form_id)
    return found, time_zone


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


def filled_at(form, root, received_at, time_zone):
    """The moment taken as today()/now(): the form's `end` timestamp if it records one, else
    when the server received it (UTC), in the town's time zone; a local wall-clock time."""
    end = end_time(form, root)
    if end is not None:
        return end
    zone = ZoneInfo(time_zone or "Asia/Shanghai")
    return received_at.replace(tzinfo=dt.timezone.utc).astimezone(zone).replace(tzinfo=None)


def check_submission(session, store, *, version_id, def_id, submission_id, root, received_at,
                     review_state, current=True, edit=False):
    """Validate one submission version; store its issues; move the review state. Returns the
    issues, or None when the version is not checked (encrypted, or a form we cannot read)."""
    form, time_zone = compiled_form(session, version_id)
    if form is None:
        return None
    now = filled_at(form, root, received_at, time_zone)
    found = validate(form, root, now, secondary_instances(session, store, version_id, form))
    session.execute(update(SubmissionDef).where(SubmissionDef.id == def_id)
                    .values(issues=[i.as_dict() for i in found]))
    if current and review_state in AUTOMATIC_STATES:
        state = "hasIssues" if found else ("edited" if edit else None)
        if review_state == state or (not found and review_state is None):
            return found
        rows.update_submission(session, submission_id, review_state=state)
    return found
