"""Events of three_checks (三查): every check is kept as a `three_checks` event of its round
and an `iud_check`; a pregnancy it finds is reported (when new) and confirmed, and a
real-name ultrasound after 14 weeks is its own event. Since 2026120401 the form reads the
method the register held (`contraception_before`): a method stated that differs from it is a
`method_changed` on the check date (earlier versions yield none).

Versions before 2026120301 asked the round as `h1`/`h2` without a year: the year is the
check date's."""
from app.events.derive import Event, deriver, uuid_of
from app.events.derivers._common import half_year_round


def weeks_between(start, end):
    """Whole weeks from `start` to `end`, or None when either date is unknown."""
    if start is None or end is None:
        return None
    return (end - start).days // 7


HALVES = {"h1": "H1", "h2": "H2"}


def check_round(a, check_date):
    """`YYYY-H1`/`YYYY-H2`: as the form computed it, or from an old `h1`/`h2` and the date."""
    value = a.get("check_round")
    if value.lower() in HALVES:
        return f"{check_date.year}-{HALVES[value.lower()]}" if check_date else ""
    return value or half_year_round(check_date)


@deriver("three_checks", yields=("three_checks", "iud_check", "pregnancy_reported",
                                 "pregnancy_confirmed", "ultrasound", "method_changed"))
def three_checks(a):
    woman = uuid_of(a.get("woman")) or a.entity_id()
    if woman is None:
        return
    check_date = a.date("check_date")
    round_ = check_round(a, check_date)
    iud_result = a.get("iud/iud_result")
    pregnant = a.get("preg/pregnancy_result") == "pregnant"
    findings = a.selected("gyn/findings")
    yield Event("three_checks", check_date, person=woman, details={
        "round": round_, "iud_result": iud_result, "pregnancy_found": "yes" if pregnant else "no",
        "illness_found": "yes" if [f for f in findings if f != "none"] else "no",
        "findings": findings})
    if iud_result:
        yield Event("iud_check", check_date, person=woman,
                    details={"round": round_, "result": iud_result})
    method = a.get("contraception")
    if a.has("contraception_before") and method != a.get("contraception_before"):
        yield Event("method_changed", check_date, person=woman, details={
            "method": method, "previous_method": a.get("contraception_before")})
    if not pregnant:
        return
    pregnancy = uuid_of(a.get("preg/pregnancy_id")) or a.entity_id("preg")
    weeks = a.int("preg/preg_weeks")
    lmp = a.date("preg/lmp")
    lmp_text = lmp.isoformat() if lmp else ""
    if not a.get("preg/known_pregnancy"):
        yield Event("pregnancy_reported", check_date, person=woman, pregnancy=pregnancy,
                    details={"reported_by": a.get("preg/reported_by") or "health_centre",
                             "lmp": lmp_text, "weeks": weeks})
    yield Event("pregnancy_confirmed", check_date, person=woman, pregnancy=pregnancy,
                details={"weeks": weeks, "lmp": lmp_text})
    if a.get("preg/ultrasound_done") == "yes":
        scanned_on = a.date("preg/ultrasound_date") or check_date
        scan_weeks = weeks_between(lmp, scanned_on)
        yield Event("ultrasound", scanned_on, person=woman, pregnancy=pregnancy, details={
            "weeks": scan_weeks if scan_weeks is not None else weeks,
            "facility": a.get("preg/ultrasound_facility"),
            "operator": a.get("preg/ultrasound_operator")})
