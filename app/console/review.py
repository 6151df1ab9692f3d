"""The review queue, one submission as its form shows it, review actions, comments and
corrections made in the browser. No Flask: each function takes the session and the Actor and
returns plain data.

Village scope is the API's (app/submissions/queries.py): staff of some villages see only
their villages' submissions; one of no village only town-wide staff. A submission outside
the actor's villages is "not found" (404), the same answer as one that does not exist.

A correction is a new version sent through the phones' intake (app.submissions.intake) as
the signed-in user: the current XML with the changed values, a new instanceID and
deprecatedID = the current one; intake validates it again and merges it as an edit.
"""
import re
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from lxml import etree
from sqlalchemy import exists, or_, select, tuple_

from app import safexml
from app.audit.models import AuditEvent
from app.auth.models import AppUser, User, app_user_areas, user_areas
from app.console import review_form, scope
from app.console.actors import names as actor_names
from app.forms.models import Form, FormVersion
from app.problems import Problem
from app.projects.models import Area, Project
from app.register.models import Dataset, Entity, EntityVersion
from app.storage.models import Blob
from app.submissions import comments, intake, queries
from app.submissions.models import (Submission, SubmissionAttachment, SubmissionComment,
                                    SubmissionDef)

PAGE = 25
#: the queue's states: "received" is a submission nobody has reviewed (review_state NULL)
STATES = ("received", "hasIssues", "edited", "approved", "rejected")
#: what a reviewer may set from the console
ACTIONS = ("approved", "rejected", "hasIssues")
#: the queue's filters, kept in the links to a submission (its previous / next)
FILTERS = ("village", "form", "state", "since", "until", "submitter")
_POSITION = re.compile(r"\[\d+\]")
#: the largest id a cursor may carry (SQLite's integers are 64-bit)
ID_MAX = 2**63 - 1


# --- the queue -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    id: int
    form: str
    village: str
    submitter: str
    received: datetime
    state: str
    issues: int


def _zone(session, project_id):
    project = session.get(Project, project_id)
    return ZoneInfo(project.time_zone if project else "Asia/Shanghai")


def _utc(day, zone):
    """Midnight of a town day as a stored (naive UTC) datetime."""
    local = datetime.combine(day, time(0), tzinfo=zone)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def _forms(session, project_id):
    """{form id: (xmlFormId, title)} of the project (a town has a dozen)."""
    rows = session.execute(select(Form.id, Form.xml_form_id, FormVersion.title)
                           .outerjoin(FormVersion, FormVersion.id == Form.current_version_id)
                           .where(Form.project_id == project_id).order_by(Form.xml_form_id))
    return {r.id: (r.xml_form_id, r.title or r.xml_form_id) for r in rows}


def _filtered(session, actor, project_id, filters, villages, forms):
    """The queue's statement (newest first) under its filters, without paging."""
    query = select(Submission.id, Submission.created_at, Submission.area_id,
                   Submission.form_id, Submission.submitter_kind, Submission.submitter_id,
                   Submission.review_state).where(Submission.deleted_at.is_(None))
    if villages.ids is not None:
        query = query.where(Submission.area_id.in_(villages.ids))
    wanted = filters.get("form")
    if wanted:
        ids = [i for i, (xml_form_id, _t) in forms.items() if xml_form_id == wanted]
        if not ids:
            raise Problem("404.1")
        query = query.where(Submission.form_id == ids[0])
    else:
        query = query.where(Submission.form_id.in_(list(forms) or [0]))
    state = filters.get("state")
    if state == "received":
        query = query.where(Submission.review_state.is_(None))
    elif state:
        query = query.where(Submission.review_state == state)
    zone = _zone(session, project_id)
    if filters.get("since"):
        query = query.where(Submission.created_at >= _utc(filters["since"], zone))
    if filters.get("until"):
        query = query.where(Submission.created_at < _utc(filters["until"] + timedelta(days=1),
                                                         zone))
    submitter = filters.get("submitter")
    if submitter:
        kind, _, number = submitter.partition(":")
        query = query.where(Submission.submitter_kind == kind,
                            Submission.submitter_id == int(number))
    return query


