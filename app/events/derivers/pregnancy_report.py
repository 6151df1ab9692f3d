"""Events of pregnancy_report: a women's group leader (or, in some villages, a worker) reports a
new pregnancy. Versions before 2026120301 have no report date: the day the form was filled
stands in for it."""
from app.events.derive import Event, deriver, uuid_of


def weeks_between(start, end):
    """Whole weeks from `start` to `end`, or None when either date is unknown."""
    if start is None or end is None:
        return None
    return (end - start).days // 7


@deriver("pregnancy_report", yields=("pregnancy_reported",))
def pregnancy_report(a):
    woman = uuid_of(a.get("woman_update/woman") or a.get("woman"))
    pregnancy = a.entity_id()
    if woman is None and pregnancy is None:
        return
    reported_on = a.date("report_date") or a.date("today") or a.date("start")
    lmp = a.date("lmp")
    weeks = a.int("weeks")
    if weeks is None:
        weeks = weeks_between(lmp, reported_on)
    yield Event("pregnancy_reported", reported_on, person=woman, pregnancy=pregnancy,
                details={"reported_by": a.get("reported_by") or "group_leader",
                         "lmp": lmp.isoformat() if lmp else "", "weeks": weeks})
