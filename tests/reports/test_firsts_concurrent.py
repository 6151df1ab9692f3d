"""Two payments to one household sent at the same moment on PostgreSQL, each in its own
transaction: the household is one beneficiary, not two (app.reports.firsts takes turns per
subject). SQLite runs one writer at a time, so the race cannot happen there."""
import threading

import pytest
from sqlalchemy import func, select

from app.reports import cells, firsts
from app.reports.models import ReportCell
from tests.collect import CollectClient
from tests.events.test_record import probe
from tests.factories import new_instance_id
from tests.reports.test_firsts import firsts_form  # noqa: F401 - a fixture


def test_two_payments_at_once_make_one_beneficiary(app, firsts_form, personas, db,  # noqa: F811
                                                    monkeypatch):
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL only (SQLite writes one at a time)")
    both_written = threading.Barrier(2, timeout=20)
    real = firsts.delta

    def after_both_wrote(session, added, removed):
        # both transactions hold their own uncommitted events before either looks
        both_written.wait()
        return real(session, added, removed)
    monkeypatch.setattr(firsts, "delta", after_both_wrote)
    statuses = []

    def send(day):
        with app.app_context():
            phone = CollectClient(app.test_client(),
                                  f"/v1/key/{personas['worker_a'].token}/projects/1")
            statuses.append(phone.submit(probe(new_instance_id(), event_date=day)).status_code)
    threads = [threading.Thread(target=send, args=(day,)) for day in ("2026-10-05",
                                                                       "2026-10-20")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert statuses == [201, 201]
    db.session.rollback()
    assert cells.compare(db.session) == []
    stored = dict(db.session.execute(
        select(ReportCell.cell, func.sum(ReportCell.n)).where(
            ReportCell.cell.like(firsts.PAYEES + ":%")
            | ReportCell.cell.like(firsts.WOMEN_CHECKED + ":%")).group_by(ReportCell.cell)).all())
    assert stored == {"reward_payees:one_child_parents:2026": 1,
                      "three_checks_women:2026-H2": 1}
