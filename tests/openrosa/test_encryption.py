"""Checklist items 52–54: encrypted envelopes."""
from sqlalchemy import select

from app.submissions import processing
from app.submissions.models import SubmissionDef
from tests.factories import make_encrypted_envelope, make_xform, new_instance_id
from tests.openrosa.docs import message


def test_item_52_envelope_is_stored_with_its_enc_parts(collect, publish, db):
    result = publish(make_xform("secret", "1", encrypted=True))
    assert result.version.encrypted
    iid = new_instance_id()
    xml = make_encrypted_envelope(instance_id=iid, media=["photo.jpg.enc"])
    response = collect.submit(xml, files={"submission.xml.enc": b"\x00enc-xml",
                                          "photo.jpg.enc": b"\x00enc-photo"})
    assert response.status_code == 201
    d = db.session.scalar(select(SubmissionDef).where(SubmissionDef.instance_id == iid))
    assert d.encrypted
    assert {a.name: bool(a.blob_sha256) for a in d.attachments} == {
        "photo.jpg.enc": True, "submission.xml.enc": True}


def test_item_53_envelope_without_instance_id_is_400(collect, publish, db):
    publish(make_xform("secret", "1", encrypted=True))
    response = collect.submit(make_encrypted_envelope(instance_id=None))
    assert response.status_code == 400 and "instanceID" in message(response)[1]
    assert db.session.scalar(select(SubmissionDef)) is None


def test_item_54_encrypted_submissions_are_never_processed(collect, publish, monkeypatch):
    calls = []
    monkeypatch.setattr(processing, "PROCESSORS", [lambda s, received: calls.append(received.def_id)])
    publish(make_xform("secret", "1", encrypted=True))
    collect.submit(make_encrypted_envelope(instance_id=new_instance_id()))
    assert calls == []
    publish(make_xform("plain", "1"))
    from tests.factories import make_instance
    collect.submit(make_instance("plain"))
    assert len(calls) == 1