#: the queue's order, newest first. Compared as a row value: SQLite reads it as one range of
#: the index, where the same test written with OR is not (docs/console.md, "Speed")
_KEY = tuple_(Submission.created_at, Submission.id)


def _cursor(row):
    return f"{row.created_at.isoformat()}_{row.id}"


def _after(query, cursor):
    try:
        when, _, number = cursor.rpartition("_")
        when, number = datetime.fromisoformat(when), int(number)
        if when.tzinfo is not None or not 0 <= number <= ID_MAX:
            raise ValueError(cursor)      # never one of ours (a database would refuse it: 500)
    except ValueError:
        raise Problem("400.79", {"summary": "query: after", "fields": "after"}) from None
    return query.where(_KEY < tuple_(when, number))


def _village_names(session, project_id):
    return {r.id: (r.code, r.name_zh or r.code, r.name_en or r.code) for r in session.execute(
        select(Area.id, Area.code, Area.name_zh, Area.name_en)
        .where(Area.project_id == project_id))}


def submitters(session, actor, project_id):
    """[(value, name)] the queue's submitter filter offers: phones, then web users; for staff
    of some villages only those who may send from one of them (a phone or person of a
    village of hers, or a town-wide one), never the names of other villages' workers."""
    phones = select(AppUser.id, AppUser.display_name).where(AppUser.project_id == project_id)
    users = select(User.id, User.username)
    if actor.area_ids is not None:
        phones = phones.where(or_(AppUser.all_areas, exists().where(
            app_user_areas.c.app_user_id == AppUser.id,
            app_user_areas.c.area_id.in_(actor.area_ids))))
        users = users.where(or_(User.all_areas, User.role == "admin", exists().where(
            user_areas.c.user_id == User.id, user_areas.c.area_id.in_(actor.area_ids))))
    phones = session.execute(phones.order_by(AppUser.display_name, AppUser.id))
    users = session.execute(users.order_by(User.username))
    return ([(f"app_user:{r.id}", r.display_name) for r in phones] +
            [(f"user:{r.id}", r.username) for r in users])


def queue(session, actor, project_id, filters, lang="zh"):
    """One page of the queue: {"rows": [Row], "after": cursor of the next page or None,
    "villages": scope.Villages, "forms": [(xmlFormId, title)], "submitters": [...]}."""
    villages = scope.villages(session, actor, project_id, filters.get("village"))
    forms = _forms(session, project_id)
    query = _filtered(session, actor, project_id, filters, villages, forms)
    if filters.get("after"):
        query = _after(query, filters["after"])
    found = session.execute(query.order_by(Submission.created_at.desc(), Submission.id.desc())
                            .limit(PAGE + 1)).all()
    more = _cursor(found[PAGE - 1]) if len(found) > PAGE else None
    found = found[:PAGE]
    issues = dict(session.execute(select(SubmissionDef.submission_id, SubmissionDef.issues)
                                  .where(SubmissionDef.submission_id.in_([r.id for r in found]),
                                         SubmissionDef.current.is_(True))).all()) if found else {}
    names = actor_names(session, {(r.submitter_kind, r.submitter_id) for r in found})
    areas = _village_names(session, project_id)
    rows = [Row(r.id, forms[r.form_id][1], _area_name(areas, r.area_id, lang),
                names.get((r.submitter_kind, r.submitter_id), ""), r.created_at,
                r.review_state or "received", len(issues.get(r.id) or []))
            for r in found]
    return {"rows": rows, "after": more, "villages": villages,
            "forms": [(x, t) for x, t in sorted(forms.values())],
            "submitters": submitters(session, actor, project_id)}


def _area_name(areas, area_id, lang):
    found = areas.get(area_id)
    if found is None:
        return ""
    return found[2] if lang == "en" else found[1]


def _neighbours(session, actor, project_id, filters, submission):
    """(newer id, older id) of a submission within the queue's filters (None at either end,
    or when the filters no longer hold it)."""
    try:
        villages = scope.villages(session, actor, project_id, filters.get("village"))
        query = _filtered(session, actor, project_id, filters, villages,
                          _forms(session, project_id))
    except Problem:
        return None, None
    when, number = submission.created_at, submission.id
    newer = session.scalar(query.with_only_columns(Submission.id)
                           .where(_KEY > tuple_(when, number))
                           .order_by(Submission.created_at.asc(), Submission.id.asc()).limit(1))
    older = session.scalar(query.with_only_columns(Submission.id)
                           .where(_KEY < tuple_(when, number))
                           .order_by(Submission.created_at.desc(), Submission.id.desc()).limit(1))
    return newer, older


