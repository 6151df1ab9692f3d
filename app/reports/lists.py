"""The name lists (花名册) a report carries and its alerts: pregnancies ended in the month,
newborn deaths outside hospital, overdue pregnancies, women due for the three checks who have
not had them, couples planning a pregnancy without a check-up. Each is one SQL query over
`life_events` (indexed by project, kind and date, or by person/pregnancy) and, for names and
the three-checks roll, the register's people. Names only: ID numbers never appear in a list.

Also the helpers sections F–I (app.reports.coverage) share with the lists: the area scope of
an event query, a detail read as text in SQL, the register's people by uuid, the round of a
month and a person's age."""
import datetime as dt

from sqlalchemy import and_, exists, false, func, or_, select

from app.events.models import LifeEvent
from app.projects.models import Area
from app.register.models import Dataset, Entity
from app.reports import document as doc
from app.reports.cells import APPROVAL_WEEKS
from app.submissions.models import Submission

E = LifeEvent.__table__
P = Entity.__table__
MARRIED = ("first_marriage", "remarried")
TERMINATIONS = ("induced_abortion", "medical_termination")
DELIVERIES = ("live_birth", "stillbirth")
#: an expected delivery date is LMP + 280 days; a pregnancy is overdue 28 days after it
EDD_DAYS, OVERDUE_DAYS = 280, 28
#: uuids per IN (...) when reading people from the register
CHUNK = 500

OUTCOMES = {
    "live_birth": ("活产", "Live birth"), "stillbirth": ("死产", "Stillbirth"),
    "miscarriage": ("自然流产", "Miscarriage"), "induced_abortion": ("人工流产", "Induced abortion"),
    "medical_termination": ("中期引产", "Medical termination"),
    "ectopic": ("宫外孕", "Ectopic pregnancy"), "": ("未知", "Unknown")}
REASONS = {
    "spontaneous": ("自然发生", "Spontaneous"), "fetal_anomaly": ("胎儿异常", "Fetal anomaly"),
    "maternal_illness": ("孕妇疾病", "Maternal illness"),
    "contraceptive_failure": ("避孕失败", "Contraceptive failure"),
    "unplanned": ("计划外怀孕", "Unplanned pregnancy"), "other": ("其他", "Other"),
    "": ("未填", "Not given")}
YES_NO = {"yes": ("是", "Yes"), "no": ("否", "No"), "": ("未填", "Not given")}


# --- helpers shared with app.reports.coverage ------------------------------------------------

def detail(key):
    """A life event's detail as text in SQL (JSON ->> on PostgreSQL, json_extract on SQLite)."""
    return E.c.details[key].as_string()


def in_scope(column, area_ids):
    """The condition that `column` (an area id) is one of `area_ids` (None: every area; 0 in
    the list stands for rows with no village)."""
    if area_ids is None:
        return None
    ids = [a for a in area_ids if a]
    found = [column.in_(ids)] if ids else []
    if 0 in area_ids:
        found.append(column.is_(None))
    return or_(*found) if found else false()


def events(project_id, kind, area_ids=None, start=None, end=None):
    """Conditions on life_events of one kind, in the areas, dated start..end (both included):
    the shape the (project_id, kind, occurred_on) index serves."""
    conds = [E.c.project_id == project_id, E.c.kind == kind]
    scope = in_scope(E.c.area_id, area_ids)
    if scope is not None:
        conds.append(scope)
    if start is not None:
        conds.append(E.c.occurred_on >= start)
    if end is not None:
        conds.append(E.c.occurred_on <= end)
    return and_(*conds)


def of_kind(table, project_id, kinds):
    """`table` rows of the project and kind(s), written so that no index can serve them: in a
    lookup by person or pregnancy, the planner must probe that index (SQLite, without
    statistics, prefers the index with more equalities and would walk the kind's dates once
    per woman)."""
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    return and_(func.coalesce(table.c.project_id, 0) == project_id,
                func.coalesce(table.c.kind, "").in_(kinds))


def round_of(month):
    """(round id 'YYYY-H1'/'YYYY-H2', its first day, its last day) of the round holding month."""
    if month.month <= 6:
        return f"{month.year}-H1", dt.date(month.year, 1, 1), dt.date(month.year, 6, 30)
    return f"{month.year}-H2", dt.date(month.year, 7, 1), dt.date(month.year, 12, 31)


