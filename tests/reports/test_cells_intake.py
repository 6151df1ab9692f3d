"""The report cells through real intake: kept in each submission's own transaction as its
life events are written and removed (created, edited, held, approved, rejected, un-rejected,
deleted), they always equal what the stored events give (`cells.compare` is empty), on SQLite
and PostgreSQL; `flask register rebuild --check` reports a cell changed behind intake's back
and `flask register rebuild` recomputes them; migration 0013 fills them from the events a
database already holds."""
import datetime as dt
import uuid

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, insert, select, update

from app.cli import register_group
from app.events import derive
from app.events.derive import Event
from app.projects.models import Area
from app.reports import bases, cells, firsts
from app.reports.models import ReportCell
from tests.events.conftest import FORM_ID, probe_xlsform
from tests.events.test_record import BASE, events, probe
from tests.factories import new_instance_id


def cells_deriver(a):
    """A married woman of 30 with an IUD moving in on `event_date`, her pregnancy reported
    and terminated at `weeks` without an approval number, a reward paid to her, and, when
    `moved_to` names a village, her move out recorded there (a migrant)."""
    day = a.date("event_date")
    person = a.get("person") or None
    dob = day.replace(year=day.year - 30).isoformat() if day else ""
    woman = {"sex": "female", "dob": dob, "marital_status": "first_marriage",
             "contraception": "iud"}
    yield Event("moved_in", day, person=person, details={**woman, "migrant": "no"})
    yield Event("pregnancy_reported", day, person=person, details={"weeks": a.int("weeks")})
    yield Event("pregnancy_ended", day, person=person, details={
        "outcome": "induced_abortion", "weeks": a.int("weeks"), "approval_no": "",
        "reason": "unplanned", "registered": "yes"})
    yield Event("reward_paid", day, person=person, details={"benefit": "only_child",
                                                             "amount": 12.5})
    if a.get("moved_to"):
        yield Event("moved_out", day, person=person, village=a.get("moved_to"),
                    details={**woman, "migrant": "yes"})


@pytest.fixture
def cells_form(publish):
    published = publish(probe_xlsform(), filename=f"{FORM_ID}.xlsx")
    derive.deriver(FORM_ID, yields=("moved_in", "pregnancy_reported", "pregnancy_ended",
                                    "reward_paid", "moved_out"))(cells_deriver)
    yield published
    derive.DERIVERS.pop(FORM_ID, None)
    derive.YIELDS.pop(FORM_ID, None)


def stored(db):
    """{(area id, month, cell): n} of the stored cells, zeros left out."""
    db.session.rollback()
    return {(r.area_id, r.month, r.cell): r.n for r in db.session.execute(
        select(ReportCell.area_id, ReportCell.month, ReportCell.cell, ReportCell.n)
        .where(ReportCell.n != 0))}


def agree(db):
    """The stored cells equal what the stored events give, and so do the stock bases the
    cells up to the cut give (app.reports.bases); returns the stored cells."""
    db.session.rollback()
    assert cells.compare(db.session) == []
    assert bases.compare(db.session) == []
    return stored(db)


def area(db, code):
    return db.session.scalar(select(Area.id).where(Area.code == code))


def check(app):
    return CliRunner().invoke(register_group, ["rebuild", "--check"], obj=app.extensions)


