"""The reports' entry points for the JSON API, the HTML views and the CLI: who may see or lock
which report, the lock applied (a locked month is the stored document, with what changed since
as amendments), the late records of earlier locked months, section J (statistics quality), and
the audit row of every view, download, lock and unlock in the caller's transaction (nothing is
committed here). The figures themselves come from app.reports.build.

Scope: a village's staff see and lock only their villages' reports, town staff (a user with
every village) all of them and the town's; a phone (app user) none. Supervisors and admins
lock; only admins unlock, with a reason. The CLI passes actor=None: the server's operator.
"""
import copy

from sqlalchemy import func, or_, select, text

from app.audit import verify as audit_chains
from app.audit.record import record
from app.db.columns import isoformat, utcnow
from app.forms.models import Form
from app.problems import Problem
from app.projects.models import Area, Project
from app.reports import build as _build
from app.reports import document, figures, locks, targets
from app.reports.periods import Month
from app.submissions.models import Submission

TOWN = 0
#: how the audit log and a lock name the CLI's operator
SYSTEM = "system"
#: review states of a submission that waits for a supervisor (None: received, not reviewed)
WAITING = (None, "hasIssues")


def invalid(field, zh, en, where="query"):
    """A 400 whose message names the field in both languages (the JSON API's 400.79)."""
    return Problem("400.79", {"summary": f"{where} {field}: {zh} / {en}", "fields": field,
                              where: {field: [f"{zh} / {en}"]}})


def month_of(value):
    """A periods.Month from a Month or 'YYYY-MM', else a 400 Problem."""
    if isinstance(value, Month):
        return value
    try:
        return Month.parse(value if isinstance(value, str) else "")
    except ValueError:
        raise invalid("month", f"不是有效的年月（YYYY-MM）：{value!r}",
                      f"not a month (YYYY-MM): {value!r}") from None


#: the largest project id there can be (PostgreSQL's integer); a larger one is simply unknown
MAX_PROJECT_ID = 2 ** 31 - 1


def project_exists(session, project_id):
    """Nothing of an unknown project: 404.1 (an id past the database's integer range is
    unknown too, checked before it reaches a query, where it would fail on PostgreSQL)."""
    if isinstance(project_id, bool) or not isinstance(project_id, int) \
            or not 1 <= project_id <= MAX_PROJECT_ID \
            or session.get(Project, project_id) is None:
        raise Problem("404.1")


def area_named(session, project_id, village_code):
    """The village (Area) with this code, None for the town (no code), or 404.81."""
    if village_code in (None, ""):
        return None
    found = session.scalar(select(Area).where(Area.project_id == project_id,
                                              Area.code == village_code))
    if found is None:
        raise Problem("404.81", {"village": village_code})
    return found


def _who(actor):
    return f"{actor.kind}:{actor.id}" if actor is not None else SYSTEM


def _covers(actor, area):
    """Whether the actor's villages include this report's (the town's needs every village)."""
    if actor.area_ids is None:
        return True
    return area is not None and area.id in actor.area_ids


def check_read(actor, project_id, area):
    if actor is None:
        return
    if actor.kind != "user" or not actor.in_project(project_id) or not _covers(actor, area):
        raise Problem("403.2")


def check_lock(actor, project_id, area):
    check_read(actor, project_id, area)
    if actor is not None and actor.role not in ("admin", "supervisor"):
        raise Problem("403.2")


def check_unlock(actor, project_id, area):
    check_read(actor, project_id, area)
    if actor is not None and actor.role != "admin":
        raise Problem("403.2")


def _area_ids(area):
    return None if area is None else [area.id]


def _area_id(area):
    return TOWN if area is None else area.id


def _villages(session, project_id):
    return dict(session.execute(select(Area.id, Area.code)
                                .where(Area.project_id == project_id)).all())


def _village_json(area):
    return {"code": area.code, "zh": area.name_zh or area.code, "en": area.name_en or area.code}


def _target(month, area):
    return f"report:{month}:{area.code if area is not None else 'town'}"


def _area_label(area):
    return area.code if area is not None else "town / 全镇"


# What changed since a lock ------------------------------------------------------------------

