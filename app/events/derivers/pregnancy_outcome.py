"""Events of pregnancy_outcome: how a pregnancy ended (`pregnancy_ended`, whatever the
outcome), and for a live birth each child's `birth`, its birth medical certificate and, when
the baby died within 28 days, its `newborn_death`.

Older versions (before 2026120301) differ: the outcome `late_termination` is today's
`medical_termination`; the loss reason was free text (it becomes reason `other` with the
text as reason_other); the one newborn was a group, not a repeat, with the child's entity
block and calculations beside it in `child`; and every pregnancy was already registered."""
from app.events.derive import Event, deriver, uuid_of

OLD_OUTCOMES = {"late_termination": "medical_termination"}
LOSS_REASONS = {"spontaneous", "fetal_anomaly", "maternal_illness", "contraceptive_failure",
                "unplanned", "other"}
NEWBORN_DEATHS = ("in_hospital", "outside_hospital")


def _reason(a):
    """(reason code, the 'other' text): an old free-text reason is `other` with its text."""
    reason = a.get("loss_reason")
    if not reason or reason in LOSS_REASONS:
        return reason, a.get("loss_reason_other")
    return "other", reason


def _newborns(a):
    """Each newborn as (answers, the child's own value reader): a repeat instance in new
    versions; the single `child/newborn` group in old ones, whose calculations and entity
    block sit in `child`."""
    child = a.repeat("child")
    child = child[0] if child else None
    for newborn in a.repeat("child/newborn"):
        def value(name, newborn=newborn):
            return newborn.get(name) or (child.get(name) if child is not None else "")
        person = newborn.entity_id() or (child.entity_id() if child is not None else None)
        yield newborn, value, person


@deriver("pregnancy_outcome", yields=("pregnancy_ended", "birth", "newborn_death",
                                      "certificate_issued"))
def pregnancy_outcome(a):
    outcome = a.get("outcome")
    outcome = OLD_OUTCOMES.get(outcome, outcome)
    if not outcome:
        return
    ended_on = a.date("outcome_date")
    woman = uuid_of(a.get("pregnancy_woman") or a.get("woman"))
    pregnancy = uuid_of(a.get("pregnancy_id") or a.get("pregnancy")) or a.entity_id()
    reason, reason_other = _reason(a)
    place, facility = a.get("place"), a.get("facility")
    yield Event("pregnancy_ended", ended_on, person=woman, pregnancy=pregnancy, details={
        "outcome": outcome, "reason": reason, "reason_other": reason_other,
        "weeks": a.int("gestational_weeks"), "approval_no": a.get("approval_no"),
        "place": place, "facility": facility, "attendant": a.get("attendant"),
        "registered": "no" if a.get("pregnancy_mode") == "unregistered" else "yes"})
    if outcome != "live_birth":
        return
    for newborn, value, child in _newborns(a):
        mother = uuid_of(value("child_mother")) or woman
        yield Event("birth", ended_on, person=child, other_person=mother,
                    household=uuid_of(value("child_household")), pregnancy=pregnancy, details={
                        "sex": newborn.get("child_sex"), "weight_kg": newborn.decimal("child_weight"),
                        "certificate_no": newborn.get("birth_certificate_no"), "place": place,
                        "facility": facility, "father": uuid_of(value("child_father")) or "",
                        "birth_order": newborn.int("child_birth_order")})
        if newborn.get("birth_certificate_no"):
            yield Event("certificate_issued", ended_on, person=child, details={
                "certificate": "birth_medical", "number": newborn.get("birth_certificate_no"),
                "issued_by": facility, "valid_until": ""})
        died = newborn.get("newborn_death")
        if died in NEWBORN_DEATHS:
            died_on = newborn.date("newborn_death_date")
            yield Event("newborn_death", died_on, person=child, other_person=mother,
                        pregnancy=pregnancy, details={
                            "place": died, "checked": newborn.get("newborn_death_checked"),
                            "sex": newborn.get("child_sex"),
                            "cause": newborn.get("newborn_death_cause"),
                            "age_days": (died_on - ended_on).days if died_on and ended_on else None})
