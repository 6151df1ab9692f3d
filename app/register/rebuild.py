"""Rebuilding the register from what it was made of: every stored submission and API change,
replayed in the order it happened (the journal, RegisterEvent) through the same merge code,
into a scratch database. `check` compares the result with the live register; `replace` puts
the rebuilt register in its place. Nothing else is read: if the two differ, something changed
the register without going through the journal, or the merge is not deterministic — either
is a defect, and that is what this is for.

The scratch copy is a temporary SQLite database holding the reference rows the merge reads
(projects, villages, forms and versions, lists and their properties, submissions) and
nothing of the register.

Life events are rebuilt too: every counted submission's current version is derived again
(app.events.record.write, the one way they are written) into the scratch copy, and compared
with, or put in place of, the live `life_events` (ids and write times aside). The monthly
report cells (app.reports.cells) are checked against the live events, and recomputed from
the rebuilt ones when they replace the live events.
"""
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import bindparam, create_engine, delete, func, insert, select, text, update
from sqlalchemy.orm import Session, undefer

from app import safexml
from app.events import record as life
from app.events.models import LifeEvent
from app.db import db
from app.forms.models import Form, FormVersion
from app.quality import duplicates
from app.quality.models import DuplicatePair, PersonMatchKey
from app.register import entities, merge, search
from app.register.models import (AreaRevision, Dataset, Entity, EntityBacklog, EntityMerge,
                                 EntityVersion, PersonNameTerm, PersonSearch, RegisterEvent)
from app.reports import bases as report_bases
from app.reports import cells as report_cells

#: copied into the scratch database, parents first
REFERENCE_TABLES = ("projects", "areas", "forms", "form_versions", "datasets",
                    "dataset_properties", "submissions", "submission_defs",
                    # supervisors' decisions on duplicate pairs: inputs the pairs are made with
                    "duplicate_decisions")
#: the register itself, children first (for clearing)
REGISTER_TABLES = (PersonNameTerm, PersonSearch, DuplicatePair, PersonMatchKey, EntityMerge,
                   EntityVersion,
                   EntityBacklog, AreaRevision, Entity)


@dataclass
class Report:
    events: int = 0
    entities: int = 0
    differences: list = field(default_factory=list)
    life_events: int = 0
    #: report cells (non-zero) stored after a replace, or found in the live database by a check
    cells: int = 0