def amendments(session, project_id, lock, area):
    """(amendment lines, changes) of a locked month: its rows now against those it counted."""
    month = Month.parse(lock.month)
    counted = lock.document.get(locks.ROWS_KEY, [])
    current = locks.month_rows(session, project_id, month, _area_ids(area))
    found = locks.changes(counted, current)
    removed = [s for change, s, _old, _new in found if change == "removed"]
    return (locks.lines(found, _villages(session, project_id),
                        locks.submissions_changed_at(session, removed),
                        locked=counted, current=current), found)


#: how far back a report looks for late records: locks of the last 24 months (a record about
#: a month two years gone is a register correction, not a late statistic), so that a view
#: reads a bounded number of months however many have been locked
HORIZON = 24


def _baseline(lock, before):
    """(rows, ids) of a locked month as the reports have shown it so far: the rows its lock
    counted, or, when a later lock's report showed late records about it (and was locked
    after this month's own lock), the month's rows as that later lock saw them."""
    rows, at = lock.document.get(locks.ROWS_KEY, []), lock.locked_at
    for later in before:
        seen = (later.document or {}).get(locks.LATE_KEY, {})
        if later.month > lock.month and later.locked_at > at and lock.month in seen:
            rows, at = seen[lock.month], later.locked_at
    return rows


def late_records(session, project_id, month, area):
    """(lines, late events, corrected events, {earlier month: its rows now}) about locked
    months before `month` (those of the last HORIZON months): what changed in each since the
    reports last showed it (its lock, or a later lock whose report showed its late records).

    Judged by content, never by a time: a rewrite of unchanged events (a review decision's
    resync, `register rebuild`) gives new ids and created_at but no change, and each month
    has its own baseline, so relocking an older month hides nothing of another's. The rows
    returned become the baselines a lock of `month` keeps (locks.LATE_KEY)."""
    before = locks.active_before(session, project_id, month, _area_id(area),
                                 since=month.plus(-HORIZON))
    out, late, corrected, seen = [], 0, 0, {}
    villages = None
    for lock in before:
        earlier = Month.parse(lock.month)
        baseline = _baseline(lock, before)
        if locks.month_ids(session, project_id, earlier, _area_ids(area)) == {
                r["id"] for r in baseline}:
            continue            # the same rows as last shown: nothing changed
        current = locks.month_rows(session, project_id, earlier, _area_ids(area))
        found = locks.changes(baseline, current)
        if not found:
            continue            # rewritten under new ids, alike in content
        seen[lock.month] = current
        villages = villages if villages is not None else _villages(session, project_id)
        changed_at = locks.submissions_changed_at(
            session, [s for change, s, _old, _new in found if change == "removed"])
        n_late, n_corrected = locks.events_changed(found)
        late, corrected = late + n_late, corrected + n_corrected
        out.extend(locks.lines(found, villages, changed_at, locked=baseline, current=current))
    return out, late, corrected, seen


def pending_review(session, project_id, area):
    """Submissions of the village (or town) that wait for a supervisor at the time the report
    is made (a locked report keeps the count of its lock): held out of the register, review
    state received or hasIssues. A held submission has no events yet, so no date of its own
    to put it in a month: each may still change any open month's figures. Counted in SQL."""
    query = (select(func.count(Submission.id)).join(Form, Form.id == Submission.form_id)
             .where(Form.project_id == project_id,
                    # written as the partial index ix_submissions_held is (SQLAlchemy
                    # writes `in_register = 0` on SQLite), so both databases use it
                    text("NOT submissions.in_register AND submissions.deleted_at IS NULL"),
                    or_(Submission.review_state.is_(None),
                        Submission.review_state.in_([w for w in WAITING if w]))))
    if area is not None:
        query = query.where(Submission.area_id == area.id)
    return session.scalar(query) or 0


