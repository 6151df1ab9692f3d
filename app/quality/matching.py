"""Whether two records are the same person: the one matcher that duplicate finding and the
reconciliation with outside lists share.

A `Person` is what the matcher compares, made from a register row (`from_entity`) or an
outside list's row. `compare(a, b)` scores one pair and says which evidence agreed;
`pairs(people)` finds the candidate pairs inside one list (blocking, then scoring);
`link(outside, register)` finds, for each outside record, its best register match.

Scoring is Fellegi–Sunter: each field compares to a level (the name the same, sounding the
same, similar or different; the ID number the same, one digit or one transposition apart, or
different; …) and the pair's score is the sum of each level's weight log2(m/u), m and u being
how often true and false pairs show that level. The weights and the two thresholds are learned
on the synthetic town by app/quality/learn.py and kept in weights.json (docs/dedupe.md). A
field missing on either side weighs nothing.

Blocking (`block_keys`): only records sharing a cheap key are compared — the village and birth
year; the folded surname and the birth date; the household; the ID number, or for a number
whose check character does not fit, the valid numbers one digit or one transposition away
(GB 11643's check character catches every such slip, so a slip always has an invalid side).
"""
import datetime as dt
import functools
import json
import os
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from app.validation.rules import id_number_check_character

LIKELY = "likely"
POSSIBLE = "possible"

WEIGHTS_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights.json")


@dataclass(frozen=True)
class Person:
    """One record as the matcher sees it. `key` is the register uuid, or the outside row's
    own key; text fields are as written ('' when unknown)."""
    key: str
    name: str = ""
    id_number: str = ""
    sex: str = ""
    dob: dt.date | None = None
    village: str = ""
    household: str = ""
    spouse: str = ""
    mother: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Comparison:
    """A pair's score (a Fellegi–Sunter log-likelihood ratio), its band (LIKELY, POSSIBLE
    or None below both thresholds) and the evidence: {field: what agreed or differed}."""
    score: float
    band: str | None
    evidence: dict = field(default_factory=dict)


def _date(value):
    try:
        return dt.date.fromisoformat((value or "")[:10])
    except ValueError:
        return None


def from_entity(uuid, data):
    """A `people` row's properties as a Person."""
    return Person(key=uuid, name="".join((data.get("full_name") or "").split()),
                  # as the register's indexed column keeps it (entities.id_number_key)
                  id_number=(data.get("id_number") or "").strip().upper()[:32],
                  sex=data.get("sex") or "", dob=_date(data.get("dob")),
                  village=data.get("village") or "", household=data.get("household") or "",
                  spouse=data.get("spouse") or "", mother=data.get("mother") or "",
                  phone="".join(c for c in (data.get("phone") or "") if c.isdigit()))


# -- normalised keys ---------------------------------------------------------------------------
# Sounds confused in speech and in writing names down (southern initials and nasal finals):
# folded so 张/臧, 陈/岑, 林/宁, 程/陈 sound the same to the matcher.
_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("l", "n"), ("r", "n"))


def _fold(syllable):
    for a, b in _INITIALS:
        if syllable.startswith(a):
            syllable = b + syllable[len(a):]
            break
    if syllable.endswith("ng"):
        syllable = syllable[:-1]
    return syllable


@functools.lru_cache(maxsize=200_000)
def sound(name):
    """(folded pinyin of the whole name, of its surname): toneless, homophones and common
    confusions folded. The project's pinyin (app.register.search) before folding."""
    if not name:
        return "", ""
    from pypinyin import lazy_pinyin   # noqa: PLC0415 - its dictionaries are slow to load
    syllables = [_fold(s.lower().replace("ü", "v")) for s in lazy_pinyin(name, v_to_u=False)]
    syllables = [s for s in syllables if s] or [name.lower()]
    return "".join(syllables), syllables[0]


@functools.lru_cache(maxsize=400_000)
def valid_id(value):
    """Whether an 18-character resident ID number's check character fits (GB 11643)."""
    return (len(value) == 18 and value[:17].isdigit()
            and id_number_check_character(value[:17]) == value[17])


