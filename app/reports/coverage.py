"""Sections F–I of a report, the figures that need people and not only counts: F three checks
of the round (due, done, coverage, findings), G pre-pregnancy check-ups (couples planning and
checked, coverage for the year), H migrants (moves, certificate rate, double-check rate) and I
rewards paid against due. Counts, amounts and F's `due` (the stock of married women 15–49)
come from the report's windows of the summary cells, and so do the women checked and the
beneficiaries paid, each counted once (app.reports.firsts); the rest is one indexed query
over `life_events` each (docs/reports/lists.md defines every row)."""
import datetime as dt

from sqlalchemy import distinct, func, or_, select

from app.reports import figures, firsts, read, targets
from app.reports import document as doc
from app.reports.figures import total
from app.reports.lists import (MARRIED, E, age_on, detail, events, of_kind, parse_date,
                               people, round_of)
from app.reports.periods import Month
from app.reports.srb import half_up

BENEFITS = {
    "one_child_parents": ("独生子女父母奖励", "One-child parents' award"),
    "rural_family_support": ("农村部分计划生育家庭奖励扶助", "Rural family-planning family support"),
    "special_hardship": ("计划生育特殊家庭扶助", "Special-hardship family support"),
    "sterilisation_award": ("节育奖励", "Sterilisation award"),
    "housing_subsidy": ("安居工程补助", "Housing-project subsidy"),
    "low_income_supplement": ("增加低保金", "Low-income allowance supplement"),
    "cooperative_medical": ("新农合补助", "Rural cooperative medical scheme subsidy"),
    "rural_pension": ("新农保补助", "Rural pension scheme top-up"),
    "microloan_interest": ("小额贴息贷款", "Interest-subsidised microloan"),
    "college_award": ("高考升学奖励", "College entrance award"),
    "free_health_check": ("免费生殖健康检查", "Free reproductive health check"),
    "other": ("其他", "Other"),
}
#: section H's double check follows women who moved out (as migrants) from 1 January this many
#: years before the report's year; one away longer has left for good (docs/reports/lists.md)
AWAY_YEARS = 10
MONTH = doc.column("month", "本月", "This month")
#: the findings of the three checks, as app.reports.cells names them
FINDINGS = ("iud", "pregnancy", "illness")
YTD = doc.column("ytd", "本年累计", "Year to date")


def percent(part, whole):
    """part / whole × 100, two decimals rounded half up as the figures are; None on a zero
    (or missing) denominator."""
    return half_up(part * 100 / whole, 2) if whole else None


def _distinct(session, where, column=None):
    column = E.c.person if column is None else column
    return session.scalar(select(func.count(distinct(column))).where(
        where, column.is_not(None))) or 0


# --- F three checks --------------------------------------------------------------------------

def three_checks(session, project_id, month, area_ids, p):
    round_id, start, end = round_of(month)
    before = Month(start.year, start.month).plus(-1)
    due = p["month_ends"][str(before)].get("married_women_15_49", 0)
    # findings and the women checked (each once, at her first check of the round:
    # app.reports.firsts) are cells of the round, month by month
    in_round = [p["month_flows"][str(m)] for m in month.back_to(Month(start.year, start.month))]

    def finding(cells, what):
        return cells.get(f"three_checks_finding:{round_id}:{what}", 0)
    f_month = [finding(p["month_flows"][str(month)], w) for w in FINDINGS]
    f_round = [sum(finding(cells, w) for cells in in_round) for w in FINDINGS]
    women = f"{firsts.WOMEN_CHECKED}:{round_id}"
    done_month = p["month_flows"][str(month)].get(women, 0)
    done_round = sum(cells.get(women, 0) for cells in in_round)
    columns = [MONTH, doc.column("round", f"本轮累计（{round_id}）", f"Round to date ({round_id})")]
    rows = [
        doc.row("due", "应查（本轮初已婚育龄妇女15–49岁）",
                "Due (married women 15–49 at the round's start)", {"month": None, "round": due}),
        doc.row("done", "实查人数", "Women checked", {"month": done_month, "round": done_round}),
        doc.row("three_checks_coverage", "三查覆盖率", "Three-checks coverage",
                {"month": None, "round": percent(done_round, due)}, unit="percent"),
        doc.row("finding_iud", "查环：脱落或移位", "IUD displaced or expelled",
                {"month": f_month[0], "round": f_round[0]}),
        doc.row("finding_pregnancy", "查孕：发现怀孕", "Pregnancies found",
                {"month": f_month[1], "round": f_round[1]}),
        doc.row("finding_illness", "查病：发现疾病", "Illness found",
                {"month": f_month[2], "round": f_round[2]}),
    ]
    return doc.table("F", "三查", "Three checks", columns, rows, note={
        "zh": f"本轮 {round_id}：{start.isoformat()} 至 {end.isoformat()}；实查计至本月末，"
              "每人计一次，计在本轮首次检查的村和月（本月：本轮首次在本月检查的人数）。",
        "en": f"Round {round_id}: {start.isoformat()} to {end.isoformat()}; checks counted to "
              "the month's end, each woman once, in the village and month of her first check "
              "of the round (this month: women first checked this round this month)."})


