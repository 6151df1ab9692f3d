"""The reports' JSON API: a month's report, lock and unlock, and targets, over real HTTP with
the personas' sessions; village scope (a village's staff, never a phone), every input through
a schema (400 in both languages, never a 500), audit rows in the request's transaction."""
import pytest

from tests.events.conftest import probe_form  # noqa: F401 - a fixture
from tests.reports.locks_helpers import REPORTS, audit, send


def test_a_late_submission_after_a_lock_over_http(probe_form, collect, client, db, login,
                                                  personas):
    supervisor = login("supervisor")
    send(collect, event_date="2025-03-10")
    locked = client.post(f"{REPORTS}/months/2025-03/lock", json={"village": "dongwan"},
                         headers=supervisor)
    assert locked.status_code == 200, locked.json
    assert locked.json["lock"]["state"] == "locked" and locked.json["lock"]["version"] == 1
    assert "_counted_rows" not in locked.json
    send(collect, event_date="2025-03-30")
    shown = client.get(f"{REPORTS}/months/2025-03?village=dongwan", headers=supervisor)
    assert shown.status_code == 200
    assert "_counted_rows" not in shown.json
    assert shown.json["sections"] == locked.json["sections"]
    assert shown.json["generated_at"] == locked.json["generated_at"]
    april = client.get(f"{REPORTS}/months/2025-04?village=dongwan", headers=supervisor).json
    j = next(s for s in april["sections"] if s["id"] == "J")
    assert {r["id"]: r["values"]["month"] for r in j["rows"]}["late_records"] == 1
    assert [(e.action, e.target, e.actor_id) for e in audit(db) if e.action.startswith(
        "report.")] == [("report.lock", "report:2025-03:dongwan", personas["supervisor"].id),
                        ("report.view", "report:2025-03:dongwan", personas["supervisor"].id),
                        ("report.view", "report:2025-04:dongwan", personas["supervisor"].id)]


def test_another_villages_staff_and_phones_are_refused(client, db, login, personas):
    supervisor = login("supervisor")                      # dongwan
    for method, path, body in (
            ("get", "/months/2025-03?village=xishan", None),
            ("get", "/months/2025-03", None),               # the town's: every village
            ("post", "/months/2025-03/lock", {"village": "xishan"}),
            ("post", "/months/2025-03/lock", {}),
            ("put", "/targets/2025", {"targets": {"birth_rate": 9}, "village": "xishan"})):
        response = getattr(client, method)(REPORTS + path, json=body, headers=supervisor)
        assert response.status_code == 403, (path, response.json)
    for persona in ("worker_a", "worker_b"):               # a phone never reads a report
        token = personas[persona].token
        response = client.get(f"{REPORTS}/months/2025-03?village=dongwan&st={token}")
        assert response.status_code == 403
        response = client.post(f"{REPORTS}/months/2025-03/lock?st={token}",
                               json={"village": "dongwan"})
        assert response.status_code == 403
    viewer = login("viewer")                               # the town, read only
    assert client.get(f"{REPORTS}/months/2025-03", headers=viewer).status_code == 200
    assert client.post(f"{REPORTS}/months/2025-03/lock", json={},
                       headers=viewer).status_code == 403
    assert client.get(f"{REPORTS}/months/2025-03").status_code == 401
    assert audit(db, "report.lock") == []


def test_locking_twice_and_unlocking(client, db, login):
    admin, supervisor = login("admin"), login("supervisor")
    assert client.post(f"{REPORTS}/months/2025-03/lock", json={"village": "dongwan"},
                       headers=supervisor).status_code == 200
    again = client.post(f"{REPORTS}/months/2025-03/lock", json={"village": "dongwan"},
                        headers=supervisor)
    assert again.status_code == 409 and again.json["code"] == "409.81"
    assert "已锁定" in again.json["message_zh"]
    assert client.post(f"{REPORTS}/months/2025-03/unlock",
                       json={"village": "dongwan", "reason": "recount"},
                       headers=supervisor).status_code == 403
    no_reason = client.post(f"{REPORTS}/months/2025-03/unlock", json={"village": "dongwan"},
                            headers=admin)
    assert no_reason.status_code == 400 and "原因" in no_reason.json["message_zh"]
    done = client.post(f"{REPORTS}/months/2025-03/unlock",
                       json={"village": "dongwan", "reason": "recount"}, headers=admin)
    assert done.status_code == 200 and done.json["version"] == 1
    assert done.json["state"] == "open"
    relock = client.post(f"{REPORTS}/months/2025-03/lock", json={"village": "dongwan"},
                         headers=admin)
    assert relock.json["lock"]["version"] == 2
    not_locked = client.post(f"{REPORTS}/months/2025-04/unlock",
                             json={"reason": "x"}, headers=admin)
    assert not_locked.status_code == 409 and not_locked.json["code"] == "409.82"
    assert [e.details.get("reason") for e in audit(db, "report.unlock")] == ["recount"]


