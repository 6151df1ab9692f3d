"""The synthetic town's outside lists: the hospital's births and the police household registry
(户籍登记) as those offices would hand them to the health centre, in the columns of
/work/wt/FORMATS.md (docs/omissions.md), with each office's own slips and lags, and the truth
of which outside record is which world person or birth.

- Hospital births (医院出生登记): every child born in hospital during the run, reported to
  the register or not; births at home or in a clinic are not in it. The hospital writes the
  mother's name from hearing now and then (a homophone), leaves her ID number blank or
  mistypes it, puts a birth near midnight on the next day, and writes the village she stays
  in for the confinement (her parents') rather than the one she is registered in.
- Household registry: everyone whose household registration (户口) is in the town on the
  extract date (the day after the run), as the police have it: migrants from elsewhere are
  not in it, people working away are; deaths, brides' transfers, marriages out, newborns and
  moves between villages reach it months late; a few names, birth dates and ID numbers are
  wrong.

Everything is drawn from its own random.Random seeded from the town's seed, after the town has
run: the town's own submissions do not change, and the files are the same for a seed.
"""
import csv
import datetime as dt
import os
import random
from dataclasses import asdict, dataclass

from app.demo import identity, names

DAY = dt.timedelta(days=1)
FORMATS = ("csv", "xlsx")

#: FORMATS.md's columns, in order: (Chinese header, English name)
HOSPITAL_COLUMNS = (("出生医学证明编号", "certificate_no"), ("母亲姓名", "mother_name"),
                    ("母亲身份证号", "mother_id_number"), ("婴儿性别", "sex"),
                    ("出生日期", "birth_date"), ("分娩医院", "hospital"), ("村", "village"),
                    ("父亲姓名", "father_name"))
REGISTRY_COLUMNS = (("公民身份号码", "id_number"), ("姓名", "name"), ("性别", "sex"),
                    ("出生日期", "dob"), ("村", "village"), ("户号", "household_no"),
                    ("与户主关系", "relation"))
SEX_ZH = {"male": "男", "female": "女"}
RELATION_ZH = {"head": "户主", "spouse": "配偶", "son": "子", "daughter": "女",
               "grandchild": "孙子女", "child_in_law": "儿媳", "parent": "父母", "other": "其他"}
#: where the town's hospital births happen (the maternity wards of the county)
HOSPITALS = ["礼泉县医院", "礼泉县妇幼保健院", "本镇卫生院", "咸阳市中心医院"]


@dataclass
class OutsideParams:
    """The slips and lags of the two offices, each a named rate with the reason for its
    default. Rates are shares of records; lags are (fewest, most) days, drawn evenly."""
    # the mother's name written from hearing at admission: a homophone in her given name
    # (the registrar types what she hears; about 1 in 30 in county hospital audits)
    hospital_name_homophone: float = 0.03
    # her ID number not taken (no card with her in labour): common in rural maternity wards
    hospital_id_blank: float = 0.08
    # her ID number typed with two neighbouring digits swapped (the check character fails)
    hospital_id_typo: float = 0.02
    # the birth date a day off: a birth near midnight entered on the next day's register
    hospital_date_off: float = 0.01
    # the village she stays in for the confinement (her parents') rather than her own
    hospital_village_of_residence: float = 0.04
    # a death is removed once the family brings the death certificate: one to eight months
    registry_death_lag: tuple = (30, 240)
    # a newborn is added when the parents apply (the birth certificate in hand): two weeks
    # to ten months, so the latest births of the run are often not in it yet
    registry_newborn_lag: tuple = (14, 300)
    # a bride's registration is transferred from her home county: one to ten months
    registry_transfer_lag: tuple = (30, 300)
    # a daughter marrying out is removed when her new county asks for her: one to six months
    registry_married_out_lag: tuple = (30, 180)
    # a move to another village of the town is registered late, if the family bothers
    registry_move_lag: tuple = (30, 365)
    # the registry's own errors, from its paper past: a homophone, a birth date, an ID typo
    registry_name_homophone: float = 0.01
    registry_dob_error: float = 0.005
    registry_id_typo: float = 0.003
    # the file format the offices hand over (csv or xlsx; both are imported)
    format: str = "csv"


def rng_for(seed):
    """The outside lists' own random stream for a town's seed (a string seed is hashed the
    same way on every run and platform)."""
    return random.Random(f"outside-lists:{seed}")


def created(subs):
    """uuids of the entities the submissions create on the register (not those held for
    review and never approved)."""
    return {op[2] for sub in subs if not sub.flagged or sub.approve for op in sub.ops
            if op[3] == "create"}