def parse_date(text):
    try:
        return dt.date.fromisoformat(text) if text else None
    except (TypeError, ValueError):
        return None


def age_on(dob, day):
    """Whole years from dob to day (None when dob is unknown)."""
    if dob is None:
        return None
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def people_dataset(session, project_id):
    return session.scalar(select(Dataset.id).where(Dataset.project_id == project_id,
                                                   Dataset.name == "people"))


def people(session, project_id, uuids, deleted=False):
    """{uuid: the register's data of that person} for the uuids (a lookup by the unique uuid
    index, CHUNK at a time); people not on the register are absent, and so are people deleted
    from it (a list never names them) unless `deleted`."""
    dataset = people_dataset(session, project_id)
    wanted = sorted({u for u in uuids if u})
    out = {}
    if dataset is None:
        return out
    for start in range(0, len(wanted), CHUNK):
        query = select(P.c.uuid, P.c.data).where(
            P.c.uuid.in_(wanted[start:start + CHUNK]), P.c.dataset_id == dataset)
        if not deleted:
            query = query.where(P.c.deleted_at.is_(None))
        for uuid, data in session.execute(query):
            out[uuid] = data or {}
    return out


def villages(session, project_id):
    """{area id: (code, zh, en)} of the project's villages."""
    return {i: (code, zh or code, en or code) for i, code, zh, en in session.execute(
        select(Area.id, Area.code, Area.name_zh, Area.name_en).where(
            Area.project_id == project_id))}


def _name(register, uuid):
    return (register.get(uuid) or {}).get("full_name") or ""


def _village(places, area_id):
    return places.get(area_id, ("", "", ""))[1] if area_id else ""


def _text(labels, code):
    """A coded value as the list keeps it: the code ('' when none); the column's `labels`
    give each code's Chinese and English for the faces."""
    return code or ""


def coded(id, zh, en, labels):
    """A column of codes, with {code: {"zh", "en"}} for the faces to print."""
    out = doc.column(id, zh, en, "text")
    out["labels"] = {code: {"zh": z, "en": e} for code, (z, e) in labels.items()}
    return out


# --- the lists -------------------------------------------------------------------------------

def _ended(session, project_id, month, area_ids):
    """Pregnancies that ended in the month, with the submission's instanceID."""
    return session.execute(
        select(E.c.id, E.c.occurred_on, E.c.area_id, E.c.person, E.c.pregnancy, E.c.details,
               Submission.instance_id)
        .join(Submission, Submission.id == E.c.submission_id)
        .where(events(project_id, "pregnancy_ended", area_ids, month.first, month.last))
        .order_by(E.c.occurred_on, E.c.id)).all()


def needs_approval(details):
    """A termination at APPROVAL_WEEKS or more (it must carry an approval number)."""
    weeks = details.get("weeks")
    return (details.get("outcome") in TERMINATIONS and isinstance(weeks, (int, float))
            and weeks >= APPROVAL_WEEKS)


def _loss_without_reason(details):
    return details.get("outcome") not in DELIVERIES and not details.get("reason")


def pregnancies_ended(session, project_id, month, area_ids, places=None):
    rows = _ended(session, project_id, month, area_ids)
    register = people(session, project_id, [r.person for r in rows])
    places = places or villages(session, project_id)
    out = []
    for n, r in enumerate(rows, 1):
        d = r.details or {}
        weeks = d.get("weeks") if isinstance(d.get("weeks"), (int, float)) else None
        missing = needs_approval(d) and not d.get("approval_no")
        out.append(doc.row(f"e{r.id}", _name(register, r.person), _name(register, r.person), {
            "no": n, "woman": _name(register, r.person), "village": _village(places, r.area_id),
            "date": r.occurred_on.isoformat() if r.occurred_on else None,
            "outcome": _text(OUTCOMES, d.get("outcome")),
            "reason": _text(REASONS, d.get("reason")) if d.get("outcome") not in DELIVERIES
            else "", "reason_other": d.get("reason_other") or "",
            "weeks": weeks,
            "weeks_14plus": "" if weeks is None else "yes" if weeks >= 14 else "no",
            "approval_no": d.get("approval_no") or "",
            "approval_missing": _text(YES_NO, "yes" if missing else "no"),
            "facility": d.get("facility") or "", "instance_id": r.instance_id}, unit="text"))
    return doc.table(
        "pregnancies_ended", "孕情结束名单", "Pregnancies ended",
        [doc.column("no", "序号", "No.", "count"), doc.column("woman", "姓名", "Woman", "text"),
         doc.column("village", "村", "Village", "text"),
         doc.column("date", "结束日期", "Ended on", "date"),
         coded("outcome", "结局", "Outcome", OUTCOMES),
         coded("reason", "原因", "Reason", REASONS),
         doc.column("reason_other", "其他原因", "Other reason", "text"),
         doc.column("weeks", "孕周", "Weeks", "weeks"),
         coded("weeks_14plus", "14周及以上", "14 weeks or more", YES_NO),
         doc.column("approval_no", "审批号", "Approval number", "text"),
         coded("approval_missing", f"缺审批号（{APPROVAL_WEEKS}周及以上终止）",
               f"Approval missing (termination at {APPROVAL_WEEKS}+ weeks)", YES_NO),
         doc.column("facility", "机构", "Facility", "text"),
         doc.column("instance_id", "提交编号", "Submission", "text")], out)


