"""The county roll-up of the monthly reports (docs/towns.md): for county staff (a person of
several towns, town-wide in them) or an admin, a month's sections A–E and indicators for each
of her towns and for the county, her towns together. A town's row is what its own town report
shows (the same cells read the same way, app.reports.build); the county's counts are the
towns' cells summed, and its rates are recomputed from those sums (figures.periods and
figures.indicators over the summed cells: births over the summed mean population, users over
the summed married women), never averaged; the 补报 column (late records about locked
months) is each town's, summed. Live figures: a town's locked document and its amendments
stay on its own report. Reads only; audit() writes the row of a view in the caller's
transaction.
"""
from sqlalchemy import select

from app.audit.record import record
from app.problems import Problem
from app.projects.models import Project
from app.reports import figures, read, service
from app.reports.document import find
from app.reports.service import month_of

#: the summary table's counts (section, row, column) and indicators (id, the column it is
#: read on: its report's headline), as the console and the workbook's first sheet show them
SHOWN_COUNTS = (("A", "population", "end"), ("B", "births", "month"),
                ("B", "deaths", "month"), ("E", "married_women_15_49", "end"))
SHOWN_INDICATORS = (("birth_rate", "month"), ("death_rate", "month"),
                    ("natural_growth_rate", "month"), ("contraceptive_prevalence", "end"),
                    ("long_acting_rate", "end"))


def check(actor):
    """403.341 unless she is an admin or town-wide staff (every village of her towns)."""
    if actor is None:
        return
    if actor.kind != "user" or not actor.can("county.read") or actor.area_ids is not None:
        raise Problem("403.341")


def towns(session, actor):
    """(id, name) of the towns the roll-up covers for her: her towns (an admin's: all)."""
    query = select(Project.id, Project.name).order_by(Project.id)
    if actor is not None and actor.project_ids is not None:
        query = query.where(Project.id.in_(sorted(actor.project_ids)))
    return [tuple(row) for row in session.execute(query)]


def rollup(session, actor, month):
    """{"month", "towns": [row per town], "county": row}; a row is {"project_id", "name",
    "sections" (A–E), "indicators"}. 400.79 for a bad month, 403.341 for village staff."""
    month = month_of(month)
    check(actor)
    read.tune(session)
    first = figures.first_month(month)
    rows, bases, monthlies, lates = [], [], [], []
    for project_id, name in towns(session, actor):
        base = read.stock(session, project_id, None, first.plus(-1))
        monthly = read.monthly(session, project_id, None, first, month)
        late = _late(session, project_id, month)
        rows.append(_row(project_id, name, month, base, monthly, late))
        bases.append(base)
        monthlies.append(monthly)
        lates.append(late)
    county = _row(None, None, month, read.add(*bases), _add_months(monthlies),
                  read.add(*lates))
    return {"month": str(month), "towns": rows, "county": county}


def _late(session, project_id, month):
    """{cell: n} the town's late records about its earlier locked months add (its report's
    补报 column, app.reports.service)."""
    lines = service.late_records(session, project_id, month, None)[0]
    return read.add(*[{line["cell"]: line["delta"]} for line in lines])


def _row(project_id, name, month, base, monthly, late):
    p = figures.periods(month, base, monthly)
    doc = figures.fill_late({"sections": figures.sections(p, True)}, late)
    return {"project_id": project_id, "name": name, "sections": doc["sections"],
            "indicators": figures.indicators(p, {})}


def _add_months(monthlies):
    """{'YYYY-MM': {cell: n}} summed over the towns' monthly cells."""
    keys = sorted({m for monthly in monthlies for m in monthly})
    return {m: read.add(*[monthly.get(m, {}) for monthly in monthlies]) for m in keys}


def audit(session, actor, result, action="report.county.view"):
    """The audit row of a roll-up read or download (its towns' figures, no one's personal
    data)."""
    record(session, actor, action, f"report:{result['month']}:county",
           month=result["month"], projects=[t["project_id"] for t in result["towns"]])


def summary(result):
    """(heads, rows) of the summary table: heads [(zh, en, unit)] of its columns (the counts,
    then the indicators); rows [(town name, or None for the county, [values])], the county
    last."""
    total = result["county"]
    labels = {(t["id"], r["id"]): (r["zh"], r["en"], "count") for t in total["sections"]
              for r in t["rows"]}
    named = {i["id"]: (i["zh"], i["en"], i["unit"]) for i in total["indicators"]}
    heads = ([labels[(s_, r)] for s_, r, _c in SHOWN_COUNTS]
             + [named[i] for i, _c in SHOWN_INDICATORS])
    return heads, [(row["name"], _values(row)) for row in result["towns"] + [total]]


def _values(row):
    by_id = {i["id"]: i for i in row["indicators"]}
    return ([find(row, *c) for c in SHOWN_COUNTS]
            + [by_id[i]["values"].get(column) for i, column in SHOWN_INDICATORS])
