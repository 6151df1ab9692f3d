"""The console's forms page: the town's forms with their versions, state, media and policy for
submissions with issues, and publishing one, all through app.forms.publish exactly as the JSON
API and `flask forms publish` do (the same versions rule, ODK Validate where Java runs, the
same audit rows). Plain data out; no Flask."""
import re
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, select

from app.forms import publish as publishing
from app.forms.compile import odk_validate_unavailable
from app.forms.models import Form, FormAttachment, FormVersion
from app.problems import Problem
from app.submissions.models import Submission


@dataclass(frozen=True)
class FormRow:
    xml_form_id: str
    title: str
    version: str
    state: str
    submissions: int
    last_submission: datetime | None
    missing_media: int
    issues_update: bool


@dataclass(frozen=True)
class VersionRow:
    version: str
    title: str
    published_at: datetime
    md5: str
    current: bool
    warnings: list


@dataclass(frozen=True)
class MediaRow:
    name: str
    kind: str
    present: bool
    list_name: str | None          # an entity list served from the register, not a file


@dataclass(frozen=True)
class FormDetail:
    row: FormRow
    versions: list                 # newest first
    media: list = field(default_factory=list)       # the current version's


@dataclass(frozen=True)
class Uploaded:
    xml_form_id: str
    outcome: str                   # "created", "new version", "unchanged", "media updated"


def _counts(session, form_ids):
    """{form id: (submissions, last received)}: deleted ones left out. One statement of two
    lookups per form in ix_submissions_form_time, quicker than a grouped scan (docs/console.md,
    "Speed")."""
    if not form_ids:
        return {}
    s, f = Submission.__table__, Form.__table__
    live = and_(s.c.form_id == f.c.id, s.c.deleted_at.is_(None))
    rows = session.execute(select(f.c.id, select(func.count()).where(live).scalar_subquery(),
                                  select(func.max(s.c.created_at)).where(live).scalar_subquery())
                           .where(f.c.id.in_(form_ids)))
    return {form_id: (count, last) for form_id, count, last in rows}


def _missing(session, version_ids):
    """{version id: media files expected and not uploaded} (entity lists are never missing)."""
    if not version_ids:
        return {}
    a = FormAttachment.__table__
    return dict(session.execute(select(a.c.form_version_id, func.count())
                                .where(a.c.form_version_id.in_(version_ids),
                                       a.c.blob_sha256.is_(None), a.c.dataset_id.is_(None))
                                .group_by(a.c.form_version_id)).all())


def _rows(session, forms):
    """FormRows of (Form, current FormVersion or None) pairs, in three queries in all."""
    counts = _counts(session, [f.id for f, _v in forms])
    missing = _missing(session, [v.id for _f, v in forms if v is not None])
    return [FormRow(f.xml_form_id, v.title if v else "", v.version if v else "", f.state,
                    *counts.get(f.id, (0, None)), missing.get(v.id, 0) if v else 0,
                    f.issues_update_register)
            for f, v in forms]


def form_list(session, project_id):
    """Every form of the town, by title then id."""
    found = session.execute(
        select(Form, FormVersion).outerjoin(FormVersion, FormVersion.id == Form.current_version_id)
        .where(Form.project_id == project_id)).all()
    found.sort(key=lambda fv: ((fv[1].title if fv[1] else "").lower(), fv[0].xml_form_id))
    return _rows(session, [(f, v) for f, v in found])


def _form(session, project_id, xml_form_id):
    form = session.scalar(select(Form).where(Form.project_id == project_id,
                                             Form.xml_form_id == xml_form_id))
    if form is None or form.current_version_id is None:
        raise Problem("404.2", {"form": xml_form_id})
    return form


def form_detail(session, project_id, xml_form_id):
    """One form: its row, its versions (newest first) and the current version's media."""
    form = _form(session, project_id, xml_form_id)
    current = form.current_version
    versions = [VersionRow(v.version, v.title, v.published_at, v.md5, v.id == current.id,
                           list(v.warnings or []))
                for v in reversed(form.versions)]
    media = [MediaRow(a.name, a.kind, a.blob_sha256 is not None,
                      a.dataset.name if a.dataset is not None else None)
             for a in current.attachments]
    return FormDetail(_rows(session, [(form, current)])[0], versions, media)


def validate_here():
    """None when ODK Validate checks new XLSForm versions here, else why it cannot."""
    return odk_validate_unavailable()


def upload(session, store, project_id, filename, data, media, actor):
    """Publish an uploaded XLSForm or XForm (with any media files sent beside it) as the API
    does: ODK Validate checks a new XLSForm version where it can run. Raises the publish
    Problems (400.4 pyxform's error, 400.81 ODK Validate's, 409.6 a reused version …)."""
    if not data:
        raise Problem("400.151")
    result = publishing.publish(session, store, project_id, filename, data, media,
                                actor=actor, validate=validate_here() is None)
    return Uploaded(result.form.xml_form_id, result.outcome)


def change_state(session, project_id, xml_form_id, state, actor):
    publishing.set_state(session, _form(session, project_id, xml_form_id), state, actor)


def change_issues_policy(session, project_id, xml_form_id, policy, actor):
    """policy: "hold" (submissions with issues wait for a supervisor) or "update"."""
    form = _form(session, project_id, xml_form_id)
    publishing.set_issues_policy(session, form, policy == "update", actor)


def upload_media(session, store, project_id, xml_form_id, name, data, actor):
    """A media file the current version expects (404.1 for a name it does not expect)."""
    if not data:
        raise Problem("400.151")
    form = _form(session, project_id, xml_form_id)
    publishing.set_attachment(session, store, form.current_version, name, data, actor)


def xform(session, project_id, xml_form_id, version=None):
    """(file name, XForm text) of a version (default: the current one)."""
    form = _form(session, project_id, xml_form_id)
    found = form.current_version if version is None else next(
        (v for v in form.versions if v.version == version), None)
    if found is None:
        raise Problem("404.1")
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{xml_form_id}-{found.version or 'none'}")
    return f"{name}.xml", found.xml
