"""`flask demo town`: a synthetic town generated through the real forms and intake. The same
seed gives the same town byte for byte; its people have valid ID numbers and Chinese names;
its rates are a rural town's; the mess it injects is what the ground truth says; the register
it leaves behind matches the ground truth's counts, with only the deliberately slipped
submissions flagged by validation; every life event kind reaches `life_events` exactly as
often, in the month and village, with the details the ground truth says; and the register and
its events rebuild from the journal to the same state."""
import datetime as dt
import json
import os

from click.testing import CliRunner
from sqlalchemy import func, select

from app.cli import demo, register_group
from app.demo import ingest, names, truth
from app.demo.town import Params, Town, read_villages
from app.events.kinds import KINDS
from app.events.models import LifeEvent
from app.quality.models import DuplicatePair
from app.register.models import Entity, EntityBacklog
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


def test_a_towns_year_has_a_rural_towns_rates():
    """At the default rates a 5,000-person town's year looks like the plan's town: births
    and deaths near 10 and 7 per 1,000, marriages near 8, a few % migrants, losses 10–15 %
    of pregnancies (small numbers: wide bounds), births in hospital, married women 15–49
    checked each round at the coverage, check-ups for most planning couples."""
    town, subs = simulate(people=5000, villages=3)
    rates = truth.world_rates(town)
    assert 6 <= rates["births_per_1000"] <= 14, rates
    assert 4 <= rates["deaths_per_1000"] <= 11, rates
    assert 5 <= rates["marriages_per_1000"] <= 11, rates
    assert 10 <= rates["migrants_in_per_1000"] <= 30, rates
    ended = [p for p in town.world.pregnancies if p.outcome]
    lost = [p for p in ended if p.outcome != "live_birth"]
    assert 0.04 <= len(lost) / len(ended) <= 0.25
    counts = truth.event_table(truth.expected_events(subs))["by_details"]
    assert counts["birth"].get("place=hospital", 0) >= 0.9 * sum(
        n for k, n in counts["birth"].items() if k.startswith("place="))
    women = [p for p in town.world.people.values() if p.sex == "female" and p.present
             and p.marital != "unmarried" and 15 <= p.age(town.p.start) <= 49]
    for round_ in ("2025-H1", "2025-H2"):
        assert 0.75 * len(women) <= counts["three_checks"][f"round={round_}"] <= len(women)
    assert 0.7 <= rates["prepregnancy_coverage"] <= 0.95, rates


def test_the_ground_truth_counts_every_event_a_submission_reports_by_month_and_village():
    town, subs = simulate(people=1500, seed=4)
    expected = truth.expected_events(subs)
    table = truth.event_table(expected)
    assert sum(table["totals"].values()) == sum(
        len(s.events) for s in subs if not s.flagged or s.approve)
    kind, month, village, details = next(iter(expected))
    assert kind in KINDS and len(month) == 7 and village in {"dongwan", "xishan"}
    assert table["by_month_and_village"]["three_checks"]["2025-04"]
    # a submission held for review reports nothing until it is approved
    held = [s for s in subs if s.flagged and not s.approve]
    assert held and all(not s.events or s.form == "person" for s in held)


#: rates raised so that a small town shows every kind, and (with seed 11) both sides of each
#: distinction the assertions name
RARE = ["--rate", "neonatal_mortality=0.3", "--rate", "divorce_rate=0.02",
        "--rate", "twin_rate=0.2", "--rate", "birth_rate=0.02", "--rate", "loss_rate=0.4",
        "--rate", 'loss_mix={"miscarriage": 30, "induced_abortion": 20, '
                  '"medical_termination": 30, "ectopic": 10, "stillbirth": 10}',
        "--rate", "approval_rate=0.5", "--rate", "migrant_out_rate=0.1",
        "--rate", "sterilisation_rate=0.02"]