def test_one_submission_adds_its_events_cells(cells_form, collect, db):
    assert collect.submit(probe(event_date="2026-03-10", weeks="16",
                                moved_to="xishan")).status_code == 201
    dongwan, xishan = area(db, "dongwan"), area(db, "xishan")
    assert agree(db) == {
        (dongwan, "2026-03", "moved_in:no"): 1, (dongwan, "2026-03", "pop:female"): 1,
        (dongwan, "2026-03", "women_15_49"): 1, (dongwan, "2046-03", "women_15_49"): -1,
        (dongwan, "2026-03", "married_women_15_49"): 1,
        (dongwan, "2046-03", "married_women_15_49"): -1,
        (dongwan, "2026-03", "method:iud"): 1,
        (dongwan, "2026-03", "pregnancy_reported"): 1,
        # reported and ended in the same month: the stock's change adds up to nothing
        (dongwan, "2026-03", "pregnancy_ended:induced_abortion"): 1,
        (dongwan, "2026-03", "loss_reason:unplanned"): 1,
        (dongwan, "2026-03", "termination:14plus"): 1,
        (dongwan, "2026-03", "termination:15plus"): 1,
        (dongwan, "2026-03", "reward_paid:only_child"): 1,
        (dongwan, "2026-03", "reward_fen:only_child"): 1250,
        # her first payment of the benefit this year: one beneficiary (app.reports.firsts)
        (dongwan, "2026-03", "reward_payees:only_child:2026"): 1,
        # the move out is counted in the village it names
        (xishan, "2026-03", "moved_out:yes"): 1, (xishan, "2026-03", "pop:female"): -1,
        (xishan, "2026-03", "women_15_49"): -1, (xishan, "2046-03", "women_15_49"): 1,
        (xishan, "2026-03", "married_women_15_49"): -1,
        (xishan, "2046-03", "married_women_15_49"): 1,
        (xishan, "2026-03", "method:iud"): -1}


def test_cells_follow_edits_holds_reviews_and_deletions(cells_form, collect, db, client,
                                                        login, app):
    admin = login("admin")

    def review(instance_id, state):
        response = client.patch(f"{BASE}/{instance_id}", json={"reviewState": state},
                                headers=admin)
        assert response.status_code == 200, response.json

    ids = [new_instance_id() for _ in range(7)]
    dongwan = area(db, "dongwan")
    assert collect.submit(probe(ids[0], moved_to="xishan")).status_code == 201
    first = agree(db)
    assert first[(dongwan, "2026-11", "moved_in:no")] == 1
    assert collect.submit(probe(ids[1], weeks="50")).status_code == 201          # held
    assert agree(db) == first
    assert collect.submit(probe(ids[2], village="xishan")).status_code == 201    # outside
    assert agree(db) == first
    assert collect.submit(probe(ids[3], event_date="2026-10-02")).status_code == 201
    assert agree(db)[(dongwan, "2026-10", "moved_in:no")] == 1
    # an edit replaces the old version's cells by the new one's
    assert collect.submit(probe(ids[4], deprecated_id=ids[3],
                                event_date="2026-09-02")).status_code == 201
    now = agree(db)
    assert (dongwan, "2026-10", "moved_in:no") not in now
    assert now[(dongwan, "2026-09", "moved_in:no")] == 1
    # an edit held for review takes the old cells off until it is approved
    assert collect.submit(probe(ids[5], deprecated_id=ids[0], weeks="77")).status_code == 201
    assert (dongwan, "2026-11", "moved_in:no") not in agree(db)
    review(ids[0], "approved")
    assert agree(db)[(dongwan, "2026-11", "termination:15plus")] == 1
    review(ids[2], "approved")
    assert agree(db)[(area(db, "xishan"), "2026-11", "moved_in:no")] == 1
    review(ids[1], "approved")
    assert agree(db)[(dongwan, "2026-11", "moved_in:no")] == 2
    before_rejection = agree(db)
    review(ids[1], "rejected")
    assert agree(db)[(dongwan, "2026-11", "moved_in:no")] == 1
    review(ids[1], "edited")                       # un-rejected: it had been let in
    assert agree(db) == before_rejection
    assert client.delete(f"{BASE}/{ids[2]}", headers=admin).status_code == 200
    assert (area(db, "xishan"), "2026-11", "moved_in:no") not in agree(db)
    # a deriver that fails costs nothing; nor does a submission with no events
    assert collect.submit(probe(ids[6], person="boom")).status_code == 201
    final = agree(db)
    assert final == cells_of_events(db)
    result = check(app)
    assert result.exit_code == 0, result.output
    assert "No difference from the live register." in result.output


