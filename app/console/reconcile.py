"""Reconciliation pages' data (plain functions of session and actor): the imports she may
see with each village's accuracy from the latest import of each kind, and one import's lists
with their evidence and, for each line, what a worker should do about it. Scope and audit
rows are app.quality.outside's rules; the handler writes the audit row after these reads."""
from dataclasses import dataclass

from app.quality import outside
from app.quality.outside_files import KINDS


@dataclass
class Overview:
    imports: list          # import_json dicts, newest first
    latest: dict           # kind -> {"import": import_json, "accuracy": {...}} or None


def overview(session, actor, project_id, area_ids):
    """The imports she sees (of `area_ids` when one village is chosen) and, per kind, the
    newest one's figures per village."""
    codes = outside.area_codes(session, project_id)
    shown = [i for i in outside.imports(session, actor, project_id, limit=outside.PAGE)
             if area_ids is None or set(i.area_ids) & set(area_ids)]
    latest = {}
    for kind in KINDS:
        newest = next((i for i in shown if i.kind == kind), None)
        if newest is None:
            latest[kind] = None
            continue
        figures = outside.accuracy(session, actor, project_id, newest.id)
        if area_ids is not None:
            chosen = {codes[a] for a in area_ids}
            figures["villages"] = [v for v in figures["villages"] if v["village"] in chosen]
        latest[kind] = {"import": outside.import_json(newest, actor, codes),
                        "accuracy": figures}
    return Overview([outside.import_json(i, actor, codes) for i in shown], latest)


#: what a worker does about a line: (status, kind) -> (English message, the link's kind)
TODO = {
    ("omitted", "hospital_births"): "Record the birth: the pregnancy outcome form for the mother.",
    ("omitted", "household_registry"): "Register this person on a home visit.",
    ("extra", "hospital_births"): "Check where the child was born (at home, another hospital).",
    ("extra", "household_registry"): "Check whether this person still lives here; record a "
                                     "move or a death.",
}


def detail(session, actor, project_id, import_id, status=None, village=None, after=None):
    """(import_json, accuracy, lines, next cursor) of one import, her villages only; each
    line gains `todo` (the English message, translated by the page) and `person` (the register
    person a worker would open: the matched or extra one, or an omitted birth's mother)."""
    imported, lines, more = outside.results(session, actor, project_id, import_id, status,
                                            village, after, audited=False)
    for line in lines:
        line["todo"] = TODO.get((line["status"], imported.kind))
        if imported.kind == "hospital_births":
            line["person"] = (line["register"] or {}).get("mother") or None
        else:
            line["person"] = line["registerUuid"]
    codes = outside.area_codes(session, project_id)
    return (outside.import_json(imported, actor, codes),
            outside.accuracy(session, actor, project_id, import_id), lines, more)
