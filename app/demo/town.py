"""The synthetic town, month by month: what happens (app.demo.world) and what the town's phones
submit about it (app.demo.instances), in one discrete-event simulation.

Each village has a family-planning worker (home visits, migrants, pregnancy outcomes, double
checks) and a women's group leader (pregnancy reports). Two health-centre doctors do the
three checks, pre-pregnancy check-ups and contraception procedures for half the villages each,
and a town officer pays the rewards and registers people too, which is how the same person
gets into the register twice. Every phone but the officer's sometimes works offline for days.

Every submission carries the life events it reports (`event`): the ground truth counts them
(app.demo.truth), and the server's `life_events` rows must count the same. Values a form reads
back from the phone's lists (a plan or a spouse already recorded, a pregnancy's dates) are
what the register will hold (`Town.shown`), because the derivers use them.

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
from app.demo.world import (DESTINATIONS, DOCTORS, FACILITIES, HOSPITALS, CLINICS,
                            LOSS_REASON_OTHER, LOSS_REASONS, LOSS_WEEKS, LOSSES, Pregnancy,
                            World, annual_death_rate, birth_date, death_cause, family_status,
                            phone_number)

DAY = dt.timedelta(days=1)
GIVE_UP = dt.timedelta(days=90)


@dataclass
class Params:
    """The town's size and the rates that move it. Each rate is a named parameter with the
    reason for its default: the plan's targets (../shared/seed) and common figures of rural
    China in the plan's years."""
    villages: int = 12
    people: int = 50000
    months: int = 12
    seed: int = 1
    # a calendar year: both three-checks rounds and both half-yearly reward payments fall in it
    start: dt.date = dt.date(2025, 1, 1)
    sex_ratio: float = 106.0                 # boys per 100 girls at birth (normal is 103–107)
    village_sex_ratio: dict = field(default_factory=dict)
    duplicate_rate: float = 0.01             # of people, registered a second time
    unreported_birth_rate: float = 0.03      # of births, never reported
    late_rate: float = 0.08                  # share of a village phone's days spent offline
    out_of_order_rate: float = 0.05          # of queued submissions, sent before the one before
    checks_coverage: float = 0.9             # of married women 15–49, checked each round
    # births a year per person: about 10 per 1,000 in rural China in the plan's years (the
    # conception chances are scaled each month to reach it, allowing for losses)
    birth_rate: float = 0.010
    # scales the age-specific death rates to a crude death rate of about 7 per 1,000 a year
    mortality: float = 1.15
    # marriages a year per person: China's crude marriage rate was 7–9 per 1,000 in the 2010s
    marriage_rate: float = 0.008
    # divorces a year per person: rural China about 1.5 per 1,000, half the national rate
    divorce_rate: float = 0.0015
    # of pregnancies, ending without a live birth: 10–15 % is usual
    loss_rate: float = 0.12
    # how those losses end (weights): mostly early miscarriages, few late terminations
    loss_mix: dict = field(default_factory=lambda: dict(LOSSES))
    # of terminations at 15 weeks or later, with the prior approval number (the rest are
    # flagged approval_missing, held, and approved by a supervisor after review)
    approval_rate: float = 0.85
    # births in hospital: rural China's hospital delivery rate passed 98 % by 2015
    hospital_birth_rate: float = 0.98
    clinic_birth_rate: float = 0.01          # births in a clinic; the rest at home
    # of live births, dying within 28 days: rural China's neonatal mortality, about 4 per 1,000
    neonatal_mortality: float = 0.004
    newborn_death_in_hospital: float = 0.6   # of newborn deaths, in hospital (others reported)
    twin_rate: float = 0.01                  # of births, twins (about 1 in 100)
    # moving in a year, per resident: a few % of a rural town's people are migrants
    migrant_in_rate: float = 0.02
    migrant_out_rate: float = 0.015          # of residents 18–45, leaving for work in a year
    # a year, of residents 18+ without a spouse (not the head): going to live in another
    # household of the town, half of them in another village (a widowed parent with a child)
    move_within_rate: float = 0.01
    # of migrant women 15–49, carrying the marriage-and-childbearing certificate (a target)
    certificate_rate: float = 0.85
    # of married migrant women 15–49, double-checked each round (a target of the plan)
    double_check_rate: float = 0.8
    double_check_received: float = 0.85      # of those who left, results received back
    # of pregnancies checked after 14 weeks, with a real-name ultrasound registered
    ultrasound_rate: float = 0.9
    # of couples planning a pregnancy, with the free check-up (the plan's target: >= 80 %)
    prepregnancy_coverage: float = 0.85
    iud_after_birth: float = 0.4             # of mothers, fitted with an IUD after a birth
    # a month, of women 35+ with two children: tubal ligation (rewarded by the plan)
    sterilisation_rate: float = 0.002

    @property
    def end(self):
        month = self.start.month - 1 + self.months
        return dt.date(self.start.year + month // 12, month % 12 + 1, 1)


#: the rates `flask demo town --rate NAME=VALUE` may set
RATES = ("birth_rate", "mortality", "marriage_rate", "divorce_rate", "loss_rate", "loss_mix",
         "move_within_rate",
         "approval_rate", "hospital_birth_rate", "clinic_birth_rate", "neonatal_mortality",
         "newborn_death_in_hospital", "twin_rate", "migrant_in_rate", "migrant_out_rate",
         "certificate_rate", "double_check_rate", "double_check_received", "ultrasound_rate",
         "prepregnancy_coverage", "iud_after_birth", "sterilisation_rate", "checks_coverage")

#: months of the three-checks rounds (checks run over the following six weeks)
CHECK_MONTHS = (4, 10)
#: months the half-yearly rewards are paid, and what each pays per half-year (yuan)
REWARD_MONTHS = (6, 12)
REWARDS = {"one_child_parents": 60.0,          # 独生子女父母奖励: 10 yuan a month
           "rural_family_support": 480.0,      # 农村部分计划生育家庭奖励扶助: 80 yuan a month
           "low_income_supplement": 300.0,     # 增加低保金
           "sterilisation_award": 500.0}       # 节育奖励: once, after a sterilisation
#: monthly chance of conceiving by contraception (none: fewer than two children / more)
CONCEPTION = {"iud": 0.001, "condom": 0.006, "pills": 0.004, "injection": 0.003,
              "implant": 0.0005, "": 0.02}


@dataclass
class Sub:
    """One submission as a phone sends it, with the register changes it should cause and the
    life events it reports."""
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
    #: the events it reports: (kind, occurred_on, village, details) (app.demo.truth.key)
    events: list = field(default_factory=list)
    #: held for review and approved by a supervisor once everything has arrived
    approve: bool = False
    instance_id: str = ""


def event(kind, on, village, **details):
    return (kind, on, village, details)


def who(person, dob=None, contraception=""):
    """The details a registration, death or move carries about the person (as the derivers
    read them from the form): `contraception` is the register's method after the form (the
    home visit and person forms' `method_now`, the migrant form's answer)."""
    return {"sex": person.sex, "dob": (dob or person.dob).isoformat(),
            "marital_status": person.marital, "contraception": contraception}


def check_round(day):
    return f"{day.year}-H{1 if day.month <= 6 else 2}"


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
        #: (person uuid, property) -> the value the register will hold (app.demo: _show)
        self.shown = {}
        #: person uuid -> the person whose register `spouse` names her or him
        self.spouse_of = {}
        #: woman uuid -> her latest planned pregnancy: {"lmp": date, "checked": bool}
        self.plans = {}
        self.mess = {"duplicates": [], "unreported_births": [], "pregnancy_registered_twice": [],
                     "outcome_never_recorded": [], "dropped": {}}
        self.events = {k: 0 for k in (
            "births_male", "births_female", "newborn_deaths", "deaths", "migrants_in",
            "migrants_out", "certificates", "marriages_in", "marriages_out", "divorces",
            "pregnancies", "three_checks", "prepregnancy_checks", "planned_pregnancies",
            "contraception_services", "double_checks", "rewards_paid", "ultrasounds",
            "moves_within_village", "moves_between_villages")}
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

    def _submit(self, form, phone, when, render, entities, flagged=False, events=(),
                approve=False):
        """Render and keep one submission. `entities`: [(Entity, "create"|"update", props)];
        fills in each update's versions and returns the apply times by entity id."""
        arrival = self.fleet.arrival(phone, when)
        applies = [arrival]
        for entity, kind, props in entities:
            if kind == "create":
                self.versions.create(phone, entity.id, when, arrival)
            elif kind == "update":
                chain = dict(self.versions.chains.get((phone, entity.id)) or {})
                base, trunk, branch, apply = self.versions.update(phone, entity.id, when, arrival)
                entity.base, entity.trunk, entity.branch = base, trunk, branch
                applies.append(apply)
                if flagged:
                    # held for review: the server makes no version of it (approved ones
                    # change entities nobody updates after them)
                    self.versions.applied[entity.id].pop()
                    if chain:
                        self.versions.chains[(phone, entity.id)] = chain
                    else:
                        del self.versions.chains[(phone, entity.id)]
        # the server applies a submission's blocks all together, when the last can be
        apply = max(applies)
        if not flagged:
            self.versions.settle(phone, [e.id for e, kind, _ in entities if kind], apply)
        ops = [(apply, entity.dataset, entity.id, kind, props)
               for entity, kind, props in entities if kind]
        instance_id = new_uuid(self.rng)
        xml = render(instance_id)
        self.subs.append(Sub(len(self.subs), form, phone, when, arrival, xml, ops, flagged,
                             list(events), approve, instance_id))
        return arrival

    def _registered(self, person):
        return person.uuid in self.versions.creator

    # -- the month ---------------------------------------------------------------------------
    def tick(self, when, month):
        rng, world, p = self.rng, self.world, self.p
        if month < self.start + 28 * DAY:           # the baseline visits have just begun
            return
        next_month = _next_month(month)
        days = (next_month - month).days

        def some_day():
            return self.moment(month + rng.randrange(days) * DAY)

        on = month.date()
        sizes = dict.fromkeys((code for code, _ in self.villages), 0)
        grooms, brides, couples, fertile = ({code: [] for code, _ in self.villages}
                                            for _ in range(4))
        for person in list(world.people.values()):
            if not self._registered(person):
                continue
            age = person.age(on)
            if person.present:
                sizes[person.village] += 1
            elif person.residence == "moved_out" and person.deceased is None:
                self._away(when, month, person, age)
                continue
            else:
                continue
            if rng.random() < annual_death_rate(age) * p.mortality / 12:
                self.at(some_day(), self.die, person)
                continue
            married = person.marital in ("first_marriage", "remarried")
            if person.sex == "female" and married and 20 <= age <= 44 \
                    and person.pregnancy is None and not person.planning_from:
                fertile[person.village].append(person)
            if person.marital == "unmarried" and person.residence == "resident":
                if person.sex == "male" and 22 <= age <= 34 and person.household:
                    grooms[person.village].append(person)
                elif person.sex == "female" and 20 <= age <= 30 and person.relation in (
                        "daughter", "grandchild") and person.household:
                    brides[person.village].append(person)
            if person.sex == "male" and married and person.spouse and person.household:
                couples[person.village].append(person)
            if 18 <= age <= 45 and person.residence == "resident" and \
                    rng.random() < p.migrant_out_rate / 12:
                self.at(some_day(), self.migrate_out, person)
            elif age >= 18 and person.marital in ("unmarried", "widowed", "divorced") and \
                    person.residence == "resident" and person.relation != "head" and \
                    person.household and rng.random() < p.move_within_rate / 12:
                self.at(some_day(), self.move_within, person)
            if person.sex == "female" and 15 <= age <= 49 and month.month in CHECK_MONTHS \
                    and person.marital != "unmarried" and rng.random() < p.checks_coverage:
                self.at(self.moment(month + rng.randrange(45) * DAY), self.check, person,
                        check_round(on))
            if person.sex == "female" and 25 <= age <= 44 and person.pregnancy is None and \
                    not person.planning_from and person.contraception in (
                        "none", "condom", "pills") and person.children >= 1 and \
                    rng.random() < 0.006:
                self.at(some_day(), self.contraception, person, "iud", None)
            if person.sex == "female" and 35 <= age <= 49 and married and \
                    person.children >= 2 and not person.sterilised and \
                    person.pregnancy is None and rng.random() < p.sterilisation_rate:
                self.at(some_day(), self.contraception, person, "female_sterilisation", None)
        for code, size in sizes.items():
            self._conceptions(fertile[code], size, some_day)
            self._times(size * p.migrant_in_rate / 12,
                        lambda: self.at(some_day(), self.migrate_in, code))
            self._times(size * p.marriage_rate / 12, lambda: self._marriage(
                some_day, grooms[code], brides[code]))
            self._times(size * p.divorce_rate / 12, lambda: couples[code] and self.at(
                some_day(), self.divorce, couples[code].pop(rng.randrange(len(couples[code])))))
        if month.month in REWARD_MONTHS:
            self._rewards(month, some_day)
        registered = len(self.versions.creator)
        duplicates = registered * p.duplicate_rate / max(1, p.months - 2)
        self._times(duplicates, lambda: self.at(some_day(), self.duplicate))

    def _times(self, expected, do):
        """Do something a whole number of times averaging `expected`."""
        for _ in range(int(expected) + (self.rng.random() < expected % 1)):
            do()

    def _marriage(self, some_day, grooms, brides):
        """One marriage: a man of the town marries a bride from outside (60 %), or a daughter
        of the town marries out (40 %)."""
        rng = self.rng
        if grooms and (not brides or rng.random() < 0.6):
            self.at(some_day(), self.marry_in, grooms.pop(rng.randrange(len(grooms))))
        elif brides:
            self.at(some_day(), self.marry_out, brides.pop(rng.randrange(len(brides))))

    def _conceptions(self, women, size, some_day):
        """This month's conceptions in a village: each married woman 20–44 by her chance (no
        contraception and fewer than two children: high; an IUD taken out for a wanted
        second child; other methods failing now and then), scaled so that the village's
        births come to `birth_rate` allowing for losses."""
        chances = []
        for woman in women:
            planned = woman.children < 2 and woman.contraception in ("none", "iud")
            if woman.contraception == "none":
                rate = 0.07 if woman.children < 2 else 0.008
            elif woman.contraception == "iud" and woman.children < 2:
                rate = 0.01
            else:
                rate, planned = CONCEPTION.get(woman.contraception, 0.0), False
            chances.append((woman, rate, planned))
        total = sum(rate for _, rate, _ in chances)
        if not total:
            return
        scale = size * self.p.birth_rate / (1 - self.p.loss_rate) / 12 / total
        for woman, rate, planned in chances:
            if self.rng.random() < rate * scale:
                self._conceive_later(woman, planned, some_day)

    def _conceive_later(self, woman, planned, some_day):
        """An unplanned pregnancy starts this month; a planned one is decided five months
        ahead, so a planning visit and a check-up come first (and an IUD is taken out)."""
        rng, p = self.rng, self.p
        if not planned:
            self.at(some_day(), self.conceive, woman)
            return
        lmp = some_day() + 150 * DAY
        self.at(lmp, self.conceive, woman)
        woman.planning_from = f"{lmp:%Y-%m}"
        self.plans[woman.uuid] = {"lmp": lmp.date(), "checked": False}
        self.events["planned_pregnancies"] += 1
        household = self.world.households.get(woman.household)
        if household is not None:
            day = self.moment(lmp - rng.randint(60, 140) * DAY)
            self.at(day, self.visit, household, {}, None, day)
        if rng.random() < p.prepregnancy_coverage:
            self.at(self.moment(lmp - rng.randint(20, 55) * DAY), self.prepregnancy, woman,
                    lmp)
        if woman.contraception == "iud":
            self.at(self.moment(lmp - rng.randint(5, 18) * DAY), self.contraception, woman,
                    "none", None)

    def _away(self, when, month, woman, age):
        """A woman who left: each round her double check is asked for where she works."""
        if woman.sex != "female" or not 15 <= age <= 49 or woman.marital == "unmarried" \
                or month.month not in CHECK_MONTHS or not woman.migrant_recorded:
            return
        if self.rng.random() < self.p.double_check_rate:
            self.at(self.moment(month + self.rng.randrange(56) * DAY), self.double_check,
                    woman, "left", None)

    def _rewards(self, month, some_day):
        """Half-yearly payments to the families the plan rewards: one-child parents, older
        parents of one-child and two-daughter families, low-income families."""
        world = self.world
        half = f"{month.year}-H{1 if month.month <= 6 else 2}"
        for household in world.households.values():
            if not household.members or household.uuid not in self.versions.creator:
                continue
            status = family_status(world, household).split()
            head = world.people[household.members[0]]
            if not head.present:
                continue
            # paid until the only child is 18: parents under about 50
            if "one_child" in status and head.age(month.date()) < 50:
                self.at(some_day(), self.pay, household, None, "one_child_parents", half, None)
            if "low_income" in status:
                self.at(some_day(), self.pay, household, None, "low_income_supplement", half,
                        None)
            if ("one_child" in status or "two_daughters" in status) and \
                    household.registration_type == "agricultural":
                for u in household.members[:2]:
                    parent = world.people[u]
                    if parent.present and parent.age(month.date()) >= 60 and \
                            self._registered(parent) and parent.relation in ("head", "spouse"):
                        self.at(some_day(), self.pay, household, parent,
                                "rural_family_support", half, None)

    def _ongoing_pregnancies(self):
        """Women already pregnant on the start date: as many as the birth rate gives over
        the nine months before it, among married women 20–40 without contraception."""
        on, rng = self.p.start, self.rng
        women = [w for w in self.world.people.values() if w.sex == "female" and
                 w.marital != "unmarried" and 20 <= w.age(on) <= 40 and
                 w.contraception == "none"]
        expected = len(self.world.people) * self.p.birth_rate * 270 / 365 / (1 - self.p.loss_rate)
        chosen = rng.sample(women, min(len(women), round(expected)))
        for woman in chosen:
            # the report comes within ten months of the LMP, after the baseline visits
            lmp = on - rng.randrange(270) * DAY
            self._pregnancy(woman, lmp, earliest=self.start + 60 * DAY)
        # and those who had already decided: their planned pregnancies start within five
        # months (the baseline visit records the plan)
        chosen = set(w.uuid for w in chosen)
        planners = [w for w in women if w.uuid not in chosen and w.children < 2]
        expected = len(self.world.people) * self.p.birth_rate * 150 / 365 \
            / (1 - self.p.loss_rate) * 0.7
        for woman in rng.sample(planners, min(len(planners), round(expected))):
            lmp = self.moment(on + rng.randrange(150) * DAY)
            woman.planning_from = f"{lmp:%Y-%m}"
            self.plans[woman.uuid] = {"lmp": lmp.date(), "checked": False}
            self.events["planned_pregnancies"] += 1
            self.at(lmp, self.conceive, woman)
            check = lmp - rng.randint(20, 55) * DAY
            if check >= self.start + 28 * DAY and rng.random() < self.p.prepregnancy_coverage:
                self.at(self.moment(check), self.prepregnancy, woman, lmp)

    # -- what happens ---------------------------------------------------------------------------
    def die(self, when, person):
        if not person.present:
            return
        person.deceased = when.date()
        person.death_cause = death_cause(self.rng, person.age(when.date()))
        person.death_place = self.rng.choices(["hospital", "home", "other"], [40, 55, 5])[0]
        self.events["deaths"] += 1
        if person.household:
            self.at(self.moment(when + self.rng.randint(3, 40) * DAY), self.visit,
                    self.world.households[person.household], {person.uuid: "death"}, when, when)

    def conceive(self, when, woman):
        woman.planning_from = ""
        if not woman.present or woman.pregnancy is not None or when >= self.end:
            return
        self._pregnancy(woman, when.date(), earliest=when)

    def _pregnancy(self, woman, lmp, earliest):
        rng, p = self.rng, self.p
        pregnancy = Pregnancy(new_uuid(rng), woman.uuid, woman.village, lmp, woman.children + 1)
        woman.pregnancy = pregnancy
        self.world.pregnancies.append(pregnancy)
        self.events["pregnancies"] += 1
        report = max(dt.datetime.combine(lmp, dt.time()) + rng.randint(40, 90) * DAY, earliest)
        # reported by the group leader, if she hears of it within about nine months
        if rng.random() < 0.85 and (report.date() - lmp).days <= 280:
            self.at(self.moment(report), self.report, woman, pregnancy)
        if rng.random() < p.loss_rate:
            outcome = rng.choices(list(p.loss_mix), list(p.loss_mix.values()))[0]
            weeks = rng.randint(*LOSS_WEEKS[outcome])
        else:
            outcome, weeks = "live_birth", rng.randint(37, 41)
        end = dt.datetime.combine(lmp, dt.time()) + (weeks * 7 + rng.randrange(7)) * DAY
        # one that ended before the start is no pregnancy of this town's record
        if end < self.start:
            self.world.pregnancies.remove(pregnancy)
            woman.pregnancy = None
            self.events["pregnancies"] -= 1
            return
        self.at(self.moment(max(end, self.now)), self.pregnancy_ends, woman, pregnancy, outcome,
                weeks)

    def pregnancy_ends(self, when, woman, pregnancy, outcome, weeks):
        if woman.deceased or when >= self.end:
            return
        rng, p = self.rng, self.p
        pregnancy.outcome, pregnancy.outcome_date, pregnancy.weeks = outcome, when.date(), weeks
        woman.pregnancy = None
        children = []
        delay = rng.randint(1, 20)
        if outcome == "live_birth":
            ratio = p.village_sex_ratio.get(woman.village, p.sex_ratio)
            r = rng.random()
            place = "hospital" if r < p.hospital_birth_rate else (
                "clinic" if r < p.hospital_birth_rate + p.clinic_birth_rate else "home")
            pregnancy.place = place
            for _ in range(2 if rng.random() < p.twin_rate else 1):
                sex = "male" if rng.random() < ratio / (100 + ratio) else "female"
                relation = ("son" if sex == "male" else "daughter") if woman.relation in (
                    "head", "spouse") else "grandchild"
                child = self.world.person(woman.village, woman.household, sex, when.date(),
                                          relation, "unmarried",
                                          surname=self.world.surname_for_child(woman),
                                          id_blank=True)
                child.mother, child.father = woman.uuid, woman.spouse
                child.weight = f"{rng.uniform(2.5, 4.2):.1f}" if not children else \
                    f"{rng.uniform(1.8, 3.0):.1f}"
                child.certificate = f"Q{rng.randrange(10**9):09d}" if place != "home" else ""
                child.newborn_death = None
                if rng.random() < p.neonatal_mortality:
                    inside = place != "home" and rng.random() < p.newborn_death_in_hospital
                    child.newborn_death = ("in_hospital" if inside else "outside_hospital",
                                           when.date() + rng.randint(0, min(27, delay)) * DAY,
                                           rng.choice(["早产并发症", "出生窒息", "先天畸形",
                                                       "新生儿肺炎"]),
                                           "yes" if rng.random() < 0.9 else "no")
                    child.deceased = child.newborn_death[1]
                    self.events["newborn_deaths"] += 1
                if woman.household:
                    self.world.households[woman.household].members.append(child.uuid)
                woman.add_child(sex)
                husband = self.world.people.get(woman.spouse) if woman.spouse else None
                if husband is not None:
                    husband.add_child(sex)
                self.events["births_" + sex] += 1
                self.births_by_village[woman.village][0 if sex == "male" else 1] += 1
                children.append(child)
            if rng.random() < p.unreported_birth_rate:
                for child in children:
                    self.mess["unreported_births"].append(
                        {"child": child.uuid, "mother": woman.uuid, "village": woman.village,
                         "date": when.date().isoformat(), "sex": child.sex})
                return
            if rng.random() < p.iud_after_birth:
                self.at(self.moment(when + rng.randint(60, 150) * DAY), self.contraception,
                        woman, "iud", None)
        else:
            self.losses[outcome] = self.losses.get(outcome, 0) + 1
            pregnancy.place = "hospital" if outcome != "miscarriage" or rng.random() < 0.7 \
                else "home"
        self.at(self.moment(when + delay * DAY), self.record_outcome, woman, pregnancy,
                children, when)

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
        bride.moved_from = rng.choice(["礼泉县城关镇", "乾县梁村镇", "泾阳县云阳镇", "兴平市店张街道"])
        bride.moved_on = when.date()
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
        bride.moved_to = self.rng.choice(["礼泉县骏马镇", "乾县城关街道", "咸阳市秦都区"])
        bride.outside_spouse = names.surname(self.rng) + names.given_name(self.rng, "male")
        bride.moved_on = when.date()
        self.events["marriages_out"] += 1
        self.at(self.moment(when + self.rng.randint(5, 40) * DAY), self.visit,
                self.world.households[bride.household],
                {bride.uuid: "marriage moved_out"}, when, when)

    def divorce(self, when, husband):
        wife = self.world.people.get(husband.spouse)
        if wife is None or not husband.present or not wife.present or when >= self.end or \
                wife.household != husband.household or not self._registered(wife) or \
                husband.marital not in ("first_marriage", "remarried"):
            return
        husband.marital = wife.marital = "divorced"
        husband.divorced_from, wife.divorced_from = wife.uuid, husband.uuid
        husband.spouse = wife.spouse = None
        wife.planning_from = ""
        self.events["divorces"] += 1
        self.at(self.moment(when + self.rng.randint(5, 40) * DAY), self.visit,
                self.world.households[husband.household],
                {husband.uuid: "divorce", wife.uuid: "divorce"}, when, when)

    def migrate_out(self, when, person):
        if not person.present or when >= self.end:
            return
        person.residence = "moved_out"
        person.planning_from = ""
        person.moved_on = when.date()
        self.events["migrants_out"] += 1
        self.at(self.moment(when + self.rng.randint(1, 30) * DAY), self.record_migrant,
                person, "out", when, when)

    def move_within(self, when, person):
        """A person goes to live in another household of the town: half the time in her own
        village (no move in or out of it), else in another (a move out of hers and into that
        one), recorded by the visit of the household she joins: the village's worker, or for
        another village the town officer (a worker's phone lists only her village's people)."""
        if not person.present or person.pregnancy is not None or when >= self.end:
            return
        rng, world = self.rng, self.world
        old = world.households.get(person.household)
        if old is None or person.uuid not in old.members or old.members[0] == person.uuid:
            return
        same = rng.random() < 0.5
        choices = [h for h in world.households.values() if h is not old and h.members
                   and h.uuid in self.versions.creator
                   and (h.village == old.village) == same
                   and world.people[h.members[0]].present]
        if not choices:
            return
        target = rng.choice(choices)
        old.members.remove(person.uuid)
        target.members.append(person.uuid)
        person.moved_from = f"{old.address}{world.people[old.members[0]].full_name}户"
        if not same:
            person.previous_village = old.village
        person.moved_on = when.date()
        person.household, person.village, person.relation = target.uuid, target.village, "other"
        self.events["moves_within_village" if same else "moves_between_villages"] += 1
        self.at(self.moment(when + rng.randint(5, 40) * DAY), self.visit, target,
                {person.uuid: "moved_in"}, when, when,
                None if same else "officer")

    def migrate_in(self, when, village):
        if when >= self.end:
            return
        rng = self.rng
        region, province, county, town = rng.choice(identity.MIGRANT_ORIGINS)
        sex = rng.choice(["male", "female"])
        age = rng.randint(19, 45)
        person = self.world.person(village, None, sex, birth_date(rng, when.date(), age),
                                   "other", rng.choice(["unmarried", "first_marriage"]),
                                   region=region)
        person.residence = "moved_in"
        person.phone = person.phone or phone_number(rng)
        person.origin = (province, county, town)
        if person.marital != "unmarried":
            for _ in range(rng.choices([0, 1, 2], [30, 45, 25])[0]):
                person.add_child(rng.choice(["male", "female"]))
        if sex == "female":
            self.world.choose_contraception(person, when.date())
        self.events["migrants_in"] += 1
        self.at(self.moment(when + rng.randint(1, 30) * DAY), self.record_migrant, person, "in",
                when, when)

    # -- what the phones submit ---------------------------------------------------------------
    def baseline(self, when, household):
        """The first home visit of a household: it and every member are registered."""
        phone = f"worker:{household.village}"
        # a child born since the start is registered by the pregnancy outcome form
        members = [self.world.people[u] for u in household.members
                   if self.world.people[u].dob < self.p.start]
        self._home_visit(phone, when, household, [(m, "none") for m in members], new=True)

    def visit(self, when, household, changes, happened, first, phone=None):
        """A home visit recording `changes` (person uuid -> space-separated change codes);
        every other member present and in the register is gone through too. A member on the
        register with a move in is one who came from another household (`moved_here`)."""
        by = phone
        phone = phone or f"worker:{household.village}"
        needed = [household.uuid] + [u for u in household.members
                                     if u in self.versions.creator]
        if not self._wait(phone, needed, when, first, self.visit, household, changes, happened,
                          first, by):
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

    def _planning(self, person, on, death=False):
        """(planning_asked, planning_pregnancy, planning_from) a form records about a woman:
        asked of married women 15–49."""
        if person.sex != "female" or person.marital not in ("first_marriage", "remarried") \
                or not 15 <= person.age(on) <= 49 or death:
            return "no", None, None
        if person.planning_from and person.present:
            return "yes", "yes", person.planning_from
        return "yes", "no", None

    def _method(self, person, on, before, death=False, moving_out=False):
        """(method_asked, contraception, method_now) a home visit or person form records about
        a person: married women 15–49 (not dying, not moving out) state the method they use
        (none when they use none); for everyone else the form keeps the register's
        (`before`)."""
        if person.sex != "female" or person.marital not in ("first_marriage", "remarried") \
                or not 15 <= person.age(on) <= 49 or death or moving_out:
            return "no", None, before
        stated = person.contraception or "none"
        return "yes", stated, stated

    def _home_visit(self, phone, when, household, members, new=False, happened=None):
        people, village, shown = self.world.people, household.village, self.shown
        head = people[household.members[0]]
        on = when.date()
        hh = {"mode": "new" if new else "existing", "id": household.uuid,
              "new_id": household.uuid if new else new_uuid(self.rng),
              "head_name": head.full_name, "address": household.address,
              "phone": household.phone(people), "family_card_no": household.family_card_no,
              "registration_type": household.registration_type,
              "family_status": family_status(self.world, household)}
        visit_date = on.isoformat()
        entities, rendered, events = [], [], []
        counted = 0
        change_date = happened.date() if happened else None
        in_visit_names = {person.full_name: person.uuid for person, _ in members}
        spouse_ids = {}
        chosen = {}            # person -> the spouse_id her row records
        for person, change in members:
            changes = change.split()
            if "marriage" in changes or "divorce" in changes:
                partner = people.get(person.spouse or person.divorced_from)
                in_visit = in_visit_names.get(partner.full_name) if partner else None
                picked = partner.uuid if partner is not None and self.versions.known(
                    phone, partner.uuid, when) else None
                # a bride marrying out of the town: her husband is nobody in the register
                name = partner.full_name if partner else person.outside_spouse
                spouse_ids[person.uuid] = (picked, name,
                                           in_visit if in_visit != person.uuid else None)
        for person, change in members:
            is_new = person.uuid not in self.versions.creator
            changes = change.split()
            death = "death" in changes
            # from another household of the town: the form asks who, not whether within
            moved_here = not is_new and "moved_in" in changes
            asked, planning, planning_from = self._planning(person, on, death)
            married = person.marital != "unmarried"
            spouse_before = shown.get((person.uuid, "spouse"), "")
            spouse, spouse_name, in_visit = spouse_ids.get(person.uuid, (None, None, None))
            spouse_id = ""
            if person.uuid in spouse_ids:
                spouse_id = spouse or in_visit or (spouse_before if "divorce" in changes else "")
            chosen[person.uuid] = spouse_id
            if "divorce" in changes:
                spouse_now = ""
            elif "marriage" in changes:
                spouse_now = spouse_id
            else:
                spouse_now = spouse_before or next(
                    (u for u, (picked, _, inv) in spouse_ids.items()
                     if (picked or inv) == person.uuid), "") or self.spouse_of.get(
                         person.uuid, "")
            planning_before = shown.get((person.uuid, "planning_pregnancy"), "")
            from_before = shown.get((person.uuid, "planning_from"), "")
            method_before = "" if is_new else shown.get((person.uuid, "contraception"), "")
            method_asked, stated, method_now = self._method(
                person, on, method_before, death, "moved_out" in changes)
            previous_village = "" if is_new else shown.get((person.uuid, "village"), village)
            residence_before = "" if is_new else shown.get((person.uuid, "residence_status"), "")
            # a move between two households of one village is no move in or out of it
            moving_in = "moved_in" in changes and not (
                moved_here and previous_village == village and residence_before != "moved_out")
            m = {"mode": "new" if is_new else "moved_here" if moved_here else "existing",
                 "id": person.uuid,
                 "new_id": person.uuid if is_new else new_uuid(self.rng),
                 "previous_household": "" if is_new else shown.get((person.uuid, "household"),
                                                                   household.uuid),
                 "full_name": person.full_name, "id_number": person.id_number,
                 "sex": person.sex, "dob": person.dob.isoformat(), "relation": person.relation,
                 "changes": change, "marital_status": person.marital,
                 "residence_status": person.residence, "phone": person.phone,
                 "deceased": "yes" if death else "no",
                 "death_date": change_date.isoformat() if death else None,
                 "change_date": change_date.isoformat() if change_date and change != "none"
                 else None,
                 "death_cause": person.death_cause,
                 "death_place": person.death_place,
                 "spouse": spouse, "spouse_name": spouse_name,
                 "marriage_registered_at": "礼泉县民政局婚姻登记处",
                 "moved_from": person.moved_from,
                 "moved_to": person.moved_to, "within_town": "no",
                 "sons": person.sons, "daughters": person.daughters,
                 "children_count": person.children if married else shown.get(
                     (person.uuid, "children_count"), 0),
                 "age": person.age(on), "planning_asked": asked,
                 "planning_pregnancy": planning, "planning_from": planning_from,
                 "planning_before": planning_before, "planning_from_before": from_before,
                 "method_asked": method_asked, "contraception": stated,
                 "contraception_before": method_before, "method_now": method_now,
                 "previous_village": previous_village, "residence_before": residence_before,
                 "spouse_before": spouse_before, "spouse_in_visit": in_visit,
                 "spouse_id": spouse_id, "spouse_now": spouse_now}
            props = {"full_name": m["full_name"], "id_number": m["id_number"], "sex": m["sex"],
                     "dob": m["dob"], "relation": m["relation"],
                     "marital_status": m["marital_status"],
                     "residence_status": m["residence_status"], "phone": m["phone"],
                     "deceased": m["deceased"], "household": household.uuid, "village": village,
                     "contraception": method_now}
            entity = Entity("people", person.uuid, create=is_new, update=not is_new,
                            label=person.full_name)
            entities.append((entity, "create" if is_new else "update", props))
            rendered.append((m, entity))
            self._show(person.uuid, household=household.uuid, spouse=spouse_now,
                       contraception=method_now, village=village,
                       residence_status=person.residence,
                       planning_pregnancy=planning or planning_before,
                       planning_from=planning_from or (from_before if not planning else ""),
                       children_count=m["children_count"])
            if "death" not in changes and person.residence != "moved_out":
                counted += 1
            # on the register neither born nor moved in: the baseline, a member found
            if is_new and not {"birth", "moved_in"} & set(changes):
                events.append(event("registered", on, village,
                                    **who(person, contraception=method_now),
                                    residence_status=person.residence))
            if death:
                events.append(event("death", change_date, village, cause=m["death_cause"],
                                    place=m["death_place"],
                                    **who(person, contraception=method_now)))
            if moving_in and moved_here and previous_village and \
                    residence_before != "moved_out":
                # from another village: out of that one, as it counted her
                events.append(event("moved_out", change_date, previous_village, migrant="no",
                                    person=person.uuid,
                                    **who(person, contraception=method_before)))
            for move in ("moved_in", "moved_out"):
                if move in changes and (move == "moved_out" or moving_in):
                    # person: who moved, for the truth to read a visit's several rows by
                    events.append(event(move, change_date, village, migrant="no",
                                        person=person.uuid,
                                        **who(person, contraception=method_now)))
            # a method the register did not hold (a move in carries hers instead)
            if not is_new and not death and not moving_in and method_now != method_before:
                events.append(event("method_changed", on, village, person=person.uuid,
                                    method=method_now, previous_method=method_before))
            # a plan is an event when the visit finds it new (or moved to another month)
            if planning == "yes" and (planning_before != "yes" or from_before != planning_from):
                events.append(event("pregnancy_planned", on, village))
        # a couple's marriage (or divorce) is one event however many members record it
        for kind in ("marriage", "divorce"):
            rows = [person for person, change in members if kind in change.split()]
            if rows:
                events.append(event(kind, change_date, village, **_woman(rows, chosen)))
        hh_entity = Entity("households", household.uuid, create=new, update=not new,
                           label=f"{head.full_name} · {household.address}")
        hh_props = {"head_name": hh["head_name"], "address": hh["address"],
                    "phone": hh["phone"], "family_card_no": hh["family_card_no"],
                    "member_count": str(counted), "village": village,
                    "last_visit_date": visit_date}
        self._submit("home_visit", phone, when, lambda iid: instances.home_visit(
            when, village, visit_date, hh, hh_entity, rendered, iid),
            [(hh_entity, "create" if new else "update", hh_props)] + entities, events=events)

    def _show(self, uuid, **props):
        """What the register (and so the phones' lists) will hold for a person after a
        submission: the forms read it back as their '..._before' values."""
        old = self.shown.get((uuid, "spouse"))
        for name, value in props.items():
            self.shown[(uuid, name)] = value if value is not None else ""
        new = self.shown.get((uuid, "spouse"))
        if "spouse" in props and old != new:
            if old and self.spouse_of.get(old) == uuid:
                del self.spouse_of[old]
            if new:
                self.spouse_of[new] = uuid

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
        on = when.date()
        r = {"woman": woman.uuid, "woman_name": woman.full_name, "lmp": lmp, "edd": edd,
             "birth_order": pregnancy.birth_order, "phone": woman.phone,
             "report_date": on.isoformat(),
             "prepregnancy_check_date": self.shown.get((woman.uuid, "prepregnancy_check_date"),
                                                       "")}
        self.shown[(entity_id, "reported_on")] = r["report_date"]
        self.shown[(entity_id, "prepregnancy_check_date")] = r["prepregnancy_check_date"]
        props = {"woman_name": woman.full_name, "lmp": lmp, "edd": edd,
                 "birth_order": str(pregnancy.birth_order), "phone": woman.phone,
                 "village": woman.village, "woman": woman.uuid, "status": "reported",
                 "reported_by": "group_leader"}
        preg_entity = Entity("pregnancies", entity_id, create=True,
                             label=f"{woman.full_name} {lmp}")
        woman_entity = Entity("people", woman.uuid, update=True)
        self._submit("pregnancy_report", phone, when, lambda iid: instances.pregnancy_report(
            when, woman.village, r, preg_entity, woman_entity, iid, born_range(on)),
            [(preg_entity, "create", props), (woman_entity, "update", {"pregnant": "yes"})],
            events=[event("pregnancy_reported", on, woman.village, reported_by="group_leader")])

    def _open_entity(self, phone, pregnancy, when):
        """The first of the pregnancy's register entities the phone sees as open."""
        for entity in pregnancy.entities:
            if self.versions.known(phone, entity, when) and \
                    not self.versions.closed_for(phone, entity, when):
                return entity
        return None

    def check(self, when, woman, round_, first=None):
        """The three checks, by the village's health-centre doctor."""
        first = first or when
        rng, on = self.rng, when.date()
        phone = self.doctors[woman.village]
        if not woman.present or not 15 <= woman.age(on) <= 49:
            return
        if not self._wait(phone, [woman.uuid], when, first, self.check, woman, round_,
                          first):
            return
        round_ = check_round(on)
        pregnancy = woman.pregnancy
        weeks = (on - pregnancy.lmp).days // 7 if pregnancy else 0
        pregnant = pregnancy is not None and weeks >= 5
        if woman.contraception == "iud":
            iud = rng.choices(["in_place", "displaced", "expelled", "removed"],
                              [93, 3, 2, 2])[0]
            if iud in ("expelled", "removed"):
                woman.contraception = "none"
        else:
            iud = "none_fitted"
        woman.iud_status = iud
        findings = rng.choices(["none", "vaginitis", "cervicitis", "pelvic_inflammation",
                                "fibroids", "vaginitis cervicitis"], [70, 12, 8, 4, 4, 2])[0]
        referral = "镇卫生院妇科" if findings != "none" and rng.random() < 0.4 else ""
        contraception = woman.contraception or "none"
        method_before = self.shown.get((woman.uuid, "contraception"), "")
        self._show(woman.uuid, contraception=contraception)
        known = self._open_entity(phone, pregnancy, when) if pregnant else None
        new_id = new_uuid(rng)
        pregnancy_id = known or new_id
        found_lmp = lmp = edd = ""
        if pregnant:
            found_lmp = (on - weeks * 7 * DAY).isoformat()
            lmp = pregnancy.lmp.isoformat() if known else found_lmp
            edd = (dt.date.fromisoformat(lmp) + 280 * DAY).isoformat()
        ultrasound = None
        if pregnant and weeks > 14 and rng.random() < self.p.ultrasound_rate:
            ultrasound = ((on - rng.randint(0, 6) * DAY).isoformat(),
                          rng.choices(*zip(*FACILITIES))[0], rng.choice(DOCTORS))
        c = {"check_date": on.isoformat(), "round": round_, "woman": woman.uuid,
             "woman_name": woman.full_name,
             "woman_age": int((days_since_epoch(on) - days_since_epoch(woman.dob)) / 365.25),
             "iud_result": iud, "pregnant": pregnant, "preg_weeks": weeks,
             "findings": findings, "referral_to": referral, "contraception": contraception,
             "contraception_before": method_before,
             "known_pregnancy": known, "pregnancy_new_id": new_id, "pregnancy_id": pregnancy_id,
             "found_lmp": found_lmp, "lmp": lmp, "edd": edd,
             "reported_by": "group_leader" if known else "health_centre",
             "birth_order": pregnancy.birth_order if pregnant else 1,
             "ultrasound": ultrasound,
             "reported_on": self.shown.get((known, "reported_on"), "") if known
             else on.isoformat() if pregnant else None,
             "confirmed_on": (self.shown.get((known, "confirmed_on")) or on.isoformat())
             if pregnant else None,
             "ultrasound_before": self.shown.get((known, "ultrasound_date"), ""),
             "prepregnancy_check_date": self.shown.get((known, "prepregnancy_check_date"), "")
             if known else self.shown.get((woman.uuid, "prepregnancy_check_date"), "")}
        if pregnant:
            self.shown.update({(pregnancy_id, "reported_on"): c["reported_on"],
                               (pregnancy_id, "confirmed_on"): c["confirmed_on"],
                               (pregnancy_id, "prepregnancy_check_date"):
                               c["prepregnancy_check_date"],
                               (pregnancy_id, "ultrasound_date"):
                               (ultrasound and ultrasound[0]) or c["ultrasound_before"]})
        woman_props = {"contraception": contraception, "iud_status": iud,
                       "last_checks_date": on.isoformat(), "pregnant": "yes" if pregnant else "no"}
        woman_entity = Entity("people", woman.uuid, update=True)
        preg_entity = Entity("pregnancies", pregnancy_id, create=pregnant and not known,
                             update=bool(pregnant and known),
                             label=f"{woman.full_name} {lmp}")
        entities = [(woman_entity, "update", woman_props)]
        village = woman.village
        events = [event("three_checks", on, village, round=round_),
                  event("iud_check", on, village, round=round_, result=iud)]
        if contraception != method_before:
            events.append(event("method_changed", on, village, method=contraception,
                                previous_method=method_before))
        if pregnant:
            if not known:
                pregnancy.entities.append(pregnancy_id)
                if len(pregnancy.entities) == 2:
                    self.mess["pregnancy_registered_twice"].append(pregnancy.entities[:])
                events.append(event("pregnancy_reported", on, village,
                                    reported_by="health_centre"))
            events.append(event("pregnancy_confirmed", on, village))
            props = {"lmp": lmp, "edd": edd, "woman": woman.uuid, "woman_name": woman.full_name,
                     "village": woman.village, "status": "confirmed",
                     "reported_by": c["reported_by"], "birth_order": str(c["birth_order"])}
            entities.append((preg_entity, "update" if known else "create", props))
            if ultrasound:
                self.events["ultrasounds"] += 1
                events.append(event("ultrasound", dt.date.fromisoformat(ultrasound[0]), village,
                                    facility=ultrasound[1]))
        self.events["three_checks"] += 1
        self._submit("three_checks", phone, when, lambda iid: instances.three_checks(
            when, village, c, woman_entity, preg_entity, iid, born_range(on)), entities,
            events=events)
        if woman.residence == "moved_in" and woman.marital != "unmarried" and \
                woman.migrant_recorded and \
                rng.random() < self.p.double_check_rate:
            self.at(self.moment(when + rng.randint(3, 20) * DAY), self.double_check, woman,
                    "arrived", (on, iud, pregnant))

    def record_outcome(self, when, woman, pregnancy, children, first):
        """The worker records how a pregnancy ended: on the first open pregnancy entity her
        phone lists for it, or, when none was ever registered, as an unregistered pregnancy
        (the form creates it)."""
        phone = f"worker:{woman.village}"
        rng, p = self.rng, self.p
        needed = pregnancy.entities[:1] + [woman.uuid]
        if not self._wait(phone, needed, when, first, self.record_outcome, woman, pregnancy,
                          children, first):
            return
        if pregnancy.entities:
            entity_id = self._open_entity(phone, pregnancy, when)
            if entity_id is None:               # already closed (cannot happen twice)
                return
            registered = True
        else:
            entity_id = new_uuid(rng)
            pregnancy.entities.append(entity_id)
            registered = False
        outcome, on = pregnancy.outcome, pregnancy.outcome_date
        live = outcome == "live_birth"
        delivered = outcome in ("live_birth", "stillbirth")
        place = pregnancy.place
        facility = attendant = None
        if place in ("hospital", "clinic"):
            facility = rng.choice(HOSPITALS if place == "hospital" else CLINICS)
            attendant = rng.choice(DOCTORS)
        reason = reason_other = None
        if not delivered:
            reason = rng.choices(*zip(*LOSS_REASONS[outcome]))[0]
            reason_other = rng.choice(LOSS_REASON_OTHER) if reason == "other" else None
        late = outcome in ("induced_abortion", "medical_termination") and pregnancy.weeks >= 15
        approval_no = None
        if late and rng.random() < p.approval_rate:
            approval_no = f"礼卫审〔{on:%Y}〕{rng.randrange(1, 1000):03d}号"
        village = woman.village
        o = {"mode": "registered" if registered else "unregistered", "pregnancy": entity_id,
             "woman": woman.uuid, "woman_name": woman.full_name,
             "lmp": pregnancy.lmp.isoformat(), "edd": pregnancy.edd.isoformat(),
             "outcome": outcome, "outcome_date": on.isoformat(), "place": place,
             "facility": facility, "attendant": attendant, "weeks": pregnancy.weeks,
             "approval_no": approval_no, "loss_reason": reason, "loss_reason_other": reason_other,
             "household": woman.household or "",
             "spouse": self.shown.get((woman.uuid, "spouse"), ""), "new_id": new_uuid(rng),
             "prepregnancy_check_date": self.shown.get((entity_id, "prepregnancy_check_date"),
                                                       "") if registered else self.shown.get(
                 (woman.uuid, "prepregnancy_check_date"), ""),
             "birth_order": pregnancy.birth_order, "children": []}
        events = [event("pregnancy_ended", on, village, outcome=outcome, reason=reason or "",
                        weeks=pregnancy.weeks,
                        approval=("yes" if approval_no else "no") if late else "")]
        entities = []
        preg_props = {"status": "delivered" if delivered else "lost", "outcome": outcome,
                      "ended_on": on.isoformat()}
        if not registered:
            preg_props.update({"woman": woman.uuid, "woman_name": woman.full_name,
                               "village": village, "lmp": o["lmp"], "edd": o["edd"]})
        preg_entity = Entity("pregnancies", entity_id, create=not registered,
                             update=registered, label=f"{woman.full_name} {o['lmp']}")
        entities.append((preg_entity, "update" if registered else "create", preg_props))
        child_entities = []
        for child in children if live else []:
            death = child.newborn_death
            c = {"sex": child.sex, "weight": child.weight, "name": child.full_name,
                 "certificate": child.certificate or None, "relation": child.relation,
                 "death": death}
            o["children"].append(c)
            child_entity = Entity("people", child.uuid, create=True, label=child.full_name)
            child_entities.append(child_entity)
            entities.append((child_entity, "create", {
                "sex": child.sex, "full_name": child.full_name, "dob": on.isoformat(),
                "village": village, "household": woman.household or "",
                "relation": child.relation, "marital_status": "unmarried",
                "residence_status": "resident", "deceased": "yes" if death else "no"}))
            events.append(event("birth", on, village, sex=child.sex, place=place))
            if child.certificate:
                events.append(event("certificate_issued", on, village,
                                    certificate="birth_medical"))
            if death:
                events.append(event("newborn_death", death[1], village, place=death[0],
                                    sex=child.sex))
        flagged = late and not approval_no
        arrival = self._submit("pregnancy_outcome", phone, when,
                               lambda iid: instances.pregnancy_outcome(
                                   when, village, o, preg_entity, child_entities, iid,
                                   born_range(when.date())),
                               entities, flagged=flagged, events=events, approve=flagged)
        self.versions.closed[entity_id] = (phone, when, arrival)

    def record_migrant(self, when, person, direction, happened, first):
        rng, on = self.rng, happened.date()
        phone = f"worker:{person.village}"
        existing = direction == "out"
        needed = [person.uuid] + ([person.household] if existing and person.household else [])
        if existing and not self._wait(phone, needed, when, first, self.record_migrant,
                                       person, direction, happened, first):
            return
        if existing and person.uuid not in self.versions.creator:
            return
        female_15_49 = person.sex == "female" and 15 <= person.age(on) <= 49
        certificate = None
        village = person.village
        contraception = (person.contraception or "none") if person.sex == "female" else ""
        if existing and person.sex == "female":
            # the form's default, the register's method, is what the worker keeps
            contraception = self.shown.get((person.uuid, "contraception")) or contraception
        self._show(person.uuid, contraception=contraception, village=village,
                   residence_status="moved_in" if direction == "in" else "moved_out")
        events = [event("moved_out" if existing else "moved_in", on, village, migrant="yes",
                        **who(person, contraception=contraception))]
        if female_15_49 and rng.random() < self.p.certificate_rate:
            issuer = "本镇人民政府" if existing else (person.origin or ("", "", "当地"))[2] \
                + "人民政府"
            certificate = (f"{'DW' if existing else 'LR'}{on:%Y}-{rng.randrange(10000):04d}",
                           issuer, (on + 3 * 365 * DAY).isoformat())
            self.events["certificates"] += 1
            events.append(event("certificate_issued", on, village,
                                certificate="marriage_childbearing"))
        place = rng.choice(DESTINATIONS) if existing else (person.origin or DESTINATIONS[0])
        married = person.marital != "unmarried"
        p = {"direction": direction, "mode": "existing" if existing else "new",
             "id": person.uuid, "new_id": new_uuid(rng) if existing else person.uuid,
             "full_name": person.full_name, "id_number": person.id_number, "sex": person.sex,
             "dob": person.dob.isoformat(), "phone": person.phone, "place": place,
             "move_date": on.isoformat(),
             "expected_until": (on + rng.randint(180, 720) * DAY).isoformat(),
             "reason": rng.choice(["work", "work", "business", "family", "study"]),
             "employer": rng.choice(["", "东湾砖厂", "镇工业园", "宝安电子厂", "个体"]),
             "certificate": certificate, "contraception": contraception,
             "marital_status": person.marital,
             "sons": person.sons if married else None,
             "daughters": person.daughters if married else None,
             "household": person.household if existing else None}
        props = {"full_name": person.full_name, "id_number": person.id_number,
                 "sex": person.sex, "dob": person.dob.isoformat(), "phone": person.phone,
                 "contraception": contraception, "marital_status": person.marital,
                 "residence_status": "moved_in" if direction == "in" else "moved_out",
                 "village": village}
        entity = Entity("people", person.uuid, create=not existing, update=existing,
                        label=person.full_name)
        person.migrant_recorded = True
        self._submit("migrant", phone, when, lambda iid: instances.migrant(
            when, village, p, entity, iid), [(entity, "update" if existing else "create",
                                              props)], events=events)

    def double_check(self, when, woman, direction, result, first=None):
        """双查: results received for a woman who left, or sent home for one who moved in."""
        first = first or when
        phone = f"worker:{woman.village}"
        if woman.deceased or when >= self.end:
            return
        if not self._wait(phone, [woman.uuid], when, first, self.double_check, woman,
                          direction, result, first):
            return
        rng, on = self.rng, when.date()
        received = sent_on = None
        if direction == "left":
            received = "yes" if rng.random() < self.p.double_check_received else "no"
            check_on = on - rng.randint(5, 30) * DAY
            iud = ("in_place" if woman.contraception == "iud" else "none_fitted") \
                if received == "yes" else None
            pregnancy = ("pregnant" if woman.pregnancy else "not_pregnant") \
                if received == "yes" else None
            place = "、".join(rng.choice(DESTINATIONS)[1:]) + "计生服务站"
        else:
            check_on, iud, pregnant = result
            pregnancy = "pregnant" if pregnant else "not_pregnant"
            sent_on = on
            place = "本镇卫生院"
        d = {"woman": woman.uuid, "woman_name": woman.full_name, "direction": direction,
             "check_date": check_on.isoformat(), "check_place": place, "iud_result": iud,
             "pregnancy_result": pregnancy, "received": received,
             "sent_on": sent_on.isoformat() if sent_on else None}
        last = d["check_date"] if direction == "arrived" or received == "yes" else \
            self.shown.get((woman.uuid, "last_double_check_date"), "")
        d["last_double_check_date"] = last
        self.shown[(woman.uuid, "last_double_check_date")] = last
        entity = Entity("people", woman.uuid, update=True)
        events = [event("double_check", check_on, woman.village, direction=direction,
                        received=received or "")]
        if iud:
            events.append(event("iud_check", check_on, woman.village,
                                round=check_round(check_on), result=iud))
        self.events["double_checks"] += 1
        self._submit("double_check", phone, when, lambda iid: instances.double_check(
            when, woman.village, d, entity, iid),
            [(entity, "update", {"last_double_check_date": last})], events=events)

    def contraception(self, when, woman, method, first):
        """A contraception procedure at the health centre: an IUD fitted or taken out, a
        tubal ligation."""
        first = first or when
        phone = self.doctors[woman.village]
        if not woman.present or woman.pregnancy is not None or when >= self.end:
            return
        if not self._wait(phone, [woman.uuid], when, first, self.contraception, woman, method,
                          first):
            return
        previous = woman.contraception or ""
        if method == "none":                         # an IUD taken out for a planned child
            if previous != "iud":
                return
            action, recorded, procedure, iud_status = "stop", "iud", "iud_removal", "none_fitted"
        elif method == "female_sterilisation":
            action = "start" if previous in ("", "none") else "change"
            recorded, procedure, iud_status = method, "tubal_ligation", "none_fitted"
            woman.sterilised = True
        else:
            action = "start" if previous in ("", "none") else "change"
            recorded, procedure, iud_status = method, "iud_insertion", "in_place"
        woman.contraception, woman.iud_status = method, iud_status
        # the form reads the method she used before from the register
        previous = self.shown.get((woman.uuid, "contraception"), previous)
        self._show(woman.uuid, contraception=method)
        on = when.date()
        s = {"person": woman.uuid, "person_name": woman.full_name, "previous": previous,
             "action": action, "method": recorded, "procedure": procedure,
             "date": on.isoformat(), "facility": "town_health_centre",
             "provider": self.rng.choice(DOCTORS), "iud_status": iud_status}
        entity = Entity("people", woman.uuid, update=True)
        self.events["contraception_services"] += 1
        self._submit("contraception_service", phone, when, lambda iid:
                     instances.contraception_service(when, woman.village, s, entity, iid),
                     [(entity, "update", {"contraception": method, "iud_status": iud_status})],
                     events=[event("contraception_procedure", on, woman.village,
                                   procedure=procedure, previous_method=previous)])
        if procedure == "tubal_ligation" and woman.household:
            self.at(self.moment(when + self.rng.randint(20, 60) * DAY), self.pay,
                    self.world.households[woman.household], woman, "sterilisation_award",
                    f"{on:%Y-%m}", None)

    def pay(self, when, household, person, benefit, period, first):
        """The town office pays a reward or benefit to a household or one of its people."""
        first = first or when
        phone = "officer"
        if when >= self.end or (person is not None and not person.present):
            return
        needed = [household.uuid] + ([person.uuid] if person else [])
        if not self._wait(phone, needed, when, first, self.pay, household, person, benefit,
                          period, first):
            return
        on = when.date()
        b = {"payee": "person" if person else "household", "household": household.uuid,
             "person": person.uuid if person else None, "benefit": benefit,
             "payee_name": person.full_name if person else self.world.people[
                 household.members[0]].full_name,
             "amount": REWARDS[benefit], "period": period, "paid_on": on.isoformat(),
             "paid_by": self.rng.choice(["赵会计", "孙出纳", "周会计"])}
        self.events["rewards_paid"] += 1
        self._submit("benefit_payment", phone, when, lambda iid: instances.benefit_payment(
            when, household.village, b, iid), [],
            events=[event("reward_paid", on, household.village, benefit=benefit)])

    def prepregnancy(self, when, woman, lmp, first=None):
        first = first or when
        phone = self.doctors[woman.village]
        if not woman.present or when < self.start + 28 * DAY or when >= self.end:
            return
        if not self._wait(phone, [woman.uuid], when, first, self.prepregnancy, woman, lmp,
                          first):
            return
        rng = self.rng
        husband = self.world.people.get(woman.spouse) if woman.spouse else None
        risks = rng.choice(["nutrition", "lifestyle", "infectious", "chronic"]) \
            if rng.random() < 0.2 else None
        his_risks = rng.choice(["lifestyle", "infectious", "environment"]) \
            if rng.random() < 0.15 else None
        on = when.date()
        c = {"woman": woman.uuid, "woman_name": woman.full_name,
             "husband": husband.uuid if husband and self.versions.known(
                 phone, husband.uuid, when) and husband.present else None,
             "husband_name": husband.full_name if husband else self._outside(woman)[0],
             "husband_id_number": self._id_number(husband) if husband else
             self._outside(woman)[1],
             "husband_risks": his_risks,
             "date": on.isoformat(), "risks": risks,
             "referral_to": "县妇幼保健院" if risks and rng.random() < 0.5 else None}
        entity = Entity("people", woman.uuid, update=True)
        self.shown[(woman.uuid, "prepregnancy_check_date")] = c["date"]
        if woman.uuid in self.plans:
            self.plans[woman.uuid]["checked"] = True
        self.events["prepregnancy_checks"] += 1
        self._submit("prepregnancy_check", phone, when, lambda iid: instances.prepregnancy_check(
            when, woman.village, c, entity, iid, born_range(on)),
            [(entity, "update", {"prepregnancy_check_date": c["date"]})],
            events=[event("prepregnancy_check", on, woman.village,
                          result="risk" if risks else "normal")])

    def _outside(self, woman):
        """(name, ID number) of a married woman's husband who is not in the town's register
        (a migrant's, who stayed at home)."""
        if not woman.outside_husband:
            rng = self.rng
            dob = birth_date(rng, self.p.start, woman.age(self.p.start) + rng.randint(0, 4))
            woman.outside_husband = (
                names.surname(rng) + names.given_name(rng, "male"),
                self.world.ids.issue(rng, woman.region, dob.isoformat(), "male"))
        return woman.outside_husband

    def _id_number(self, person):
        """A person's ID number; one is issued now if the register has none (a man's
        number is required by the check-up form)."""
        if not person.id_number:
            person.id_number = self.world.ids.issue(self.rng, person.region,
                                                    person.dob.isoformat(), person.sex)
        return person.id_number

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
        married = original.marital != "unmarried"
        asked, planning, planning_from = self._planning(original, when.date())
        method_asked, stated, method_now = self._method(original, when.date(), "")
        p = {"mode": "new", "id": uuid, "new_id": uuid, "change_date": when.date().isoformat(),
             "change_reason": "other", "previous_household": "",
             "age": original.age(when.date()), "planning_asked": asked,
             "planning_pregnancy": planning, "planning_from": planning_from,
             "full_name": name, "id_number": id_number, "sex": original.sex,
             "dob": dob.isoformat(), "household": original.household,
             "relation": original.relation, "marital_status": original.marital,
             "residence_status": original.residence, "phone": original.phone,
             "children_count": str(original.children), "deceased": "no",
             "sons": original.sons if married else None,
             "daughters": original.daughters if married else None,
             "method_asked": method_asked, "contraception": stated,
             "contraception_before": "", "method_now": method_now}
        props = {k: p[k] for k in ("full_name", "id_number", "sex", "dob", "household",
                                   "relation", "marital_status", "residence_status", "phone",
                                   "children_count", "deceased")}
        props["village"] = village
        props["contraception"] = method_now
        self._show(uuid, contraception=method_now, village=village,
                   residence_status=original.residence)
        entity = Entity("people", uuid, create=True, update=False, label=name)
        # a person form registration (reason 'other'): as the officer typed her
        events = [event("registered", when.date(), village,
                        **who(original, dob=dob, contraception=method_now),
                        residence_status=original.residence)]
        if planning == "yes":
            events.append(event("pregnancy_planned", when.date(), village))
        self.mess["duplicates"].append({"original": original.uuid, "duplicate": uuid,
                                        "kind": kind, "village": village})
        self._submit("person", "officer", when, lambda iid: instances.person(
            when, village, p, entity, iid), [(entity, "create", props)],
            flagged=kind == "typo_id", events=events)


def _woman(rows, chosen):
    """A couple's `woman` and `woman_dob` as the deriver finds them on the rows recording the
    marriage or divorce: the woman's row, else the wife a man's row chose from the register
    (her birth date unknown)."""
    for person in rows:
        if person.sex == "female":
            return {"woman": person.uuid, "woman_dob": person.dob.isoformat()}
    picked = chosen.get(rows[0].uuid, "") if len(rows) == 1 else ""
    return {"woman": picked or "", "woman_dob": ""}


def _next_month(day):
    return day.replace(year=day.year + day.month // 12, month=day.month % 12 + 1)
