"""The name lists and alerts (app.reports.lists) on the November 2026 scenario of
tests/reports/test_lists_submit.py, each row worked out by hand there."""
from sqlalchemy import select

from app.projects.models import Area
from app.reports import lists
from app.reports.periods import Month
from tests.reports.test_lists_submit import november, send  # noqa: F401 - fixtures
from tests.samples.register import CHEN_HONG, HE_JING, ZHANG_LI

NOV = Month(2026, 11)
LIST_IDS = ["pregnancies_ended", "newborn_deaths_outside_hospital", "overdue_pregnancies",
            "three_checks_due_not_done", "planning_without_check"]


def table(db, areas, list_id, month=NOV):
    """A list of the villages `areas`; None: the same list over the whole town (the town's
    report counts the lists by village instead, `test_the_town_report_counts_each_list`)."""
    if areas is None:
        return getattr(lists, list_id)(db.session, 1, month, None)
    [found] = [t for t in lists.tables(db.session, 1, month, areas) if t["id"] == list_id]
    return found


def test_the_town_report_counts_each_list_by_village_and_names_nobody(november, db):
    [town] = lists.tables(db.session, 1, NOV, None)
    assert town["id"] == "lists_by_village"
    counted = [c["id"] for c in town["columns"][1:]]
    assert counted == [id for id in LIST_IDS if id != "three_checks_due_not_done"]
    rows = {r["id"]: r["values"] for r in town["rows"]}
    codes = [r["id"] for r in town["rows"][:-1]]
    ids = dict(db.session.execute(select(Area.code, Area.id)).all())
    assert codes == sorted(ids) and len(codes) > 2          # every village, by code
    seen = 0
    for code in codes:
        area = ids[code]
        for list_id in counted:
            want = len(table(db, [area], list_id)["rows"])
            assert rows[code][list_id] == want, (code, list_id)
            seen += want
        assert rows[code]["village"]
    assert seen > 5
    # the total adds the villages' rows up (a woman planning in two villages is in each)
    for list_id in counted:
        assert rows["total"][list_id] == sum(rows[c][list_id] for c in codes)
    # the counts are numbers; the names stay in the villages' reports
    assert "刘梅" not in repr(town) and "刘梅" in repr(table(db, None, "pregnancies_ended"))


def values(t, *columns):
    return [tuple(r["values"][c] for c in columns) for r in t["rows"]]


def test_the_lists_in_order_with_both_languages(november, db):
    found = lists.tables(db.session, 1, NOV, [november["dongwan"]])
    assert [t["id"] for t in found] == LIST_IDS
    for t in found:
        assert t["zh"] and t["en"] and all(c["zh"] and c["en"] for c in t["columns"])


def test_pregnancies_ended_in_the_month(november, db):
    t = table(db, [november["dongwan"]], "pregnancies_ended")
    assert values(t, "no", "woman", "village", "date", "outcome", "reason", "weeks",
                  "weeks_14plus", "approval_no", "approval_missing", "facility",
                  "instance_id") == [
        (1, "刘梅", "东湾村", "2026-11-03", "live_birth", "", 35, "yes", "", "no", "县人民医院",
         november["birth"]),
        (2, "孙敏", "东湾村", "2026-11-10", "medical_termination", "fetal_anomaly", 18, "yes",
         "DW-2026-031", "no", "县人民医院", november["termination_approved"]),
        (3, "刘梅", "东湾村", "2026-11-12", "medical_termination", "other", 18, "yes", "", "yes",
         "城关私立诊所", november["termination_without_approval"]),
        (4, "刘梅", "东湾村", "2026-11-19", "miscarriage", "", 8, "no", "", "no", "",
         november["loss_without_reason"])]
    assert t["rows"][2]["values"]["reason_other"] == "家庭经济困难"
    assert all(r["id"].startswith("e") for r in t["rows"])
    # the codes' labels are on the column, for the faces to print
    outcome = next(c for c in t["columns"] if c["id"] == "outcome")
    assert outcome["labels"]["medical_termination"] == {"zh": "中期引产",
                                                        "en": "Medical termination"}
    # no ID number anywhere in a list
    assert "610425" not in repr(lists.tables(db.session, 1, NOV, None))
    assert table(db, [november["xishan"]], "pregnancies_ended")["rows"] == []
    assert len(table(db, None, "pregnancies_ended")["rows"]) == 4
    october = table(db, [november["dongwan"]], "pregnancies_ended", Month(2026, 10))
    assert values(october, "date", "instance_id") == [("2026-10-28", november["birth_october"])]


