"""The report figures and lists a synthetic town should produce, from the simulation's own
record of what each submission reports — never from the server.

Every counted submission (not held for review, or approved after it) carries its events as
the simulation annotated them (app.demo.town.event: kind, date, village, details). Those are
turned into rows shaped like `life_events` rows (`expected_rows`) and given to the very
definition the server applies to its own rows, app.reports.cells.contributions: summed per
(village, month, cell) they are the cells the server must hold (`expected_cells`), whatever
order the submissions arrived in, however often an edit or an approval rewrote them.

The lists are computed here again, in plain Python, from the same rows and the register the
simulation expects (app.demo.truth.expected_register): pregnancies ended, newborn deaths outside
hospital, overdue pregnancies, women due for the three checks and not checked, planning without
a check-up (`expected_lists`). The A–E figures are computed from the expected cells by plain
sums (`reference_figures`), not by app.reports.figures, so a slip in either shows.

What a row needs beyond the annotation (whose subject: the woman, the pregnancy) comes from the
submission's own register changes (`Sub.ops`); a detail the annotation does not carry yet is
read from the simulation's own XML of that submission (`_fallback`), and `missing_details`
says which ones that was, so the annotations can be completed in app.demo.town.
"""
import collections
import datetime as dt
import html
import re

from app import safexml
from app.events.derive import uuid_of
from app.reports import cells as cell_rules
from app.reports import firsts
from app.reports.periods import BEFORE, Month
from app.reports.srb import half_up

#: kind -> the details app.reports.cells reads (SPEC.md "Cells"); the annotation must carry them
REQUIRED = {
    "birth": ("sex", "place", "birth_order"),
    "newborn_death": ("place", "sex", "age_days"),
    "death": ("sex", "dob", "marital_status", "contraception"),
    "moved_in": ("migrant", "sex", "dob", "marital_status", "contraception"),
    "moved_out": ("migrant", "sex", "dob", "marital_status", "contraception"),
    "registered": ("sex", "dob", "marital_status", "contraception"),
    "marriage": ("woman", "woman_dob"),
    "divorce": ("woman", "woman_dob"),
    "pregnancy_ended": ("outcome", "reason", "weeks", "approval_no", "registered"),
    "contraception_procedure": ("procedure", "action", "method", "previous_method"),
    "method_changed": ("method", "previous_method"),
    "three_checks": ("round", "iud_result", "pregnancy_found", "illness_found"),
    "iud_check": ("result",),
    "prepregnancy_check": ("result",),
    "certificate_issued": ("certificate",),
    "double_check": ("direction", "received"),
    "reward_paid": ("benefit", "amount"),
}
MARRIED = ("first_marriage", "remarried")
TERMINATIONS = ("induced_abortion", "medical_termination")
EDD_DAYS, OVERDUE_DAYS = 280, 28
LISTS = ("pregnancies_ended", "newborn_deaths_outside_hospital", "overdue_pregnancies",
         "three_checks_due_not_done", "planning_without_check")


def counts(sub):
    """Whether a submission's events count: not held for review, or approved after it."""
    return not sub.flagged or sub.approve


# -- rows ----------------------------------------------------------------------------------------

def _xml(sub):
    """The submission's XML as the server parses it (app.safexml: lxml)."""
    return safexml.parse(sub.xml)


def _first(sub, tag, within=None):
    """The text of the first element `tag` of the submission (or of `within`), '' if none."""
    if within is None:
        # one plain value: a search is far cheaper than a parse, and most forms need one or two
        found = re.search(rb"<%s>([^<]*)</%s>" % (tag.encode(), tag.encode()), sub.xml)
        return html.unescape(found[1].decode()) if found else ""
    node = within.find(f".//{tag}")
    return (node.text or "") if node is not None else ""


def _ops(sub, dataset, kind=None):
    return [op for op in sub.ops if op[1] == dataset and (kind is None or op[3] == kind)]