# --- one submission ------------------------------------------------------------------------


def _load(session, actor, project_id, submission_id):
    """The submission if the actor may see it, else 404 (whether or not it exists)."""
    found = session.execute(select(Submission, Form.project_id).join(
        Form, Form.id == Submission.form_id).where(Submission.id == submission_id)).first()
    if (found is None or found.project_id != project_id or found[0].deleted_at is not None
            or not actor.sees_area(found[0].area_id) or not actor.in_project(project_id)):
        raise Problem("404.1")
    return found[0]


def _layout(session, version_id):
    version = session.execute(select(FormVersion.md5).where(FormVersion.id == version_id)).one()

    def load():
        row = session.execute(select(FormVersion.xml, FormVersion.schema)
                              .where(FormVersion.id == version_id)).one()
        return row.xml, row.schema
    return review_form.layout((version_id, version.md5), load)


def _labels(group, lang, out=None):
    """{generic path: label} of every question of a layout."""
    out = {} if out is None else out
    for child in group.children:
        if isinstance(child, review_form.Group):
            _labels(child, lang, out)
        else:
            out[child.path] = review_form.message(child.label, lang) or child.path
    return out


def _leaves(xml):
    """{concrete path: text} of an instance's leaves (repeats numbered as validation does),
    meta left out."""
    root = safexml.parse(xml.encode("utf-8"))
    out = {}

    def walk(elem, path):
        kids = [(safexml.local(c.tag), c) for c in elem if isinstance(c.tag, str)]
        totals = Counter(name for name, _c in kids)
        counts = Counter()
        for name, child in kids:
            if name == "meta":
                continue
            counts[name] += 1
            step = f"{name}[{counts[name]}]" if totals[name] > 1 else name
            if len(child):
                walk(child, f"{path}/{step}")
            else:
                out[f"{path}/{step}"] = (child.text or "").strip()
    walk(root, "/" + safexml.local(root.tag))
    return out


def _generic(path):
    return _POSITION.sub("", path)


def _history(session, defs, labels, names):
    """Each version: who sent it, when, its issues, and what it changed from the one before,
    field by field ([(label, before, after)])."""
    out, before = [], None
    for d in defs:
        leaves = _leaves(d.xml) if not d.encrypted else {}
        changes = []
        if before is not None:
            for path in list(dict.fromkeys([*before, *leaves])):
                old, new = before.get(path, ""), leaves.get(path, "")
                if old != new:
                    changes.append((labels.get(_generic(path), path), old, new))
        out.append({"instance_id": d.instance_id, "deprecated_id": d.deprecated_id,
                    "when": d.created_at, "who": names.get((d.submitter_kind, d.submitter_id), ""),
                    "issues": len(d.issues or []), "changes": changes, "current": d.current})
        before = leaves
    return out


def _feed(session, submission_id, names):
    """Review changes and comments, oldest first: [{"when", "who", "state", "comment"}]."""
    target = f"submission:{submission_id}"
    events = session.execute(select(AuditEvent.actor_type, AuditEvent.actor_id,
                                    AuditEvent.action, AuditEvent.details,
                                    AuditEvent.logged_at)
                             .where(AuditEvent.target == target,
                                    AuditEvent.action == "submission.update")
                             .order_by(AuditEvent.id)).all()
    notes = session.execute(select(SubmissionComment)
                               .where(SubmissionComment.submission_id == submission_id)
                               .order_by(SubmissionComment.id)).scalars().all()
    who = actor_names(session, {(e.actor_type, e.actor_id) for e in events} |
                 {(c.actor_kind, c.actor_id) for c in notes})
    who.update(names)
    feed = [{"when": e.logged_at, "who": who.get((e.actor_type, e.actor_id), ""),
             "state": (e.details or {}).get("reviewState") or "received", "comment": None}
            for e in events]
    feed += [{"when": c.created_at, "who": who.get((c.actor_kind, c.actor_id), ""),
              "state": None, "comment": c.body} for c in notes]
    return sorted(feed, key=lambda f: f["when"])


