"""Creating towns (projects; the default one and more, docs/towns.md) and loading villages
from the shared choice file."""
import csv

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.audit.record import record
from app.problems import Problem
from app.projects.models import Area, Project

DEFAULT_PROJECT_ID = 1


def ensure_default_project(session, name):
    project = session.get(Project, DEFAULT_PROJECT_ID)
    if project is None:
        project = Project(id=DEFAULT_PROJECT_ID, name=name)
        session.add(project)
        session.flush()
        _start_reports(session, project)    # its reports' stock bases start with it
    return project


def _start_reports(session, project):
    from app.reports import bases   # noqa: PLC0415 - reports build on projects
    bases.start(session, project.id)


def create_project(session, name, actor=None):
    """A new town, with its reports' stock bases; 400.342 for a blank or overlong name."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 200:
        raise Problem("400.342")
    project = _numbered(session, name)
    _start_reports(session, project)
    record(session, actor, "project.create", f"project:{project.id}", name=name)
    return project


def _numbered(session, name, tries=5):
    """The new project, numbered after the highest rather than by the id sequence: project 1
    is inserted with its id, which PostgreSQL's sequence does not see. Two admins creating
    towns at once: the second takes the next number."""
    for attempt in range(tries):
        project = Project(id=(session.scalar(select(func.max(Project.id))) or 0) + 1, name=name)
        try:
            with session.begin_nested():
                session.add(project)
                session.flush()
            return project
        except IntegrityError:
            if attempt == tries - 1:
                raise


def import_areas(session, project_id, path):
    """Upsert areas from a CSV with a `name` column and optional Chinese/English labels.

    Labels come from `label_zh` / `label_en` (or XLSForm-style `label::Chinese (zh)` /
    `label::English (en)`), else the plain `label`. forms/villages.csv uses the first spelling
    because it is also a choice file on phones, where every column header must be a valid XML
    name: Collect refuses to download a form whose CSV has a `label::…` header
    (getodk/collect#4266) and ODK's web-form engine cannot read one either.
    Returns (created, updated).
    """
    existing = {a.code: a for a in session.scalars(select(Area).where(Area.project_id == project_id))}
    created = updated = 0
    with open(path, newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            code = (row.get("name") or "").strip()
            if not code:
                continue
            zh = _label(row, "zh") or row.get("label", "")
            en = _label(row, "en") or row.get("label", "")
            area = existing.get(code)
            if area is None:
                session.add(Area(project_id=project_id, code=code, name_zh=zh, name_en=en))
                created += 1
            elif (area.name_zh, area.name_en) != (zh, en):
                area.name_zh, area.name_en = zh, en
                updated += 1
    session.flush()
    return created, updated


def _label(row, lang):
    if (row.get(f"label_{lang}") or "").strip():
        return row[f"label_{lang}"].strip()
    for key, value in row.items():
        if key and key.lower().startswith("label::") and key.rstrip(")").endswith("(" + lang):
            return value.strip()
    return ""


def areas_by_code(session, project_id, codes=None):
    query = select(Area).where(Area.project_id == project_id)
    if codes:
        query = query.where(Area.code.in_(codes))
    return list(session.scalars(query.order_by(Area.code)))


def summary(session):
    """(project, number of villages) for every town, by id."""
    counts = dict(session.execute(select(Area.project_id, func.count()).group_by(Area.project_id))
                  .all())
    return [(p, counts.get(p.id, 0)) for p in session.scalars(select(Project).order_by(Project.id))]