_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)   # GB 11643's, as validation's
_CHECK = "10X98765432"


def id_neighbours(value):
    """The numbers one slip away from `value` (one character changed, or two neighbours
    swapped) that could be the other side of that slip: the valid ones when `value`'s check
    character does not fit, the invalid ones when it does. Empty when `value` is not 18
    characters. (Each candidate's check is the sum moved by the one change: this runs at
    every registration.)"""
    if len(value) != 18 or not value[:17].isdigit():
        return set()
    digits = [int(c) for c in value[:17]]
    total = sum(d * w for d, w in zip(digits, _WEIGHTS))
    check = value[17]
    want_valid = _CHECK[total % 11] != check
    out = set()
    for i in range(17):
        for c in range(10):
            if c != digits[i]:
                fits = _CHECK[(total + _WEIGHTS[i] * (c - digits[i])) % 11] == check
                if fits == want_valid:
                    out.add(value[:i] + str(c) + value[i + 1:])
    for c in "0123456789X":
        if c != check and (_CHECK[total % 11] == c) == want_valid:
            out.add(value[:17] + c)
    for i in range(16):
        if digits[i] != digits[i + 1]:
            moved = total + (_WEIGHTS[i] - _WEIGHTS[i + 1]) * (digits[i + 1] - digits[i])
            if (_CHECK[moved % 11] == check) == want_valid:
                out.add(value[:i] + value[i + 1] + value[i] + value[i + 2:])
    if check != value[16] and check.isdigit():          # the last digit and the check swapped
        swapped = value[:16] + check + value[16]
        if valid_id(swapped) == want_valid:
            out.add(swapped)
    return out


def block_keys(p):
    """The cheap keys a record is blocked on (records sharing one are compared)."""
    keys = []
    if p.dob:
        if p.village:
            keys.append(("vy", p.village, p.dob.year))
        surname = sound(p.name)[1]
        if surname:
            keys.append(("sd", surname, p.dob.isoformat()))
    if p.household:
        keys.append(("hh", p.household))
    if p.id_number:
        keys.append(("id", p.id_number))
    return keys


def id_level(a, b):
    if not a or not b:
        return None
    if a == b:
        return "same"
    if len(a) == len(b) == 18:
        diff = [i for i in range(18) if a[i] != b[i]]
        if len(diff) <= 2 and valid_id(a) != valid_id(b):
            if len(diff) == 1:
                return "one_digit"
            if diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]:
                return "transposed"
    return "different"


def dob_level(a, b):
    if not a or not b:
        return None
    if a == b:
        return "same"
    if a.year == b.year and a.month == b.day and a.day == b.month:
        return "swapped"
    if abs((a - b).days) <= 31:
        return "near"
    return "different"


def name_level(a, b):
    if not a or not b:
        return None
    if a == b:
        return "same"
    sa, sb = sound(a)[0], sound(b)[0]
    if sa == sb:
        return "sounds_same"
    if Levenshtein.normalized_similarity(sa, sb) >= 0.8 or (
            len(a) == len(b) >= 3 and Levenshtein.distance(a, b) == 1):
        return "similar"
    return "different"


def _same(a, b):
    if not a or not b:
        return None
    return "same" if a == b else "different"


#: each field's comparison: (field, function of the two Persons -> level or None)
FIELDS = (
    ("name", lambda a, b: name_level(a.name, b.name)),
    ("id_number", lambda a, b: id_level(a.id_number, b.id_number)),
    ("dob", lambda a, b: dob_level(a.dob, b.dob)),
    ("sex", lambda a, b: _same(a.sex, b.sex)),
    ("household", lambda a, b: _same(a.household, b.household)),
    ("phone", lambda a, b: _same(a.phone, b.phone)),
    ("village", lambda a, b: _same(a.village, b.village)),
    ("spouse", lambda a, b: _same(a.spouse, b.spouse)),
    ("mother", lambda a, b: _same(a.mother, b.mother)),
)


