"""The reports' entry points: scope, locks and audit around app.reports.build (owner: h-locks;
stub until merged)."""
from app.reports import build as _build


def report(session, project_id, month, village_code, actor, lang="zh"):
    return _build.build(session, project_id, month, None)