def quality_section(late, corrected, pending, measured=None):
    """Section J: statistics quality at the time the report is made (or locked). `measured`:
    the month's reconciliation figures (app.quality.outside.figures), None when none covers
    it: the accuracy is then "not measured"."""
    values = lambda n: {"month": n}   # noqa: E731 - one column
    m = measured or {}
    if measured:
        note = {"zh": f"统计准确率 = 已登记的医院出生数 ÷ 医院出生数（{m['matched']}/{m['outside']}）；"
                      f"漏报 {m['omitted']} 例，登记有而医院名单无 {m['extra']} 例（可能在家或外地分娩）。"
                      "个案准确率 = 各项一致的 ÷（医院出生数 + 多出的登记）；求实率 = 1 − |医院数 − 登记数| ÷ 医院数。",
                "en": f"Statistics accuracy = hospital births found in the register ÷ hospital "
                      f"births ({m['matched']}/{m['outside']}); {m['omitted']} omitted, "
                      f"{m['extra']} registered births the hospital lacks (home births or other "
                      "hospitals). Case-level = all key fields agreeing ÷ (hospital births + "
                      "extra registered); net = 1 − |hospital − registered| ÷ hospital."}
    else:
        note = {"zh": "统计准确率：未测量（尚未进行核查）。",
                "en": "Statistics accuracy: not measured (no reconciliation has run yet)."}
    return document.table(
        "J", "统计质量", "Statistics quality",
        [document.column("month", "本月", "This month")],
        [document.row("late_records", "补报（已锁定月份的迟报记录）",
                      "Late records (about locked months)", values(late)),
         document.row("corrections", "更正（已锁定月份的记录变更）",
                      "Corrections (to locked months)", values(corrected)),
         document.row("pending_review", "待审核的提交", "Submissions waiting for review",
                      values(pending)),
         document.row("accuracy", "统计准确率", "Statistics accuracy",
                      values(m.get("accuracy")), unit="percent"),
         document.row("accuracy_case_level", "个案准确率", "Case-level accuracy",
                      values(m.get("case_level")), unit="percent"),
         document.row("accuracy_net", "求实率（净）", "Net accuracy (求实率)",
                      values(m.get("net")), unit="percent")],
        note=note)


def _fill_late(doc, lines):
    """The 补报 column of sections A–E: what the late records add to each row, by the row's
    own definition (app.reports.figures.fill_late)."""
    by_cell = {}
    for line in lines:
        by_cell[line["cell"]] = by_cell.get(line["cell"], 0) + line["delta"]
    figures.fill_late(doc, by_cell)


def live(session, project_id, month, area):
    """The report as the events give it now (app.reports.build), with the late records of
    earlier locked months and section J."""
    doc = _build.build(session, project_id, month, _area_ids(area))
    if area is not None and not doc.get("village"):
        doc["village"] = _village_json(area)
    lines, late, corrected, seen = late_records(session, project_id, month, area)
    doc["late_records"] = lines
    doc[locks.LATE_KEY] = seen          # kept by a lock, stripped before anyone sees it
    doc.setdefault("amendments", [])
    _fill_late(doc, lines)
    measured = next((i["basis"].get("figures") for i in doc.get("indicators", [])
                     if i["id"] == "statistics_accuracy" and i.get("basis")), None)
    section = quality_section(late, corrected, pending_review(session, project_id, area),
                              measured)
    doc["sections"] = [s for s in doc.get("sections", []) if s["id"] != "J"] + [section]
    doc["audit"] = audit_head(session, project_id)
    return doc


def audit_head(session, project_id):
    """The project's audit chain head as the report's foot prints it for the meeting's
    minutes (docs/audit.md): a lock stores it with the document, so a locked month keeps the
    head it was locked at."""
    head = audit_chains.head(session, project_id)
    return {"hash": head.hash, "length": head.length, "taken_at": isoformat(utcnow())}


def _lock_json(lock):
    return {"state": "locked", "version": lock.version, "locked_at": isoformat(lock.locked_at),
            "locked_by": lock.locked_by}


def locked_document(session, project_id, lock, area):
    """A locked month as it was locked, with the amendments since."""
    doc = copy.deepcopy({k: v for k, v in lock.document.items() if k not in locks.HIDDEN})
    doc["lock"] = _lock_json(lock)
    doc["amendments"] = amendments(session, project_id, lock, area)[0]
    return doc


# Entry points -------------------------------------------------------------------------------

def report(session, project_id, month, village_code, actor, lang="zh", action="report.view"):
    """The report of `month` (Month or 'YYYY-MM') for a village (its code) or the town (None):
    the stored document with its amendments when the month is locked, else the live one.
    Audited as `action` (report.view, or report.download for a file), in the same
    transaction: read_report() then audit_report()."""
    doc, seen = read_report(session, project_id, month, village_code, actor)
    audit_report(session, actor, seen, lang, action)
    return doc


