"""The synthetic town, month by month: what happens (app.demo.world) and what the town's phones
submit about it (app.demo.instances), in one discrete-event simulation.

Each village has a family-planning worker (home visits, people, migrants, pregnancy outcomes)
and a women's group leader (pregnancy reports).
Two health-centre doctors do the three checks, pre-pregnancy check-ups and contraception
services for half the villages each, and a town officer registers people too, which is how the
same person gets into the register twice. Every phone but the officer's sometimes works
offline for days.

A recording event waits until its phone can pick the entities it needs from its lists (the
event is postponed, as a worker would wait for the list to update); one whose entity never
appears is dropped and counted. Mess is injected at the rates of `Params` and written down in
the ground truth: duplicate registrations (homophone, ID typo, swapped day and month, missing
ID), births never reported, and late and out-of-order arrivals.

Deterministic for a seed: one random.Random drives everything, and ids are drawn from it.
"""
import csv
import datetime as dt
import heapq
import random
from dataclasses import dataclass, field

from app.demo import identity, instances, names
from app.demo.instances import Entity
from app.demo.phones import Fleet, Versions, new_uuid
from app.demo.world import (DESTINATIONS, LOSS_REASONS, LOSSES, Pregnancy, World,
                            annual_death_rate, birth_date, phone_number)
from app.validation.rules import id_number_check_character

DAY = dt.timedelta(days=1)
GIVE_UP = dt.timedelta(days=90)


def _a_mans_id_number(woman):
    """A well-formed man's ID number for a husband the world does not know (the check-up
    records his number whether or not he is in the register)."""
    body = f"{identity.HOME_COUNTY}{woman.dob:%Y%m%d}991"
    return body + id_number_check_character(body)