@pytest.mark.parametrize("path", [
    "/months/2025-13", "/months/25-03", "/months/2025-3", "/months/march",
    "/months/2025-03?village=", "/months/2025-03?village=a&village=b",
    "/months/2025-03?lang=fr"])
def test_a_bad_month_or_query_is_a_400_in_both_languages(client, db, login, path):
    response = client.get(REPORTS + path, headers=login("admin"))
    assert response.status_code == 400, response.json
    assert response.json["message"] and response.json["message_zh"]


def test_an_unknown_village_is_a_404(client, db, login):
    response = client.get(f"{REPORTS}/months/2025-03?village=atlantis", headers=login("admin"))
    assert response.status_code == 404 and response.json["code"] == "404.81"
    assert "atlantis" in response.json["message_zh"]
    response = client.post(f"{REPORTS}/months/2025-03/lock", json={"village": "atlantis"},
                           headers=login("admin"))
    assert response.status_code == 404


@pytest.mark.parametrize("body", [
    '{"targets": {"birth_rate": "12"}}', '{"targets": {"birth_rate": true}}',
    '{"targets": {"birth_rate": NaN}}', '{"targets": {"birth_rate": Infinity}}',
    '{"targets": {"happiness": 3}}', '{"targets": {"certificate_rate": 120}}',
    '{"targets": {"rewards_due.elderly": 2.5}}', '{"targets": {"rewards_due.": 2}}',
    '{"targets": [1]}', '{"targets": {}, "extra": 1}', '{}', '[]', 'not json',
    '{"targets": {"birth_rate": 12}, "village": 5}'])
def test_bad_targets_are_a_400_in_both_languages(client, db, login, body):
    response = client.put(f"{REPORTS}/targets/2025", data=body,
                          content_type="application/json", headers=login("admin"))
    assert response.status_code == 400, response.json
    assert response.json["message"] and response.json["message_zh"]
    assert audit(db, "report.targets.set") == []


def test_targets_over_http(client, db, login, personas):
    admin = login("admin")
    town = client.put(f"{REPORTS}/targets/2025", json={"targets": {
        "birth_rate": 12, "three_checks_coverage": 90.5, "rewards_due.elderly": 14}},
        headers=admin)
    assert town.status_code == 200, town.json
    values = {t["indicator"]: (t["value"], t["source"]) for t in town.json["targets"]}
    assert values["birth_rate"] == (12.0, "town")
    assert values["rewards_due.elderly"] == (14.0, "town")
    assert values["prepregnancy_coverage"] == (80.0, "default")
    assert values["certificate_rate"] == (None, None)
    # the village's supervisor sets her own; the town's stays the fallback
    supervisor = login("supervisor")
    own = client.put(f"{REPORTS}/targets/2025", json={"targets": {"birth_rate": 10},
                                                      "village": "dongwan"}, headers=supervisor)
    assert own.status_code == 200
    shown = client.get(f"{REPORTS}/targets/2025?village=dongwan", headers=supervisor).json
    values = {t["indicator"]: (t["value"], t["source"]) for t in shown["targets"]}
    assert values["birth_rate"] == (10.0, "village")
    assert values["three_checks_coverage"] == (90.5, "town")
    assert shown["village"] == "dongwan" and shown["year"] == 2025
    # null clears
    cleared = client.put(f"{REPORTS}/targets/2025", json={"targets": {"birth_rate": None},
                                                          "village": "dongwan"},
                         headers=supervisor).json
    assert {t["indicator"]: t["source"] for t in cleared["targets"]}["birth_rate"] == "town"
    assert client.get(f"{REPORTS}/targets/99999", headers=admin).status_code == 400
    assert client.get(f"{REPORTS}/targets/twenty", headers=admin).status_code == 404
    events = audit(db, "report.targets.set")
    assert [(e.actor_id, e.details["area_id"], e.details["targets"]) for e in events] == [
        (personas["admin"].id, 0, {"birth_rate": 12.0, "three_checks_coverage": 90.5,
                                   "rewards_due.elderly": 14.0}),
        (personas["supervisor"].id, 1, {"birth_rate": 10.0}),
        (personas["supervisor"].id, 1, {"birth_rate": None})]
