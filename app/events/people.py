"""What the home visit and person forms say about people, shared by their two derivers:
reading one person's answers (any version of either form) and turning them into birth, death,
marriage, divorce, move, registration, pregnancy-planning and change-of-method events, with
each couple's marriage or divorce counted once per submission even when both spouses' rows
record it."""
from app.events.derive import Event, uuid_of


def iso(day):
    # as app.events.derivers._common.iso; importing that package from here would be circular
    return day.isoformat() if day is not None else ""


#: generation relative to the head of household, to find a newborn's mother among the members
GENERATION = {"head": 0, "spouse": 0, "sibling": 0, "son": 1, "daughter": 1, "child_in_law": 1,
              "grandchild": 2, "parent": -1}
MARRIED = ("first_marriage", "remarried")


class Person:
    """One person's answers on a home visit (a member row) or a person form (the whole form),
    in either form's current or earlier versions: absent fields read ''."""

    def __init__(self, answers, changes, household, visit_date):
        a = self.answers = answers
        self.uuid = a.entity_id() or uuid_of(a.get("person_id"))
        self.changes = changes
        self.household = household
        self.date = a.date("change_date")
        self.visit_date = visit_date
        self.dob = a.date("dob")
        self.sex = a.get("sex")
        self.relation = a.get("relation")
        self.marital = a.get("marital_status")
        self.residence = a.get("residence_status")
        #: the method the register holds after the form: versions since 2026120401 compute it
        #: (`method_now`: the answer when asked, else the register's); earlier ones did not
        #: ask, and read ''
        self.contraception = a.get("method_now") or a.get("contraception")
        #: what the register held before (None: a version that did not read it)
        self.method_before = a.get("contraception_before") \
            if a.has("contraception_before") else None
        #: the register's village and residence status of the person before the form (None:
        #: a version that did not read them)
        self.previous_village = a.get("previous_village") if a.has("previous_village") \
            else None
        self.residence_before = a.get("residence_before")
        self.full_name = a.get("full_name")
        self.spouse_name = a.get("spouse_name")
        #: the spouse the form named for a marriage or divorce ('' when it could not)
        self.partner = uuid_of(a.get("spouse_id")) or ""
        #: the spouse the form saved for this person now (the current link)
        self.spouse = uuid_of(a.get("spouse_now")) or ""

    def age_on(self, day):
        if self.dob is None or day is None:
            return None
        return day.year - self.dob.year - ((day.month, day.day) < (self.dob.month, self.dob.day))


def who(p, contraception=None):
    """The details every event about a person carries for the reports' population stocks:
    sex, date of birth (ISO or ''), marital status and contraception (the register's after
    the form; '' where an earlier version had no such answer)."""
    return {"sex": p.sex, "dob": iso(p.dob), "marital_status": p.marital,
            "contraception": p.contraception if contraception is None else contraception}


def registered_event(p, on):
    """The person put on the register on `on` other than by a birth or a move in (a
    baseline visit, a member found on a visit, a person form's registration)."""
    return Event("registered", on, person=p.uuid, household=p.household,
                 details={**who(p), "residence_status": p.residence})


def mother_of(child, people):
    """The newborn's mother when exactly one member can be: a woman one generation above the
    child, married, aged 15–49 on the birth date; '' otherwise (the form does not ask)."""
    generation = GENERATION.get(child.relation)
    if generation is None:
        return None
    born = child.date or child.dob
    found = [p for p in people if p is not child and p.uuid and p.sex == "female"
             and GENERATION.get(p.relation) == generation - 1
             and (p.marital in MARRIED or p.marital == "")
             and (age := p.age_on(born)) is not None and 15 <= age <= 49]
    return found[0] if len(found) == 1 else None