@dataclass
class Params:
    villages: int = 12
    people: int = 50000
    months: int = 24
    seed: int = 1
    start: dt.date = dt.date(2024, 9, 1)
    sex_ratio: float = 106.0                 # boys per 100 girls at birth
    village_sex_ratio: dict = field(default_factory=dict)
    duplicate_rate: float = 0.01             # of people, registered a second time
    unreported_birth_rate: float = 0.03      # of births, never reported
    late_rate: float = 0.08                  # share of a village phone's days spent offline
    out_of_order_rate: float = 0.05          # of queued submissions, sent before the one before
    checks_coverage: float = 0.9             # of eligible women, checked each round

    @property
    def end(self):
        month = self.start.month - 1 + self.months
        return dt.date(self.start.year + month // 12, month % 12 + 1, 1)


@dataclass
class Sub:
    """One submission as a phone sends it, with the register changes it should cause."""
    seq: int
    form: str
    phone: str
    filled: dt.datetime
    arrival: dt.datetime
    xml: bytes
    ops: list          # (apply time, dataset, entity uuid, "create"|"update", props)
    #: made with a deliberate slip that validation flags: held for review, so under the
    #: forms' default policy it does not change the register
    flagged: bool = False


def read_villages(path):
    with open(path, encoding="utf-8") as f:
        return [(row["name"], row["label_zh"]) for row in csv.DictReader(f)]


def days_since_epoch(day):
    return (day - dt.date(1970, 1, 1)).days


def born_range(day):
    d = days_since_epoch(day)
    return int(d - 50 * 365.25), int(d - 15 * 365.25)


class Town:
    def __init__(self, params, villages):
        if params.villages > len(villages):
            raise ValueError(f"at most {len(villages)} villages (forms/villages.csv)")
        self.p = params
        self.rng = random.Random(params.seed)
        self.villages = villages[:params.villages]
        self.start = dt.datetime.combine(params.start, dt.time())
        self.end = dt.datetime.combine(params.end, dt.time())
        self.world = World(self.rng, self.villages, params.start)
        self.fleet = Fleet(self.rng, self.start, self.end, params.late_rate,
                           params.out_of_order_rate)
        self.versions = Versions(self.fleet, self.rng)
        self.heap, self.seq, self.subs = [], 0, []
        self.now = dt.datetime.min
        self.mess = {"duplicates": [], "unreported_births": [], "pregnancy_registered_twice": [],
                     "outcome_never_recorded": [], "dropped": {}}
        self.events = {k: 0 for k in ("births_male", "births_female", "deaths", "migrants_in",
                                      "migrants_out", "certificates", "marriages_in",
                                      "marriages_out", "pregnancies", "three_checks",
                                      "prepregnancy_checks", "contraception_services")}
        self.losses = {}
        self.births_by_village = {code: [0, 0] for code, _ in self.villages}
        self.doctors = {}
        for i, (code, _) in enumerate(self.villages):
            self.fleet.add(f"worker:{code}", True, self.start + 60 * DAY)
            self.fleet.add(f"leader:{code}", True, self.start + 60 * DAY)
            self.doctors[code] = f"doctor:{i % 2 + 1}"
        for phone in ("doctor:1", "doctor:2"):
            self.fleet.add(phone, True, self.start + 60 * DAY)
        self.fleet.add("officer", False, None)

    # -- the event loop --------------------------------------------------------------------
    def at(self, when, handler, *args):
        # phones fill forms in time order: nothing may be scheduled in the simulated past
        assert when >= self.now, (handler.__name__, when, self.now)
        self.seq += 1
        heapq.heappush(self.heap, (when, self.seq, handler, args))

    def moment(self, day):
        """A working-hours time on `day` (a date or datetime)."""
        day = day.date() if isinstance(day, dt.datetime) else day
        return dt.datetime.combine(day, dt.time(8, 30)) + dt.timedelta(
            minutes=self.rng.randrange(9 * 60))

    def run(self, progress=lambda done, total: None):
        """Simulate; returns the submissions in the order they reach the server."""
        per_village = self.p.people / len(self.villages)
        weights = [self.rng.uniform(0.6, 1.4) for _ in self.villages]
        scale = len(weights) / sum(weights)
        for village, w in zip(self.villages, weights):
            self.world.populate(village, per_village * w * scale)
        households = list(self.world.households.values())
        for h in households:
            self.at(self.moment(self.start + self.rng.randrange(56) * DAY), self.baseline, h)
        self._ongoing_pregnancies()
        month = self.start
        while month < self.end:
            self.at(month, self.tick, month)
            month = _next_month(month)
        total = len(self.heap)
        while self.heap:
            when, _, handler, args = heapq.heappop(self.heap)
            self.now = when
            handler(when, *args)
            progress(len(self.subs), total)
        self.subs.sort(key=lambda s: (s.arrival, s.seq))
        return self.subs

    def _drop(self, reason):
        self.mess["dropped"][reason] = self.mess["dropped"].get(reason, 0) + 1

    def _wait(self, phone, entities, when, first, handler, *args):
        """True if the phone can pick all `entities` now; else the event is rescheduled for
        when it can (or dropped after GIVE_UP) and False is returned."""
        later = when
        for entity in entities:
            if self.versions.known(phone, entity, when):
                continue
            known = self.versions.known_from(phone, entity, when)
            later = max(later, known + dt.timedelta(hours=1) if known else when + 3 * DAY)
        if later == when:
            return True
        if later - first > GIVE_UP:
            self._drop(handler.__name__)
            return False
        self.at(self.moment(later + DAY) if later.hour >= 18 else later, handler, *args)
        return False

    def _submit(self, form, phone, when, render, entities, flagged=False):
        """Render and keep one submission. `entities`: [(Entity, "create"|"update", props)];
        fills in each update's versions and returns the apply times by entity id."""
        arrival = self.fleet.arrival(phone, when)
        applies = [arrival]
        for entity, kind, props in entities:
            if kind == "create":
                self.versions.create(phone, entity.id, when, arrival)
            elif kind == "update":
                base, trunk, branch, apply = self.versions.update(phone, entity.id, when, arrival)
                entity.base, entity.trunk, entity.branch = base, trunk, branch
                applies.append(apply)
        # the server applies a submission's blocks all together, when the last can be
        apply = max(applies)
        self.versions.settle(phone, [e.id for e, kind, _ in entities if kind], apply)
        ops = [(apply, entity.dataset, entity.id, kind, props)
               for entity, kind, props in entities if kind]
        xml = render(new_uuid(self.rng))
        self.subs.append(Sub(len(self.subs), form, phone, when, arrival, xml, ops, flagged))
        return arrival

    # -- the month ---------------------------------------------------------------------------
    def tick(self, when, month):
        rng, world = self.rng, self.world
        if month < self.start + 60 * DAY:           # the baseline visits are still going on
            return
        next_month = _next_month(month)
        days = (next_month - month).days

        def some_day():
            return self.moment(month + rng.randrange(days) * DAY)

        on = month.date()
        sizes = dict.fromkeys((code for code, _ in self.villages), 0)
        for person in list(world.people.values()):
            if not person.present or person.uuid not in self.versions.creator:
                continue
            sizes[person.village] += 1
            age = person.age(on)
            if rng.random() < annual_death_rate(age) / 12:
                self.at(some_day(), self.die, person)
                continue
            if person.sex == "female" and person.marital in ("first_marriage", "remarried") \
                    and 20 <= age <= 44 and person.pregnancy is None:
                rate = {"none": 0.07 if person.children < 2 else 0.008, "iud": 0.001,
                        "condom": 0.006, "pills": 0.004, "injection": 0.003, "implant": 0.0005,
                        "": 0.02}.get(person.contraception, 0.0)
                if rng.random() < rate:
                    # decided five months ahead, so a pre-pregnancy check-up can come first
                    lmp = some_day() + 150 * DAY
                    self.at(lmp, self.conceive, person)
                    if person.children == 0 and rng.random() < 0.6:
                        self.at(self.moment(lmp - rng.randint(20, 120) * DAY),
                                self.prepregnancy, person, lmp)
            if person.marital == "unmarried" and person.residence == "resident":
                if person.sex == "male" and 22 <= age <= 34 and person.household \
                        and rng.random() < 0.08 / 12:
                    self.at(some_day(), self.marry_in, person)
                elif person.sex == "female" and 20 <= age <= 30 and person.relation in (
                        "daughter", "grandchild") and rng.random() < 0.06 / 12:
                    self.at(some_day(), self.marry_out, person)
            if 18 <= age <= 45 and person.residence == "resident" and \
                    rng.random() < 0.015 / 12:
                self.at(some_day(), self.migrate_out, person)
            if person.sex == "female" and 15 <= age <= 49 and month.month in (4, 10) \
                    and person.marital != "unmarried" and rng.random() < self.p.checks_coverage:
                self.at(self.moment(month + rng.randrange(45) * DAY), self.check, person,
                        "h1" if month.month == 4 else "h2")
            if person.sex == "female" and 25 <= age <= 44 and person.pregnancy is None and \
                    person.contraception in ("none", "condom", "pills") and \
                    person.children >= 1 and rng.random() < 0.006:
                self.at(some_day(), self.contraception, person, "iud", None)
        for code, size in sizes.items():
            expected = size * 0.02 / 12
            for _ in range(int(expected) + (rng.random() < expected % 1)):
                self.at(some_day(), self.migrate_in, code)
        registered = len(self.versions.creator)
        duplicates = registered * self.p.duplicate_rate / max(1, self.p.months - 2)
        for _ in range(int(duplicates) + (rng.random() < duplicates % 1)):
            self.at(some_day(), self.duplicate)

    def _ongoing_pregnancies(self):
        """Women already pregnant on the start date."""
        on = self.p.start
        for woman in list(self.world.people.values()):
            if woman.sex == "female" and woman.marital != "unmarried" and \
                    20 <= woman.age(on) <= 40 and woman.contraception == "none" and \
                    self.rng.random() < 0.2:
                # late enough that a birth comes after the baseline visits (which would
                # otherwise register the child) and the report within ten months of the LMP
                lmp = on - self.rng.randrange(180) * DAY
                self._pregnancy(woman, lmp, earliest=self.start + 60 * DAY)

    # -- what happens ---------------------------------------------------------------------------
    def die(self, when, person):
        if not person.present:
            return
        person.deceased = when.date()
        self.events["deaths"] += 1
        if person.household:
            self.at(self.moment(when + self.rng.randint(3, 40) * DAY), self.visit,
                    self.world.households[person.household], {person.uuid: "death"}, when, when)

    def conceive(self, when, woman):
        if not woman.present or woman.pregnancy is not None or when >= self.end:
            return
        self._pregnancy(woman, when.date(), earliest=when)

    def _pregnancy(self, woman, lmp, earliest):
        rng = self.rng
        pregnancy = Pregnancy(new_uuid(rng), woman.uuid, woman.village, lmp, woman.children + 1)
        woman.pregnancy = pregnancy
        self.world.pregnancies.append(pregnancy)
        self.events["pregnancies"] += 1
        if rng.random() < 0.85:
            report = dt.datetime.combine(lmp, dt.time()) + rng.randint(40, 90) * DAY
            self.at(self.moment(max(report, earliest)), self.report, woman, pregnancy)
        if rng.random() < 0.12:
            outcome = rng.choices(*zip(*LOSSES))[0]
            weeks = {"miscarriage": (6, 20), "induced_abortion": (6, 12), "ectopic": (6, 10),
                     "late_termination": (16, 24), "stillbirth": (28, 40)}[outcome]
            weeks = rng.randint(*weeks)
        else:
            outcome, weeks = "live_birth", rng.randint(37, 41)
        end = dt.datetime.combine(lmp, dt.time()) + (weeks * 7 + rng.randrange(7)) * DAY
        self.at(self.moment(end), self.pregnancy_ends, woman, pregnancy, outcome, weeks)

    def pregnancy_ends(self, when, woman, pregnancy, outcome, weeks):
        if woman.deceased or when >= self.end:
            return
        pregnancy.outcome, pregnancy.outcome_date, pregnancy.weeks = outcome, when.date(), weeks
        woman.pregnancy = None
        child = None
        if outcome == "live_birth":
            ratio = self.p.village_sex_ratio.get(woman.village, self.p.sex_ratio)
            sex = "male" if self.rng.random() < ratio / (100 + ratio) else "female"
            relation = ("son" if sex == "male" else "daughter") if woman.relation in (
                "head", "spouse") else "grandchild"
            child = self.world.person(woman.village, woman.household, sex, when.date(), relation,
                                      "unmarried", surname=self.world.surname_for_child(woman),
                                      id_blank=True)
            if woman.household:
                self.world.households[woman.household].members.append(child.uuid)
            woman.children += 1
            self.events["births_" + sex] += 1
            self.births_by_village[woman.village][0 if sex == "male" else 1] += 1
            if self.rng.random() < self.p.unreported_birth_rate:
                self.mess["unreported_births"].append(
                    {"child": child.uuid, "mother": woman.uuid, "village": woman.village,
                     "date": when.date().isoformat(), "sex": sex})
                return
            if self.rng.random() < 0.4:
                self.at(self.moment(when + self.rng.randint(60, 150) * DAY), self.contraception,
                        woman, "iud", None)
        else:
            self.losses[outcome] = self.losses.get(outcome, 0) + 1
        self.at(self.moment(when + self.rng.randint(1, 20) * DAY), self.record_outcome, woman,
                pregnancy, child, when)

    def marry_in(self, when, groom):
        if not groom.present or groom.marital != "unmarried" or when >= self.end:
            return
        rng = self.rng
        bride = self.world.person(groom.village, groom.household, "female",
                                  birth_date(rng, when.date(), max(20, groom.age(when.date())
                                                                   - rng.randint(0, 4))),
                                  "spouse" if groom.relation == "head" else "child_in_law",
                                  "first_marriage", region=self.world.bride_region())
        bride.residence, bride.contraception, bride.iud_status = "moved_in", "none", "none_fitted"
        bride.phone = bride.phone or phone_number(rng)
        groom.marital, groom.spouse, bride.spouse = "first_marriage", bride.uuid, groom.uuid
        self.world.households[groom.household].members.append(bride.uuid)
        self.events["marriages_in"] += 1
        self.at(self.moment(when + rng.randint(5, 40) * DAY), self.visit,
                self.world.households[groom.household],
                {groom.uuid: "marriage", bride.uuid: "marriage moved_in"}, when, when)

    def marry_out(self, when, bride):
        if not bride.present or bride.marital != "unmarried" or when >= self.end:
            return
        bride.marital, bride.residence = "first_marriage", "moved_out"
        self.events["marriages_out"] += 1
        self.at(self.moment(when + self.rng.randint(5, 40) * DAY), self.visit,
                self.world.households[bride.household],
                {bride.uuid: "marriage moved_out"}, when, when)

    def migrate_out(self, when, person):
        if not person.present or when >= self.end:
            return
        person.residence = "moved_out"
        self.events["migrants_out"] += 1
        self.at(self.moment(when + self.rng.randint(1, 30) * DAY), self.record_migrant,
                person, "out", when, when)

    def migrate_in(self, when, village):
        if when >= self.end:
            return
        rng = self.rng
        region, province, county, town = rng.choice(identity.MIGRANT_ORIGINS)
        sex = rng.choice(["male", "female"])
        person = self.world.person(village, None, sex, birth_date(rng, when.date(),
                                                                  rng.randint(19, 45)),
                                   "other", rng.choice(["unmarried", "first_marriage"]),
                                   region=region)
        person.residence = "moved_in"
        person.phone = person.phone or phone_number(rng)
        person.origin = (province, county, town)
        if sex == "female":
            self.world.choose_contraception(person, when.date())
        self.events["migrants_in"] += 1
        self.at(self.moment(when + rng.randint(1, 30) * DAY), self.record_migrant, person, "in",
                when, when)

    # -- what the phones submit ---------------------------------------------------------------
    def baseline(self, when, household):
        """The first home visit of a household: it and every member are registered."""
        phone = f"worker:{household.village}"
        members = [self.world.people[u] for u in household.members]
        self._home_visit(phone, when, household, [(m, "none") for m in members], new=True)

    def visit(self, when, household, changes, happened, first):
        """A home visit recording `changes` (person uuid -> space-separated change codes);
        every other member present and in the register is gone through too."""
        phone = f"worker:{household.village}"
        needed = [household.uuid] + [u for u in household.members
                                     if u in self.versions.creator]
        if not self._wait(phone, needed, when, first, self.visit, household, changes, happened,
                          first):
            return
        members = []
        for u in household.members:
            person = self.world.people[u]
            change = changes.get(u)
            registered = u in self.versions.creator
            if not (registered and (person.present or change)) and \
                    not (change and "moved_in" in change):
                continue
            members.append((person, change or "none"))
        self._home_visit(phone, when, household, members, happened=happened)

    def _home_visit(self, phone, when, household, members, new=False, happened=None):
        people, village = self.world.people, household.village
        head = people[household.members[0]]
        hh = {"mode": "new" if new else "existing", "id": household.uuid,
              "new_id": household.uuid if new else new_uuid(self.rng),
              "head_name": head.full_name, "address": household.address,
              "phone": household.phone(people), "family_card_no": household.family_card_no}
        visit_date = when.date().isoformat()
        entities, rendered = [], []
        counted = 0
        for person, change in members:
            is_new = person.uuid not in self.versions.creator
            m = {"mode": "new" if is_new else "existing", "id": person.uuid,
                 "new_id": person.uuid if is_new else new_uuid(self.rng),
                 "full_name": person.full_name, "id_number": person.id_number,
                 "sex": person.sex, "dob": person.dob.isoformat(), "relation": person.relation,
                 "changes": change, "marital_status": person.marital,
                 "residence_status": person.residence, "phone": person.phone,
                 "deceased": "yes" if "death" in change else "no",
                 "change_date": happened.date().isoformat() if happened else None}
            props = {"full_name": m["full_name"], "id_number": m["id_number"], "sex": m["sex"],
                     "dob": m["dob"], "relation": m["relation"],
                     "marital_status": m["marital_status"],
                     "residence_status": m["residence_status"], "phone": m["phone"],
                     "deceased": m["deceased"], "household": household.uuid, "village": village}
            entity = Entity("people", person.uuid, create=is_new, update=not is_new,
                            label=person.full_name)
            entities.append((entity, "create" if is_new else "update", props))
            rendered.append((m, entity))
            if "death" not in change and person.residence != "moved_out":
                counted += 1
        hh_entity = Entity("households", household.uuid, create=new, update=not new,
                           label=f"{head.full_name} · {household.address}")
        hh_props = {"head_name": hh["head_name"], "address": hh["address"],
                    "phone": hh["phone"], "family_card_no": hh["family_card_no"],
                    "member_count": str(counted), "village": village,
                    "last_visit_date": visit_date}
        self._submit("home_visit", phone, when, lambda iid: instances.home_visit(
            when, village, visit_date, hh, hh_entity, rendered, iid),
            [(hh_entity, "create" if new else "update", hh_props)] + entities)

    def report(self, when, woman, pregnancy, first=None):
        """A group leader reports a pregnancy, unless her list already shows one open."""
        first = first or when
        phone = f"leader:{woman.village}"
        if pregnancy.outcome is not None or not woman.present:
            return
        if not self._wait(phone, [woman.uuid], when, first, self.report, woman, pregnancy,
                          first):
            return
        if self._open_entity(phone, pregnancy, when):
            return
        entity_id = new_uuid(self.rng)
        pregnancy.entities.append(entity_id)
        if len(pregnancy.entities) == 2:
            self.mess["pregnancy_registered_twice"].append(pregnancy.entities[:])
        lmp, edd = pregnancy.lmp.isoformat(), pregnancy.edd.isoformat()
        r = {"woman": woman.uuid, "woman_name": woman.full_name, "lmp": lmp, "edd": edd,
             "birth_order": pregnancy.birth_order, "phone": woman.phone}
        props = {"woman_name": woman.full_name, "lmp": lmp, "edd": edd,
                 "birth_order": str(pregnancy.birth_order), "phone": woman.phone,
                 "village": woman.village, "woman": woman.uuid, "status": "reported",
                 "reported_by": "group_leader"}
        preg_entity = Entity("pregnancies", entity_id, create=True,
                             label=f"{woman.full_name} {lmp}")
        woman_entity = Entity("people", woman.uuid, update=True)
        self._submit("pregnancy_report", phone, when, lambda iid: instances.pregnancy_report(
            when, woman.village, r, preg_entity, woman_entity, iid, born_range(when.date())),
            [(preg_entity, "create", props), (woman_entity, "update", {"pregnant": "yes"})])

    def _open_entity(self, phone, pregnancy, when):
        """The first of the pregnancy's register entities the phone sees as open."""
        for entity in pregnancy.entities:
            if self.versions.known(phone, entity, when) and \
                    not self.versions.closed_for(phone, entity, when):
                return entity
        return None

    def check(self, when, woman, check_round, first=None):
        """The three checks, by the village's health-centre doctor."""
        first = first or when
        rng, on = self.rng, when.date()
        phone = self.doctors[woman.village]
        if not woman.present or not 15 <= woman.age(on) <= 49:
            return
        if not self._wait(phone, [woman.uuid], when, first, self.check, woman, check_round,
                          first):
            return
        pregnancy = woman.pregnancy
        weeks = (on - pregnancy.lmp).days // 7 if pregnancy else 0
        pregnant = pregnancy is not None and weeks >= 5
        if woman.contraception == "iud":
            iud = rng.choices(["in_place", "displaced", "expelled"], [95, 3, 2])[0]
            if iud == "expelled":
                woman.contraception, woman.iud_status = "none", "expelled"
        else:
            iud = "none_fitted"
        woman.iud_status = iud
        findings = rng.choices(["none", "vaginitis", "cervicitis", "pelvic_inflammation",
                                "fibroids", "vaginitis cervicitis"], [70, 12, 8, 4, 4, 2])[0]
        referral = "镇卫生院妇科" if findings != "none" and rng.random() < 0.4 else ""
        contraception = woman.contraception or "none"
        known = self._open_entity(phone, pregnancy, when) if pregnant else None
        new_id = new_uuid(rng)
        pregnancy_id = known or new_id
        found_lmp = lmp = edd = ""
        if pregnant:
            found_lmp = (on - weeks * 7 * DAY).isoformat()
            lmp = pregnancy.lmp.isoformat() if known else found_lmp
            edd = (dt.date.fromisoformat(lmp) + 280 * DAY).isoformat()
        c = {"check_date": on.isoformat(), "round": check_round, "woman": woman.uuid,
             "woman_name": woman.full_name,
             "woman_age": int((days_since_epoch(on) - days_since_epoch(woman.dob)) / 365.25),
             "iud_result": iud, "pregnant": pregnant, "preg_weeks": weeks,
             "findings": findings, "referral_to": referral, "contraception": contraception,
             "known_pregnancy": known, "pregnancy_new_id": new_id, "pregnancy_id": pregnancy_id,
             "found_lmp": found_lmp, "lmp": lmp, "edd": edd,
             "reported_by": "group_leader" if known else "health_centre",
             "birth_order": pregnancy.birth_order if pregnant else 1}
        woman_props = {"contraception": contraception, "iud_status": iud,
                       "last_checks_date": on.isoformat(), "pregnant": "yes" if pregnant else "no"}
        woman_entity = Entity("people", woman.uuid, update=True)
        preg_entity = Entity("pregnancies", pregnancy_id, create=pregnant and not known,
                             update=bool(pregnant and known),
                             label=f"{woman.full_name} {lmp}")
        entities = [(woman_entity, "update", woman_props)]
        if pregnant:
            if not known:
                pregnancy.entities.append(pregnancy_id)
                if len(pregnancy.entities) == 2:
                    self.mess["pregnancy_registered_twice"].append(pregnancy.entities[:])
            props = {"lmp": lmp, "edd": edd, "woman": woman.uuid, "woman_name": woman.full_name,
                     "village": woman.village, "status": "confirmed",
                     "reported_by": c["reported_by"], "birth_order": str(c["birth_order"])}
            entities.append((preg_entity, "update" if known else "create", props))
        self.events["three_checks"] += 1
        self._submit("three_checks", phone, when, lambda iid: instances.three_checks(
            when, woman.village, c, woman_entity, preg_entity, iid, born_range(on)), entities)

    def record_outcome(self, when, woman, pregnancy, child, first):
        """The worker records how a pregnancy ended, on the first open pregnancy entity her
        phone lists for it."""
        phone = f"worker:{woman.village}"
        if not pregnancy.entities:
            if when - first > GIVE_UP:
                self.mess["outcome_never_recorded"].append(
                    {"pregnancy": pregnancy.uuid, "woman": woman.uuid,
                     "outcome": pregnancy.outcome, "village": woman.village,
                     "child": child.uuid if child else None})
                return
            self.at(when + 7 * DAY, self.record_outcome, woman, pregnancy, child, first)
            return
        needed = pregnancy.entities[:1] + ([woman.uuid] if child else [])
        if not self._wait(phone, needed, when, first, self.record_outcome, woman, pregnancy,
                          child, first):
            return
        entity_id = self._open_entity(phone, pregnancy, when)
        if entity_id is None:                   # already closed (cannot happen twice)
            return
        rng = self.rng
        outcome, live = pregnancy.outcome, pregnancy.outcome == "live_birth"
        place = "hospital" if live and rng.random() < 0.97 else rng.choice(["hospital", "home"])
        o = {"pregnancy": entity_id, "woman": woman.uuid, "woman_name": woman.full_name,
             "lmp": pregnancy.lmp.isoformat(), "outcome": outcome,
             "outcome_date": pregnancy.outcome_date.isoformat(), "place": place,
             "weeks": pregnancy.weeks,
             "approval_no": f"LQ{pregnancy.outcome_date:%Y}-{rng.randrange(1000):03d}"
             if outcome == "late_termination" else None,
             "loss_reason": rng.choice(LOSS_REASONS[outcome]) if outcome in LOSS_REASONS
             else None,
             "household": woman.household or "", "relation": "daughter", "child": None}
        entities = []
        preg_props = {"status": "delivered" if outcome in ("live_birth", "stillbirth")
                      else "lost", "outcome": outcome,
                      "outcome_date": pregnancy.outcome_date.isoformat()}
        preg_entity = Entity("pregnancies", entity_id, update=True)
        entities.append((preg_entity, "update", preg_props))
        if live:
            o["child"] = {"sex": child.sex, "weight": f"{rng.uniform(2.5, 4.2):.1f}",
                          "name": child.full_name,
                          "certificate": f"Q{rng.randrange(10**9):09d}" if place == "hospital"
                          else None,
                          "household": woman.household or "", "relation": child.relation}
            child_entity = Entity("people", child.uuid, create=True, label=child.full_name)
            entities.append((child_entity, "create", {
                "sex": child.sex, "full_name": child.full_name,
                "dob": pregnancy.outcome_date.isoformat(), "village": woman.village,
                "household": woman.household or "", "relation": child.relation,
                "marital_status": "unmarried", "residence_status": "resident",
                "deceased": "no"}))
        else:
            child_entity = Entity("people", new_uuid(rng), create=False, label="")
        arrival = self._submit("pregnancy_outcome", phone, when,
                               lambda iid: instances.pregnancy_outcome(
                                   when, woman.village, o, preg_entity, child_entity, iid),
                               entities)
        self.versions.closed[entity_id] = (phone, when, arrival)

    def record_migrant(self, when, person, direction, happened, first):
        rng, on = self.rng, happened.date()
        phone = f"worker:{person.village}"
        existing = direction == "out"
        if existing and not self._wait(phone, [person.uuid], when, first, self.record_migrant,
                                       person, direction, happened, first):
            return
        if existing and person.uuid not in self.versions.creator:
            return
        female_15_49 = person.sex == "female" and 15 <= person.age(on) <= 49
        certificate = None
        if female_15_49 and rng.random() < (0.85 if existing else 0.7):
            issuer = "本镇人民政府" if existing else getattr(person, "origin", ("", "", "当地"))[2] \
                + "人民政府"
            certificate = (f"{'DW' if existing else 'LR'}{on:%Y}-{rng.randrange(10000):04d}",
                           issuer, (on + 3 * 365 * DAY).isoformat())
            self.events["certificates"] += 1
        place = rng.choice(DESTINATIONS) if existing else getattr(person, "origin",
                                                                  DESTINATIONS[0])
        contraception = (person.contraception or "none") if person.sex == "female" else ""
        p = {"direction": direction, "mode": "existing" if existing else "new",
             "id": person.uuid, "new_id": new_uuid(rng) if existing else person.uuid,
             "full_name": person.full_name, "id_number": person.id_number, "sex": person.sex,
             "dob": person.dob.isoformat(), "phone": person.phone,
             # The world does not know its children's sexes: split the count.
             "marital_status": person.marital, "sons": (person.children + 1) // 2,
             "daughters": person.children // 2,
             "household": person.household if existing else None, "place": place,
             "move_date": on.isoformat(),
             "expected_until": (on + rng.randint(180, 720) * DAY).isoformat(),
             "reason": rng.choice(["work", "work", "business", "family", "study"]),
             "employer": rng.choice(["", "东湾砖厂", "镇工业园", "宝安电子厂", "个体"]),
             "certificate": certificate, "contraception": contraception}
        props = {"full_name": person.full_name, "id_number": person.id_number,
                 "sex": person.sex, "dob": person.dob.isoformat(), "phone": person.phone,
                 "contraception": contraception,
                 "residence_status": "moved_in" if direction == "in" else "moved_out",
                 "village": person.village}
        entity = Entity("people", person.uuid, create=not existing, update=existing,
                        label=person.full_name)
        self._submit("migrant", phone, when, lambda iid: instances.migrant(
            when, person.village, p, entity, iid), [(entity, "update" if existing else "create",
                                                     props)])

    def contraception(self, when, woman, method, first):
        first = first or when
        phone = self.doctors[woman.village]
        if not woman.present or woman.pregnancy is not None:
            return
        if not self._wait(phone, [woman.uuid], when, first, self.contraception, woman, method,
                          first):
            return
        previous = woman.contraception or ""
        woman.contraception, woman.iud_status = method, "in_place"
        s = {"person": woman.uuid, "person_name": woman.full_name, "previous": previous,
             "action": "start" if previous in ("", "none") else "change", "method": method,
             "procedure": "iud_insertion", "date": when.date().isoformat(),
             "facility": "town_health_centre", "provider": "李医生", "iud_status": "in_place"}
        entity = Entity("people", woman.uuid, update=True)
        self.events["contraception_services"] += 1
        self._submit("contraception_service", phone, when, lambda iid:
                     instances.contraception_service(when, woman.village, s, entity, iid),
                     [(entity, "update", {"contraception": method, "iud_status": "in_place"})])

    def prepregnancy(self, when, woman, lmp, first=None):
        first = first or when
        phone = self.doctors[woman.village]
        if not woman.present or when < self.start + 60 * DAY:
            return
        if not self._wait(phone, [woman.uuid], when, first, self.prepregnancy, woman, lmp,
                          first):
            return
        rng = self.rng
        husband = self.world.people.get(woman.spouse) if woman.spouse else None
        risks = rng.choice(["nutrition", "lifestyle", "infectious", "chronic"]) \
            if rng.random() < 0.2 else None
        c = {"woman": woman.uuid, "woman_name": woman.full_name,
             "husband": husband.uuid if husband and self.versions.known(
                 phone, husband.uuid, when) and husband.present else None,
             "husband_name": husband.full_name if husband else "—",
             "husband_id_number": husband.id_number if husband and husband.id_number
             else _a_mans_id_number(woman),
             "date": when.date().isoformat(), "risks": risks,
             "referral_to": "县妇幼保健院" if risks and rng.random() < 0.5 else None}
        entity = Entity("people", woman.uuid, update=True)
        self.events["prepregnancy_checks"] += 1
        self._submit("prepregnancy_check", phone, when, lambda iid: instances.prepregnancy_check(
            when, woman.village, c, entity, iid, born_range(when.date())),
            [(entity, "update", {"prepregnancy_check_date": c["date"]})])

    def duplicate(self, when):
        """The town officer registers someone already in the register as a new person, with
        the slips that make duplicates hard to find."""
        rng = self.rng
        people = self.world.people
        candidates = [u for u in self.versions.creator if u in people]
        for _ in range(20):
            original = people[rng.choice(candidates)]
            if original.present and original.age(when.date()) >= 18 and original.household:
                break
        else:
            return
        kind = rng.choices(["homophone", "typo_id", "swapped_dob", "missing_id"],
                           [35, 25, 20, 20])[0]
        name, id_number, dob = original.full_name, original.id_number, original.dob
        sounds_alike = [i for i in range(1, len(name))
                        if names.homophone(rng, name[i]) != name[i]]
        if kind == "homophone" and sounds_alike:
            i = rng.choice(sounds_alike)
            name = name[:i] + names.homophone(rng, name[i]) + name[i + 1:]
        elif kind == "typo_id" and id_number:
            id_number = identity.transpose_digits(rng, id_number)
        elif kind == "swapped_dob" and dob.day <= 12 and dob.day != dob.month:
            dob, id_number = dob.replace(month=dob.day, day=dob.month), ""
        else:
            kind, id_number = "missing_id", ""
        uuid = new_uuid(rng)
        village = original.village
        p = {"mode": "new", "id": uuid, "new_id": uuid, "change_date": when.date().isoformat(),
             "full_name": name, "id_number": id_number, "sex": original.sex,
             "dob": dob.isoformat(), "household": original.household,
             "relation": original.relation, "marital_status": original.marital,
             "residence_status": original.residence, "phone": original.phone,
             "children_count": str(original.children), "deceased": "no"}
        props = {k: p[k] for k in ("full_name", "id_number", "sex", "dob", "household",
                                   "relation", "marital_status", "residence_status", "phone",
                                   "children_count", "deceased")}
        props["village"] = village
        entity = Entity("people", uuid, create=True, update=False, label=name)
        self.mess["duplicates"].append({"original": original.uuid, "duplicate": uuid,
                                        "kind": kind, "village": village})
        self._submit("person", "officer", when, lambda iid: instances.person(
            when, village, p, entity, iid), [(entity, "create", props)],
            flagged=kind == "typo_id")


def _next_month(day):
    return day.replace(year=day.year + day.month // 12, month=day.month % 12 + 1)
