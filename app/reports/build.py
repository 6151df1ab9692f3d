"""Assembles the live report document of a month for a village or the town: sections A–E
from the summary cells (app.reports.figures), F–I, the lists and their alerts from
app.reports.coverage and app.reports.lists, J (statistics quality: counts for the lock service
to fill; the accuracy of the latest reconciliation with the hospital's births covering the
month, app.quality.outside), the indicators against the year's targets, the sex-ratio
block, the charts' series and, for the town, the village table. No lock is applied here
(app.reports.service does that). Reads: the areas, three GROUP BYs over report_cells, the
targets, and whatever coverage and lists read."""
from sqlalchemy import select

from app.db.columns import isoformat, utcnow
from app.projects.models import Area
from app.quality import outside
from app.reports import coverage, document, figures, lists, read, targets
from app.reports.periods import Month

#: indicators h-lists' sections F–I give as rows with the same id (their values are copied)
COVERAGE_INDICATORS = ("prepregnancy_coverage", "three_checks_coverage", "certificate_rate",
                       "double_check_rate", "rewards_paid_rate")
#: the column of such a row an indicator is judged on, first present wins
HEADLINE_COLUMNS = ("ytd", "round", "end", "rate", "month")
NOT_MEASURED = {"zh": "未测量（尚无核查）", "en": "Not measured (no reconciliation yet)"}


def build(session, project_id, month, area_ids):
    """The report of `month` (periods.Month or 'YYYY-MM') over `area_ids` (a list of village
    ids; None: the town, every area and the records with no village), unlocked."""
    month = Month.parse(month) if isinstance(month, str) else month
    read.tune(session)
    town = area_ids is None
    infos = _areas(session, project_id)
    ordered = sorted(infos, key=lambda a: infos[a]["code"])
    covered = [infos[a] for a in ordered if town or a in area_ids]
    village = covered[0] if not town and len(covered) == 1 else None
    # the town reads every area (area 0 included) by the month index, and of each village
    # only the cells its row of the village table and its sex ratio need
    scope = None if town else list(area_ids)
    first = figures.first_month(month)
    per_area = read.by_area(session, project_id, scope, month, first,
                            only=figures.VILLAGE_CELLS if town else None,
                            only_windows=figures.VILLAGE_WINDOWS if town else None)
    # the town's own stocks whole (the villages' windows hold only the table's cells)
    base = (read.stock(session, project_id, None, first.plus(-1)) if town
            else read.add(*[w["base"] for w in per_area.values()]))
    p = figures.periods(month, base, read.monthly(session, project_id, scope, first, month))

    goals = targets.for_year(session, project_id, month.year,
                             None if village is None else area_ids[0]) or {}
    others = list(coverage.sections(session, project_id, month, area_ids, p))
    indicator_rows = (figures.indicators(p, goals) + _coverage_indicators(others, goals)
                      + [_accuracy(session, project_id, month, area_ids, goals)])
    villages = [(infos[a], per_area.get(a, {})) for a in ordered] if town else []
    block = figures.sex_ratio(p, villages)
    return {
        "kind": "town" if town else "village", "project_id": project_id, "month": str(month),
        "village": village, "villages": covered,
        "generated_at": isoformat(utcnow()),
        "lock": {"state": "open", "version": None, "locked_at": None, "locked_by": None},
        "sections": figures.sections(p, town) + others + [section_j()],
        "indicators": indicator_rows,
        "sex_ratio": block,
        "lists": list(lists.tables(session, project_id, month, area_ids)),
        "alerts": (figures.alerts(p, block, village and village["code"])
                   + list(lists.alerts(session, project_id, month, area_ids))),
        "amendments": [], "late_records": [],
        "charts": figures.charts(p, block, indicator_rows),
        "village_table": (figures.village_table(villages, per_area.get(0, {}), _town_windows(p))
                          if town else None),
    }


def _areas(session, project_id):
    """{area id: {"code", "zh", "en"}} of the project's villages."""
    rows = session.execute(select(Area.id, Area.code, Area.name_zh, Area.name_en)
                           .where(Area.project_id == project_id))
    return {id: {"code": code, "zh": zh or code, "en": en or code}
            for id, code, zh, en in rows}


def _town_windows(p):
    return {"month": p["flows"]["month"], "ytd": p["flows"]["ytd"],
            "rolling_12": p["flows"]["rolling_12"], "start": p["starts"]["month"],
            "end": p["ends"]["month"]}


def _coverage_indicators(tables, goals):
    """Indicator rows for the rows of F–I whose id is a coverage indicator's."""
    out = []
    for table in tables:
        for row in table["rows"]:
            if row["id"] in COVERAGE_INDICATORS:
                period = next((c for c in HEADLINE_COLUMNS if c in row["values"]), None)
                basis = {"period": period, "section": table["id"],
                         "zh": table["zh"], "en": table["en"]}
                out.append(figures.indicator(row["id"], row["zh"], row["en"], row["unit"],
                                             row["values"], goals, basis))
    return out


def _accuracy(session, project_id, month, area_ids, goals):
    """统计准确率 of the month: matched ÷ the hospital's births of the month in the latest
    reconciliation covering each village (app.quality.outside.month_accuracy), with the
    case-level and net figures of REPORTS.md §1.10 in its basis; "not measured" without
    one."""
    target = goals.get("statistics_accuracy")
    found = outside.month_accuracy(session, project_id, month.first, month.last, area_ids)
    if found is None or found["accuracy"] is None:
        return document.indicator("statistics_accuracy", "统计准确率", "Statistics accuracy",
                                  "percent", {"value": None}, target=target, met=None,
                                  basis=dict(NOT_MEASURED, period="value"))
    value = found["accuracy"]
    basis = {"period": "value", "figures": found,
             "zh": f"医院出生登记核查：{found['matched']}/{found['outside']} 例已登记；"
                   f"个案准确率 {found['case_level']}%，求实率 {found['net']}%",
             "en": f"Hospital births reconciled: {found['matched']} of {found['outside']} "
                   f"registered; case-level {found['case_level']}%, net {found['net']}%"}
    return document.indicator("statistics_accuracy", "统计准确率", "Statistics accuracy",
                              "percent", {"value": value}, target=target,
                              met=targets.met("statistics_accuracy", value, target), basis=basis)


def section_j():
    """J 统计质量: late records, corrections and pending reviews are counted by the lock
    service at lock time (None until then); accuracy is not measured until a reconciliation
    exists."""
    column = [document.column("value", "数值", "Value")]
    rows = [document.row("late_records", "补报", "Late records", {"value": None}),
            document.row("corrections", "更正", "Corrections", {"value": None}),
            document.row("pending_review", "待审", "Pending review", {"value": None}),
            document.row("statistics_accuracy", "统计准确率", "Statistics accuracy",
                         {"value": None}, "percent")]
    return document.table("J", "统计质量", "Statistics quality", column, rows, note=NOT_MEASURED)
