"""Locks and amendments: a locked month's report is the document its meeting closed, whatever
arrives later; what arrives later about it (a phone that was offline, an edit, a deletion) is
listed as its amendments, cell by cell (app.reports.cells), and once in the next report's late
records; unlocking is an admin's, with a reason, and the next lock is a new version."""
import datetime as dt

import pytest
from sqlalchemy import select

from app.problems import Problem
from app.projects.models import Area
from app.reports import cells, locks, service
from app.reports.document import find
from app.reports.periods import Month
from tests.events.conftest import probe_form  # noqa: F401 - a fixture
from tests.reports.locks_helpers import (SUBMISSIONS, actor, audit, event_rows, send)

MARCH = Month(2025, 3)


def expected_lines(db, rows, change, month="2025-03"):
    """The amendment lines cells.contributions gives for these life_events rows."""
    villages = dict(db.session.execute(select(Area.id, Area.code)).all())
    out = []
    for row in rows:
        totals = {}
        for area_id, m, cell, n in cells.contributions(dict(row)):
            if m <= month:
                totals[(area_id or 0, cell)] = totals.get((area_id or 0, cell), 0) + n
        out += [(villages.get(a), cell, n, change) for (a, cell), n in sorted(totals.items())
                if n]
    return sorted(out, key=lambda x: (x[1], x[0] or ""))


def lines_of(amendments):
    return sorted(((a["village"], a["cell"], a["delta"], a["change"]) for a in amendments),
                  key=lambda x: (x[1], x[0] or ""))


def j(doc, row):
    return find(doc, "J", row, "month")


def test_a_late_submission_after_a_lock_is_an_amendment_and_the_locked_figures_stay(
        probe_form, collect, db, personas):
    send(collect, event_date="2025-03-10")
    send(collect, event_date="2025-04-02")           # another month: not this report's
    supervisor = actor(db, personas["supervisor"])
    locked = service.lock(db.session, 1, "2025-03", "dongwan", supervisor)
    db.session.commit()
    assert locked["lock"]["state"] == "locked" and locked["lock"]["version"] == 1
    assert locked["lock"]["locked_by"] == f"user:{personas['supervisor'].id}"

    late = send(collect, event_date="2025-03-20")    # a phone that was offline
    shown = service.report(db.session, 1, "2025-03", "dongwan", supervisor)
    db.session.commit()
    # the stored document, not a new build: the figures and the time they were made stay
    assert shown["sections"] == locked["sections"]
    assert shown["generated_at"] == locked["generated_at"]
    assert shown["lock"] == locked["lock"]
    late_rows = [r for r in event_rows(db) if r["occurred_on"] == dt.date(2025, 3, 20)]
    assert lines_of(shown["amendments"]) == expected_lines(db, late_rows, "late")
    assert all(a["instance_id"] == late for a in shown["amendments"])
    assert all(a["month"] == "2025-03" for a in shown["amendments"])
    # what changed, event by event: one late birth
    dongwan = db.session.scalar(select(Area.id).where(Area.code == "dongwan"))
    lock = locks.active(db.session, 1, MARCH, dongwan)
    found = locks.changes(lock.document[locks.ROWS_KEY],
                          locks.month_rows(db.session, 1, MARCH, [lock.area_id]))
    assert [(c[0], len(c[2]), len(c[3])) for c in found] == [("late", 0, 1)]
    assert len(lock.event_ids) == 1

    # the next report lists it once, as a late record of its own month
    april = service.report(db.session, 1, "2025-04", "dongwan", supervisor)
    assert lines_of(april["late_records"]) == expected_lines(db, late_rows, "late")
    assert (j(april, "late_records"), j(april, "corrections")) == (1, 0)
    assert april["lock"]["state"] == "open"


