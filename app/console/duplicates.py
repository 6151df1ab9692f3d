"""The console's list of possible duplicate people (app.quality.duplicates, shown to a
person): each pair with both people's name, village, birth date and the evidence in words,
best score first, within her villages. Plain functions of (session, actor, …)."""
from dataclasses import dataclass, field

from sqlalchemy import select

from app.quality import duplicates
from app.register.models import Entity


def N_(message):              # noqa: N802 - marks a message for extraction, translated later
    return message


#: (field, level) -> words; the pairs' evidence as a supervisor reads it
EVIDENCE = {
    ("name", "same"): N_("same name"),
    ("name", "sounds_same"): N_("names sound the same (homophone)"),
    ("name", "similar"): N_("similar names"),
    ("name", "different"): N_("different names"),
    ("id_number", "same"): N_("same ID number"),
    ("id_number", "one_digit"): N_("ID numbers one digit apart (one fails its check character)"),
    ("id_number", "transposed"): N_("ID numbers with two digits swapped"),
    ("id_number", "different"): N_("different ID numbers"),
    ("dob", "same"): N_("same birth date"),
    ("dob", "swapped"): N_("birth dates with day and month swapped"),
    ("dob", "near"): N_("birth dates within a month"),
    ("dob", "different"): N_("different birth dates"),
    ("sex", "same"): N_("same sex"),
    ("sex", "different"): N_("different sex"),
    ("household", "same"): N_("same household"),
    ("household", "different"): N_("different households"),
    ("phone", "same"): N_("same phone"),
    ("phone", "different"): N_("different phones"),
    ("village", "same"): N_("same village"),
    ("village", "different"): N_("different villages"),
    ("spouse", "same"): N_("same spouse"),
    ("spouse", "different"): N_("different spouses"),
    ("mother", "same"): N_("same mother"),
    ("mother", "different"): N_("different mothers"),
}
AGREE = ("same", "sounds_same", "similar", "one_digit", "transposed", "swapped", "near")
BANDS = ("likely", "possible")


@dataclass
class Side:
    uuid: str
    name: str
    area_id: int | None
    dob: str = ""


@dataclass
class Pair:
    a: Side
    b: Side
    score: float
    band: str
    agree: list = field(default_factory=list)      # words (untranslated)
    differ: list = field(default_factory=list)


@dataclass
class Page:
    rows: list
    after: str | None


def page(session, actor, project_id, village_id=None, band=None, after=None, limit=50):
    """One page of open pairs the actor sees (both people in her villages), in one village
    when `village_id` is given; `after`: the previous page's cursor (400.271 if not one)."""
    rows, cursor = duplicates.listing(session, actor, project_id, village=village_id,
                                      band=band, status="open",
                                      after=duplicates.read_cursor(after), limit=limit,
                                      audited=False)
    uuids = [r[s]["uuid"] for r in rows for s in "ab"]
    data = dict(session.execute(select(Entity.uuid, Entity.data)
                                .where(Entity.uuid.in_(uuids))).all()) if uuids else {}
    out = []
    for r in rows:
        sides = [Side(r[s]["uuid"], (data.get(r[s]["uuid"]) or {}).get("full_name")
                      or r[s]["label"], r[s]["areaId"],
                      (data.get(r[s]["uuid"]) or {}).get("dob", "")) for s in "ab"]
        pair = Pair(sides[0], sides[1], r["score"], r["band"])
        for (name, level) in r["evidence"].items():
            words = EVIDENCE.get((name, level))
            if words:
                (pair.agree if level in AGREE else pair.differ).append(words)
        out.append(pair)
    return Page(out, duplicates.write_cursor(cursor))


def dismiss(session, actor, project_id, a_uuid, b_uuid):
    """"Not a duplicate": kept by the two uuids (app.quality.duplicates.decide)."""
    return duplicates.decide(session, actor, project_id, a_uuid, b_uuid, "dismissed")