def test_demo_town_matches_its_ground_truth(app, db, tmp_path):
    truth_path = tmp_path / "truth.json"
    result = CliRunner().invoke(demo, [
        "town", "--people", "1000", "--villages", "2", "--months", "12", "--seed", "16",
        "--duplicate-rate", "0.05", "--unreported-birth-rate", "0.3", "--late-rate", "0.3",
        "--out-of-order-rate", "0.3", *RARE, "--forms-dir", FORMS_DIR,
        "--truth", str(truth_path)], obj=app.extensions)
    assert result.exit_code == 0, result.output
    assert "The register matches the ground truth." in result.output
    assert "The life events match the ground truth." in result.output
    truth_doc = json.loads(truth_path.read_text(encoding="utf-8"))

    # every submission stored once; the late ones really came late and some out of order
    sent = truth_doc["submissions"]
    assert db.session.scalar(select(func.count()).select_from(Submission)) == sent["total"]
    assert truth_doc["intake"]["received"] == {"created": sent["total"]}
    assert sent["late"] > 20 and sent["out_of_order"] > 0
    assert db.session.scalar(select(func.count()).select_from(EntityBacklog)) == 0

    # only the submissions made with an ID-number slip still have validation issues; the
    # terminations without their approval number were held and then approved
    flagged = db.session.scalar(select(func.count()).select_from(Submission)
                                .where(Submission.review_state == "hasIssues"))
    typos = [d for d in truth_doc["mess"]["duplicates"] if d["kind"] == "typo_id"]
    assert flagged == sent["flagged"] == len(typos) > 0
    assert truth_doc["intake"]["approved_after_review"] == sent["approved_after_review"] > 0

    # every kind of life event happened, each as often as the ground truth says
    events = truth_doc["events"]
    assert set(events["totals"]) == set(KINDS)
    assert events == truth_doc["events_found"] and truth_doc["event_differences"] == []
    assert sum(row[-1] for row in truth_doc["event_counts"]) == sum(events["totals"].values())
    details = events["by_details"]
    assert {"approval=yes", "approval=no"} <= set(details["pregnancy_ended"])
    assert {"place=in_hospital", "place=outside_hospital"} <= set(details["newborn_death"])
    assert {"direction=left", "direction=arrived", "received=yes", "received=no"} <= set(
        details["double_check"])
    assert {"round=2025-H1", "round=2025-H2"} <= set(details["three_checks"])
    assert {"migrant=yes", "migrant=no"} <= set(details["moved_in"])
    # who was registered, died or moved, by sex, as the reports' population stocks count them
    for kind in ("registered", "death", "moved_in", "moved_out"):
        assert {"sex=male", "sex=female"} <= set(details[kind]), kind
    assert {"contraception=", "contraception=iud"} <= set(details["moved_in"])
    assert {"known_woman=yes"} <= set(details["marriage"]) and "known_woman=yes" in set(
        details["divorce"])
    assert any(k.startswith("previous_method=") and k != "previous_method="
               for k in details["contraception_procedure"])
    assert {"certificate=birth_medical", "certificate=marriage_childbearing"} <= set(
        details["certificate_issued"])
    assert db.session.scalar(select(func.count()).select_from(LifeEvent)) == sum(
        events["totals"].values())

    # the ground truth's counts are the register's; the world differs by the mess
    assert truth_doc["register"] == truth_doc["register_found"]
    town = truth_doc["register"]["town"]
    world = truth_doc["world"]
    # people moved between households of one village and between villages (the register and
    # the events agreeing above is then the derivers' within-town rule holding)
    assert world["events"]["moves_within_village"] and world["events"]["moves_between_villages"]
    born = world["events"]["births_male"] + world["events"]["births_female"]
    assert truth_doc["mess"]["unreported_births"]
    assert town["born_male"] + town["born_female"] == \
        born - len(truth_doc["mess"]["unreported_births"])
    live_people = db.session.scalar(select(func.count()).select_from(Entity))
    assert live_people == town["people"] + town["households"] + sum(
        town[k] for k in ("pregnancies_open", "pregnancies_delivered", "pregnancies_lost"))

    # the duplicates in the register (a mistyped ID number waits for review) are found, as
    # they arrive, as pairs
    registered = [d for d in truth_doc["mess"]["duplicates"] if d["kind"] != "typo_id"]
    pairs = set(db.session.execute(select(DuplicatePair.a_uuid, DuplicatePair.b_uuid)).all())
    assert registered
    for d in registered:
        assert tuple(sorted((d["duplicate"], d["original"]))) in pairs

    # the register and its events rebuild from the journal to the same state
    check = CliRunner().invoke(register_group, ["rebuild", "--check"], obj=app.extensions)
    assert check.exit_code == 0, check.output

    # and the demo's check fails on any difference: one birth fewer is found
    birth = db.session.scalars(select(LifeEvent).where(LifeEvent.kind == "birth")).first()
    db.session.delete(birth)
    db.session.flush()
    _, differences = ingest.compare(db.session, truth_doc)
    assert [(k[0], a - b) for k, a, b in differences["life events"]] == [("birth", 1)]
    assert set(differences) == {"life events"}