def cells_of_events(db):
    """The cells the stored events give, recomputed by hand from the rows."""
    found = {}
    rows = [dict(e._mapping, project_id=1) for e in events(db)]
    for e in rows:
        for area_id, month, cell, n in cells.contributions(e):
            found[(area_id, month, cell)] = found.get((area_id, month, cell), 0) + n
    for (_p, area_id, month, cell), n in firsts.totals(rows).items():
        found[(area_id, month, cell)] = found.get((area_id, month, cell), 0) + n
    return {k: n for k, n in found.items() if n}


def test_check_reports_a_changed_cell_and_rebuild_recomputes_them(cells_form, collect, db, app):
    for day in ("2026-01-05", "2026-02-06"):
        assert collect.submit(probe(event_date=day, moved_to="xishan")).status_code == 201
    before = agree(db)
    dongwan = area(db, "dongwan")
    db.session.execute(update(ReportCell).where(ReportCell.cell == "moved_in:no",
                                                ReportCell.month == "2026-01")
                       .values(n=ReportCell.n + 2))
    db.session.execute(insert(ReportCell).values(project_id=1, area_id=0, month="2026-01",
                                                 cell="death:male", n=1))
    db.session.execute(insert(ReportCell).values(project_id=1, area_id=0, month="2026-01",
                                                 cell="death:female", n=0))    # zero: no news
    db.session.execute(delete(ReportCell).where(ReportCell.cell == "reward_fen:only_child",
                                                ReportCell.month == "2026-02"))
    db.session.commit()
    assert sorted(str(d) for d in cells.compare(db.session)) == sorted([
        f"report cell moved_in:no of area {dongwan}, 2026-01 (project 1): stored 3, the events "
        "give 1",
        "report cell death:male of area 0, 2026-01 (project 1): stored 1, the events give 0",
        f"report cell reward_fen:only_child of area {dongwan}, 2026-02 (project 1): stored 0, "
        "the events give 1250"])
    result = check(app)
    assert result.exit_code != 0
    assert "stored 3, the events give 1" in result.output
    assert "report cells" in result.output

    result = CliRunner().invoke(register_group, ["rebuild"], obj=app.extensions)
    assert result.exit_code == 0, result.output
    assert f"{len(before)} report cells recomputed." in result.output
    assert agree(db) == before
    assert check(app).exit_code == 0


def test_apply_adds_and_subtracts_and_rebuild_replaces(db):
    rows = [{"project_id": 1, "kind": "birth", "occurred_on": dt.date(2026, 5, 1),
             "area_id": None, "details": {"sex": "male", "birth_order": 2, "place": "home"}},
            {"project_id": 1, "kind": "birth", "occurred_on": dt.date(2026, 5, 9),
             "area_id": None, "details": {"sex": "male", "birth_order": 2, "place": "clinic"}}]
    cells.apply(db.session, rows, +1)
    assert stored(db) == {}               # rolled back: the cells are the caller's transaction's
    cells.apply(db.session, rows, +1)
    cells.apply(db.session, rows[:1], +1)
    db.session.commit()
    assert stored(db) == {(0, "2026-05", "birth:male:2"): 3, (0, "2026-05", "pop:male"): 3,
                          (0, "2026-05", "birth_place:home"): 2,
                          (0, "2026-05", "birth_place:clinic"): 1}
    # events none of which are stored: every cell differs
    assert {d.cell: (d.stored, d.events) for d in cells.compare(db.session)} == {
        "birth:male:2": (3, 0), "pop:male": (3, 0), "birth_place:home": (2, 0),
        "birth_place:clinic": (1, 0)}
    cells.apply(db.session, rows[:1], -1)
    cells.apply(db.session, rows[1:], -1)
    db.session.commit()
    assert stored(db) == {(0, "2026-05", "birth:male:2"): 1, (0, "2026-05", "pop:male"): 1,
                          (0, "2026-05", "birth_place:home"): 1}
    # an edit's old and new events settle in one upsert; what they share cancels
    cells.change(db.session, rows[1:], rows[:1])
    db.session.commit()
    assert stored(db) == {(0, "2026-05", "birth:male:2"): 1, (0, "2026-05", "pop:male"): 1,
                          (0, "2026-05", "birth_place:clinic"): 1}
    cells.change(db.session, rows[:1], rows[1:])
    db.session.commit()
    assert stored(db) == {(0, "2026-05", "birth:male:2"): 1, (0, "2026-05", "pop:male"): 1,
                          (0, "2026-05", "birth_place:home"): 1}
    # cells at zero stay as rows; they are the same as none
    assert db.session.scalar(select(ReportCell.n).where(
        ReportCell.cell == "birth_place:clinic")) == 0
    assert cells.rebuild(db.session) == 0
    db.session.commit()
    assert db.session.scalar(select(ReportCell.cell)) is None
    assert cells.compare(db.session) == [] and cells.count(db.session) == 0


