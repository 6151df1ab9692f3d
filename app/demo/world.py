"""The town as it really is (the ground truth): people, households and pregnancies, and the
rates that move them: an age pyramid, marriages, contraception, conceptions, births with a sex
ratio per village, pregnancy losses with reasons, deaths and migration.

Nothing here knows about forms or phones; app.demo.town turns what happens here into what the
town's workers submit.
"""
import datetime as dt
from dataclasses import dataclass, field

from app.demo import identity, names
from app.demo.phones import new_uuid


@dataclass
class Person:
    uuid: str
    village: str
    household: str | None
    full_name: str
    sex: str
    dob: dt.date
    id_number: str
    relation: str
    marital: str
    residence: str = "resident"
    phone: str = ""
    contraception: str = ""
    iud_status: str = ""
    sons: int = 0
    daughters: int = 0
    spouse: str | None = None
    deceased: dt.date | None = None
    pregnancy: object = None          # the ongoing Pregnancy
    region: str = identity.HOME_COUNTY
    planning_from: str = ""           # YYYY-MM of a planned pregnancy, while it is planned
    sterilised: bool = False
    # what the forms record about the person's events
    death_cause: str | None = None
    death_place: str | None = None
    moved_from: str = ""              # a bride's home town
    moved_to: str = ""                # where a daughter married to
    outside_spouse: str = ""          # her husband's name, when he is no one of the town
    outside_husband: tuple = ()       # (name, ID number) of a migrant's husband left at home
    divorced_from: str | None = None
    origin: tuple = ()                # a migrant's (province, county, town)
    migrant_recorded: bool = False    # the migrant form registered the move
    # a newborn's birth record: mother, father, weight, certificate number, and
    # (place, date, cause, checked) when it died within 28 days
    mother: str | None = None
    father: str | None = None
    weight: str = ""
    certificate: str = ""
    newborn_death: tuple | None = None
    # when she last moved (married in or out, left for work, moved to another household) and
    # the village she lived in before a move between villages: what the household registry
    # (app.demo.outside_lists) records months late
    moved_on: dt.date | None = None
    previous_village: str = ""

    @property
    def children(self):
        return self.sons + self.daughters

    def add_child(self, sex):
        if sex == "male":
            self.sons += 1
        else:
            self.daughters += 1

    def age(self, on):
        return on.year - self.dob.year - ((on.month, on.day) < (self.dob.month, self.dob.day))

    @property
    def present(self):
        return self.deceased is None and self.residence != "moved_out"


@dataclass
class Household:
    uuid: str
    village: str
    address: str
    family_card_no: str
    members: list = field(default_factory=list)     # person uuids, in the order of the book
    registration_type: str = "agricultural"
    low_income: bool = False

    def phone(self, people):
        for uuid in self.members:
            if people[uuid].phone:
                return people[uuid].phone
        return ""


@dataclass
class Pregnancy:
    uuid: str                         # the world's own id; entities get theirs when recorded
    woman: str
    village: str
    lmp: dt.date
    birth_order: int
    outcome: str | None = None
    outcome_date: dt.date | None = None
    weeks: int | None = None
    entities: list = field(default_factory=list)    # register entities made for it

    @property
    def edd(self):
        return self.lmp + dt.timedelta(days=280)


CONTRACEPTION = [("iud", 45), ("condom", 15), ("implant", 4), ("pills", 3), ("injection", 2),
                 ("male_sterilisation", 2), ("none", 20)]
# How pregnancies that do not end in a live birth end (shares): most losses are early
# miscarriages; terminations at 15 weeks or later are rare and need prior approval.
LOSSES = [("miscarriage", 60), ("induced_abortion", 28), ("ectopic", 5),
          ("medical_termination", 3), ("stillbirth", 4)]
#: weeks of gestation at which each outcome happens (inclusive range)
LOSS_WEEKS = {"miscarriage": (6, 20), "induced_abortion": (6, 14), "ectopic": (6, 10),
              "medical_termination": (16, 24), "stillbirth": (28, 40)}