def _fallback(sub, index, used):
    """The details of the sub's `index`-th annotated event, completed with what cells need and
    the annotation lacks, from the submission's own record (its register changes, its other
    events, its XML); `used` counts each (kind, detail) filled this way."""
    kind, _, _, details = sub.events[index]
    siblings = sub.events
    d = dict(details)

    def put(name, value):
        if name not in d:
            d[name] = value
            used[(kind, name)] += 1
    if kind == "pregnancy_ended":
        # the annotation says yes/no; the server's detail is the number itself
        put("approval_no", _first(sub, "approval_no") if d.get("approval") == "yes" else "")
        put("registered", "no" if _ops(sub, "pregnancies", "create") else "yes")
    elif kind == "three_checks":
        put("iud_result", next((s[3].get("result") for s in siblings if s[0] == "iud_check"),
                               ""))
        put("pregnancy_found", "yes" if any(s[0] == "pregnancy_confirmed" for s in siblings)
            else "no")
        findings = _first(sub, "findings").split()
        put("illness_found", "yes" if [f for f in findings if f != "none"] else "no")
    elif kind == "reward_paid":
        amount = _first(sub, "amount")
        put("amount", float(amount) if amount else None)
    elif kind == "contraception_procedure":
        for name in ("action", "method", "previous_method"):
            put(name, _first(sub, name))
    elif kind in ("birth", "newborn_death") and sub.form == "pregnancy_outcome":
        # the n-th birth (newborn death) annotation is the n-th newborn of the form
        newborns = list(_xml(sub).iter("newborn"))
        nth = sum(1 for s in siblings[:index] if s[0] == kind)
        if kind == "newborn_death":
            newborns = [n for n in newborns if _first(sub, "newborn_death", n) not in ("", "no")]
        newborn = newborns[nth] if nth < len(newborns) else None
        if newborn is not None and kind == "birth":
            order = _first(sub, "child_birth_order", newborn)
            put("birth_order", int(order) if order.isdigit() else "")
        elif newborn is not None:
            put("sex", _first(sub, "child_sex", newborn))
            put("checked", _first(sub, "newborn_death_checked", newborn))
        if kind == "newborn_death":
            # days from the birth (the pregnancy's end) to the death
            born, died = next((s[1] for s in siblings if s[0] == "pregnancy_ended"), None), \
                sub.events[index][1]
            put("age_days", (died - born).days if born and died else None)
    return d


#: forms whose events are all about the one person their first people block changes
ONE_PERSON = ("pregnancy_report", "three_checks", "prepregnancy_check", "contraception_service",
              "double_check", "migrant", "person")


def _subject(sub, index, details, register):
    """(person, pregnancy, lmp) of the sub's `index`-th event: the person it is about (where a
    list needs her), the pregnancy entity and its LMP, from the annotation when it names them,
    else from the submission's own register changes."""
    kind = sub.events[index][0]
    person = details.get("person") or ""
    pregnancy = details.get("pregnancy") or ""
    lmp = details.get("lmp") or ""
    people, pregnancies = _ops(sub, "people"), _ops(sub, "pregnancies")
    if not pregnancy and pregnancies and kind in (
            "pregnancy_reported", "pregnancy_confirmed", "pregnancy_ended", "ultrasound"):
        pregnancy = pregnancies[0][2]
    if pregnancy and not lmp:
        lmp = next((op[4].get("lmp") for op in pregnancies if op[2] == pregnancy
                    and op[4].get("lmp")), "") or register.get(
            ("pregnancies", pregnancy), {}).get("lmp", "")
    if not person:
        if sub.form in ONE_PERSON and people:
            person = people[0][2]
        elif sub.form == "home_visit" and kind in ("pregnancy_planned", "moved_in"):
            nth = sum(1 for s in sub.events[:index] if s[0] == kind)
            person = (_planner if kind == "pregnancy_planned" else _mover)(sub, nth)
    return person, pregnancy, lmp


