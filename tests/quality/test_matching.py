"""The matcher (app.quality.matching): its levels for the slips duplicates are made with
(homophone names, a mistyped ID number, day and month swapped), the learned weights banding
them, and blocking that finds them without comparing every pair."""
import datetime as dt

from app.quality import matching
from app.quality.matching import LIKELY, POSSIBLE, Person, compare, id_neighbours, valid_id
from app.validation.rules import id_number_check_character

BASE17 = "61042519900608062"
VALID = BASE17 + id_number_check_character(BASE17)


def _person(key, **fields):
    values = {"name": "王晓梅", "id_number": VALID, "sex": "female",
              "dob": dt.date(1990, 6, 8), "village": "dongwan", "household": "h1"}
    values.update(fields)
    return Person(key=key, **values)


def test_the_same_id_number_birth_date_and_name_is_a_likely_pair():
    found = compare(_person("a"), _person("b"))
    assert found.band == LIKELY
    assert found.evidence["id_number"] == "same" and found.evidence["name"] == "same"


def test_a_homophone_name_sounds_the_same():
    found = compare(_person("a"), _person("b", name="王小梅"))
    assert found.evidence["name"] == "sounds_same" and found.band == LIKELY


def test_folded_initials_and_nasal_finals_sound_the_same():
    assert matching.sound("张林")[0] == matching.sound("臧宁")[0]
    assert matching.sound("张")[1] != matching.sound("王")[1]


def test_a_transposed_id_number_is_told_apart_from_a_different_one():
    slipped = VALID[:14] + VALID[15] + VALID[14] + VALID[16:]
    assert VALID[14] != VALID[15] and not valid_id(slipped)
    assert matching.id_level(VALID, slipped) == "transposed"
    one_digit = VALID[:3] + str((int(VALID[3]) + 1) % 10) + VALID[4:]
    assert matching.id_level(one_digit, VALID) == "one_digit"
    # two valid numbers one digit apart cannot both fit their check characters: any two
    # valid numbers that differ are different people's
    other17 = "61042519900608071"
    other = other17 + id_number_check_character(other17)
    assert matching.id_level(VALID, other) == "different"


def test_a_mistyped_id_number_with_the_rest_the_same_is_a_likely_pair():
    slipped = VALID[:14] + VALID[15] + VALID[14] + VALID[16:]
    assert compare(_person("a"), _person("b", id_number=slipped)).band == LIKELY


def test_the_valid_neighbours_of_a_slip_include_the_number_it_was_copied_from():
    slipped = VALID[:14] + VALID[15] + VALID[14] + VALID[16:]
    assert VALID in id_neighbours(slipped)
    assert all(valid_id(n) for n in id_neighbours(slipped))
    assert slipped in id_neighbours(VALID)
    assert not any(valid_id(n) for n in id_neighbours(VALID))


def test_day_and_month_swapped_without_an_id_number_is_a_pair():
    found = compare(_person("a", id_number=""), _person("b", id_number="",
                                                         dob=dt.date(1990, 8, 6)))
    assert found.evidence["dob"] == "swapped" and "id_number" not in found.evidence
    assert found.band in (LIKELY, POSSIBLE)


def test_twins_in_one_household_are_not_a_pair():
    found = compare(_person("a", id_number="", name="陈永志"),
                    _person("b", id_number="", name="陈勇磊"))
    assert found.band is None


def test_different_people_of_one_village_are_not_a_pair():
    other17 = "61042519850101123"
    found = compare(_person("a"), _person("b", name="李强", sex="male", dob=dt.date(1985, 1, 1),
                                          id_number=other17 + id_number_check_character(other17),
                                          household="h2"))
    assert found.band is None and found.score < 0


def test_blocking_finds_every_slip_without_comparing_every_pair():
    slipped = VALID[:14] + VALID[15] + VALID[14] + VALID[16:]
    crowd = [_person(f"p{i:03}", name=f"路人{i}", id_number="", household=f"h{i}",
                     dob=dt.date(1950 + i % 50, 1 + i % 12, 1 + i % 28), village=f"v{i % 7}")
             for i in range(300)]
    # the mistyped one has another household and no birth date: only its number finds her
    duplicate = _person("zz", id_number=slipped, household="h9", dob=None)
    people = crowd + [_person("aa"), duplicate]
    compared = list(matching.candidates(people))
    assert len(compared) < len(people) * (len(people) - 1) / 2 / 20
    assert ("aa", "zz") in {(a.key, b.key) for a, b in compared}
    assert [(a.key, b.key) for a, b, _found in matching.pairs(people)] == [("aa", "zz")]


def test_link_finds_each_outside_record_s_register_match():
    register = [_person("r1"), _person("r2", name="李强", id_number="", dob=dt.date(1970, 2, 2),
                                         household="h7", sex="male")]
    outside = [_person("o1", household="", village="dongwan"),
               _person("o2", name="赵敏", id_number="", dob=dt.date(2001, 3, 3))]
    linked = {o.key: (r.key if r else None) for o, r, _c in matching.link(outside, register)}
    assert linked == {"o1": "r1", "o2": None}