def _newborn_deaths(session, project_id, month, area_ids):
    return session.execute(
        select(E.c.id, E.c.occurred_on, E.c.area_id, E.c.person, E.c.other_person, E.c.details,
               Submission.instance_id)
        .join(Submission, Submission.id == E.c.submission_id)
        .where(events(project_id, "newborn_death", area_ids, month.first, month.last),
               detail("place") == "outside_hospital")
        .order_by(E.c.occurred_on, E.c.id)).all()


def newborn_deaths_outside_hospital(session, project_id, month, area_ids, places=None):
    rows = _newborn_deaths(session, project_id, month, area_ids)
    register = people(session, project_id,
                      [r.person for r in rows] + [r.other_person for r in rows])
    places = places or villages(session, project_id)
    out = []
    for n, r in enumerate(rows, 1):
        d = r.details or {}
        name = _name(register, r.person)
        out.append(doc.row(f"e{r.id}", name, name, {
            "no": n, "child": name, "mother": _name(register, r.other_person),
            "village": _village(places, r.area_id),
            "date": r.occurred_on.isoformat() if r.occurred_on else None,
            "age_days": d.get("age_days"), "cause": d.get("cause") or "",
            "checked": _text(YES_NO, "yes" if d.get("checked") == "yes" else "no"),
            "instance_id": r.instance_id}, unit="text"))
    return doc.table(
        "newborn_deaths_outside_hospital", "院外新生儿死亡名单", "Newborn deaths outside hospital",
        [doc.column("no", "序号", "No.", "count"), doc.column("child", "婴儿", "Child", "text"),
         doc.column("mother", "母亲", "Mother", "text"),
         doc.column("village", "村", "Village", "text"),
         doc.column("date", "死亡日期", "Died on", "date"),
         doc.column("age_days", "日龄", "Age (days)", "count"),
         doc.column("cause", "死因", "Cause", "text"),
         coded("checked", "已核查", "Checked", YES_NO),
         doc.column("instance_id", "提交编号", "Submission", "text")], out)


def _overdue_where(project_id, month, area_ids):
    """Reported pregnancies (reported by month end) whose LMP + 308 days is on or before the
    month's last day and that have no pregnancy_ended dated on or before it."""
    latest_lmp = (month.last - dt.timedelta(days=EDD_DAYS + OVERDUE_DAYS)).isoformat()
    ended = E.alias("ended")
    lmp = detail("lmp")
    return [events(project_id, "pregnancy_reported", area_ids, None, month.last),
            lmp != "", lmp <= latest_lmp, E.c.pregnancy.is_not(None),
            ~exists().where(ended.c.pregnancy == E.c.pregnancy,
                            of_kind(ended, project_id, "pregnancy_ended"),
                            ended.c.occurred_on <= month.last)]


def _overdue(session, project_id, month, area_ids):
    lmp = detail("lmp")
    return session.execute(
        select(E.c.id, E.c.occurred_on, E.c.area_id, E.c.person, E.c.pregnancy, lmp.label("lmp"),
               detail("reported_by").label("reported_by"), Submission.instance_id)
        .join(Submission, Submission.id == E.c.submission_id)
        .where(*_overdue_where(project_id, month, area_ids))
        .order_by(lmp, E.c.id)).all()