def _effects(session, actor, submission_id):
    """The register entities its versions created or updated: [(uuid, label, list, version)],
    those now of the actor's villages only (a person may have moved to another since)."""
    rows = session.execute(select(Entity.uuid, Entity.label, Entity.area_id, Dataset.name,
                                  EntityVersion.version)
                           .join(Entity, Entity.id == EntityVersion.entity_id)
                           .join(Dataset, Dataset.id == Entity.dataset_id)
                           .where(EntityVersion.submission_id == submission_id)
                           .order_by(EntityVersion.id)).all()
    return [(r.uuid, r.label, r.name, r.version) for r in rows if actor.sees_area(r.area_id)]


#: the register lists whose records have a page of their own in the console
PAGES = {"people": "/people/"}


def _listed(session, actor, project_id, picked, lang):
    """{list: {value: (name, link)}}: villages by their names, register records (people,
    households …) by their labels, those of the actor's villages only, in one query."""
    out = {}
    if "villages" in picked:
        out["villages"] = {code: (en if lang == "en" else zh, None)
                           for code, zh, en in _village_names(session, project_id).values()}
    uuids = {v for name, values in picked.items() if name != "villages" for v in values}
    if uuids:
        rows = session.execute(select(Entity.uuid, Entity.label, Entity.area_id, Dataset.name)
                               .join(Dataset, Dataset.id == Entity.dataset_id)
                               .where(Dataset.project_id == project_id,
                                      Entity.uuid.in_(sorted(uuids)[:500]))).all()
        for r in rows:
            if r.name in picked and actor.sees_area(r.area_id):
                page = PAGES.get(r.name)
                out.setdefault(r.name, {})[r.uuid] = (r.label or r.uuid,
                                                      page + r.uuid if page else None)
    return out


def submission(session, actor, project_id, submission_id, filters, lang="zh"):
    """The submission page's data (see the template): its answers as its form shows them,
    issues beside their fields, state, versions, feed, register effects, neighbours."""
    found = _load(session, actor, project_id, submission_id)
    defs = list(session.scalars(select(SubmissionDef).where(
        SubmissionDef.submission_id == found.id).order_by(SubmissionDef.id)))
    current = next(d for d in defs if d.current)
    forms = _forms(session, project_id)
    top = _layout(session, current.form_version_id)
    present = {a.name for a in current.attachments if a.blob_sha256}
    if current.encrypted:
        items, elsewhere = [], []
    else:
        root = safexml.parse(current.xml.encode("utf-8"))
        listed = _listed(session, actor, project_id, review_form.lookups(top, root), lang)
        items, elsewhere = review_form.show(top, root, lang, current.issues, present, listed)
    names = actor_names(session, {(d.submitter_kind, d.submitter_id) for d in defs})
    areas = _village_names(session, project_id)
    newer, older = _neighbours(session, actor, project_id, filters, found)
    return {
        "id": found.id, "instance_id": found.instance_id, "form": forms[found.form_id][1],
        "xml_form_id": forms[found.form_id][0], "state": found.review_state or "received",
        "village": _area_name(areas, found.area_id, lang), "received": found.created_at,
        "submitter": names.get((found.submitter_kind, found.submitter_id), ""),
        "in_register": found.in_register, "instance_name": current.instance_name,
        "encrypted": current.encrypted, "items": items, "elsewhere": elsewhere,
        "issues": len(current.issues or []), "current_instance_id": current.instance_id,
        "history": _history(session, defs, _labels(top, lang), names),
        "feed": _feed(session, found.id, names), "effects": _effects(session, actor, found.id),
        "newer": newer, "older": older}


@dataclass(frozen=True)
class File:
    """A stored attachment to send (what app.openrosa.media.send_blob reads)."""
    sha256: str
    md5: str
    size: int
    name: str


