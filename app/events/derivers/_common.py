"""Small readings shared by the derivers: the half-year round (三查 round) of a date, and an
ISO date as event details keep it."""


def half_year_round(day):
    """`YYYY-H1` (January to June) or `YYYY-H2` for a date; '' without one."""
    if day is None:
        return ""
    return f"{day.year}-H{1 if day.month <= 6 else 2}"


def iso(day):
    return day.isoformat() if day is not None else ""