def _mover(sub, nth):
    """The home visit member who is the `nth` to move in (annotations follow the members'
    order)."""
    movers = [value.get("person_id", "") for value in (
        {c.tag: (c.text or "") for c in member} for member in _xml(sub).iter("member"))
        if "moved_in" in value.get("changes", "").split()]
    return movers[nth] if nth < len(movers) else ""


def _planner(sub, nth):
    """The home visit member whose plan is the `nth` new one (annotations follow the
    members' order): a plan is new when it was not stated before or moved to another month."""
    planners = []
    for member in _xml(sub).iter("member"):
        value = {c.tag: (c.text or "") for c in member}
        if value.get("planning_pregnancy") == "yes" and (
                value.get("planning_before") != "yes"
                or value.get("planning_from") != value.get("planning_from_before")):
            planners.append(value.get("person_id", ""))
    return planners[nth] if nth < len(planners) else ""


def expected_rows(subs, register=None):
    """Every event the counted submissions report, as a life_events-like row: {kind,
    occurred_on (date or None), village (code, '' none), details, instance_id, person,
    pregnancy, lmp}; and a Counter of (kind, detail) the annotations lacked."""
    if register is None:
        from app.demo.truth import expected_register
        register = expected_register(subs)
    rows, used = [], collections.Counter()
    for sub in subs:
        if not counts(sub):
            continue
        for index, (kind, on, village, _) in enumerate(sub.events):
            if isinstance(on, dt.datetime):
                on = on.date()
            elif isinstance(on, str):
                on = dt.date.fromisoformat(on[:10]) if on else None
            details = _fallback(sub, index, used)
            person, pregnancy, lmp = _subject(sub, index, details, register)
            household = ""
            if kind == "reward_paid":
                # the payee: a person or a household, as the form names it
                payee = _first(sub, "payee")
                person = uuid_of(_first(sub, "person")) or "" if payee == "person" else ""
                household = uuid_of(_first(sub, "household")) or "" if payee != "person" \
                    else ""
            rows.append({"kind": kind, "occurred_on": on, "village": village or "",
                         "details": details, "instance_id": sub.instance_id,
                         "submission_id": sub.instance_id, "position": index,
                         "person": person, "household": household, "pregnancy": pregnancy,
                         "lmp": lmp})
    return rows, used


def missing_details(subs):
    """{kind: [detail, ...]} of what app.reports.cells reads that the simulation's annotations
    do not carry (filled from the submission's own record meanwhile)."""
    out = {}
    for sub in subs:
        if not counts(sub):
            continue
        for kind, _, _, details in sub.events:
            for name in REQUIRED.get(kind, ()):
                if name not in details:
                    out.setdefault(kind, set()).add(name)
    return {k: sorted(v) for k, v in sorted(out.items())}


# -- cells ---------------------------------------------------------------------------------------

def expected_cells(rows, villages):
    """{(village code, month, cell): n} (zeros left out) of the rows by the server's own
    definition. `villages`: the codes in a fixed order (area ids are stood in by their place)."""
    ids = {code: i for i, code in enumerate(villages, 1)}
    codes = {i: code for code, i in ids.items()}
    codes[0] = ""
    out = collections.Counter()
    # what the definition needs to know of a row's whole submission (a bride moving in on
    # the visit of her marriage), when it asks
    context = (cell_rules.arrivals(rows),) if hasattr(cell_rules, "arrivals") else ()
    for row in rows:
        area = ids.get(row["village"]) if row["village"] else None
        for area_id, month, cell, n in cell_rules.contributions({
                "kind": row["kind"], "occurred_on": row["occurred_on"], "area_id": area,
                "details": row["details"], "submission_id": row.get("submission_id"),
                "person": row.get("person")}, *context):
            out[(codes.get(area_id or 0, str(area_id)), month, cell)] += n
    # the distinct counts (a woman checked, a beneficiary paid: once each), by the same rule
    for (_project, area_id, month, cell), n in firsts.totals([
            {"project_id": 1, "kind": row["kind"], "occurred_on": row["occurred_on"],
             "area_id": ids.get(row["village"]) if row["village"] else None,
             "details": row["details"], "person": row.get("person") or None,
             "household": row.get("household") or None,
             "submission_id": _arrival(row), "position": row.get("position", 0)}
            for row in rows if row["kind"] in firsts.KINDS]).items():
        out[(codes.get(area_id or 0, str(area_id)), month, cell)] += n
    return {k: n for k, n in sorted(out.items()) if n}


