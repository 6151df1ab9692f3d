"""Creating the default project and loading villages from the shared choice file."""
import csv

from sqlalchemy import select

from app.projects.models import Area, Project

DEFAULT_PROJECT_ID = 1


def ensure_default_project(session, name):
    project = session.get(Project, DEFAULT_PROJECT_ID)
    if project is None:
        project = Project(id=DEFAULT_PROJECT_ID, name=name)
        session.add(project)
        session.flush()
        # its reports' stock bases start with it (app.reports.bases)
        from app.reports import bases   # noqa: PLC0415 - reports build on projects
        bases.start(session, project.id)
    return project


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