def test_newborn_deaths_outside_hospital_with_checked(november, db):
    t = table(db, [november["dongwan"]], "newborn_deaths_outside_hospital")
    assert values(t, "child", "mother", "date", "age_days", "cause", "checked",
                  "instance_id") == [
        ("刘大宝", "刘梅", "2026-11-02", 5, "新生儿肺炎", "no", november["birth_october"]),
        ("刘大宝", "刘梅", "2026-11-10", 7, "新生儿肺炎", "yes", november["birth"])]


def test_overdue_pregnancies(november, db):
    t = table(db, [november["dongwan"]], "overdue_pregnancies")
    # LMP + 308 days on or before 30 Nov with no outcome by then: He Jing's ends 1 Dec;
    # Sun Min's ended in August; Liu Mei's LMP 27 Jan is a day short
    assert values(t, "woman", "lmp", "edd", "days_past_edd", "reported_on", "instance_id") == [
        ("何静", "2025-12-05", "2026-09-11", 80, "2026-02-02", november[f"report_{HE_JING}"]),
        ("陈红", "2026-01-20", "2026-10-27", 34, "2026-03-01", november[f"report_{CHEN_HONG}"]),
        ("张丽", "2026-01-26", "2026-11-02", 28, "2026-03-05", november[f"report_{ZHANG_LI}"])]
    # at the end of December He Jing's has ended, Liu Mei's is overdue
    december = table(db, [november["dongwan"]], "overdue_pregnancies", Month(2026, 12))
    assert [r["values"]["woman"] for r in december["rows"]] == ["陈红", "张丽", "刘梅"]
    # at the end of October only He Jing's (LMP on or before 27 Dec 2025)
    october = table(db, [november["dongwan"]], "overdue_pregnancies", Month(2026, 10))
    assert [r["values"]["woman"] for r in october["rows"]] == ["何静"]


def test_three_checks_due_not_done(november, db):
    t = table(db, [november["dongwan"]], "three_checks_due_not_done")
    # married women of dongwan 15–49 on 1 July: Zhang Li and Chen Hong were checked (and Chen
    # Hong moved out), Li Xiuying is 54, Zhou Fang moved out; Liu Mei's check was in H1;
    # Huang Li moved in on 2 Nov
    assert values(t, "woman", "village", "age", "last_checks_date") == [
        ("孙敏", "东湾村", 26, ""), ("刘梅", "东湾村", 35, ""), ("何静", "东湾村", 30, ""),
        ("黄丽", "东湾村", 29, "")]
    assert all(r["id"].startswith("p") for r in t["rows"])
    assert table(db, [november["xishan"]], "three_checks_due_not_done")["rows"] == []
    assert len(table(db, None, "three_checks_due_not_done")["rows"]) == 4
    # in the first half (at the end of June), Liu Mei was checked (May) and the others not
    june = table(db, [november["dongwan"]], "three_checks_due_not_done", Month(2026, 6))
    assert [r["values"]["woman"] for r in june["rows"]] == ["张丽", "孙敏", "何静", "黄丽"]


def test_planning_without_check(november, db):
    t = table(db, [november["dongwan"]], "planning_without_check")
    assert values(t, "woman", "planned_on", "planned_from", "instance_id") == [
        ("刘梅", "2026-11-05", "2027-03", november["plan_liu_mei"])]
    # at the end of October Zhang Li's plan (19 Nov) is not there yet; Sun Min was checked
    # in September
    assert table(db, [november["dongwan"]], "planning_without_check",
                 Month(2026, 10))["rows"] == []
    # at the end of August Sun Min (plan 10 Feb, check 10 Sep) had not been checked
    august = table(db, [november["dongwan"]], "planning_without_check", Month(2026, 8))
    assert [r["values"]["woman"] for r in august["rows"]] == ["孙敏"]


def test_alerts(november, db):
    expected = [
        {"id": "approval_missing", "zh": "终止妊娠缺审批号",
         "en": "Terminations missing an approval number", "village": "dongwan", "count": 1},
        {"id": "loss_without_reason", "zh": "孕情消失未填原因",
         "en": "Pregnancy losses without a reason", "village": "dongwan", "count": 1},
        {"id": "newborn_death_unchecked", "zh": "院外新生儿死亡未核查",
         "en": "Newborn deaths outside hospital not checked", "village": "dongwan", "count": 1},
        {"id": "overdue_pregnancies", "zh": "孕情去向不明",
         "en": "Overdue pregnancies (no outcome)", "village": "dongwan", "count": 3}]
    assert lists.alerts(db.session, 1, NOV, [november["dongwan"]]) == expected
    assert lists.alerts(db.session, 1, NOV, None) == expected
    assert lists.alerts(db.session, 1, NOV, [november["xishan"]]) == []