#: the coded reason of each loss (pregnancy_outcome's loss_reason list), with weights
LOSS_REASONS = {
    "miscarriage": [("spontaneous", 85), ("maternal_illness", 10), ("other", 5)],
    "induced_abortion": [("unplanned", 55), ("contraceptive_failure", 35),
                         ("maternal_illness", 5), ("other", 5)],
    "ectopic": [("spontaneous", 80), ("other", 20)],
    "medical_termination": [("fetal_anomaly", 70), ("maternal_illness", 30)],
}
LOSS_REASON_OTHER = ["服药期间怀孕，医生建议终止", "胚胎停育，县医院清宫", "家庭原因，本人要求终止"]
FACILITIES = [("town_health_centre", 55), ("county_mch", 25), ("county_hospital", 15),
              ("private_clinic", 3), ("other", 2)]
HOSPITALS = ["礼泉县医院", "礼泉县妇幼保健院", "本镇卫生院", "咸阳市中心医院"]
CLINICS = ["镇卫生院产房", "城关妇产诊所"]
DOCTORS = ["王秀英", "李红梅", "张丽", "刘芳", "陈静", "杨桂兰"]
DESTINATIONS = [("广东省", "深圳市宝安区", "西乡街道"), ("浙江省", "宁波市鄞州区", "下应街道"),
                ("江苏省", "苏州市昆山市", "周市镇"), ("陕西省", "西安市雁塔区", "丈八街道")]


def death_cause(rng, age):
    """A death's cause category (the forms' death_cause list) for someone of `age`."""
    if age < 1:
        return rng.choices(["perinatal", "illness", "accident"], [60, 30, 10])[0]
    if age < 45:
        return rng.choices(["illness", "accident", "other"], [50, 40, 10])[0]
    if age < 80:
        return rng.choices(["illness", "accident", "old_age", "other"], [75, 8, 12, 5])[0]
    return rng.choices(["old_age", "illness", "accident"], [60, 37, 3])[0]


def family_status(world, household):
    """The household's benefit-relevant statuses (households.family_status), from its head
    couple's children: a one-child or a two-daughter family, and a low-income one."""
    statuses = []
    couple = [world.people[u] for u in household.members[:1]]
    if couple:
        head = couple[0]
        if head.sons + head.daughters == 1:
            statuses.append("one_child")
        elif head.sons == 0 and head.daughters == 2:
            statuses.append("two_daughters")
    if household.low_income:
        statuses.append("low_income")
    return " ".join(statuses) or "none"


def annual_death_rate(age):
    if age < 1:
        return 0.006
    if age < 40:
        return 0.0008
    if age < 60:
        return 0.004
    if age < 70:
        return 0.012
    if age < 80:
        return 0.035
    return 0.10


def phone_number(rng):
    return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"


def birth_date(rng, on, age):
    """A date of birth making someone `age` on `on`."""
    latest = on.replace(year=on.year - age) if (on.month, on.day) != (2, 29) else \
        on.replace(year=on.year - age, day=28)
    return latest - dt.timedelta(days=1 + rng.randrange(365))   # born before `on`