def person_events(p, move_in=None, village="", created=False):
    """Death, moves, a change of method and pregnancy planning of one person (births:
    `birth_event`, couples: `couple_events`). move_in: 'yes' when the form says the person
    came from another household of the town (a move in, within the town, even if not ticked
    as one); village: the submission's village; created: the form puts the person on the
    register (her `registered`, birth or move in carries her method)."""
    a = p.answers
    if p.uuid is None:
        return
    if "death" in p.changes:
        yield Event("death", p.date, person=p.uuid, household=p.household,
                    details={"cause": a.get("death_cause"), "place": a.get("death_place"),
                             **who(p)})
    moving_in = bool(move_in or "moved_in" in p.changes)
    within = move_in or a.get("within_town")
    if moving_in and within == "yes" and village and p.previous_village \
            and p.residence_before != "moved_out":
        # A person already on the register moving within the town: a move between two
        # households of one village is no move in or out of it; from another village, she
        # leaves that one (as it counted her) and arrives in this one.
        if p.previous_village == village:
            moving_in = False
        else:
            yield Event("moved_out", p.date or p.visit_date, person=p.uuid,
                        household=uuid_of(a.get("previous_household")),
                        village=p.previous_village,
                        details={"to": village, "migrant": "no", "reason": "",
                                 "within_town": "yes",
                                 **who(p, contraception=p.method_before or "")})
    if moving_in:
        yield Event("moved_in", p.date or p.visit_date, person=p.uuid, household=p.household,
                    details={"from": a.get("moved_from"), "migrant": "no", "reason": "",
                             "within_town": within, **who(p)})
    elif p.method_before is not None and p.contraception != p.method_before \
            and not created and "death" not in p.changes:
        # A method stated on the form that the register did not hold (a move in carries
        # the method she arrives with instead).
        yield Event("method_changed", p.visit_date, person=p.uuid, household=p.household,
                    details={"method": p.contraception, "previous_method": p.method_before})
    if "moved_out" in p.changes:
        yield Event("moved_out", p.date, person=p.uuid, household=p.household,
                    details={"to": a.get("moved_to"), "migrant": "no", "reason": "",
                             "within_town": a.get("within_town"), **who(p)})
    planned, before = a.get("planning_pregnancy"), a.get("planning_before")
    if planned == "yes" and (before != "yes"
                             or a.get("planning_from") != a.get("planning_from_before")):
        # A plan is an event when the phone's register did not already hold it.
        yield Event("pregnancy_planned", p.visit_date, person=p.uuid, other_person=p.spouse,
                    details={"planned_from": a.get("planning_from")})


def birth_event(child, people):
    mother = mother_of(child, people)
    return Event("birth", child.date or child.dob, person=child.uuid,
                 other_person=mother.uuid if mother else "", household=child.household,
                 details={"sex": child.sex, "weight_kg": "", "certificate_no": "", "place": "",
                          "facility": "", "father": mother.spouse if mother else "",
                          "birth_order": ""})


def _woman(p, other):
    """The wife of a couple as marriage and divorce details name her: `woman` (her uuid) and
    `woman_dob` ('' when unknown: a husband's row naming a spouse not on this form)."""
    for q in (p, other):
        if q is not None and q.sex == "female":
            return {"woman": q.uuid, "woman_dob": iso(q.dob)}
    if other is None and p.sex == "male" and p.partner:
        return {"woman": p.partner, "woman_dob": ""}
    return {"woman": "", "woman_dob": ""}


def couple_events(people, kind):
    """One `kind` (marriage or divorce) event per couple: rows naming each other (by uuid or by
    name), or two unpaired rows of opposite sex recording it on the same date (earlier versions
    did not ask who the spouse was), are one couple."""
    rows = [p for p in people if kind in p.changes and p.uuid]
    by_uuid = {p.uuid: p for p in rows}
    by_name = {}
    for p in rows:
        by_name.setdefault(p.full_name, []).append(p)
    partner = {}
    for p in rows:
        other = by_uuid.get(p.partner)
        if other is None and p.spouse_name and len(by_name.get(p.spouse_name, [])) == 1:
            other = by_name[p.spouse_name][0]
        if other is not None and other is not p:
            partner.setdefault(p.uuid, other)
            partner.setdefault(other.uuid, p)
    alone = [p for p in rows if p.uuid not in partner and not p.partner and not p.spouse_name]
    for p in alone:
        if p.uuid in partner:
            continue
        match = [o for o in alone if o is not p and o.uuid not in partner and o.sex != p.sex
                 and o.date == p.date]
        if len(match) == 1:
            partner[p.uuid], partner[match[0].uuid] = match[0], p
    done = set()
    for p in rows:
        if p.uuid in done:
            continue
        other = partner.get(p.uuid)
        done.add(p.uuid)
        details = {"spouse_name": p.spouse_name or (other.full_name if other else ""),
                   **_woman(p, other)}
        if other is not None:
            done.add(other.uuid)
        if kind == "marriage":
            registered = p.answers.get("marriage_registered_at")
            if not registered and other is not None:
                registered = other.answers.get("marriage_registered_at")
            details.update(registered_at=registered, marital_status=p.marital)
        yield Event(kind, p.date, person=p.uuid,
                    other_person=other.uuid if other is not None else p.partner,
                    details=details)
