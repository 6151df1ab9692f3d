"""Whether two records are the same person: the one matcher that duplicate finding and the
reconciliation with outside lists share.

A `Person` is what the matcher compares, made from a register row (`from_entity`) or an
outside list's row. `compare(a, b)` scores one pair and says which evidence agreed;
`pairs(people)` finds the candidate pairs inside one list (blocking, then scoring);
`link(outside, register)` finds, for each outside record, its best register match.
"""
import datetime as dt
from dataclasses import dataclass, field

LIKELY = "likely"
POSSIBLE = "possible"


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
    return Person(key=uuid, name=data.get("full_name") or "",
                  id_number=(data.get("id_number") or "").strip().upper(),
                  sex=data.get("sex") or "", dob=_date(data.get("dob")),
                  village=data.get("village") or "", household=data.get("household") or "",
                  spouse=data.get("spouse") or "", mother=data.get("mother") or "")


def compare(a, b):
    """Score one pair. (A baseline until the learned weights land: the same ID number, or
    the same name and birth date.)"""
    evidence = {}
    if a.id_number and a.id_number == b.id_number:
        evidence["id_number"] = "same"
    if a.name and a.name == b.name:
        evidence["name"] = "same"
    if a.dob and a.dob == b.dob:
        evidence["dob"] = "same"
    if "id_number" in evidence:
        return Comparison(20.0, LIKELY, evidence)
    if {"name", "dob"} <= set(evidence):
        return Comparison(10.0, POSSIBLE, evidence)
    return Comparison(0.0, None, evidence)


def pairs(people):
    """Every candidate pair (a, b, Comparison) with a band, a.key < b.key, among `people`."""
    people = sorted(people, key=lambda p: p.key)
    for i, a in enumerate(people):
        for b in people[i + 1:]:
            found = compare(a, b)
            if found.band:
                yield a, b, found


def link(outside, register):
    """For each outside Person, (outside, best register Person or None, Comparison or None):
    the register record with the highest banded score."""
    register = list(register)
    for o in outside:
        best = None
        for r in register:
            found = compare(o, r)
            if found.band and (best is None or found.score > best[1].score):
                best = (r, found)
        yield (o, best[0], best[1]) if best else (o, None, None)