def attachment(session, actor, project_id, submission_id, name):
    """A file of the submission's current version, by the name its XML gives (404 for any
    other name, or one not uploaded yet)."""
    found = _load(session, actor, project_id, submission_id)
    row = session.execute(select(Blob.sha256, Blob.md5, Blob.size)
                          .join(SubmissionAttachment,
                                SubmissionAttachment.blob_sha256 == Blob.sha256)
                          .join(SubmissionDef, SubmissionDef.id == SubmissionAttachment.def_id)
                          .where(SubmissionDef.submission_id == found.id,
                                 SubmissionDef.current.is_(True),
                                 SubmissionAttachment.name == name)).first()
    if row is None:
        raise Problem("404.1")
    return File(row.sha256, row.md5, row.size, name)


def raw_xml(session, actor, project_id, submission_id):
    """(file name, the current version's XML as received)."""
    found = _load(session, actor, project_id, submission_id)
    xml = session.scalar(select(SubmissionDef.xml).where(
        SubmissionDef.submission_id == found.id, SubmissionDef.current.is_(True)))
    return f"{found.instance_id}.xml", xml


# --- acting on it --------------------------------------------------------------------------


def review(session, actor, project_id, submission_id, state=None, comment=None):
    """Set the review state (as the API's PATCH does: approving a held submission merges it)
    and/or add a comment; each writes its audit row. Nothing to do is a 400."""
    comment = (comment or "").strip()
    if not state and not comment:
        raise Problem("400.112")
    found = _load(session, actor, project_id, submission_id)
    if state:
        if state not in ACTIONS:
            raise Problem("400.75", {"value": state, "allowed": ", ".join(ACTIONS)})
        queries.set_review_state(session, actor, found, state)
    if comment:
        comments.add(session, actor, found, comment)
    return found.id


def correction(session, actor, project_id, submission_id, lang="zh"):
    """The correction form's data: the current version's answers as inputs."""
    found = _load(session, actor, project_id, submission_id)
    current = queries.current_def(session, found)
    if current.encrypted:
        raise Problem("409.111")
    top = _layout(session, current.form_version_id)
    root = safexml.parse(current.xml.encode("utf-8"))
    return {"id": found.id, "form": _forms(session, project_id)[found.form_id][1],
            "instance_name": current.instance_name, "base": current.instance_id,
            "inputs": review_form.inputs(top, root, lang),
            "issues": {i.get("path"): i for i in current.issues or []}}


def correct(session, store, actor, project_id, submission_id, base, form):
    """Send the corrected version through intake as the signed-in person. `base`: the
    instanceID the form was made from; if the submission has had another version since,
    the correction is refused (409.112) rather than overwrite it."""
    found = _load(session, actor, project_id, submission_id)
    current = queries.current_def(session, found)
    if current.instance_id != base:
        raise Problem("409.112")
    if current.encrypted:
        raise Problem("409.111")
    root = safexml.parse(current.xml.encode("utf-8"))
    top = _layout(session, current.form_version_id)
    changes = review_form.changed(review_form.inputs(top, root, "zh"), form)
    if not changes:
        raise Problem("400.111")
    review_form.apply(root, changes)
    _new_version(root, base)
    xml = etree.tostring(root, encoding="utf-8")
    session.rollback()          # the reads are done; intake runs its own phases
    upload = intake.Upload(xml=xml, user_agent="Doorstep console")
    try:
        received = intake.receive(session, store, actor, project_id, upload)
    except Problem as e:
        if e.code == "409.9":           # another version won the race meanwhile
            raise Problem("409.112") from e
        raise
    return received.submission_id, sorted(changes)


def _new_version(root, previous):
    meta = next((c for c in root if isinstance(c.tag, str) and safexml.local(c.tag) == "meta"),
                None)
    if meta is None:
        meta = etree.SubElement(root, _same_ns(root, "meta"))
    instance_id = next((c for c in meta if isinstance(c.tag, str)
                        and safexml.local(c.tag) == "instanceID"), None)
    if instance_id is None:
        instance_id = etree.SubElement(meta, _same_ns(meta, "instanceID"))
    instance_id.text = f"uuid:{uuid.uuid4()}"
    deprecated = next((c for c in meta if isinstance(c.tag, str)
                       and safexml.local(c.tag) == "deprecatedID"), None)
    if deprecated is None:
        deprecated = etree.Element(_same_ns(meta, "deprecatedID"))
        instance_id.addnext(deprecated)
    deprecated.text = previous


def _same_ns(parent, name):
    ns = etree.QName(parent).namespace
    return f"{{{ns}}}{name}" if ns else name