def levels(a, b):
    """{field: level} of every field present on both sides (FIELDS, written out: it runs
    on every blocked pair of a batch)."""
    out = {}
    if a.name and b.name:
        out["name"] = name_level(a.name, b.name)
    if a.id_number and b.id_number:
        out["id_number"] = id_level(a.id_number, b.id_number)
    if a.dob and b.dob:
        out["dob"] = dob_level(a.dob, b.dob)
    for name in ("sex", "household", "phone", "village", "spouse", "mother"):
        x, y = getattr(a, name), getattr(b, name)
        if x and y:
            out[name] = "same" if x == y else "different"
    return out


@functools.lru_cache(maxsize=1)
def model():
    """The learned weights and thresholds (weights.json, written by app.quality.learn)."""
    with open(WEIGHTS_PATH, encoding="utf-8") as f:
        return json.load(f)


@functools.lru_cache(maxsize=1)
def _flat():
    return {(f, level): w for f, levels_ in model()["weights"].items()
            for level, w in levels_.items()}


def score(found, weights=None):
    """The pair's score: the sum of its levels' weights (an unknown level weighs nothing)."""
    if weights is None:
        flat = _flat()
        return round(sum(flat.get(item, 0.0) for item in found.items()), 3)
    return round(sum(weights.get(f, {}).get(level, 0.0) for f, level in found.items()), 3)


def band(value, thresholds=None):
    thresholds = thresholds or model()["thresholds"]
    if value >= thresholds[LIKELY]:
        return LIKELY
    if value >= thresholds[POSSIBLE]:
        return POSSIBLE
    return None


def compare(a, b):
    """Score one pair: its levels weighed, banded by the learned thresholds."""
    found = levels(a, b)
    value = score(found)
    return Comparison(value, band(value), found)


def candidates(people):
    """Every pair (a, b) with a.key < b.key sharing a blocking key, once."""
    index = {}
    by_id = {}
    for p in people:
        for k in block_keys(p):
            index.setdefault(k, []).append(p)
        if p.id_number:
            by_id.setdefault(p.id_number, []).append(p)
    seen = set()
    for group in index.values():
        if len(group) < 2:
            continue
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                pair = (a.key, b.key) if a.key < b.key else (b.key, a.key)
                if pair[0] != pair[1] and pair not in seen:
                    seen.add(pair)
                    yield (a, b) if a.key < b.key else (b, a)
    # a slip in an ID number: from each number whose check character does not fit
    for number, group in by_id.items():
        if valid_id(number):
            continue
        for other in id_neighbours(number):
            for a in group:
                for b in by_id.get(other, ()):
                    pair = (a.key, b.key) if a.key < b.key else (b.key, a.key)
                    if pair[0] != pair[1] and pair not in seen:
                        seen.add(pair)
                        yield (a, b) if a.key < b.key else (b, a)


def pairs(people):
    """Every candidate pair (a, b, Comparison) with a band, a.key < b.key, among `people`."""
    for a, b in candidates(people):
        found = compare(a, b)
        if found.band:
            yield a, b, found


def link(outside, register):
    """For each outside Person, (outside, best register Person or None, Comparison or None):
    the register record with the highest banded score, among those sharing a blocking key."""
    register = list(register)
    index, by_id = {}, {}
    for r in register:
        for k in block_keys(r):
            index.setdefault(k, []).append(r)
        if r.id_number:
            by_id.setdefault(r.id_number, []).append(r)
    for o in outside:
        seen, best = set(), None
        keys = block_keys(o)
        near = [("id", n) for n in id_neighbours(o.id_number)] if o.id_number else []
        for k in keys + near:
            group = index.get(k) if k[0] != "id" else by_id.get(k[1])
            for r in group or ():
                if r.key in seen:
                    continue
                seen.add(r.key)
                found = compare(o, r)
                if found.band and (best is None or found.score > best[1].score):
                    best = (r, found)
        yield (o, best[0], best[1]) if best else (o, None, None)
