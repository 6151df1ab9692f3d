"""Monthly summary cells of the life events (owner: h-cells; stub until merged)."""
#: weeks of gestation from which a termination needs its approval number (the town's plan)
APPROVAL_WEEKS = 15


def contributions(row):
    """[(area_id, month, cell, n)] one life_events row gives (SPEC.md)."""
    return []


def apply(session, rows, sign):
    """Add (sign=+1) or subtract (-1) the contributions of life_events rows."""