# --- G pre-pregnancy -------------------------------------------------------------------------

def prepregnancy(session, project_id, month, area_ids, p):
    year_start = dt.date(month.year, 1, 1)
    c = E.alias("check")

    def planning(first):
        return events(project_id, "pregnancy_planned", area_ids, first, month.last)

    def checked_of(first):
        """Women planning (from `first`) with a check of theirs from 1 January to month end."""
        checked = select(c.c.person).where(
            c.c.project_id == project_id, c.c.kind == "prepregnancy_check",
            c.c.occurred_on >= year_start, c.c.occurred_on <= month.last)
        return _distinct(session, planning(first) & E.c.person.in_(checked))

    plan_month, plan_ytd = (_distinct(session, planning(month.first)),
                            _distinct(session, planning(year_start)))
    both_month, both_ytd = checked_of(month.first), checked_of(year_start)
    checks_month = _distinct(session, events(project_id, "prepregnancy_check", area_ids,
                                             month.first, month.last))
    checks_ytd = _distinct(session, events(project_id, "prepregnancy_check", area_ids,
                                           year_start, month.last))
    births = [total(p["flows"][window], "birth:") for window in ("month", "ytd")]
    rows = [
        doc.row("planning", "计划怀孕夫妇", "Couples planning a pregnancy",
                {"month": plan_month, "ytd": plan_ytd}),
        doc.row("planning_checked", "其中已做孕前优生健康检查", "Of whom checked this year",
                {"month": both_month, "ytd": both_ytd}),
        doc.row("prepregnancy_coverage", "孕前优生健康检查覆盖率", "Pre-pregnancy check-up coverage",
                {"month": percent(both_month, plan_month), "ytd": percent(both_ytd, plan_ytd)},
                unit="percent"),
        doc.row("checked", "检查夫妇数", "Couples checked", {"month": checks_month,
                                                        "ytd": checks_ytd}),
        doc.row("live_births", "活产数", "Live births", {"month": births[0], "ytd": births[1]}),
        doc.row("checked_per_birth", "检查夫妇/活产", "Couples checked per live birth",
                {"month": percent(checks_month, births[0]), "ytd": percent(checks_ytd, births[1])},
                unit="percent"),
    ]
    return doc.table("G", "孕前优生健康检查", "Pre-pregnancy checks", [MONTH, YTD], rows, note={
        "zh": "计划怀孕夫妇以妇女计（本年登记计划怀孕者），检查计本年内。",
        "en": "Couples are counted by the woman (a pregnancy plan recorded this year); "
              "check-ups this year."})


# --- H migrants ------------------------------------------------------------------------------

def _movers(project_id, area_ids, first, last):
    """The conditions on moves out (migrant=yes) of women (or of unknown sex) dated
    first..last."""
    sex = detail("sex")
    return [events(project_id, "moved_out", area_ids, first, last), detail("migrant") == "yes",
            E.c.person.is_not(None), or_(sex == "female", sex.is_(None), sex == "")]


def _out_migrants(session, project_id, area_ids, first, last):
    """Moves out (migrant=yes) of women dated first..last: [(person, date, sex, dob, marital)]
    with sex, dob and marital status from the event's details, else from the register (moves
    recorded before the details kept them). Men are left out in SQL."""
    sex, dob, marital = detail("sex"), detail("dob"), detail("marital_status")
    rows = session.execute(select(E.c.person, E.c.occurred_on, sex, dob, marital).where(
        *_movers(project_id, area_ids, first, last))).all()
    # sex and age of a mover are facts of the event even if the person was deleted since
    register = people(session, project_id, [r[0] for r in rows if not (r[2] and r[3] and r[4])],
                      deleted=True)
    out = []
    for person, on, d_sex, d_dob, d_marital in rows:
        known = register.get(person, {})
        out.append((person, on, d_sex or known.get("sex") or "",
                    parse_date(d_dob or known.get("dob")),
                    d_marital or known.get("marital_status") or ""))
    return out