@contextmanager
def scratch(live_session):
    """A Session on a new SQLite database with the schema and the live reference rows."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{os.path.join(tmp, 'rebuild.sqlite3')}")
        db.metadata.create_all(engine)
        with engine.begin() as target:
            for name in REFERENCE_TABLES:
                table = db.metadata.tables[name]
                rows = [dict(r._mapping) for r in live_session.execute(select(table))]
                if name == "datasets":
                    for r in rows:
                        r["revision"] = r["schema_revision"] = 0
                if name == "form_versions":      # the merge never reads the XLSForm's blob
                    for r in rows:
                        r["xlsform_sha256"] = None
                if rows:
                    target.execute(insert(table), rows)
        session = Session(engine)
        try:
            yield session
        finally:
            session.close()
            engine.dispose()


def replay(session, events, progress=None):
    """Apply the journal's events, in order, to `session`'s register."""
    for event in events:
        _apply(session, event)
        session.flush()
        if progress:
            progress(1)


def _apply(session, event):
    kind = event.kind
    # who made a change stays its author (an entity's creatorId, which clients require; a
    # version's actor, which the rebuilt rows must carry as the live ones do)
    actor = _Author(event.actor_kind, event.actor_id) if event.actor_kind else None
    if kind in ("submission", "backlog.force"):
        ref = merge.ref_for_def(session, event.submission_def_id)
        ref.approved = bool((event.payload or {}).get("approved"))
        ref.actor = actor
        merge.merge_submission(session, ref, force=kind == "backlog.force", kind=kind)
        return
    dataset = session.get(Dataset, event.dataset_id)
    found = session.scalar(select(Entity).where(Entity.uuid == event.entity_uuid))
    payload = event.payload or {}
    if kind == "api.create":
        entities.create(session, dataset, payload.get("label", ""), payload.get("data", {}),
                        event.entity_uuid, payload.get("area_id"), actor=actor,
                        journaled=False)
    elif kind == "api.update":
        entities.update(session, found, payload.get("label") or None, payload.get("data", {}),
                        actor=actor, facts={"conflict": payload.get("conflict")},
                        area_id=payload.get("area_id", found.area_id), journaled=False,
                        dataset=dataset)
    elif kind == "api.resolve":
        entities.resolve(session, found, journaled=False)
    elif kind == "delete":
        entities.delete(session, found, journaled=False)
    elif kind == "restore":
        entities.restore(session, found, journaled=False)
    elif kind == "purge":
        entities.purge(session, found, journaled=False)
    elif kind in ("merge", "unmerge"):
        from app.quality import merging   # noqa: PLC0415 - quality builds on the register
        if kind == "merge":
            merged = session.scalar(select(Entity).where(Entity.uuid == payload["merged"]))
            merging.merge(session, actor, dataset, found, merged, payload.get("picks"),
                          journaled=False)
        else:
            merging.unmerge(session, actor, dataset, found, journaled=False)


@dataclass(frozen=True)
class _Author:
    """The journal's record of who made a change, as the register's writers read an actor."""
    kind: str
    id: int


def _events(session, project_id):
    return session.scalars(select(RegisterEvent).where(RegisterEvent.project_id == project_id)
                           .order_by(RegisterEvent.id)).all()


def snapshot(session):
    """The register as comparable values: entities by uuid, with their versions."""
    names = dict(session.execute(select(Dataset.id, Dataset.name)).all())
    uuids = dict(session.execute(select(Entity.id, Entity.uuid)).all())
    out = {}
    for e in session.scalars(select(Entity).options(undefer(Entity.merged_into_id))):
        out[e.uuid] = {"merged_into": uuids.get(e.merged_into_id), "list": names[e.dataset_id], "label": e.label, "version": e.version,
                       "data": e.data, "area": e.area_id, "conflict": e.conflict,
                       "deleted": e.deleted_at is not None, "purged": e.purged_at is not None,
                       "force_created": e.force_created, "versions": []}
    by_id = {e.id: e.uuid for e in session.scalars(select(Entity))}
    for v in session.scalars(select(EntityVersion).order_by(EntityVersion.version)):
        out[by_id[v.entity_id]]["versions"].append(
            (v.version, v.label, v.data, v.base_version, v.branch_id, v.conflict, v.source,
             v.submission_def_id))
    return out


def compare(live, rebuilt):
    differences = []
    for uuid in sorted(set(live) | set(rebuilt)):
        a, b = live.get(uuid), rebuilt.get(uuid)
        if a is None or b is None:
            differences.append(f"{uuid}: only in the {'rebuilt' if a is None else 'live'} register")
            continue
        for key in a:
            if a[key] != b[key]:
                differences.append(f"{uuid} {key}: live {a[key]!r}, rebuilt {b[key]!r}")
    return differences


def derive_life_events(session, project_id, batch=500, cells=True):
    """Write the life events of every counted submission of the project into `session`'s
    life_events (the scratch copy's, which starts empty), `batch` submissions read at a time,
    and, with `cells`, add them to its report cells. Returns how many."""
    from app.submissions.models import Submission, SubmissionDef   # noqa: PLC0415
    query = (select(Submission.id, Submission.area_id, Form.xml_form_id,
                    SubmissionDef.id.label("def_id"), SubmissionDef.xml, FormVersion.version)
             .join(Form, Form.id == Submission.form_id)
             .join(SubmissionDef, (SubmissionDef.submission_id == Submission.id)
                   & SubmissionDef.current.is_(True))
             .join(FormVersion, FormVersion.id == SubmissionDef.form_version_id)
             .where(Form.project_id == project_id, Submission.in_register.is_(True),
                    Submission.deleted_at.is_(None), SubmissionDef.encrypted.is_(False),
                    func.coalesce(Submission.review_state, "") != "rejected")
             .order_by(Submission.id).limit(batch))
    written, last = 0, 0
    while True:
        rows = session.execute(query.where(Submission.id > last)).all()
        for r in rows:
            written += life.write(session, project_id, r.id, r.def_id, r.xml_form_id,
                                  safexml.parse(r.xml.encode("utf-8")), r.version, r.area_id,
                                  cells)
        if len(rows) < batch:
            return written
        last = rows[-1].id


def life_event_snapshot(session, project_id):
    """(submission id, position) -> the event's values, for comparing."""
    T = LifeEvent.__table__
    keys = [c for c in life.COLUMNS if c != "created_at"]
    return {(r.submission_id, r.position): {k: getattr(r, k) for k in keys}
            for r in session.execute(select(*(T.c[k] for k in keys))
                                     .where(T.c.project_id == project_id))}


def compare_life_events(live, rebuilt):
    differences = []
    for key in sorted(set(live) | set(rebuilt)):
        a, b = live.get(key), rebuilt.get(key)
        where = f"life event {key[1]} of submission {key[0]}"
        if a is None or b is None:
            kind = (a or b)["kind"]
            differences.append(f"{where} ({kind}): only in the {'rebuilt' if a is None else 'live'}"
                               " events")
            continue
        for name in a:
            if a[name] != b[name]:
                differences.append(f"{where} {name}: live {a[name]!r}, rebuilt {b[name]!r}")
    return differences


def check(live_session, project_id, progress=None):
    """Rebuild into a scratch copy and report how it differs from the live register and its
    life events, and the report cells from what the live events give (so, when the events
    agree, from what the rebuilt ones give)."""
    events = _events(live_session, project_id)
    with scratch(live_session) as session:
        replay(session, events, progress)
        report = Report(len(events), len(snapshot(session)),
                        compare(snapshot(live_session), snapshot(session)))
        # the people search's index, written with the entities (app.register.search)
        report.differences += search.compare(search.snapshot(live_session, project_id),
                                             search.snapshot(session, project_id))
        # the duplicate pairs, found with each entity's write (app.quality.duplicates)
        report.differences += duplicates.compare(duplicates.snapshot(live_session, project_id),
                                                 duplicates.snapshot(session, project_id))
        report.life_events = derive_life_events(session, project_id, cells=False)
        report.differences += compare_life_events(life_event_snapshot(live_session, project_id),
                                                  life_event_snapshot(session, project_id))
    report.differences += [str(d) for d in report_cells.compare(live_session, project_id)]
    report.differences += report_bases.compare(live_session, project_id)
    report.cells = report_cells.count(live_session, project_id)
    return report


def replace(live_session, project_id, progress=None):
    """Rebuild, then put the rebuilt register in place of the live one (the caller commits).
    The backlog is kept as it is: held submissions are not part of the register yet."""
    events = _events(live_session, project_id)
    with scratch(live_session) as session:
        replay(session, events, progress)
        tables = [t for t in REGISTER_TABLES if t is not EntityBacklog]
        rows = {t: [dict(r._mapping) for r in session.execute(select(t.__table__))] for t in tables}
        revisions = session.execute(select(Dataset.id, Dataset.revision,
                                           Dataset.schema_revision)).all()
        life_count = derive_life_events(session, project_id, cells=False)
        life_rows = [dict(r._mapping) for r in session.execute(select(*(
            LifeEvent.__table__.c[c] for c in life.COLUMNS)).order_by(LifeEvent.id))]
    live_session.execute(delete(LifeEvent.__table__)
                         .where(LifeEvent.__table__.c.project_id == project_id))
    if life_rows:
        live_session.execute(insert(LifeEvent.__table__), life_rows)
    cell_count = report_cells.rebuild(live_session, project_id)
    report_bases.rebuild(live_session, project_id)
    backlog = [dict(r._mapping) for r in live_session.execute(select(EntityBacklog.__table__))]
    for table in REGISTER_TABLES:
        live_session.execute(delete(table.__table__))
    merged_into = [{"i": r["id"], "m": r["merged_into_id"]} for r in rows[Entity]
                   if r["merged_into_id"] is not None]
    for r in rows[Entity]:      # an entity may be merged into a later one: pointed after
        r["merged_into_id"] = None
    for table in reversed(tables):
        if rows[table]:
            live_session.execute(insert(table.__table__), rows[table])
    if merged_into:
        entity_table = Entity.__table__
        live_session.execute(update(entity_table).where(entity_table.c.id == bindparam("i"))
                             .values(merged_into_id=bindparam("m")), merged_into)
    if backlog:
        live_session.execute(insert(EntityBacklog.__table__), backlog)
    if live_session.get_bind().dialect.name == "postgresql":
        for table in tables:     # ids were copied: move each sequence past them
            if "id" not in table.__table__.c:     # the people search's tables: by entity
                continue
            name = table.__tablename__
            live_session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"))
    for dataset_id, revision, _schema in revisions:
        # every phone must fetch again: the live revisions only ever move forward
        live_session.execute(update(Dataset).where(Dataset.id == dataset_id)
                             .values(revision=Dataset.revision + revision + 1,
                                     schema_revision=Dataset.schema_revision + 1))
    return Report(len(events), sum(1 for _ in rows[Entity]), life_events=life_count,
                  cells=cell_count)
