"""Assembles the live report document of a month (owner: h-figures; stub until merged)."""
from app.reports import document
from app.models_base import isoformat, utcnow


def build(session, project_id, month, area_ids):
    """The report of `month` (periods.Month) over `area_ids` (None: the town), unlocked."""
    return {"kind": "town" if area_ids is None else "village", "project_id": project_id,
            "month": str(month), "village": None, "villages": [],
            "generated_at": isoformat(utcnow()),
            "lock": {"state": "open", "version": None, "locked_at": None, "locked_by": None},
            "sections": [document.table("A", "人口", "Population",
                                        [document.column("end", "期末", "End")],
                                        [document.row("population", "总人口", "Population",
                                                      {"end": 0})])],
            "indicators": [], "sex_ratio": {}, "lists": [], "alerts": [], "amendments": [],
            "late_records": [], "charts": {}}