def test_a_late_record_is_shown_in_the_next_report_only(probe_form, collect, db, personas):
    admin = actor(db, personas["admin"])
    send(collect, event_date="2025-03-10")
    service.lock(db.session, 1, "2025-03", "dongwan", admin)
    db.session.commit()
    send(collect, event_date="2025-03-25")           # late for March, before April's lock
    service.lock(db.session, 1, "2025-04", "dongwan", admin)
    db.session.commit()
    april = service.report(db.session, 1, "2025-04", "dongwan", admin)
    may = service.report(db.session, 1, "2025-05", "dongwan", admin)
    assert j(april, "late_records") == 1            # frozen with April's lock
    assert j(may, "late_records") == 0
    send(collect, event_date="2025-03-26")           # after April's lock: May's to show
    may = service.report(db.session, 1, "2025-05", "dongwan", admin)
    assert j(may, "late_records") == 1


def test_an_edit_is_a_correction_and_a_deletion_a_removal(probe_form, collect, db, personas,
                                                          client, login):
    admin = actor(db, personas["admin"])
    first = send(collect, event_date="2025-03-10", weeks="38")
    doomed = send(collect, event_date="2025-03-11")
    service.lock(db.session, 1, "2025-03", None, admin)         # the town's report
    db.session.commit()
    before = {r["id"]: dict(r) for r in event_rows(db)}
    send(collect, instance_id="uuid:edited-1", deprecated_id=first, event_date="2025-03-12",
         weeks="39")
    assert client.delete(f"{SUBMISSIONS}/{doomed}", headers=login("admin")).status_code == 200

    lock = locks.active(db.session, 1, MARCH, 0)
    found = locks.changes(lock.document[locks.ROWS_KEY],
                          locks.month_rows(db.session, 1, MARCH, None))
    assert sorted((c[0], len(c[2]), len(c[3])) for c in found) == [
        ("corrected", 1, 1), ("removed", 1, 0)]
    shown = service.report(db.session, 1, "2025-03", None, admin)
    removed_row = next(r for r in before.values() if r["occurred_on"] == dt.date(2025, 3, 11))
    assert [x for x in lines_of(shown["amendments"]) if x[3] == "removed"] == [
        (v, c, -n, "removed") for v, c, n, _ in expected_lines(db, [removed_row], "removed")]
    for line in shown["amendments"]:
        if line["change"] == "corrected":
            # −n from the old version, +n from the edit
            assert line["instance_id"] == ("uuid:edited-1" if line["delta"] > 0 else first)
    april = service.report(db.session, 1, "2025-04", None, admin)
    assert (j(april, "late_records"), j(april, "corrections")) == (0, 2)


def test_the_diff_pairs_a_corrections_cells_and_ignores_later_stock_changes():
    def contributions(row, arrivals=()):
        out = [(row["area_id"], "2025-03", f"birth:{row['details']['sex']}", 1)]
        return out + [(row["area_id"], "2040-03", "women_15_49", 1)]   # years on: left out

    def row(id, submission, sex, instance, created="2025-04-02T08:00:00.000Z"):
        return {"id": id, "submission_id": submission, "kind": "birth",
                "occurred_on": "2025-03-05", "area_id": 7, "person": "p", "other_person": None,
                "household": None, "pregnancy": None, "details": {"sex": sex},
                "instance_id": instance, "created_at": created}
    locked = [row(1, 10, "male", "uuid:a"), row(2, 11, "female", "uuid:b")]
    # submission 10 edited (sex corrected, new row id); 11 rewritten alike under a new id
    # (a review decision or a rebuild): no change; 12 is late; 13 was never there
    now = [row(5, 10, "female", "uuid:a2"), row(6, 11, "female", "uuid:b"),
           row(7, 12, "male", "uuid:c")]
    found = locks.changes(locked, now)
    assert [(c[0], c[1]) for c in found] == [("corrected", 10), ("late", 12)]
    out = locks.lines(found, {7: "dongwan"}, contributions=contributions)
    assert [(a["cell"], a["delta"], a["change"], a["instance_id"]) for a in out] == [
        ("birth:female", 1, "corrected", "uuid:a2"), ("birth:male", -1, "corrected", "uuid:a"),
        ("birth:male", 1, "late", "uuid:c")]
    assert {a["village"] for a in out} == {"dongwan"} and {a["month"] for a in out} == {
        "2025-03"}
    removed = locks.lines(locks.changes(locked[:1], []), {7: "dongwan"},
                          {10: "2025-04-03T00:00:00.000Z"}, contributions)
    assert [(a["cell"], a["delta"], a["change"], a["recorded_at"]) for a in removed] == [
        ("birth:male", -1, "removed", "2025-04-03T00:00:00.000Z")]


