"""Sections F–I of a report: three checks, pre-pregnancy checks, migrants, rewards (owner:
h-lists; stub until merged)."""


def sections(session, project_id, month, area_ids):
    """[F, G, H, I] tables (app.reports.document.table) for `month` over `area_ids` (None:
    the whole town)."""
    return []