def live_births(town):
    """[(Pregnancy, [child Person])] of every live birth in the run, in the world's order."""
    children = {}
    for person in town.world.people.values():
        if person.mother:
            children.setdefault((person.mother, person.dob), []).append(person)
    return [(p, children.get((p.woman, p.outcome_date), []))
            for p in town.world.pregnancies
            if p.outcome == "live_birth" and p.outcome_date is not None]


def _homophone(rng, name):
    """The name with one given-name character replaced by one that sounds alike (itself when
    none of its characters has a homophone here)."""
    alike = [i for i in range(1, len(name)) if names.homophone(rng, name[i]) != name[i]]
    if not alike:
        return name
    i = rng.choice(alike)
    return name[:i] + names.homophone(rng, name[i]) + name[i + 1:]


def _lag(rng, bounds):
    return rng.randint(*bounds) * DAY


def hospital_births(town, subs, params, rng):
    """(rows, truth): the hospital's rows (dicts by English column name) and, for each, the
    truth: certificate_no, the child and mother (world uuids), the pregnancy's register
    entities, whether the birth reached the register, and the slips the row carries."""
    world, villages = town.world, [code for code, _ in town.villages]
    on_register = created(subs)
    rows, truth = [], []
    for pregnancy, children in live_births(town):
        if getattr(pregnancy, "place", "") != "hospital":
            continue
        mother = world.people[pregnancy.woman]
        father = world.people.get(mother.spouse) if mother.spouse else None
        hospital = rng.choice(HOSPITALS)
        for child in children:
            slips = []
            name, id_number = mother.full_name, mother.id_number
            born, village = child.dob, mother.village
            if rng.random() < params.hospital_name_homophone:
                written = _homophone(rng, name)
                if written != name:
                    name = written
                    slips.append("name_homophone")
            r = rng.random()
            if id_number and r < params.hospital_id_blank:
                id_number = ""
                slips.append("id_blank")
            elif id_number and r < params.hospital_id_blank + params.hospital_id_typo:
                id_number = identity.transpose_digits(rng, id_number)
                slips.append("id_typo")
            if rng.random() < params.hospital_date_off:
                born += DAY
                slips.append("date_off")
            if len(villages) > 1 and rng.random() < params.hospital_village_of_residence:
                village = rng.choice([v for v in villages if v != village])
                slips.append("village_of_residence")
            rows.append({"certificate_no": child.certificate, "mother_name": name,
                         "mother_id_number": id_number, "sex": SEX_ZH[child.sex],
                         "birth_date": born.isoformat(), "hospital": hospital,
                         "village": village,
                         "father_name": father.full_name if father else ""})
            truth.append({"certificate_no": child.certificate, "child": child.uuid,
                          "mother": mother.uuid, "village": mother.village,
                          "birth_date": child.dob.isoformat(),
                          "pregnancy_entities": list(pregnancy.entities),
                          "reported": child.uuid in on_register, "slips": slips})
    return rows, truth


def _registry_state(person, start, extract, params, rng):
    """(listed, village, state): whether the registry lists the person on `extract`, under
    which village, and why (the lag or the reason she is absent)."""
    village = person.village
    if person.origin:
        return False, village, "migrant_registered_elsewhere"
    if person.dob >= start and person.mother:
        if person.deceased is not None:
            return False, village, "newborn_died_before_registration"
        if person.dob + _lag(rng, params.registry_newborn_lag) > extract:
            return False, village, "newborn_not_yet_added"
    if person.deceased is not None:
        if person.deceased + _lag(rng, params.registry_death_lag) > extract:
            return True, village, "death_not_yet_removed"
        return False, village, "death_removed"
    if person.residence == "moved_in" and person.moved_on:           # a bride of the run
        if person.moved_on + _lag(rng, params.registry_transfer_lag) > extract:
            return False, village, "transfer_not_yet_registered"
        return True, village, "transferred_in"
    if person.residence == "moved_out" and person.moved_to:          # married out
        if person.moved_on and person.moved_on + _lag(
                rng, params.registry_married_out_lag) > extract:
            return True, village, "married_out_not_yet_removed"
        return False, village, "married_out_removed"
    if person.residence == "moved_out":
        # working away keeps the registration at home (人户分离)
        return True, village, "away_for_work"
    if person.previous_village and person.moved_on and \
            person.moved_on + _lag(rng, params.registry_move_lag) > extract:
        return True, person.previous_village, "move_not_yet_registered"
    return True, village, "resident"