def _returned(session, project_id, persons, first, last):
    """{person: [dates of moves in, deaths]} dated first..last, for `persons`: every such
    event read from the index by kind and date (it holds the person), kept in Python, which is
    quicker than a lookup per person once they are thousands."""
    out = {}
    for person, on in session.execute(select(E.c.person, E.c.occurred_on).where(
            E.c.project_id == project_id, E.c.kind.in_(("moved_in", "death")),
            E.c.occurred_on >= first, E.c.occurred_on <= last)):
        if person in persons:
            out.setdefault(person, []).append(on)
    return out


def _with_event(session, project_id, kind, persons, where, first, last):
    """The persons among `persons` with a `kind` event dated first..last (any village), from
    the index by kind and date as `_returned` reads it."""
    found = session.execute(select(E.c.person).distinct().where(
        events(project_id, kind, None, first, last), *where))
    return {p for (p,) in found if p in persons}


def migrants(session, project_id, month, area_ids, p):
    year_start = dt.date(month.year, 1, 1)
    round_id, r_start, _ = round_of(month)

    flows = p["flows"]          # (p is a person in the loops below)

    def moves(kind, first):
        return flows["month" if first == month.first else "ytd"].get(f"{kind}:yes", 0)

    # the moves out as migrants of the last AWAY_YEARS years to the month's end, read once
    # (index: kind and date): bounded so a view does not grow with all history
    since = dt.date(month.year - AWAY_YEARS, 1, 1)
    out = _out_migrants(session, project_id, area_ids, since, month.last)
    # certificate: women 18–49 at month end who moved out (migrant) this month / this year
    certified = []
    for first in (month.first, year_start):
        women = {p for p, on, sex, dob, _ in out
                 if on is not None and on >= first and sex == "female"
                 and (age := age_on(dob, month.last)) is not None and 18 <= age <= 49}
        held = _with_event(session, project_id, "certificate_issued", women,
                           [E.c.tag == "marriage_childbearing"], None, month.last)
        certified.append((len(women), len(held)))
    # double check: married women 15–49 at month end away (moved out as migrants in the
    # AWAY_YEARS window to the month's end, not back nor dead since) / of them with results
    # received this round
    away = {}
    for p, on, sex, dob, marital in out:
        if sex == "female" and marital in MARRIED and (a := age_on(dob, month.last)) is not None \
                and 15 <= a <= 49:
            on = on or dt.date.min
            away[p] = max(on, away.get(p, on))
    back = _returned(session, project_id, away, since, month.last)
    due = {p for p, left in away.items() if not any(d and d >= left for d in back.get(p, []))}
    received = _with_event(session, project_id, "double_check", due,
                           [E.c.tag == "left", detail("received") == "yes"],
                           r_start, month.last)
    rows = [
        doc.row("moved_in", "流入（迁入流动人口）", "Migrants moved in",
                {"month": moves("moved_in", month.first), "ytd": moves("moved_in", year_start)}),
        doc.row("moved_out", "流出（迁出流动人口）", "Migrants moved out",
                {"month": moves("moved_out", month.first), "ytd": moves("moved_out", year_start)}),
        doc.row("certificate_due", "流出育龄妇女（18–49岁）", "Out-migrant women 18–49",
                {"month": certified[0][0], "ytd": certified[1][0]}),
        doc.row("certificate_held", "其中持婚育证明", "Of whom holding the certificate",
                {"month": certified[0][1], "ytd": certified[1][1]}),
        doc.row("certificate_rate", "婚育证明持证率", "Certificate rate",
                {"month": percent(certified[0][1], certified[0][0]),
                 "ytd": percent(certified[1][1], certified[1][0])}, unit="percent"),
        doc.row("double_check_due", f"本轮（{round_id}）应双查流出已婚育龄妇女",
                f"Out-migrant married women due a double check ({round_id})",
                {"month": None, "ytd": len(due)}),
        doc.row("double_check_received", "其中双查结果已收回", "Of whom results received",
                {"month": None, "ytd": len(received)}),
        doc.row("double_check_rate", "双查到位率", "Double-check rate",
                {"month": None, "ytd": percent(len(received), len(due))}, unit="percent"),
    ]
    return doc.table("H", "流动人口", "Migrants", [MONTH, YTD], rows, note={
        "zh": f"双查按本轮（{round_id}）计至本月末：月末仍在外的流出已婚育龄妇女。",
        "en": f"Double checks for the round {round_id} to the month's end: out-migrant married "
              "women 15–49 still away at the month's end."})


# --- I rewards -------------------------------------------------------------------------------