def _arrival(row):
    # the server breaks a tie of dates by submission id; the truth by instanceID (a tie of one
    # woman's checks on one day in two villages would differ: the demo makes none)
    return row.get("submission_id") or ""


def cells_of(cells, villages=None):
    """{cell: {month: n}} of the expected cells summed over `villages` (None: all)."""
    out = {}
    for (village, month, cell), n in cells.items():
        if villages is None or village in villages:
            by_month = out.setdefault(cell, {})
            by_month[month] = by_month.get(month, 0) + n
    return out


def totals(by_cell, months):
    months = {str(m) for m in months}
    return {cell: sum(n for m, n in by_month.items() if m in months)
            for cell, by_month in by_cell.items()}


def stock(by_cell, month):
    """{cell: n} summed over every month up to `month` (BEFORE included)."""
    last = str(month)
    return {cell: sum(n for m, n in by_month.items() if m == BEFORE or m <= last)
            for cell, by_month in by_cell.items()}


def _rate(numerator, denominator, per=1000):
    # no rate on a zero (or, in a broken register, negative) population
    return half_up(numerator * per / denominator, 2) if denominator and denominator > 0 else None


#: flow cell families a reference figure sums (name: the family's cell prefix)
FAMILIES = {"birth": "birth:", "death": "death:", "newborn_death": "newborn_death:",
            "moved_in": "moved_in:", "moved_out": "moved_out:",
            "pregnancy_ended": "pregnancy_ended:", "procedure": "procedure:"}
SINGLE = ("marriage", "divorce", "registered", "pregnancy_reported", "pregnancy_confirmed",
          "ultrasound", "termination:14plus", "termination:15plus",
          "termination:15plus_approved")
STOCKS = ("women_15_49", "married_women_15_49", "pregnant")


def reference_figures(by_cell, month):
    """The A–E figures of one month by plain sums of the expected cells (SPEC.md): stocks at
    the start and end of the month, flows in the month, the calendar year to date, the
    statistical year to date and the same months last year, and the birth, death and natural
    growth rates (‰) on the month's mean population and on the chronological mean of the year
    to date. {name: value}: `{family}_{period}` (deaths include newborn deaths, as one
    figure), `{cell}_{period}` for each flow cell, `births_{sex}_{period}`,
    `order_{k}_{period}`, `{stock}_start|end`, `population_{start|end}_{sex|total}`."""
    month = Month.parse(str(month))
    before, end = stock(by_cell, month.plus(-1)), stock(by_cell, month)

    def pop(s, sex=None):
        return sum(n for c, n in s.items() if c.startswith("pop:")
                   and (sex is None or c == f"pop:{sex}"))
    out = {}
    for sex in ("male", "female", None):
        name = sex or "total"
        out[f"population_start_{name}"] = pop(before, sex)
        out[f"population_end_{name}"] = pop(end, sex)
    periods = {"month": [month], "ytd": month.year_to_date(),
               "stat_ytd": month.statistical_year_to_date(),
               "last_year": month.same_months_last_year()}
    for period, months in periods.items():
        t = totals(by_cell, months)
        for family, prefix in FAMILIES.items():
            out[f"{family}_{period}"] = sum(n for c, n in t.items() if c.startswith(prefix))
        out[f"deaths_{period}"] = out[f"death_{period}"] + out[f"newborn_death_{period}"]
        for cell in SINGLE:
            out[f"{cell}_{period}"] = t.get(cell, 0)
        for sex in ("male", "female"):
            out[f"births_{sex}_{period}"] = sum(n for c, n in t.items()
                                                if c.startswith(f"birth:{sex}:"))
        for order in ("1", "2", "3", "4", "unknown"):
            out[f"order_{order}_{period}"] = sum(n for c, n in t.items()
                                                 if c.startswith("birth:")
                                                 and c.split(":")[-1] == order)
        for cell, n in t.items():
            if n and cell.split(":")[0] in ("birth", "death", "pregnancy_ended", "loss_reason",
                                            "procedure", "moved_in", "moved_out",
                                            "newborn_death", "birth_place"):
                out[f"{cell}_{period}"] = n
    for cell in STOCKS:
        out[f"{cell}_start"] = before.get(cell, 0)
        out[f"{cell}_end"] = end.get(cell, 0)
    for s, edge in ((before, "start"), (end, "end")):
        for cell, n in s.items():
            if cell.startswith("method:") and n:
                out[f"{cell}_{edge}"] = n
    mean = (out["population_start_total"] + out["population_end_total"]) / 2
    births, deaths = out["birth_month"], out["deaths_month"]
    out["birth_rate_month"] = _rate(births, mean)
    out["death_rate_month"] = _rate(deaths, mean)
    out["natural_growth_rate_month"] = _rate(births - deaths, mean)
    # the chronological mean over January..M (SPEC.md), P0 the start of January
    ends = [pop(stock(by_cell, m)) for m in month.year_to_date()]
    p0 = pop(stock(by_cell, Month(month.year, 1).plus(-1)))
    points = [p0] + ends
    ytd_mean = (points[0] / 2 + sum(points[1:-1]) + points[-1] / 2) / (len(points) - 1)
    births, deaths = out["birth_ytd"], out["deaths_ytd"]
    out["birth_rate_ytd"] = _rate(births, ytd_mean)
    out["death_rate_ytd"] = _rate(deaths, ytd_mean)
    out["natural_growth_rate_ytd"] = _rate(births - deaths, ytd_mean)
    return out


