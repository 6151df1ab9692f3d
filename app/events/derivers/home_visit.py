"""The home visit's events: births, deaths, marriages and divorces (one per couple), moves in
and out (a member from another household of the town is a move within the town: since
2026120401, out of her previous village and into this one, or no move at all between two
households of one village), a member put on the register neither born nor moved in
(`registered`: the baseline visit of a new household, a member found on a visit), a married
woman's newly stated pregnancy plan, and since 2026120401 a method of contraception she states
that the register did not hold (`method_changed`). Reads every version of the form."""
from app.events.derive import deriver, uuid_of
from app.events.derivers._common import created
from app.events.people import Person, birth_event, couple_events, person_events, registered_event

KINDS = ("birth", "death", "marriage", "divorce", "moved_in", "moved_out", "registered",
         "pregnancy_planned", "method_changed")


@deriver("home_visit", yields=KINDS)
def home_visit(a):
    household = uuid_of(a.get("hh_id")) or a.entity_id()
    visited = a.date("visit_date")
    village = a.get("village")
    people = [Person(m, set(m.selected("changes")) - {"none"}, household, visited)
              for m in a.repeat("member")]
    events = []
    for p in people:
        if "birth" in p.changes and p.uuid:
            events.append(birth_event(p, people))
        moved_here = p.answers.get("member_mode") == "moved_here"
        if p.uuid and created(p.answers) and not p.changes & {"birth", "moved_in"}:
            events.append(registered_event(p, visited))
        events.extend(person_events(p, move_in="yes" if moved_here else None, village=village,
                                    created=created(p.answers)))
    for kind in ("marriage", "divorce"):
        events.extend(couple_events(people, kind))
    return events
