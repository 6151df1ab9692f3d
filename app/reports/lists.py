"""The name lists the plan asks for and the alerts (owner: h-lists; stub until merged)."""


def tables(session, project_id, month, area_ids):
    """The lists (app.reports.document.table) of `month` over `area_ids` (None: the town)."""
    return []


def alerts(session, project_id, month, area_ids):
    return []