class World:
    def __init__(self, rng, villages, start):
        self.rng = rng
        self.villages = villages          # [(code, label_zh)]
        self.start = start
        self.ids = identity.IdNumbers()
        self.people = {}
        self.households = {}
        self.pregnancies = []
        self.card_numbers = {}

    # -- people ----------------------------------------------------------------------------
    def person(self, village, household, sex, dob, relation, marital, surname=None,
               region=identity.HOME_COUNTY, id_blank=False):
        rng = self.rng
        name = (surname or names.surname(rng)) + names.given_name(rng, sex)
        id_number = "" if id_blank else self.ids.issue(rng, region, dob.isoformat(), sex)
        p = Person(new_uuid(rng), village, household, name, sex, dob, id_number, relation,
                   marital, region=region)
        age = p.age(self.start)
        if 18 <= age <= 70 and rng.random() < 0.85:
            p.phone = phone_number(rng)
        self.people[p.uuid] = p
        return p

    def choose_contraception(self, woman, on):
        rng = self.rng
        if woman.age(on) > 38 and woman.children >= 2 and rng.random() < 0.3:
            method = "female_sterilisation"
        else:
            method = rng.choices(*zip(*CONTRACEPTION))[0]
        woman.contraception = method
        woman.iud_status = "in_place" if method == "iud" else "none_fitted"

    def household(self, village):
        rng = self.rng
        code, label = village
        n = self.card_numbers.get(code, 0) + 1
        self.card_numbers[code] = n
        h = Household(new_uuid(rng), code, f"{label}{rng.randint(1, 8)}组{n}号",
                      f"{code[:2].upper()}-{n:04d}",
                      registration_type=rng.choices(
                          ["agricultural", "non_agricultural", "other"], [85, 12, 3])[0],
                      low_income=rng.random() < 0.05)
        self.households[h.uuid] = h
        return h

    def add(self, h, p):
        h.members.append(p.uuid)
        p.household = h.uuid

    def populate(self, village, target):
        """Households for one village until it holds about `target` people."""
        count = 0
        while count < target:
            count += len(self.family(village).members)

    def family(self, village):
        """One household at the start date: a couple with children, perhaps a married son
        with his wife and children, perhaps a widowed parent; or someone living alone."""
        rng, on, code = self.rng, self.start, village[0]
        h = self.household(village)
        r = rng.random()
        if r < 0.07:
            sex = rng.choice(["male", "female"])
            self.add(h, self.person(code, h.uuid, sex, birth_date(rng, on, rng.randint(62, 92)),
                                    "head", "widowed"))
            return h
        if r < 0.11:
            self.add(h, self.person(code, h.uuid, "male", birth_date(rng, on, rng.randint(24, 50)),
                                    "head", "unmarried"))
            return h
        age = rng.choices([rng.randint(24, 34), rng.randint(35, 44), rng.randint(45, 54),
                           rng.randint(55, 64), rng.randint(65, 80)], [20, 22, 25, 20, 13])[0]
        head = self.person(code, h.uuid, "male", birth_date(rng, on, age), "head",
                           rng.choices(["first_marriage", "remarried"], [95, 5])[0])
        wife_age = max(20, age - rng.randint(-1, 5))
        wife = self.person(code, h.uuid, "female", birth_date(rng, on, wife_age), "spouse",
                           head.marital, region=self.bride_region())
        head.spouse, wife.spouse = wife.uuid, head.uuid
        self.add(h, head)
        self.add(h, wife)
        surname = head.full_name[0]
        n_children = rng.choices([0, 1, 2, 3], [8, 42, 44, 6])[0]
        for _ in range(n_children):
            child_age = wife_age - rng.randint(21, 36)
            if child_age < 0:
                continue
            sex = "male" if rng.random() < 0.53 else "female"
            if sex == "female" and child_age >= 24 and rng.random() < 0.85:
                wife.add_child(sex)          # married out: not in this household
                head.add_child(sex)
                continue
            child = self.person(code, h.uuid, sex, birth_date(rng, on, child_age),
                                "son" if sex == "male" else "daughter", "unmarried",
                                surname=surname, id_blank=child_age < 1 and rng.random() < 0.5)
            wife.add_child(sex)
            head.add_child(sex)
            self.add(h, child)
            if sex == "male" and child_age >= 23 and rng.random() < 0.7:
                self._married_son(h, child, surname)
        if age < 52 and rng.random() < 0.3:
            self.add(h, self.person(code, h.uuid, rng.choice(["male", "female"]),
                                    birth_date(rng, on, min(95, age + rng.randint(24, 32))),
                                    "parent", "widowed", surname=None))
        if 15 <= wife_age <= 49:
            self.choose_contraception(wife, on)
        return h

    def _married_son(self, h, son, surname):
        rng, on = self.rng, self.start
        son.marital = "first_marriage"
        age = son.age(on)
        wife = self.person(son.village, h.uuid, "female",
                           birth_date(rng, on, max(20, age - rng.randint(0, 4))),
                           "child_in_law", "first_marriage", region=self.bride_region())
        son.spouse, wife.spouse = wife.uuid, son.uuid
        self.add(h, wife)
        for _ in range(rng.choices([0, 1, 2], [30, 45, 25])[0]):
            child_age = wife.age(on) - rng.randint(21, 30)
            if child_age < 0:
                continue
            sex = "male" if rng.random() < 0.53 else "female"
            self.add(h, self.person(son.village, h.uuid, sex, birth_date(rng, on, child_age),
                                    "grandchild", "unmarried", surname=surname,
                                    id_blank=child_age < 1 and rng.random() < 0.5))
            wife.add_child(sex)
            son.add_child(sex)
        self.choose_contraception(wife, on)

    def bride_region(self):
        if self.rng.random() < 0.3:
            return self.rng.choice(identity.NEARBY)
        return identity.HOME_COUNTY

    def surname_for_child(self, mother):
        husband = self.people.get(mother.spouse) if mother.spouse else None
        return (husband or mother).full_name[0]