def rewards(session, project_id, month, area_ids, p):
    year_start = dt.date(month.year, 1, 1)
    area_id = area_ids[0] if area_ids is not None and len(area_ids) == 1 else None
    wanted = targets.for_year(session, project_id, month.year, area_id) or {}
    due = {k.split(".", 1)[1]: v for k, v in wanted.items() if k.startswith("rewards_due.")}
    # payments, amounts (fen: each payment rounded to a fen, one beyond MAX_FEN read as
    # none) and beneficiaries (each once a year, at the first payment: app.reports.firsts)
    # are the cells' of the year
    by = {}
    for window, key in (("month", "month"), ("ytd", "ytd")):
        for cell, n in p["flows"][window].items():
            kind, _, benefit = cell.partition(":")
            if kind in ("reward_paid", "reward_fen"):
                b = by.setdefault(benefit, dict.fromkeys(
                    ("month", "ytd", "fen_month", "fen_ytd", "payees"), 0))
                b[key if kind == "reward_paid" else "fen_" + key] += n
    paid_this_year = f":{month.year:04d}"
    for cell, n in p["flows"]["ytd"].items():
        if cell.startswith(firsts.PAYEES + ":") and cell.endswith(paid_this_year):
            benefit = cell[len(firsts.PAYEES) + 1:-len(paid_this_year)]
            b = by.setdefault(benefit, dict.fromkeys(
                ("month", "ytd", "fen_month", "fen_ytd", "payees"), 0))
            b["payees"] += n
    out = []
    order = list(BENEFITS)
    for benefit in sorted(set(by) | set(due), key=lambda b: (
            order.index(b) if b in order else len(order), b)):
        b = by.get(benefit, {"month": 0, "ytd": 0, "fen_month": 0, "fen_ytd": 0,
                             "payees": 0})
        zh, en = BENEFITS.get(benefit, (benefit, benefit))
        n_due = due.get(benefit)
        out += [
            doc.row(f"paid:{benefit}", f"{zh}：兑现人次", f"{en}: payments",
                    {"month": b["month"], "ytd": b["ytd"]}),
            doc.row(f"amount:{benefit}", f"{zh}：金额（元）", f"{en}: amount (yuan)",
                    {"month": b["fen_month"] / 100, "ytd": b["fen_ytd"] / 100}, unit="yuan"),
            doc.row(f"payees:{benefit}", f"{zh}：兑现对象", f"{en}: beneficiaries paid",
                    {"month": None, "ytd": b["payees"]}),
            doc.row(f"due:{benefit}", f"{zh}：应兑现对象", f"{en}: beneficiaries due",
                    {"month": None, "ytd": n_due}),
            doc.row(f"rate:{benefit}", f"{zh}：兑现率", f"{en}: paid rate",
                    {"month": None, "ytd": percent(b["payees"], n_due)}, unit="percent"),
        ]
    # all benefits with a due set: their payees over their due (the rewards_paid_rate target)
    with_due = [b for b in due if due[b]]
    out.append(doc.row("rewards_paid_rate", "奖励扶助兑现率（有应兑现数的项目合计）",
                       "Rewards paid rate (benefits with a number due)",
                       {"month": None, "ytd": percent(
                           sum(by.get(b, {}).get("payees", 0) for b in with_due),
                           sum(due[b] for b in with_due))}, unit="percent"))
    return doc.table("I", "奖励扶助", "Rewards", [MONTH, YTD], out, note={
        "zh": "应兑现对象为本年目标 rewards_due.{项目}（镇上录入）；未录入时兑现率为“—”。"
              "兑现对象每人（户）每项每年计一次，计在当年首次兑现的村和月。",
        "en": "Beneficiaries due are the year's targets rewards_due.{benefit} (entered by the "
              "town); without one the rate is not computable. Each beneficiary counts once a "
              "year per benefit, in the village and month of the year's first payment."})


def periods_of(session, project_id, month, area_ids):
    """The windows of `month` from the summary cells, as app.reports.build reads them (the
    stocks before its first month, then its months)."""
    first = figures.first_month(month)
    base = read.stock(session, project_id, area_ids, first.plus(-1))
    return figures.periods(month, base, read.monthly(session, project_id, area_ids, first,
                                                     month))


def sections(session, project_id, month, area_ids, p=None):
    """[F, G, H, I] tables (app.reports.document.table) for `month` over `area_ids` (None:
    the whole town); `p`: the report's windows (app.reports.figures.periods), read from the
    cells when not given."""
    p = p if p is not None else periods_of(session, project_id, month, area_ids)
    return [three_checks(session, project_id, month, area_ids, p),
            prepregnancy(session, project_id, month, area_ids, p),
            migrants(session, project_id, month, area_ids, p),
            rewards(session, project_id, month, area_ids, p)]