def overdue_pregnancies(session, project_id, month, area_ids, places=None):
    rows = _overdue(session, project_id, month, area_ids)
    register = people(session, project_id, [r.person for r in rows])
    places = places or villages(session, project_id)
    out = []
    for n, r in enumerate(rows, 1):
        lmp = parse_date(r.lmp)
        edd = lmp + dt.timedelta(days=EDD_DAYS) if lmp else None
        name = _name(register, r.person)
        out.append(doc.row(f"e{r.id}", name, name, {
            "no": n, "woman": name, "village": _village(places, r.area_id),
            "reported_on": r.occurred_on.isoformat() if r.occurred_on else None,
            "reported_by": r.reported_by or "", "lmp": r.lmp,
            "edd": edd.isoformat() if edd else None,
            "days_past_edd": (month.last - edd).days if edd else None,
            "instance_id": r.instance_id}, unit="text"))
    return doc.table(
        "overdue_pregnancies", "孕情去向不明名单（预产期超过4周无结局）",
        "Overdue pregnancies (4 weeks past the expected date, no outcome)",
        [doc.column("no", "序号", "No.", "count"), doc.column("woman", "姓名", "Woman", "text"),
         doc.column("village", "村", "Village", "text"),
         doc.column("reported_on", "报告日期", "Reported on", "date"),
         doc.column("reported_by", "报告人", "Reported by", "text"),
         doc.column("lmp", "末次月经", "LMP", "date"),
         doc.column("edd", "预产期", "Expected delivery", "date"),
         doc.column("days_past_edd", "超过预产期天数", "Days past the expected date", "count"),
         doc.column("instance_id", "提交编号", "Submission", "text")], out,
        note={"zh": "按月末计：末次月经+280天为预产期，再过28天仍无结局者列入。",
              "en": "At the month's end: expected date = LMP + 280 days; listed when 28 more "
                    "days have passed with no outcome."})


def checked_in_round(project_id, month, person_column):
    """EXISTS a three_checks event of the month's round, dated from the round's start to the
    month's end, for the person in `person_column` (any village)."""
    round_id, start, _ = round_of(month)
    c = E.alias("checked")
    return exists().where(c.c.person == person_column,
                          of_kind(c, project_id, "three_checks"), c.c.occurred_on >= start,
                          c.c.occurred_on <= month.last,
                          c.c.tag == round_id)


def _due_not_done(session, project_id, month, area_ids):
    """Married women aged 15–49 at the round's start on the register now (not deleted, not
    deceased, not moved out), in the areas, with no three_checks event in the round."""
    dataset = people_dataset(session, project_id)
    if dataset is None:
        return []
    _, start, _ = round_of(month)
    # born after start - 50 years and on or before start - 15 years (ISO text compares as dates)
    oldest = dt.date(start.year - 50, start.month, start.day).isoformat()
    youngest = dt.date(start.year - 15, start.month, start.day).isoformat()
    data = P.c.data
    dob = data["dob"].as_string()
    conds = [P.c.dataset_id == dataset, P.c.deleted_at.is_(None),
             data["sex"].as_string() == "female",
             data["marital_status"].as_string().in_(MARRIED),
             dob > oldest, dob <= youngest,
             func.coalesce(data["deceased"].as_string(), "") != "yes",
             func.coalesce(data["residence_status"].as_string(), "") != "moved_out",
             ~checked_in_round(project_id, month, P.c.uuid)]
    scope = in_scope(P.c.area_id, area_ids)
    if scope is not None:
        conds.append(scope)
    return session.execute(select(P.c.id, P.c.uuid, P.c.area_id, P.c.data).where(*conds)
                           .order_by(P.c.area_id, P.c.id)).all()


def three_checks_due_not_done(session, project_id, month, area_ids, places=None):
    round_id, start, _ = round_of(month)
    places = places or villages(session, project_id)
    out = []
    for n, r in enumerate(_due_not_done(session, project_id, month, area_ids), 1):
        d = r.data or {}
        name = d.get("full_name") or ""
        out.append(doc.row(f"p{r.id}", name, name, {
            "no": n, "woman": name, "village": _village(places, r.area_id),
            "age": age_on(parse_date(d.get("dob")), month.last),
            "last_checks_date": d.get("last_checks_date") or ""}, unit="text"))
    return doc.table(
        "three_checks_due_not_done", f"本轮（{round_id}）应查未查名单",
        f"Due for the three checks this round ({round_id}), not yet checked",
        [doc.column("no", "序号", "No.", "count"), doc.column("woman", "姓名", "Woman", "text"),
         doc.column("village", "村", "Village", "text"),
         doc.column("age", "年龄（月末）", "Age (month end)", "count"),
         doc.column("last_checks_date", "上次三查", "Last checked", "date")], out,
        note={"zh": f"登记册现有、{start.isoformat()}时15–49岁的已婚妇女（不含死亡、迁出），本轮至月末无三查记录。",
              "en": f"Married women on the register now, aged 15–49 on {start.isoformat()} "
                    "(not deceased, not moved out), with no three checks this round by "
                    "the month's end."})


