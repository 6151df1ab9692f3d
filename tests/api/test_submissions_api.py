"""The JSON submissions API: list (all, or paged), detail, XML, attachments, review state,
village scoping and audit of reads."""
from sqlalchemy import select

from app.audit.models import AuditEvent
from tests.collect import CollectClient
from tests.factories import make_instance, new_instance_id

BASE = "/v1/projects/1/forms/simple/submissions"


def _submit(collect, village, photo=None, iid=None):
    iid = iid or new_instance_id()
    values = {"name": "x", "village": village}
    files = {}
    if photo:
        values["photo"] = "p.jpg"
        files = {"p.jpg": photo}
    assert collect.submit(make_instance(instance_id=iid, values=values), files=files,
                          query="?deviceID=collect:dev1").status_code == 201
    return iid


def test_list_returns_all_without_paging_and_pages_with_top_skip(client, collect, simple_form,
                                                                  login):
    ids = [_submit(collect, "dongwan") for _ in range(5)]
    headers = login("admin")
    everything = client.get(BASE, headers=headers)
    assert everything.status_code == 200 and len(everything.json) == 5
    assert everything.headers["X-Total-Count"] == "5"
    assert {s["instanceId"] for s in everything.json} == set(ids)
    page = client.get(f"{BASE}?$top=2&$skip=1", headers=headers).json
    assert [s["instanceId"] for s in page] == [s["instanceId"] for s in everything.json[1:3]]


def test_detail_shape(client, collect, simple_form, login, personas):
    iid = _submit(collect, "dongwan", photo=b"jpeg")
    body = client.get(f"{BASE}/{iid}", headers=login("admin")).json
    assert body["instanceId"] == iid and body["submitterId"] == personas["worker_a"].id
    assert body["deviceId"] == "collect:dev1" and body["reviewState"] is None
    assert body["createdAt"].endswith("Z")
    assert (body["attachmentsPresent"], body["attachmentsExpected"]) == (1, 1)


def test_xml_and_attachment_downloads(client, collect, simple_form, login):
    iid = _submit(collect, "dongwan", photo=b"jpeg bytes")
    headers = login("admin")
    xml = client.get(f"{BASE}/{iid}.xml", headers=headers)
    assert xml.status_code == 200 and f"<instanceID>{iid}</instanceID>".encode() in xml.data
    assert client.get(f"{BASE}/{iid}/attachments", headers=headers).json == [
        {"name": "p.jpg", "exists": True}]
    photo = client.get(f"{BASE}/{iid}/attachments/p.jpg", headers=headers)
    assert photo.status_code == 200 and photo.data == b"jpeg bytes"
    assert client.get(f"{BASE}/{iid}/attachments/none.jpg", headers=headers).status_code == 404


def test_village_scoping(client, db, simple_form, personas, login):
    phone_a = CollectClient(client, f"/v1/key/{personas['worker_a'].token}/projects/1")
    phone_b = CollectClient(client, f"/v1/key/{personas['worker_b'].token}/projects/1")
    in_a = _submit(phone_a, "dongwan")
    in_b = _submit(phone_b, "xishan")
    unknown_village_from_b = _submit(phone_b, "")       # falls back to worker_b's only village
    supervisor = login("supervisor")                    # dongwan only
    assert [s["instanceId"] for s in client.get(BASE, headers=supervisor).json] == [in_a]
    assert client.get(f"{BASE}/{in_b}", headers=supervisor).status_code == 404
    assert client.get(f"{BASE}/{in_b}.xml", headers=supervisor).status_code == 404
    town = {s["instanceId"] for s in client.get(BASE, headers=login("viewer")).json}
    assert town == {in_a, in_b, unknown_village_from_b}


def test_review_state_change_filter_and_audit(client, db, collect, simple_form, login):
    iid = _submit(collect, "dongwan")
    other = _submit(collect, "dongwan")
    headers = login("supervisor")
    response = client.patch(f"{BASE}/{iid}", json={"reviewState": "approved"}, headers=headers)
    assert response.status_code == 200 and response.json["reviewState"] == "approved"
    approved = client.get(f"{BASE}?reviewState=approved", headers=headers).json
    assert [s["instanceId"] for s in approved] == [iid]
    received = client.get(f"{BASE}?reviewState=null", headers=headers).json
    assert [s["instanceId"] for s in received] == [other]
    bad = client.patch(f"{BASE}/{iid}", json={"reviewState": "great"}, headers=headers)
    assert bad.status_code == 400 and bad.json["code"] == "400.79"
    assert bad.json["details"]["body"] == {
        "reviewState": ["Must be one of: hasIssues, edited, approved, rejected."]}
    actions = [e.action for e in db.session.scalars(select(AuditEvent))]
    assert "submission.update" in actions and "submission.list" in actions


def test_viewer_cannot_change_review_state_or_delete(client, collect, simple_form, login):
    iid = _submit(collect, "dongwan")
    viewer = login("viewer")
    assert client.patch(f"{BASE}/{iid}", json={"reviewState": "approved"},
                        headers=viewer).status_code == 403
    assert client.delete(f"{BASE}/{iid}", headers=viewer).status_code == 403
    assert client.get(f"{BASE}/{iid}", headers=viewer).status_code == 200


def test_reads_of_personal_data_are_audited(client, db, collect, simple_form, login, personas):
    iid = _submit(collect, "dongwan")
    client.get(f"{BASE}/{iid}.xml", headers=login("supervisor"))
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "submission.read"))
    assert event.actor_type == "user" and event.actor_id == personas["supervisor"].id
    assert event.details == {"part": "xml"}


def test_anonymous_api_is_401_json_without_challenge(client, simple_form):
    response = client.get(BASE)
    assert response.status_code == 401 and response.json["code"] == "401.2"
    assert "WWW-Authenticate" not in response.headers


def test_listing_does_not_query_per_submission(client, app, collect, simple_form, login):
    from sqlalchemy import event
    for _ in range(12):
        _submit(collect, "dongwan", photo=b"p")
    headers = login("admin")
    statements = []
    with app.app_context():
        from app.db import db as _db
        engine = _db.engine
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    try:
        assert len(client.get(BASE, headers=headers).json) == 12
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert len(statements) < 15, statements