def test_one_upsert_holds_many_cells(cells_form, collect, db):
    """More distinct cells than one statement takes (CHUNK) still land, in one transaction."""
    derive.DERIVERS[FORM_ID] = lambda a: [
        Event("three_checks", dt.date(2026, 1, 1) + dt.timedelta(days=31 * n),
              details={"round": f"r{n}", "iud_result": "displaced", "pregnancy_found": "yes",
                       "illness_found": "yes"}) for n in range(19)]
    assert collect.submit(probe()).status_code == 201
    found = agree(db)
    assert len(found) == 19 * 4 > cells.CHUNK
    assert all(n == 1 for n in found.values())


def test_a_registered_person_counts_from_intake(cells_form, collect, db, monkeypatch):
    from app.events import kinds
    monkeypatch.setitem(kinds.KINDS, "registered", ("登记在册", "Registered"))
    derive.DERIVERS[FORM_ID] = lambda a: [Event("registered", a.date("event_date"),
                                                person=str(uuid.uuid4()), details={
        "sex": "female", "dob": "2011-12-15", "marital_status": "unmarried",
        "contraception": "", "residence_status": "resident"})]
    assert collect.submit(probe(event_date="2026-11-02")).status_code == 201
    dongwan = area(db, "dongwan")
    assert agree(db) == {(dongwan, "2026-11", "registered"): 1,
                         (dongwan, "2011-12", "pop:female"): 1,
                         (dongwan, "2026-12", "women_15_49"): 1,
                         (dongwan, "2061-12", "women_15_49"): -1}


def test_a_bride_moving_in_is_counted_once_through_edits_and_rebuilds(cells_form, collect, db):
    """The rule that looks at a submission's other rows holds when they are written, removed
    by an edit, and recomputed by a rebuild."""
    def visit(a):
        woman = a.get("person")
        yield Event("moved_in", a.date("event_date"), person=woman, details={
            "sex": "female", "dob": "2002-02-13", "marital_status": "first_marriage",
            "migrant": "no"})
        yield Event("marriage", a.date("event_date"), person=str(uuid.uuid4()),
                    other_person=woman, details={"woman": woman, "woman_dob": "2002-02-13"})
    derive.DERIVERS[FORM_ID] = visit
    first = new_instance_id()
    assert collect.submit(probe(first, event_date="2025-05-05")).status_code == 201
    dongwan = area(db, "dongwan")
    assert agree(db)[(dongwan, "2025-05", "married_women_15_49")] == 1
    assert collect.submit(probe(deprecated_id=first, event_date="2025-06-06")).status_code == 201
    found = agree(db)
    assert found[(dongwan, "2025-06", "married_women_15_49")] == 1
    assert (dongwan, "2025-05", "married_women_15_49") not in found
    assert cells.rebuild(db.session) == len(found)
    db.session.commit()
    assert stored(db) == found