def _planning_without_check(session, project_id, month, area_ids):
    """Women with a pregnancy_planned event from 1 January to the month's end (in the areas)
    and no prepregnancy_check of theirs in that time (any village): the latest plan of each."""
    start = dt.date(month.year, 1, 1)
    c = E.alias("check")
    checked = exists().where(c.c.person == E.c.person,
                             of_kind(c, project_id, "prepregnancy_check"),
                             c.c.occurred_on >= start,
                             c.c.occurred_on <= month.last)
    return session.execute(
        select(E.c.id, E.c.occurred_on, E.c.area_id, E.c.person,
               detail("planned_from").label("planned_from"), Submission.instance_id)
        .join(Submission, Submission.id == E.c.submission_id)
        .where(events(project_id, "pregnancy_planned", area_ids, start, month.last),
               E.c.person.is_not(None), ~checked)
        .order_by(E.c.person, E.c.occurred_on.desc(), E.c.id.desc())).all()


def planning_without_check(session, project_id, month, area_ids, places=None):
    latest = {}
    for r in _planning_without_check(session, project_id, month, area_ids):
        latest.setdefault(r.person, r)
    rows = sorted(latest.values(), key=lambda r: (r.occurred_on, r.id))
    register = people(session, project_id, [r.person for r in rows])
    places = places or villages(session, project_id)
    out = []
    for n, r in enumerate(rows, 1):
        name = _name(register, r.person)
        out.append(doc.row(f"e{r.id}", name, name, {
            "no": n, "woman": name, "village": _village(places, r.area_id),
            "planned_on": r.occurred_on.isoformat() if r.occurred_on else None,
            "planned_from": r.planned_from or "", "instance_id": r.instance_id}, unit="text"))
    return doc.table(
        "planning_without_check", "计划怀孕未做孕前检查名单",
        "Planning a pregnancy without a pre-pregnancy check-up",
        [doc.column("no", "序号", "No.", "count"), doc.column("woman", "姓名", "Woman", "text"),
         doc.column("village", "村", "Village", "text"),
         doc.column("planned_on", "登记日期", "Recorded on", "date"),
         doc.column("planned_from", "计划怀孕时间", "Planning from", "text"),
         doc.column("instance_id", "提交编号", "Submission", "text")], out)


def tables(session, project_id, month, area_ids):
    """The lists (app.reports.document.table) of `month` over `area_ids`, in the order the
    report prints them; for the town (None), `by_village` instead: the name lists belong to
    the village reports (REPORTS.md §2.3), the town's report counts them by village (§2.4)."""
    places = villages(session, project_id)
    if area_ids is None:
        return [by_village(session, project_id, month, places)]
    return [f(session, project_id, month, area_ids, places) for f in (
        pregnancies_ended, newborn_deaths_outside_hospital, overdue_pregnancies,
        three_checks_due_not_done, planning_without_check)]


#: the name lists the town report counts by village: (id, zh, en)
COUNTED = (("pregnancies_ended", "孕情结束", "Pregnancies ended"),
           ("newborn_deaths_outside_hospital", "院外新生儿死亡", "Newborn deaths outside hospital"),
           ("overdue_pregnancies", "孕情去向不明", "Overdue pregnancies"),
           ("planning_without_check", "计划怀孕未做孕前检查", "Planning without a check-up"))


