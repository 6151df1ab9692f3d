"""The person form's events: the one change it records (birth, death, marriage, divorce, move
in or out) and a married woman's newly stated pregnancy plan. Reads every version of the form."""
from app.events.derive import deriver, uuid_of
from app.events.people import Person, birth_event, couple_events, person_events

KINDS = ("birth", "death", "marriage", "divorce", "moved_in", "moved_out", "pregnancy_planned")


@deriver("person", yields=KINDS)
def person(a):
    reason = a.get("change_reason")
    household = uuid_of(a.get("household")) or uuid_of(a.get("previous_household"))
    p = Person(a, {reason} if reason else set(), household, a.date("change_date"))
    events = []
    if reason == "birth" and p.uuid:
        events.append(birth_event(p, [p]))
    events.extend(person_events(p))
    for kind in ("marriage", "divorce"):
        events.extend(couple_events([p], kind))
    return events
