"""Comments on a submission over Central's JSON API (GET/POST …/submissions/<id>/comments):
Central's shape {body, actorId, createdAt}, newest first, the same rows as the console's
review comments, audited, and only on a submission the commenter may see and review."""
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.submissions.models import SubmissionComment
from tests.api.test_submission_writes import BASE, post
from tests.factories import make_instance, new_instance_id


def comments_url(iid):
    return f"{BASE}/{iid}/comments"


def submitted(client, login, village="dongwan"):
    iid = new_instance_id()
    post(client, login("admin"), make_instance(instance_id=iid, values={"village": village}))
    return iid


def test_add_and_list_in_centrals_shape_newest_first(client, db, simple_form, login, personas):
    iid = submitted(client, login)
    headers = login("supervisor")
    first = client.post(comments_url(iid), json={"body": "请核实身份证号"}, headers=headers)
    assert first.status_code == 200, first.json
    assert set(first.json) == {"body", "actorId", "createdAt"}
    assert (first.json["body"], first.json["actorId"]) == ("请核实身份证号",
                                                           personas["supervisor"].id)
    assert first.json["createdAt"].endswith("Z")
    client.post(comments_url(iid), json={"body": "second"}, headers=login("admin"))
    listed = client.get(comments_url(iid), headers=login("viewer"))
    assert listed.status_code == 200
    assert [(c["body"], c["actorId"]) for c in listed.json] == [
        ("second", personas["admin"].id), ("请核实身份证号", personas["supervisor"].id)]


def test_comments_are_the_review_pages_rows_and_every_write_and_read_is_audited(
        client, db, simple_form, login, personas):
    iid = submitted(client, login)
    client.post(comments_url(iid), json={"body": "ok"}, headers=login("supervisor"))
    client.get(comments_url(iid), headers=login("viewer"))
    db.session.rollback()
    [row] = db.session.scalars(select(SubmissionComment)).all()
    assert (row.actor_kind, row.actor_id, row.body) == ("user", personas["supervisor"].id, "ok")
    rows = db.session.execute(select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.details)
                              .where(AuditEvent.action.in_(("submission.comment",
                                                            "submission.read")))
                              .order_by(AuditEvent.id)).all()
    assert rows == [("submission.comment", personas["supervisor"].id, {"commentId": row.id}),
                    ("submission.read", personas["viewer"].id, {"part": "comments"})]


def test_a_comment_needs_text(client, simple_form, login):
    iid = submitted(client, login)
    headers = login("admin")
    for body in ({}, {"body": "   "}, {"body": "x" * 2001}, {"body": 3}, {"body": "a", "x": 1}):
        response = client.post(comments_url(iid), json=body, headers=headers)
        assert response.status_code == 400 and response.json["code"] == "400.79", body


def test_who_may_comment_and_read_comments(client, db, simple_form, login, personas):
    ours, theirs = submitted(client, login), submitted(client, login, "xishan")
    client.post(comments_url(theirs), json={"body": "xishan's"}, headers=login("admin"))
    supervisor = login("supervisor")                                     # dongwan only
    for response in (client.get(comments_url(theirs), headers=supervisor),
                     client.post(comments_url(theirs), json={"body": "x"}, headers=supervisor),
                     client.get(comments_url(new_instance_id()), headers=supervisor)):
        assert response.status_code == 404 and response.json["code"] == "404.1"
    viewer = client.post(comments_url(ours), json={"body": "x"}, headers=login("viewer"))
    assert viewer.status_code == 403 and viewer.json["code"] == "403.2"
    assert client.get(comments_url(ours)).status_code == 401
    phone = client.get(comments_url(ours), query_string={"st": personas["worker_a"].token})
    assert phone.status_code == 403
    db.session.rollback()
    assert [c.body for c in db.session.scalars(select(SubmissionComment))] == ["xishan's"]