def _counts_by_area(session, project_id, month):
    """{list id: {area id (None: no village): rows of that village's list}} of the town."""
    def grouped(query, area):
        return {a: int(n) for a, n in session.execute(query.group_by(area))}
    count = select(E.c.area_id, func.count())
    out = {
        "pregnancies_ended": grouped(count.where(
            events(project_id, "pregnancy_ended", None, month.first, month.last)), E.c.area_id),
        "newborn_deaths_outside_hospital": grouped(count.where(
            events(project_id, "newborn_death", None, month.first, month.last),
            detail("place") == "outside_hospital"), E.c.area_id),
        "overdue_pregnancies": grouped(count.where(
            *_overdue_where(project_id, month, None)), E.c.area_id)}
    # a village's list names each woman once (her latest plan there); the year's plans and
    # check-ups are read from the index by kind and date (it holds the person) and matched
    # here, quicker than a lookup per woman once they are thousands
    start = dt.date(month.year, 1, 1)
    checked = {p for (p,) in session.execute(select(E.c.person).distinct().where(
        events(project_id, "prepregnancy_check", None, start, month.last)))}
    planning = {}
    for area_id, person in session.execute(select(E.c.area_id, E.c.person).distinct().where(
            events(project_id, "pregnancy_planned", None, start, month.last),
            E.c.person.is_not(None))):
        if person not in checked:
            planning[area_id] = planning.get(area_id, 0) + 1
    out["planning_without_check"] = planning
    return out


def by_village(session, project_id, month, places=None):
    """分村名单汇总: for each village (and records with no village, when there are any) how
    many rows its report's name lists hold, and the town's total of each."""
    places = places or villages(session, project_id)
    counts = _counts_by_area(session, project_id, month)
    columns = [doc.column("village", "村", "Village", "text")] + [
        doc.column(id, zh, en, "count") for id, zh, en in COUNTED]

    def values(area_id, name):
        return {"village": name, **{id: counts[id].get(area_id, 0) for id, _zh, _en in COUNTED}}
    rows = [doc.row(places[a][0], places[a][1], places[a][2], values(a, places[a][1]))
            for a in sorted(places, key=lambda a: places[a][0])]
    if any(counts[id].get(None) for id, _zh, _en in COUNTED):
        rows.append(doc.row("0", "未分村", "No village", values(None, "未分村")))
    rows.append(doc.row("total", "合计", "Town total", {
        "village": "合计", **{id: sum(counts[id].values()) for id, _zh, _en in COUNTED}}))
    return doc.table(
        "lists_by_village", "分村名单汇总", "Lists by village", columns, rows,
        note={"zh": "名单（含三查应查未查名单）见各村月报。",
              "en": "The names, and the women due for the three checks and not yet checked, "
                    "are listed in each village's report."})


# --- alerts ----------------------------------------------------------------------------------

ALERTS = {
    "approval_missing": ("终止妊娠缺审批号", "Terminations missing an approval number"),
    "loss_without_reason": ("孕情消失未填原因", "Pregnancy losses without a reason"),
    "newborn_death_unchecked": ("院外新生儿死亡未核查",
                                "Newborn deaths outside hospital not checked"),
    "overdue_pregnancies": ("孕情去向不明", "Overdue pregnancies (no outcome)"),
}


def alerts(session, project_id, month, area_ids):
    """[{id, zh, en, village, count}]: one per alert and village (its code; None for events
    with no village) with a count above zero, in ALERTS' order then the village's."""
    places = villages(session, project_id)
    counts = {}

    def bump(alert, area_id):
        key = (alert, area_id)
        counts[key] = counts.get(key, 0) + 1

    for r in _ended(session, project_id, month, area_ids):
        d = r.details or {}
        if needs_approval(d) and not d.get("approval_no"):
            bump("approval_missing", r.area_id)
        if _loss_without_reason(d):
            bump("loss_without_reason", r.area_id)
    for r in _newborn_deaths(session, project_id, month, area_ids):
        if (r.details or {}).get("checked") != "yes":
            bump("newborn_death_unchecked", r.area_id)
    for area_id, n in session.execute(select(E.c.area_id, func.count()).where(
            *_overdue_where(project_id, month, area_ids)).group_by(E.c.area_id)):
        counts[("overdue_pregnancies", area_id)] = n
    order = list(ALERTS)
    out = []
    for (alert, area_id), n in sorted(counts.items(), key=lambda kv: (
            order.index(kv[0][0]), places.get(kv[0][1], ("",))[0])):
        zh, en = ALERTS[alert]
        out.append({"id": alert, "zh": zh, "en": en,
                    "village": places[area_id][0] if area_id in places else None, "count": n})
    return out
