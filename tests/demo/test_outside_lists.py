"""The synthetic town's outside lists (app.demo.outside_lists): the hospital's births and the
household registry are the same for a seed and differ for another; their files follow
FORMATS.md (the Chinese headers in order, ISO dates, the villages' codes, 男/女, 18-character
ID numbers or blank); the truth maps every record to its world person or birth, says whether
it reached the register and which slip it carries, and each slip is really in the row; the
hospital lists every hospital birth, the never-reported ones too, and no birth at home; the
registry lags as its states say; CSV and XLSX hold the same rows; and `flask demo town` writes
both next to its truth file."""
import csv
import datetime as dt
import json
import os

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from app.cli import demo
from app.demo import outside_lists as ol
from app.demo.town import Params, Town, read_villages
from app.validation.rules import id_number_problem
from tests.conftest import FORMS_DIR

VILLAGES = read_villages(os.path.join(FORMS_DIR, "villages.csv"))
CODES = {code for code, _ in VILLAGES}
#: FORMATS.md's headers, as the importer reads them
HOSPITAL_HEADERS = ["出生医学证明编号", "母亲姓名", "母亲身份证号", "婴儿性别", "出生日期", "分娩医院",
                    "村", "父亲姓名"]
REGISTRY_HEADERS = ["公民身份号码", "姓名", "性别", "出生日期", "村", "户号", "与户主关系"]
#: rates high enough for every slip to happen in a small town
SLIPPY = ol.OutsideParams(hospital_name_homophone=0.2, hospital_id_blank=0.2,
                          hospital_id_typo=0.2, hospital_date_off=0.2,
                          hospital_village_of_residence=0.2, registry_name_homophone=0.05,
                          registry_dob_error=0.05, registry_id_typo=0.05)


def simulate(seed=5, **kw):
    town = Town(Params(**{"people": 3000, "villages": 4, "months": 12, "seed": seed,
                          "unreported_birth_rate": 0.3, **kw}), VILLAGES)
    return town, town.run()


@pytest.fixture(scope="module")
def town():
    # more births at home and in clinics than the real 2 %, for the small town to have some
    return simulate(hospital_birth_rate=0.8, clinic_birth_rate=0.1)


def _read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def test_the_same_seed_writes_the_same_files_and_another_seed_others(tmp_path):
    written = []
    for n, seed in enumerate((5, 5, 6)):
        town, subs = simulate(seed=seed, people=800, villages=2)
        ol.write(town, subs, str(tmp_path / f"{n}.json"))
        written.append([(tmp_path / f"{n}-{kind}.csv").read_bytes() for kind in (
            "hospital-births", "household-registry")])
    assert written[0] == written[1]
    assert written[0][0] != written[2][0] and written[0][1] != written[2][1]


def test_the_files_follow_the_shared_format(town, tmp_path):
    section = ol.write(*town, str(tmp_path / "truth.json"))
    births = _read_csv(tmp_path / section["hospital_births"]["file"])
    registry = _read_csv(tmp_path / section["household_registry"]["file"])
    assert (tmp_path / "truth-hospital-births.csv").read_bytes()[:3] == b"\xef\xbb\xbf"
    assert births[0] == HOSPITAL_HEADERS and registry[0] == REGISTRY_HEADERS
    assert len(births) - 1 == section["hospital_births"]["rows"] > 20
    assert len(registry) - 1 == section["household_registry"]["rows"] > 2500
    for no, mother, id_number, sex, born, hospital, village, _father in births[1:]:
        assert no and mother and hospital and sex in ("男", "女") and village in CODES
        assert dt.date.fromisoformat(born).isoformat() == born
        assert id_number == "" or len(id_number) == 18
    assert len({row[0] for row in births[1:]}) == len(births) - 1      # the key is unique
    for id_number, name, sex, dob, village, household_no, relation in registry[1:]:
        assert name and sex in ("男", "女") and village in CODES and household_no and relation
        assert dt.date.fromisoformat(dob).isoformat() == dob
        assert id_number == "" or len(id_number) == 18
    keys = [ol.registry_key(dict(zip(("id_number", "name", "sex", "dob", "village",
                                      "household_no", "relation"), row))) for row in registry[1:]]
    assert len(set(keys)) == len(keys)


