"""Late records are judged by content against what the reports last showed of each locked
month, never by a time: a rewrite of unchanged events (a review decision's resync, `register
rebuild`) does not bring a late record back, and relocking an older month hides nothing of a
later month's late records (docs/reports/locks.md)."""
import time

from sqlalchemy import select

from app.events import record as ev_record
from app.register import rebuild
from app.submissions.models import Submission
from tests.events.conftest import probe_form  # noqa: F401 - a fixture
from tests.reports.locks_helpers import REPORTS, send


def _j(client, headers, month):
    doc = client.get(f"{REPORTS}/months/{month}?village=dongwan", headers=headers).json
    section = next(s for s in doc["sections"] if s["id"] == "J")
    return {r["id"]: r["values"]["month"] for r in section["rows"]}, doc["late_records"]


def _lock(client, headers, month):
    response = client.post(f"{REPORTS}/months/{month}/lock", json={"village": "dongwan"},
                           headers=headers)
    assert response.status_code == 200, response.json
    time.sleep(0.01)


def _late_january_shown_in_february(client, collect, supervisor):
    send(collect, event_date="2025-01-10")
    _lock(client, supervisor, "2025-01")
    iid = send(collect, event_date="2025-01-20")           # late: January is locked
    assert _j(client, supervisor, "2025-02")[0]["late_records"] == 1
    _lock(client, supervisor, "2025-02")                     # February's report showed it
    assert _j(client, supervisor, "2025-03") == (
        {"late_records": 0, "corrections": 0, "pending_review": 0, "accuracy": None,
         "accuracy_case_level": None, "accuracy_net": None}, [])
    return iid


def test_a_resync_does_not_count_a_late_record_again(probe_form, collect, client, db, login):
    supervisor = login("supervisor")
    iid = _late_january_shown_in_february(client, collect, supervisor)
    sid = db.session.scalar(select(Submission.id).where(Submission.instance_id == iid))
    ev_record.resync(db.session, sid)                        # new ids, new created_at
    db.session.commit()
    assert _j(client, supervisor, "2025-03")[0]["late_records"] == 0


def test_a_register_rebuild_does_not_count_late_records_again(probe_form, collect, client, db,
                                                              login):
    supervisor = login("supervisor")
    _late_january_shown_in_february(client, collect, supervisor)
    rebuild.replace(db.session, 1)                          # every event written again
    db.session.commit()
    assert _j(client, supervisor, "2025-03")[0]["late_records"] == 0


def test_a_late_record_after_the_later_lock_is_still_shown_once(probe_form, collect, client,
                                                                 db, login):
    supervisor = login("supervisor")
    _late_january_shown_in_february(client, collect, supervisor)
    send(collect, event_date="2025-01-25")                  # late again, after February's lock
    found, lines = _j(client, supervisor, "2025-03")
    assert found["late_records"] == 1 and {line["month"] for line in lines} == {"2025-01"}
    _lock(client, supervisor, "2025-03")
    assert _j(client, supervisor, "2025-04")[0]["late_records"] == 0


def test_relocking_an_older_month_hides_no_later_months_late_records(probe_form, collect,
                                                                     client, db, login):
    supervisor, admin = login("supervisor"), login("admin")
    send(collect, event_date="2025-01-10")
    send(collect, event_date="2025-02-10")
    _lock(client, supervisor, "2025-01")
    _lock(client, supervisor, "2025-02")
    send(collect, event_date="2025-02-20")                  # a late February record
    assert _j(client, supervisor, "2025-03")[0]["late_records"] == 1
    assert client.post(f"{REPORTS}/months/2025-01/unlock",
                       json={"village": "dongwan", "reason": "修正 / fix"},
                       headers=admin).status_code == 200
    _lock(client, admin, "2025-01")                          # January's version 2, later
    found, lines = _j(client, supervisor, "2025-03")
    assert found["late_records"] == 1 and {line["month"] for line in lines} == {"2025-02"}


def test_locks_more_than_two_years_back_are_not_read(probe_form, collect, client, db, login):
    supervisor = login("supervisor")
    send(collect, event_date="2023-01-10")
    _lock(client, supervisor, "2023-01")
    send(collect, event_date="2023-01-20")                  # late, but about 2023-01
    assert _j(client, supervisor, "2025-01")[0]["late_records"] == 1     # 24 months back
    assert _j(client, supervisor, "2025-02")[0]["late_records"] == 0     # 25: past HORIZON
