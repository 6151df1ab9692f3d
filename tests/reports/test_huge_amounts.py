"""A payment amount a phone accepts but no township pays (1e307 yuan) neither blocks the
submission's approval nor breaks a report: the deriver keeps no such amount, the cells read one
as no fen without raising, and section I's SQL sum (SQLite and PostgreSQL) never overflows on
events stored before the deriver's cap (review item 1)."""
import io

import openpyxl
from sqlalchemy import select

from app.events.models import LifeEvent
from app.reports import cells
from app.reports.document import find
from tests.events.test_service_events import instance
from tests.samples import SAMPLES

REPORTS = "/v1/projects/1/reports"
IID = "uuid:2be36e84-1c2b-4aaf-b96a-8fefc50ad442"
URLS = [f"{REPORTS}/months/2026-11?village=dongwan", f"{REPORTS}/months/2026-11",
        "/reports/1/2026-11?village=dongwan", "/reports/1/2026-11.xlsx?village=dongwan",
        "/reports/1/2026-11.xlsx"]


def pay(town, client, headers, amount, n="2"):
    iid = IID[:-1] + n
    body = (instance("benefit_pension_person")
            .replace(b"<amount>85.5</amount>", f"<amount>{amount}</amount>".encode())
            .replace(IID.encode(), iid.encode()))
    assert town.phone(SAMPLES["benefit_pension_person"].persona).submit(body).status_code == 201
    return client.patch(f"/v1/projects/1/forms/benefit_payment/submissions/{iid}",
                        json={"reviewState": "approved"}, headers=headers)


def reports_answer(client, headers):
    for url in URLS:
        r = client.get(url, headers=headers)
        assert r.status_code == 200, (url, r.status_code, r.data[:300])
        if url.endswith(".xlsx") or url.endswith("xlsx?village=dongwan"):
            openpyxl.load_workbook(io.BytesIO(r.data))


def test_a_payment_of_1e307_yuan_is_approved_and_kept_without_its_amount(town, db, client,
                                                                           login):
    h = login("admin")
    approved = pay(town, client, h, "1e307")
    assert approved.status_code == 200, approved.data[:300]
    db.session.rollback()
    [details] = db.session.scalars(select(LifeEvent.details).where(
        LifeEvent.kind == "reward_paid")).all()
    assert details["amount"] is None
    reports_answer(client, h)
    d = client.get(URLS[0], headers=h).json
    assert find(d, "I", "paid:rural_pension", "month") == 1
    assert find(d, "I", "amount:rural_pension", "month") == 0


def test_huge_amounts_stored_before_the_cap_read_as_none_in_the_sums(town, db, client, login):
    h = login("admin")
    for n in ("1", "2", "3"):
        assert pay(town, client, h, "85.5", n).status_code == 200
    db.session.rollback()
    # two events as the deriver kept them before it capped amounts; the cells rebuilt from them
    rows = db.session.scalars(select(LifeEvent).where(LifeEvent.kind == "reward_paid")
                              .order_by(LifeEvent.id)).all()
    for row in rows[:2]:
        row.details = {**row.details, "amount": 1e306}
    db.session.commit()
    cells.rebuild(db.session, 1)
    db.session.commit()
    reports_answer(client, h)
    d = client.get(URLS[0], headers=h).json
    assert find(d, "I", "paid:rural_pension", "month") == 3
    assert find(d, "I", "amount:rural_pension", "month") == 85.5     # as the cells read it
    from app.reports import read
    assert read.totals(db.session, 1, None, ["2026-11"])["reward_fen:rural_pension"] == 8550
