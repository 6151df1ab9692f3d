"""`flask demo town`: a synthetic town generated through the real forms and intake. The same
seed gives the same town byte for byte; its people have valid ID numbers and Chinese names;
the mess it injects is what the ground truth says; and the register it leaves behind matches
the ground truth's counts, with only the deliberately slipped submissions flagged by
validation, and rebuilds from the journal to the same state."""
import datetime as dt
import json
import os

from click.testing import CliRunner
from sqlalchemy import func, select

from app.cli import demo, register_group
from app.demo import names
from app.demo.town import Params, Town, read_villages
from app.register.models import DuplicateCandidate, Entity, EntityBacklog
from app.submissions.models import Submission
from app.validation.rules import id_number_problem
from tests.conftest import FORMS_DIR

VILLAGES = read_villages(os.path.join(FORMS_DIR, "villages.csv"))


def simulate(**kw):
    town = Town(Params(**{"people": 400, "villages": 2, "months": 12, **kw}), VILLAGES)
    return town, town.run()


def test_the_same_seed_makes_the_same_town_and_another_seed_another():
    _, first = simulate(seed=7)
    _, again = simulate(seed=7)
    _, other = simulate(seed=8)
    assert [s.xml for s in first] == [s.xml for s in again]
    assert [s.xml for s in first] != [s.xml for s in other]


def test_people_have_valid_id_numbers_chinese_names_and_an_age_pyramid():
    town, _ = simulate(people=3000, villages=3)
    people = list(town.world.people.values())
    assert len(people) >= 3000
    numbers = [p.id_number for p in people if p.id_number]
    assert len(numbers) == len(set(numbers)) > 0.9 * len(people)
    for p in people:
        if p.id_number:
            assert id_number_problem(p.id_number, dt.date(2030, 1, 1)) is None, p
            assert p.id_number[6:14] == p.dob.strftime("%Y%m%d")
            assert (int(p.id_number[16]) % 2 == 1) == (p.sex == "male")
        assert 2 <= len(p.full_name) <= 3 and "?" not in names.pinyin(p.full_name)
    ages = [p.age(town.p.start) for p in people]
    children, working, old = (sum(1 for a in ages if lo <= a < hi)
                              for lo, hi in ((0, 15), (15, 60), (60, 120)))
    assert working > children > 0 and working > old > 0
    women = [p for p in people if p.sex == "female" and 15 <= p.age(town.p.start) <= 49
             and p.marital != "unmarried"]
    methods = {p.contraception for p in women}
    assert {"iud", "none", "condom"} <= methods


def test_the_sex_ratio_at_birth_can_be_set_per_village():
    town, _ = simulate(people=4000, villages=2, months=24, sex_ratio=100,
                       village_sex_ratio={"dongwan": 400, "xishan": 25})
    boys, girls = town.births_by_village["dongwan"]
    assert boys > 2 * girls
    boys, girls = town.births_by_village["xishan"]
    assert girls > 2 * boys


def test_duplicates_carry_the_slips_the_ground_truth_names():
    town, subs = simulate(people=1500, duplicate_rate=0.1, seed=3)
    duplicates = town.mess["duplicates"]
    assert {d["kind"] for d in duplicates} == {"homophone", "typo_id", "swapped_dob",
                                               "missing_id"}
    registered = {op[2]: op[4] for s in subs for op in s.ops if op[3] == "create"}
    for d in duplicates:
        original, copy = town.world.people[d["original"]], registered[d["duplicate"]]
        if d["kind"] == "homophone":
            assert copy["full_name"] != original.full_name
            assert names.pinyin(copy["full_name"]) == names.pinyin(original.full_name)
            assert copy["id_number"] == original.id_number
        elif d["kind"] == "typo_id":
            assert copy["id_number"] != original.id_number
            assert id_number_problem(copy["id_number"], dt.date(2030, 1, 1)) is not None
        elif d["kind"] == "swapped_dob":
            assert copy["id_number"] == ""
            born = dt.date.fromisoformat(copy["dob"])
            assert (born.month, born.day) == (original.dob.day, original.dob.month)
        else:
            assert copy["id_number"] == "" and copy["full_name"] == original.full_name


def test_demo_town_matches_its_ground_truth(app, db, tmp_path):
    truth_path = tmp_path / "truth.json"
    result = CliRunner().invoke(demo, [
        "town", "--people", "1000", "--villages", "2", "--months", "16", "--seed", "11",
        "--duplicate-rate", "0.05", "--unreported-birth-rate", "0.3", "--late-rate", "0.3",
        "--out-of-order-rate", "0.3", "--forms-dir", FORMS_DIR, "--truth", str(truth_path)],
        obj=app.extensions)
    assert result.exit_code == 0, result.output
    assert "The register matches the ground truth." in result.output
    truth = json.loads(truth_path.read_text(encoding="utf-8"))

    # every submission stored once; the late ones really came late and some out of order
    sent = truth["submissions"]
    assert db.session.scalar(select(func.count()).select_from(Submission)) == sent["total"]
    assert truth["intake"]["received"] == {"created": sent["total"]}
    assert sent["late"] > 20 and sent["out_of_order"] > 0
    assert db.session.scalar(select(func.count()).select_from(EntityBacklog)) == 0

    # only the submissions made with an ID-number slip have validation issues
    flagged = db.session.scalar(select(func.count()).select_from(Submission)
                                .where(Submission.review_state == "hasIssues"))
    typos = [d for d in truth["mess"]["duplicates"] if d["kind"] == "typo_id"]
    assert flagged == sent["flagged"] == len(typos) > 0

    # the ground truth's counts are the register's; the world differs by the mess
    assert truth["register"] == truth["register_found"]
    town = truth["register"]["town"]
    world = truth["world"]
    born = world["events"]["births_male"] + world["events"]["births_female"]
    unrecorded = sum(1 for o in truth["mess"]["outcome_never_recorded"]
                     if o["outcome"] == "live_birth")
    assert truth["mess"]["unreported_births"]
    assert town["born_male"] + town["born_female"] == \
        born - len(truth["mess"]["unreported_births"]) - unrecorded
    live_people = db.session.scalar(select(func.count()).select_from(Entity))
    assert live_people == town["people"] + town["households"] + sum(
        town[k] for k in ("pregnancies_open", "pregnancies_delivered", "pregnancies_lost"))

    # duplicates that kept the ID number are found by it
    same_number = [d for d in truth["mess"]["duplicates"] if d["kind"] == "homophone"]
    pairs = set(db.session.execute(select(DuplicateCandidate.entity_id,
                                          DuplicateCandidate.other_id)).all())
    ids = dict(db.session.execute(select(Entity.uuid, Entity.id)).all())
    for d in same_number:
        assert (ids[d["duplicate"]], ids[d["original"]]) in pairs

    # and the register rebuilds from its journal to the same state
    check = CliRunner().invoke(register_group, ["rebuild", "--check"], obj=app.extensions)
    assert check.exit_code == 0, check.output
