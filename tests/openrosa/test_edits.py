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