def read_report(session, project_id, month, village_code, actor):
    """(the document report() gives, what audit_report() records of it): reads only, so that
    a caller may build it in a read-only transaction (app.db.transactions.begin_reads: no SQLite
    write lock while the report is built) and write the audit row after, in a short one."""
    project_exists(session, project_id)
    month = month_of(month)
    area = area_named(session, project_id, village_code)
    check_read(actor, project_id, area)
    lock = locks.active(session, project_id, month, _area_id(area))
    doc = (locked_document(session, project_id, lock, area) if lock is not None
           else live(session, project_id, month, area))
    doc.pop(locks.LATE_KEY, None)
    return doc, {"target": _target(month, area), "project_id": project_id,
                 "month": str(month), "village": village_code or None,
                 "version": lock.version if lock is not None else None}


def audit_report(session, actor, seen, lang="zh", action="report.view"):
    """The audit row of a report read_report() gave (not committed here)."""
    record(session, actor, action, seen["target"], project_id=seen["project_id"],
           month=seen["month"], village=seen["village"], lang=lang, version=seen["version"])


def lock(session, project_id, month, village_code, actor):
    """Lock a month's report for a village or the town: store the document and the rows it
    counted (the next version after any ended lock). 409.81 when it is locked already."""
    project_exists(session, project_id)
    month = month_of(month)
    area = area_named(session, project_id, village_code)
    check_lock(actor, project_id, area)
    # one locker at a time per town (PostgreSQL; SQLite writers are one at a time anyway)
    session.scalar(select(Project.id).where(Project.id == project_id).with_for_update())
    found = locks.active(session, project_id, month, _area_id(area))
    if found is not None:
        raise Problem("409.81", {"month": str(month), "area": _area_label(area),
                                 "version": found.version})
    rows = locks.month_rows(session, project_id, month, _area_ids(area))
    doc = live(session, project_id, month, area)
    now = utcnow()
    version = locks.next_version(session, project_id, month, _area_id(area))
    doc["lock"] = {"state": "locked", "version": version, "locked_at": isoformat(now),
                   "locked_by": _who(actor)}
    doc["amendments"] = []
    locks.store(session, project_id, month, _area_id(area), doc, rows, _who(actor), now)
    doc.pop(locks.LATE_KEY, None)
    record(session, actor, "report.lock", _target(month, area), project_id=project_id,
           month=str(month), village=village_code or None, version=version, events=len(rows))
    return doc


def unlock(session, project_id, month, village_code, actor, reason):
    """End the lock of a month (an admin, with a reason); 409.82 when it is not locked."""
    project_exists(session, project_id)
    month = month_of(month)
    area = area_named(session, project_id, village_code)
    check_unlock(actor, project_id, area)
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise invalid("reason", "解锁须说明原因", "an unlock needs a reason", "body")
    found = locks.active(session, project_id, month, _area_id(area))
    if found is None:
        raise Problem("409.82", {"month": str(month), "area": _area_label(area)})
    locks.end(found, _who(actor), reason)
    record(session, actor, "report.unlock", _target(month, area), project_id=project_id,
           month=str(month), village=village_code or None, version=found.version,
           reason=reason)
    return found


# Targets ------------------------------------------------------------------------------------

def _year(year):
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 9999:
        raise invalid("year", f"不是有效的年份：{year!r}", f"not a year: {year!r}", "path")
    return year


def show_targets(session, project_id, year, village_code, actor):
    """The year's targets for the town or a village, as targets.describe() gives them."""
    project_exists(session, project_id)
    area = area_named(session, project_id, village_code)
    check_read(actor, project_id, area)
    return {"project_id": project_id, "year": _year(year),
            "village": area.code if area is not None else None,
            "targets": targets.describe(session, project_id, year, _area_id(area))}


def set_targets(session, project_id, year, values, village_code, actor):
    """Set (None: clear) targets of a year for the town or a village: who may lock its
    reports may set them; audited (report.targets.set)."""
    project_exists(session, project_id)
    area = area_named(session, project_id, village_code)
    check_lock(actor, project_id, area)
    _year(year)
    for indicator, value in values.items():
        found = targets.problem(indicator, value)
        if found:
            raise invalid(f"targets.{indicator}", *found, "body")
    targets.set_targets(session, project_id, year, values, _area_id(area), actor)
    return show_targets(session, project_id, year, village_code, actor)
