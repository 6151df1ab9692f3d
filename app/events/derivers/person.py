"""The person form's events: the one change it records (birth, death, marriage, divorce, move
in or out), the registration of a new person neither born nor moved in (`registered`: mode
'new', whose change reason, if any, is another; versions before 2026120301 asked no reason of a
new person), a married woman's newly stated pregnancy plan, and since 2026120401 a method of
contraception she states that the register did not hold (`method_changed`). A person already on
the register moving in within the town from a household of her own village (the form's people
are its village's) is no move in (since 2026120401). Reads every version of the form."""
from app.events.derive import deriver, uuid_of
from app.events.derivers._common import created
from app.events.people import Person, birth_event, couple_events, person_events, registered_event

KINDS = ("birth", "death", "marriage", "divorce", "moved_in", "moved_out", "registered",
         "pregnancy_planned", "method_changed")


@deriver("person", yields=KINDS)
def person(a):
    reason = a.get("change_reason")
    household = uuid_of(a.get("household")) or uuid_of(a.get("previous_household"))
    p = Person(a, {reason} if reason else set(), household, a.date("change_date"))
    events = []
    if p.uuid and created(a) and reason not in ("birth", "moved_in"):
        # the record's date: the form's change date, else the day it was filled
        events.append(registered_event(p, p.date or a.date("today")))
    if reason == "birth" and p.uuid:
        events.append(birth_event(p, [p]))
    events.extend(person_events(p, village=a.get("village"), created=created(a)))
    for kind in ("marriage", "divorce"):
        events.extend(couple_events([p], kind))
    return events