def periods_input(by_cell, month, first):
    """(base, monthly) as app.reports.read gives them to app.reports.figures.periods, from
    expected cells: stock cells at the end of the month before `first`, and {'YYYY-MM':
    {cell: n}} for each month from `first` to `month`."""
    from app.reports.read import is_stock
    base = {c: n for c, n in stock(by_cell, Month.parse(str(first)).plus(-1)).items()
            if is_stock(c) and n}
    monthly = {}
    for cell, by_month in by_cell.items():
        for m, n in by_month.items():
            if m != BEFORE and str(first) <= m <= str(month) and n:
                monthly.setdefault(m, {})[cell] = n
    return base, monthly


# -- lists ---------------------------------------------------------------------------------------

def _needs_approval(details):
    weeks = details.get("weeks")
    return details.get("outcome") in TERMINATIONS and isinstance(weeks, (int, float)) \
        and weeks >= cell_rules.APPROVAL_WEEKS


def bare_id(instance_id):
    """An instanceID without its uuid: prefix (the server keeps it as the phone sent it)."""
    return (instance_id or "").removeprefix("uuid:")


def _round(month):
    if month.month <= 6:
        return f"{month.year}-H1", dt.date(month.year, 1, 1)
    return f"{month.year}-H2", dt.date(month.year, 7, 1)