def test_unlock_is_an_admins_with_a_reason_and_the_next_lock_is_a_new_version(
        probe_form, collect, db, personas):
    supervisor, admin = actor(db, personas["supervisor"]), actor(db, personas["admin"])
    send(collect, event_date="2025-03-10")
    service.lock(db.session, 1, "2025-03", "dongwan", supervisor)
    db.session.commit()
    with pytest.raises(Problem) as again:
        service.lock(db.session, 1, "2025-03", "dongwan", admin)
    assert again.value.code == "409.81" and "第1版" in again.value.message_zh
    with pytest.raises(Problem) as refused:
        service.unlock(db.session, 1, "2025-03", "dongwan", supervisor, "wrong figures")
    assert refused.value.status == 403
    with pytest.raises(Problem) as no_reason:
        service.unlock(db.session, 1, "2025-03", "dongwan", admin, "  ")
    assert no_reason.value.status == 400 and "原因" in no_reason.value.message_zh
    service.unlock(db.session, 1, "2025-03", "dongwan", admin, "a birth was in the wrong village")
    db.session.commit()
    send(collect, event_date="2025-03-20")
    live = service.report(db.session, 1, "2025-03", "dongwan", admin)
    assert live["lock"]["state"] == "open" and live["amendments"] == []
    second = service.lock(db.session, 1, "2025-03", "dongwan", admin)
    db.session.commit()
    assert second["lock"]["version"] == 2
    lock = locks.active(db.session, 1, MARCH,
                        db.session.scalar(select(Area.id).where(Area.code == "dongwan")))
    assert lock.version == 2 and len(lock.event_ids) == 2
    with pytest.raises(Problem) as not_locked:
        service.unlock(db.session, 1, "2025-04", "dongwan", admin, "why not")
    assert not_locked.value.code == "409.82"
    assert [(e.action, e.details["version"]) for e in audit(db) if e.action.startswith(
        "report.")] == [("report.lock", 1), ("report.unlock", 1), ("report.view", None),
                        ("report.lock", 2)]
    unlock = audit(db, "report.unlock")[0]
    assert unlock.details["reason"] == "a birth was in the wrong village"
    assert (unlock.actor_type, unlock.actor_id) == ("user", personas["admin"].id)


def test_section_j_counts_what_waits_for_review_and_accuracy_is_not_measured(
        probe_form, collect, db, personas):
    admin = actor(db, personas["admin"])
    send(collect, event_date="2025-03-10", weeks="60")    # an issue: held for a supervisor
    send(collect, event_date="2025-03-10")
    doc = service.report(db.session, 1, "2025-03", "dongwan", admin)
    assert j(doc, "pending_review") == 1
    assert j(doc, "accuracy") is None
    j_section = next(s for s in doc["sections"] if s["id"] == "J")
    assert "未测量" in j_section["note"]["zh"] and "not measured" in j_section["note"]["en"]
    assert doc["sections"][-1]["id"] == "J"
    assert doc["village"]["code"] == "dongwan"
    assert j(service.report(db.session, 1, "2025-03", "xishan", admin), "pending_review") == 0


