"""Small readings shared by the derivers: the half-year round (三查 round) of a date, and an
ISO date as event details keep it."""


def half_year_round(day):
    """`YYYY-H1` (January to June) or `YYYY-H2` for a date; '' without one."""
    if day is None:
        return ""
    return f"{day.year}-H{1 if day.month <= 6 else 2}"


def iso(day):
    return day.isoformat() if day is not None else ""


def created(a):
    """Whether these answers (a form, or one member row) put a new person on the register:
    the form's mode says so ('new'), or, where a version has no mode answer, the entity
    block's create flag does."""
    mode = a.get("member_mode") or a.get("mode")
    if mode:
        return mode == "new"
    node = a._find("meta/entity")    # noqa: SLF001 - the block's attributes, not an answer
    return node is not None and (node.get("create") or "").strip().lower() in ("1", "true")