def expected_lists(rows, register, month):
    """{list id: sorted [key tuple]} of `month` for the whole town, each key led by the row's
    village code (a village's lists are the rows of its code: `in_village`), keyed as
    `list_keys` keys the server's rows."""
    from app.demo.truth import _age as age_on   # truth imports this module
    month = Month.parse(str(month))
    first, last = month.first, month.last
    by_kind = {}
    for r in rows:
        by_kind.setdefault(r["kind"], []).append(r)

    def of(kind, start=None, end=None):
        return [r for r in by_kind.get(kind, ()) if r["occurred_on"] is not None
                and (start is None or r["occurred_on"] >= start)
                and (end is None or r["occurred_on"] <= end)]
    out = {}
    out["pregnancies_ended"] = sorted(
        (r["village"], bare_id(r["instance_id"]), r["occurred_on"].isoformat(),
         r["details"].get("outcome") or "",
         (r["details"].get("reason") or "") if r["details"].get("outcome") not in (
             "live_birth", "stillbirth") else "",
         r["details"].get("weeks") if isinstance(r["details"].get("weeks"), (int, float))
         else None,
         bool(_needs_approval(r["details"]) and not r["details"].get("approval_no")))
        for r in of("pregnancy_ended", first, last))
    out["newborn_deaths_outside_hospital"] = sorted(
        (r["village"], bare_id(r["instance_id"]), r["occurred_on"].isoformat())
        for r in of("newborn_death", first, last)
        if r["details"].get("place") == "outside_hospital")
    ended = {}
    for r in by_kind.get("pregnancy_ended", ()):
        if r["pregnancy"] and r["occurred_on"]:
            day = ended.get(r["pregnancy"])
            ended[r["pregnancy"]] = min(day, r["occurred_on"]) if day else r["occurred_on"]
    # overdue: LMP + 280 days (the expected date) + 28 days on or before the month's end, and
    # no outcome of that pregnancy dated by then
    latest_lmp = (last - dt.timedelta(days=EDD_DAYS + OVERDUE_DAYS)).isoformat()
    out["overdue_pregnancies"] = sorted(
        (r["village"], bare_id(r["instance_id"]), r["lmp"])
        for r in of("pregnancy_reported", None, last)
        if r["lmp"] and r["lmp"] <= latest_lmp and r["pregnancy"]
        and not (r["pregnancy"] in ended and ended[r["pregnancy"]] <= last))
    round_id, round_start = _round(month)
    # a marital status the simulation's register changes leave out (the migrant form's) is
    # the one its events state (moved_in, registered: as the form answered it)
    stated = {r["person"]: r["details"]["marital_status"]
              for r in by_kind.get("registered", []) + by_kind.get("moved_in", [])
              if r["person"] and r["details"].get("marital_status")}
    checked = {r["person"] for r in by_kind.get("three_checks", ())
               if r["details"].get("round") == round_id and r["occurred_on"]
               and round_start <= r["occurred_on"] <= last}
    due = []
    for (dataset, uuid), data in register.items():
        if dataset != "people":
            continue
        if "marital_status" not in data and uuid in stated:
            data = {**data, "marital_status": stated[uuid]}
        age = age_on(data.get("dob"), round_start)
        if data.get("sex") == "female" and data.get("marital_status") in MARRIED \
                and age is not None and 15 <= age < 50 and data.get("deceased") != "yes" \
                and data.get("residence_status") != "moved_out" and uuid not in checked:
            due.append((data.get("village", ""), data.get("full_name", ""),
                        age_on(data.get("dob"), last)))
    out["three_checks_due_not_done"] = sorted(due)
    year_start = dt.date(month.year, 1, 1)
    prepared = {r["person"] for r in by_kind.get("prepregnancy_check", ())
                if r["occurred_on"] and year_start <= r["occurred_on"] <= last}
    latest = {}
    for r in of("pregnancy_planned", year_start, last):
        if r["person"] and r["person"] not in prepared:
            best = latest.get(r["person"])
            if best is None or r["occurred_on"] >= best["occurred_on"]:
                latest[r["person"]] = r
    out["planning_without_check"] = sorted(
        (r["village"], bare_id(r["instance_id"]), r["occurred_on"].isoformat())
        for r in latest.values())
    return out


def in_village(lists, village):
    """The lists of one village (None: the town) from the town's (`expected_lists`)."""
    if village is None:
        return lists
    return {k: [key for key in keys if key[0] == village] for k, keys in lists.items()}


# -- the server's side, keyed the same way -------------------------------------------------------

def _code(text, table):
    """The code of a list's printed label ('活产 Live birth' -> 'live_birth'), by the list
    module's own label table; the text itself when no label matches."""
    for code, labels in (table or {}).items():
        if text == f"{labels[0]} {labels[1]}" or text in labels:
            return code
    return text