def test_scope_of_reading_and_locking(db, personas):
    supervisor = actor(db, personas["supervisor"])        # dongwan only
    viewer = actor(db, personas["viewer"])                # the town
    for call in (lambda: service.report(db.session, 1, "2025-03", "xishan", supervisor),
                 lambda: service.report(db.session, 1, "2025-03", None, supervisor),
                 lambda: service.lock(db.session, 1, "2025-03", "xishan", supervisor),
                 lambda: service.lock(db.session, 1, "2025-03", None, viewer)):
        with pytest.raises(Problem) as refused:
            call()
        assert refused.value.status == 403
    assert service.report(db.session, 1, "2025-03", "xishan", viewer)["lock"]["state"] == "open"
    with pytest.raises(Problem) as unknown:
        service.report(db.session, 1, "2025-03", "atlantis", viewer)
    assert unknown.value.code == "404.81" and "atlantis" in unknown.value.message_zh
    with pytest.raises(Problem) as bad:
        service.report(db.session, 1, "2025-13", None, viewer)
    assert bad.value.status == 400 and "YYYY-MM" in bad.value.message_zh


def test_a_submissions_events_of_several_kinds_and_an_amount_corrected():
    def contributions(row, arrivals=()):
        if row["kind"] == "reward_paid":
            return [(row["area_id"], "2025-03", "reward_paid:elderly", 1),
                    (row["area_id"], "2025-03", "reward_fen:elderly", row["details"]["fen"])]
        return [(row["area_id"], "2025-03", row["kind"], 1)]

    def row(id, kind, fen=0, instance="uuid:a"):
        return {"id": id, "submission_id": 10, "kind": kind, "occurred_on": "2025-03-05",
                "area_id": 7, "person": "p", "other_person": None, "household": None,
                "pregnancy": None, "details": {"fen": fen}, "instance_id": instance,
                "created_at": "2025-04-02T08:00:00.000Z"}
    locked = [row(1, "reward_paid", 50000), row(2, "marriage")]
    now = [row(3, "reward_paid", 60000, "uuid:b"), row(4, "divorce", instance="uuid:b")]
    out = locks.lines(locks.changes(locked, now), {7: "dongwan"}, contributions=contributions)
    assert sorted((a["kind"], a["cell"], a["delta"], a["instance_id"]) for a in out) == [
        ("divorce", "divorce", 1, "uuid:b"), ("marriage", "marriage", -1, "uuid:a"),
        ("reward_paid", "reward_fen:elderly", 10000, "uuid:b")]
    assert {a["change"] for a in out} == {"corrected"}
    assert locks.events_changed(locks.changes(locked, now)) == (0, 2)


def test_a_bride_moving_in_on_her_marriage_visit_is_one_married_woman_in_the_lines():
    # a moved_in (a married woman 15–49) and the marriage naming her, of one submission: the
    # cells count her once (cells.arrivals); so must the late-record and amendment lines
    woman = "11111111-1111-4111-8111-111111111111"
    base = {"submission_id": 7, "area_id": 1, "other_person": None, "household": None,
            "pregnancy": None, "instance_id": "uuid:x", "created_at": "2025-04-02T00:00:00Z"}
    rows = [dict(base, id=1, kind="moved_in", occurred_on="2025-03-05", person=woman,
                 details={"migrant": "no", "sex": "female", "dob": "1995-01-01",
                          "marital_status": "first_marriage", "contraception": ""}),
            dict(base, id=2, kind="marriage", occurred_on="2025-03-05",
                 person="22222222-2222-4222-8222-222222222222",
                 details={"woman": woman, "woman_dob": "1995-01-01"})]
    out = locks.lines(locks.changes([], rows), {1: "dongwan"}, current=rows)
    married = [a["delta"] for a in out if a["cell"] == "married_women_15_49"]
    plain = [dict(r, occurred_on=dt.date(2025, 3, 5)) for r in rows]
    arrivals = cells.arrivals(plain)
    assert married == [1] == [n for r in plain for _a, m, c, n in
                              cells.contributions(r, arrivals)
                              if c == "married_women_15_49" and m <= "2025-03"]
    # the marriage alone corrected later (the moved_in unchanged): still no extra woman
    edited = [rows[0], dict(rows[1], id=3, details={"woman": woman, "woman_dob": "1995-01-02"},
                            instance_id="uuid:y")]
    out = locks.lines(locks.changes(rows, edited), {1: "dongwan"}, locked=rows,
                      current=edited)
    assert [a for a in out if a["cell"] == "married_women_15_49"] == []
