"""Sections F–I (app.reports.coverage) on the November 2026 scenario of
tests/reports/test_lists_submit.py, each figure worked out by hand there, for village dongwan
and for the town."""
from app.reports import coverage, targets
from app.reports.document import find
from app.reports.models import ReportTarget
from app.reports.periods import Month
from tests.reports.test_lists_submit import november, send  # noqa: F401 - fixtures

NOV = Month(2026, 11)


def report(db, areas, month=NOV):
    return {"sections": coverage.sections(db.session, 1, month, areas)}


def test_sections_are_f_g_h_i_with_both_languages(november, db):
    sections = coverage.sections(db.session, 1, NOV, [november["dongwan"]])
    assert [s["id"] for s in sections] == ["F", "G", "H", "I"]
    for s in sections:
        assert s["zh"] and s["en"] and all(r["zh"] and r["en"] for r in s["rows"])


def test_three_checks_of_the_round(november, db):
    d = report(db, [november["dongwan"]])
    f = {r: (find(d, "F", r, "month"), find(d, "F", r, "round")) for r in (
        "due", "done", "three_checks_coverage", "finding_iud", "finding_pregnancy",
        "finding_illness")}
    assert f == {"due": (None, 5),                  # 6 before records, -1 in March
                 # Chen Hong, Zhang Li (twice, first in September); Liu Mei in H1: each woman
                 # once, in the month of her first check of the round
                 "done": (1, 2),
                 "three_checks_coverage": (None, 40.0),     # 2 / 5
                 "finding_iud": (1, 1),             # Zhang Li's IUD expelled
                 "finding_pregnancy": (1, 1),
                 "finding_illness": (1, 2)}         # Chen Hong (Nov), Zhang Li (Sep)
    town = report(db, None)
    assert (find(town, "F", "due", "round"), find(town, "F", "done", "round"),
            find(town, "F", "three_checks_coverage", "round")) == (6, 3, 50.0)  # + Zhao Yan
    xishan = report(db, [november["xishan"]])
    assert (find(xishan, "F", "done", "month"), find(xishan, "F", "done", "round")) == (0, 1)
    # the first half: Liu Mei's check of May, no cells at the end of December 2025 but 6
    h1 = report(db, [november["dongwan"]], Month(2026, 6))
    assert (find(h1, "F", "due", "round"), find(h1, "F", "done", "round"),
            find(h1, "F", "finding_illness", "round")) == (6, 1, 0)


def test_prepregnancy_checks_of_the_year(november, db):
    d = report(db, [november["dongwan"]])
    g = {r: (find(d, "G", r, "month"), find(d, "G", r, "ytd")) for r in (
        "planning", "planning_checked", "prepregnancy_coverage", "checked", "live_births",
        "checked_per_birth")}
    assert g == {"planning": (2, 3),                # Zhang Li, Liu Mei in Nov; Sun Min in Feb
                 "planning_checked": (1, 2),        # Zhang Li, Sun Min (Liu Mei's is of 2025)
                 "prepregnancy_coverage": (50.0, 66.67),
                 "checked": (1, 2),                 # Zhang Li (3 Nov); Sun Min (10 Sep)
                 "live_births": (2, 4),             # twins 3 Nov, twins 28 Oct
                 "checked_per_birth": (50.0, 50.0)}
    xishan = report(db, [november["xishan"]])
    assert find(xishan, "G", "prepregnancy_coverage", "ytd") is None    # no one planning


def test_migrants_certificates_and_double_checks(november, db):
    d = report(db, [november["dongwan"]])
    h = {r: (find(d, "H", r, "month"), find(d, "H", r, "ytd")) for r in (
        "moved_in", "moved_out", "certificate_due", "certificate_held", "certificate_rate",
        "double_check_due", "double_check_received", "double_check_rate")}
    assert h == {
        "moved_in": (2, 2),                 # Huang Li 2 Nov, He Jing back 25 Nov
        "moved_out": (2, 5),                # He Jing, Sun Wei; + Chen Hong, Zhou Fang, Li Xiuying
        "certificate_due": (1, 3),          # He Jing; + Chen Hong, Zhou Fang (not Li Xiuying, 55)
        "certificate_held": (0, 1),         # Chen Hong
        "certificate_rate": (0.0, 33.33),
        "double_check_due": (None, 2),      # Chen Hong, Zhou Fang away; He Jing is back
        "double_check_received": (None, 1),  # Zhou Fang (Oct); Chen Hong's is of June
        "double_check_rate": (None, 50.0)}
    town = report(db, None)
    assert find(town, "H", "double_check_rate", "ytd") == 50.0
    assert find(report(db, [november["xishan"]]), "H", "certificate_rate", "ytd") is None


def test_rewards_paid_against_due(november, db):
    d = report(db, [november["dongwan"]])
    rows = [r["id"] for r in d["sections"][3]["rows"]]
    assert rows == [f"{k}:{b}" for b in ("one_child_parents", "rural_pension")
                    for k in ("paid", "amount", "payees", "due", "rate")] + ["rewards_paid_rate"]
    i = {r: (find(d, "I", r, "month"), find(d, "I", r, "ytd")) for r in rows}
    assert i == {
        "paid:one_child_parents": (1, 1), "amount:one_child_parents": (1200.0, 1200.0),
        "payees:one_child_parents": (None, 1), "due:one_child_parents": (None, None),
        "rate:one_child_parents": (None, None),
        "paid:rural_pension": (1, 3),                       # 18 Nov; 18 Oct, 18 Mar
        "amount:rural_pension": (85.5, 256.5),              # December 2025's is last year
        "payees:rural_pension": (None, 2),                  # Li Xiuying, Wang Jianguo
        "due:rural_pension": (None, None), "rate:rural_pension": (None, None),
        "rewards_paid_rate": (None, None)}                 # no number due is set


def test_rewards_due_is_the_years_target(november, db):
    db.session.add(ReportTarget(project_id=1, year=2026, indicator="rewards_due.rural_pension",
                                area_id=0, value=4))
    db.session.commit()
    due = targets.for_year(db.session, 1, 2026, None).get("rewards_due.rural_pension")
    d = report(db, None)
    # targets.for_year reads the target; with none set there is no rate, "—"
    assert find(d, "I", "due:rural_pension", "ytd") == due
    assert find(d, "I", "rate:rural_pension", "ytd") == (50.0 if due == 4 else None)
    # only rural_pension has a number due: 2 paid of 4
    assert find(d, "I", "rewards_paid_rate", "ytd") == (50.0 if due == 4 else None)


def test_the_double_check_reads_only_moves_out_of_the_last_ten_years(november, db):
    """Section H does not read every move out in history (review item 9): a woman who moved
    out 1 January AWAY_YEARS years before the report's year or later is due; earlier, not."""
    import datetime as dt

    from sqlalchemy import update

    from app.events.models import LifeEvent
    from tests.samples.register import ZHOU_FANG
    assert coverage.AWAY_YEARS == 10

    def due_and_received(day):
        db.session.execute(update(LifeEvent).where(
            LifeEvent.kind == "moved_out", LifeEvent.person == ZHOU_FANG).values(occurred_on=day))
        db.session.flush()
        d = report(db, [november["dongwan"]])
        return (find(d, "H", "double_check_due", "ytd"),
                find(d, "H", "double_check_received", "ytd"))

    assert due_and_received(dt.date(2016, 1, 1)) == (2, 1)       # Chen Hong and Zhou Fang
    assert due_and_received(dt.date(2015, 12, 31)) == (1, 0)     # only Chen Hong
