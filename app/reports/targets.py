"""Yearly targets per indicator (owner: h-locks; stub until merged)."""


def for_year(session, project_id, year, area_id=None):
    """{indicator: value} set for the year: the village's own, else the town's (area 0)."""
    return {}