def household_registry(town, subs, params, rng):
    """(rows, truth, absent): the registry's rows on the extract date (the day after the
    run), the truth of each row (person, whether she is on the register, the registry's
    state and slips), and the world's people it does not list, with why."""
    world, p = town.world, town.p
    extract = p.end
    on_register = created(subs)
    numbers = {}
    rows, truth, absent = [], [], []
    for person in world.people.values():
        listed, village, state = _registry_state(person, p.start, extract, params, rng)
        if not listed:
            absent.append({"person": person.uuid, "village": person.village, "state": state,
                           "in_register": person.uuid in on_register})
            continue
        household = person.household or ""
        if household not in numbers:
            numbers[household] = f"{identity.HOME_COUNTY}{len(numbers) + 1:06d}"
        slips = []
        name, dob, id_number = person.full_name, person.dob, person.id_number
        if rng.random() < params.registry_name_homophone:
            written = _homophone(rng, name)
            if written != name:
                name = written
                slips.append("name_homophone")
        if rng.random() < params.registry_dob_error:
            if dob.day <= 12 and dob.day != dob.month:
                dob = dob.replace(month=dob.day, day=dob.month)
                slips.append("dob_swapped")
            else:
                dob += DAY
                slips.append("dob_day_off")
        if id_number and rng.random() < params.registry_id_typo:
            id_number = identity.transpose_digits(rng, id_number)
            slips.append("id_typo")
        row = {"id_number": id_number, "name": name, "sex": SEX_ZH[person.sex],
               "dob": dob.isoformat(), "village": village, "household_no": numbers[household],
               "relation": RELATION_ZH.get(person.relation, "其他")}
        rows.append(row)
        truth.append({"key": registry_key(row), "person": person.uuid,
                      "village": person.village, "in_register": person.uuid in on_register,
                      "state": state, "slips": slips})
    return rows, truth, absent


def registry_key(row):
    """A registry row's key as FORMATS.md defines it: its ID number, else household number +
    name + birth date."""
    return row["id_number"] or f"{row['household_no']}|{row['name']}|{row['dob']}"


def write_rows(path, columns, rows, fmt="csv"):
    """Write rows under the Chinese headers: CSV in UTF-8 with a BOM (what Excel on a
    Chinese Windows opens correctly), or an XLSX workbook's first sheet."""
    headers = [zh for zh, _ in columns]
    values = [[row[en] for _, en in columns] for row in rows]
    if fmt == "xlsx":
        from openpyxl import Workbook          # noqa: PLC0415 - only the xlsx option needs it
        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(headers)
        for line in values:
            sheet.append(line)
        book.save(path)
        # a fixed timestamp inside would be needed for byte-equal files; the rows are equal
        return path
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(headers)
        out.writerows(values)
    return path


def paths(truth_path, fmt="csv"):
    """Where the two files go: next to the truth file, named after it."""
    stem = os.path.splitext(truth_path)[0]
    return {"hospital_births": f"{stem}-hospital-births.{fmt}",
            "household_registry": f"{stem}-household-registry.{fmt}"}


def generate(town, subs, params=None):
    """Both lists and their truth, without writing anything: {kind: (columns, rows, truth)}
    and the registry's absent people."""
    params = params or OutsideParams()
    rng = rng_for(town.p.seed)
    births, births_truth = hospital_births(town, subs, params, rng)
    registry, registry_truth, absent = household_registry(town, subs, params, rng)
    return {"hospital_births": (HOSPITAL_COLUMNS, births, births_truth),
            "household_registry": (REGISTRY_COLUMNS, registry, registry_truth)}, absent


def write(town, subs, truth_path, params=None):
    """Write both files next to `truth_path`; returns the truth file's `outside_lists`
    section: each file's name, kind, row count and per-row truth (in row order), the
    registry's absent people, and the parameters."""
    params = params or OutsideParams()
    if params.format not in FORMATS:
        raise ValueError(f"format: one of {', '.join(FORMATS)}")
    lists, absent = generate(town, subs, params)
    out = {"params": {k: list(v) if isinstance(v, tuple) else v
                      for k, v in asdict(params).items()}}
    for kind, path in paths(truth_path, params.format).items():
        columns, rows, truth = lists[kind]
        write_rows(path, columns, rows, params.format)
        out[kind] = {"file": os.path.basename(path), "rows": len(rows), "records": truth}
    out["household_registry"]["absent"] = absent
    return out