def _yes(text):
    """A yes/no column, as a code ('yes') or a printed label ('是 Yes')."""
    return text is True or isinstance(text, str) and (
        text == "yes" or text.startswith("是") or "Yes" in text)


def list_keys(table, village_codes):
    """A server list table's rows keyed as `expected_lists` keys them. village_codes: {label
    (zh or en, or the code): code} to read a list's village column."""
    from app.reports import lists as server_lists
    rows = [r["values"] for r in table["rows"]]
    kind = table["id"]

    def village(v):
        return village_codes.get(v.get("village") or "", v.get("village") or "")
    if kind == "pregnancies_ended":
        outcomes = getattr(server_lists, "OUTCOMES", {})
        reasons = getattr(server_lists, "REASONS", {})
        return sorted((village(v), bare_id(v.get("instance_id")), v.get("date"),
                       _code(v.get("outcome"), outcomes),
                       _code(v.get("reason"), reasons) if v.get("reason") else "",
                       v.get("weeks"), _yes(v.get("approval_missing"))) for v in rows)
    if kind in ("newborn_deaths_outside_hospital", "planning_without_check"):
        day = "date" if kind == "newborn_deaths_outside_hospital" else "planned_on"
        return sorted((village(v), bare_id(v.get("instance_id")), v.get(day)) for v in rows)
    if kind == "overdue_pregnancies":
        return sorted((village(v), bare_id(v.get("instance_id")), v.get("lmp")) for v in rows)
    if kind == "three_checks_due_not_done":
        return sorted((village(v), v.get("woman"), v.get("age")) for v in rows)
    return sorted(repr(sorted(v.items())) for v in rows)


# -- the truth file ------------------------------------------------------------------------------

def months_of(params_start, params_months):
    first = Month.of(params_start)
    return [first.plus(i) for i in range(params_months)]


def report_truth(town, subs):
    """The truth file's "reports": the expected cells, and per month, for each village and
    the town, the reference A–E figures and the lists."""
    from app.demo.truth import expected_register
    register = expected_register(subs)
    villages = [code for code, _ in town.villages]
    rows, used = expected_rows(subs, register)
    cells = expected_cells(rows, villages)
    months = months_of(town.p.start, town.p.months)
    scopes = {code: {code} for code in villages}
    scopes["town"] = None
    by_scope = {name: cells_of(cells, scope) for name, scope in scopes.items()}
    per_month = {}
    for month in months:
        lists = expected_lists(rows, register, month)
        per_month[str(month)] = {
            "figures": {name: reference_figures(by_scope[name], month) for name in scopes},
            "lists": {k: [list(key) for key in keys] for k, keys in lists.items()}}
    return {"basis": "residence (现居住)", "villages": villages,
            "months": [str(m) for m in months],
            "cells": [[v, m, c, n] for (v, m, c), n in cells.items()],
            "by_month": per_month,
            "annotations_completed": {f"{k}.{d}": n for (k, d), n in sorted(used.items())},
            "events": len(rows)}


def cells_from_file(document):
    """The expected cells of a truth file: {(village, month, cell): n}."""
    return {(v, m, c): n for v, m, c, n in document["reports"]["cells"]}


def server_cells(session, project_id=None):
    """The server's report_cells as {(village code, month, cell): n} (zeros left out)."""
    from sqlalchemy import select

    from app.projects.models import Area
    from app.reports.models import ReportCell
    query = select(Area.code, ReportCell.month, ReportCell.cell, ReportCell.n).outerjoin(
        Area, Area.id == ReportCell.area_id)
    if project_id is not None:
        query = query.where(ReportCell.project_id == project_id)
    out = collections.Counter()
    for code, month, cell, n in session.execute(query):
        out[(code or "", month, cell)] += n
    return {k: n for k, n in sorted(out.items()) if n}


def cell_differences(expected, found):
    """[(key, expected, found)] wherever they differ."""
    return [(k, expected.get(k, 0), found.get(k, 0)) for k in sorted(set(expected) | set(found))
            if expected.get(k, 0) != found.get(k, 0)]

