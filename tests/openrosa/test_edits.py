"""Checklist items 48–51: edits through deprecatedID."""
from sqlalchemy import func, select

from app.submissions.models import Submission, SubmissionDef
from tests.factories import make_instance, make_xform, new_instance_id
from tests.openrosa.docs import message


def _def(db, iid):
    return db.session.scalar(select(SubmissionDef).where(SubmissionDef.instance_id == iid))


def test_item_48_edit_creates_a_new_version_marked_edited(collect, simple_form, db):
    first, second = new_instance_id(), new_instance_id()
    collect.submit(make_instance(instance_id=first, values={"name": "李娜"}))
    response = collect.submit(make_instance(instance_id=second, deprecated_id=first,
                                            values={"name": "李娜娜"}))
    assert response.status_code == 201
    old, new = _def(db, first), _def(db, second)
    assert old.submission_id == new.submission_id and not old.current and new.current
    submission = db.session.get(Submission, new.submission_id)
    assert submission.review_state == "edited"
    assert submission.instance_id == first
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 1


def test_item_49_attachments_carry_over_unless_replaced(collect, publish, db):
    publish(make_xform("photos", "1", binary=["a", "b"]))
    first, second = new_instance_id(), new_instance_id()
    values = {"a": "a.jpg", "b": "b.jpg"}
    collect.submit(make_instance("photos", instance_id=first, values=values),
                   files={"a.jpg": b"A1", "b.jpg": b"B1"})
    collect.submit(make_instance("photos", instance_id=second, deprecated_id=first, values=values),
                   files={"b.jpg": b"B2"})
    old = {a.name: a.blob_sha256 for a in _def(db, first).attachments}
    new = {a.name: a.blob_sha256 for a in _def(db, second).attachments}
    assert new["a.jpg"] == old["a.jpg"] and new["b.jpg"] != old["b.jpg"]
    assert all(new.values())


def test_item_50_unknown_deprecated_id_is_404(collect, simple_form):
    response = collect.submit(make_instance(deprecated_id=new_instance_id()))
    assert response.status_code == 404 and message(response)[0] == "error"


def test_item_50_editing_a_superseded_version_is_409(collect, simple_form):
    a, b, c = new_instance_id(), new_instance_id(), new_instance_id()
    collect.submit(make_instance(instance_id=a))
    collect.submit(make_instance(instance_id=b, deprecated_id=a, values={"name": "b"}))
    response = collect.submit(make_instance(instance_id=c, deprecated_id=a, values={"name": "c"}))
    assert response.status_code == 409 and a in message(response)[1]


def test_item_51_resending_an_accepted_edit_is_201(collect, publish, db):
    publish(make_xform("photos", "1", binary=["a"]))
    a, b = new_instance_id(), new_instance_id()
    collect.submit(make_instance("photos", instance_id=a, values={"a": "a.jpg"}))
    edit = make_instance("photos", instance_id=b, deprecated_id=a, values={"a": "a.jpg"})
    assert collect.submit(edit).status_code == 201
    assert collect.submit(edit, files={"a.jpg": b"late photo"}).status_code == 201
    assert [x.blob_sha256 is not None for x in _def(db, b).attachments] == [True]
    assert db.session.scalar(select(func.count()).select_from(SubmissionDef)) == 2


def test_resending_the_original_after_an_edit_is_409(collect, simple_form):
    a, b = new_instance_id(), new_instance_id()
    original = make_instance(instance_id=a)
    collect.submit(original)
    collect.submit(make_instance(instance_id=b, deprecated_id=a, values={"name": "x"}))
    assert collect.submit(original).status_code == 409


def test_two_edits_of_the_same_version_racing_leave_one_current(app, collect, simple_form, db):
    """Both edits pass the read phase; the guarded supersede lets exactly one win (the other
    runs again and is refused as editing an outdated copy)."""
    from app.submissions import intake
    from app.submissions.intake import Upload
    from app.auth.actors import app_user_by_token
    from tests.factories import make_instance
    first = new_instance_id()
    collect.submit(make_instance(instance_id=first))
    actor = app_user_by_token(db.session, collect.base.split("/")[3])
    db.session.rollback()
    a = Upload(xml=make_instance(instance_id=new_instance_id(), deprecated_id=first,
                                 values={"name": "a"}))
    b = Upload(xml=make_instance(instance_id=new_instance_id(), deprecated_id=first,
                                 values={"name": "b"}))
    real_write = intake._write
    results = []

    def write_after_the_other_edit(session, store, actor_, plan, instance, upload, *rest):
        if not results:               # while A is between its read and write phases, B lands
            results.append("b")
            with app.app_context():
                from app.db import db as other
                intake.receive(other.session, app.extensions["blob_store"], actor, 1, b)
                other.session.remove()
        return real_write(session, store, actor_, plan, instance, upload, *rest)

    intake._write = write_after_the_other_edit
    try:
        import pytest
        from app.problems import Problem
        with pytest.raises(Problem) as refused:
            intake.receive(db.session, app.extensions["blob_store"], actor, 1, a)
    finally:
        intake._write = real_write
    assert refused.value.code == "409.9"
    currents = db.session.scalars(select(SubmissionDef).where(SubmissionDef.current.is_(True))).all()
    assert len(currents) == 1 and b"<name>b</name>" in currents[0].xml.encode()