def test_the_hospital_lists_every_hospital_birth_reported_or_not_and_none_at_home(town):
    t, subs = town
    lists, _ = ol.generate(t, subs, SLIPPY)
    _, rows, truth = lists["hospital_births"]
    people = t.world.people
    listed = {r["child"] for r in truth}
    unreported = {b["child"] for b in t.mess["unreported_births"]}
    assert unreported
    for pregnancy, children in ol.live_births(t):
        for child in children:
            assert (child.uuid in listed) == (pregnancy.place == "hospital"), pregnancy.place
    assert any(p.place != "hospital" for p, _ in ol.live_births(t))
    hospital_unreported = {c.uuid for p, cs in ol.live_births(t) for c in cs
                           if p.place == "hospital"} & unreported
    assert hospital_unreported and hospital_unreported <= listed
    assert {r["child"] for r in truth if not r["reported"]} == hospital_unreported
    for row, record in zip(rows, truth):
        child, mother = people[record["child"]], people[record["mother"]]
        assert row["certificate_no"] == record["certificate_no"] == child.certificate
        assert child.mother == mother.uuid and record["birth_date"] == child.dob.isoformat()
        assert row["sex"] == ol.SEX_ZH[child.sex]
        slips = set(record["slips"])
        assert (row["mother_name"] != mother.full_name) == ("name_homophone" in slips)
        assert (row["mother_id_number"] == "") == ("id_blank" in slips)
        if "id_typo" in slips:
            assert row["mother_id_number"] != mother.id_number
            assert id_number_problem(row["mother_id_number"], dt.date(2030, 1, 1)) is not None
        else:
            assert row["mother_id_number"] in ("", mother.id_number)
        shift = (dt.date.fromisoformat(row["birth_date"]) - child.dob).days
        assert shift == (1 if "date_off" in slips else 0)
        assert (row["village"] != mother.village) == ("village_of_residence" in slips)
    every = {s for r in truth for s in r["slips"]}
    assert every == {"name_homophone", "id_blank", "id_typo", "date_off",
                     "village_of_residence"}


def test_the_registry_lags_and_errs_as_its_truth_says(town):
    t, subs = town
    lists, absent = ol.generate(t, subs, SLIPPY)
    _, rows, truth = lists["household_registry"]
    people, end = t.world.people, t.p.end
    listed = [r["person"] for r in truth]
    assert len(set(listed)) == len(listed)
    assert set(listed) | {a["person"] for a in absent} == set(people)
    assert not set(listed) & {a["person"] for a in absent}
    states = {r["state"] for r in truth} | {a["state"] for a in absent}
    assert {"resident", "away_for_work", "death_not_yet_removed", "death_removed",
            "migrant_registered_elsewhere", "newborn_not_yet_added"} <= states
    for row, record in zip(rows, truth):
        person = people[record["person"]]
        slips = set(record["slips"])
        assert (row["name"] != person.full_name) == ("name_homophone" in slips)
        assert (row["dob"] != person.dob.isoformat()) == bool(
            slips & {"dob_swapped", "dob_day_off"})
        assert (row["id_number"] != person.id_number) == ("id_typo" in slips)
        assert ol.registry_key(row) == record["key"]
        assert not person.origin                       # migrants are registered at home
        if person.deceased is not None:
            assert record["state"] == "death_not_yet_removed"
            assert (end - person.deceased).days < ol.OutsideParams().registry_death_lag[1]
        if record["state"] == "move_not_yet_registered":
            assert row["village"] == person.previous_village != person.village
        else:
            assert row["village"] == person.village
    for a in absent:
        person = people[a["person"]]
        if a["state"] == "newborn_not_yet_added":
            assert person.dob >= t.p.start
            assert (end - person.dob).days < ol.OutsideParams().registry_newborn_lag[1]
    assert {"name_homophone", "id_typo"} <= {s for r in truth for s in r["slips"]}


def test_csv_and_xlsx_hold_the_same_rows(town, tmp_path):
    t, subs = town
    csv_section = ol.write(t, subs, str(tmp_path / "a.json"))
    xlsx_section = ol.write(t, subs, str(tmp_path / "b.json"), ol.OutsideParams(format="xlsx"))
    assert xlsx_section["hospital_births"]["file"] == "b-hospital-births.xlsx"
    for kind in ("hospital_births", "household_registry"):
        from_csv = _read_csv(tmp_path / csv_section[kind]["file"])
        sheet = load_workbook(tmp_path / xlsx_section[kind]["file"], read_only=True).worksheets[0]
        from_xlsx = [[cell or "" for cell in row] for row in sheet.iter_rows(values_only=True)]
        assert from_xlsx == from_csv
    with pytest.raises(ValueError):
        ol.write(t, subs, str(tmp_path / "c.json"), ol.OutsideParams(format="ods"))


def test_demo_town_writes_the_outside_lists_next_to_its_truth(app, db, tmp_path):
    truth_path = tmp_path / "town.json"
    result = CliRunner().invoke(demo, [
        "town", "--people", "300", "--villages", "2", "--months", "12", "--seed", "4",
        "--unreported-birth-rate", "0.5", "--forms-dir", FORMS_DIR, "--outside-format", "xlsx",
        "--truth", str(truth_path)], obj=app.extensions)
    assert result.exit_code == 0, result.output
    document = json.loads(truth_path.read_text(encoding="utf-8"))
    section = document["outside_lists"]
    assert section["params"]["format"] == "xlsx"
    for kind, name in (("hospital_births", "town-hospital-births.xlsx"),
                       ("household_registry", "town-household-registry.xlsx")):
        assert section[kind]["file"] == name and (tmp_path / name).exists()
        rows = list(load_workbook(tmp_path / name, read_only=True).worksheets[0].iter_rows())
        assert len(rows) - 1 == section[kind]["rows"] == len(section[kind]["records"])
    assert "Outside lists: town-hospital-births.xlsx" in result.output
