"""A write that runs again (a lost race, or a processing step that failed) stores the same
submission: its attachments' bytes are read from the request once and kept for the retry."""
import hashlib

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.submissions import intake, processing
from app.submissions.models import SubmissionDef
from tests.factories import make_instance, new_instance_id


def _attachments(db, instance_id):
    d = db.session.scalar(select(SubmissionDef).where(SubmissionDef.instance_id == instance_id))
    return {a.name: a.blob_sha256 for a in d.attachments}


def test_a_lost_race_keeps_the_attachment_bytes(collect, simple_form, db, monkeypatch):
    real_write, calls = intake._write, []

    def loses_the_first_race(*args):
        result = real_write(*args)           # reads the photo's stream, writes every row
        calls.append(1)
        if len(calls) == 1:
            raise intake._LostRace()         # rolled back; the write runs again
        return result

    monkeypatch.setattr(intake, "_write", loses_the_first_race)
    iid = new_instance_id()
    xml = make_instance(instance_id=iid, values={"name": "a", "photo": "p.jpg"})
    assert collect.submit(xml, files={"p.jpg": b"the photo"}).status_code == 201
    assert len(calls) == 2
    assert _attachments(db, iid) == {"p.jpg": hashlib.sha256(b"the photo").hexdigest()}


def test_a_failed_step_is_recorded_once_and_the_attachment_kept(collect, simple_form, db,
                                                                monkeypatch):
    runs = []

    def fails(session, received):
        runs.append(received.instance_id)
        raise RuntimeError("step exploded")

    monkeypatch.setattr(processing, "PROCESSORS", [fails])
    iid = new_instance_id()
    xml = make_instance(instance_id=iid, values={"name": "a", "photo": "p.jpg"})
    assert collect.submit(xml, files={"p.jpg": b"the photo"}).status_code == 201
    assert runs == [iid]                      # not run again on the second write
    assert _attachments(db, iid) == {"p.jpg": hashlib.sha256(b"the photo").hexdigest()}
    errors = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "submission.process.error")).all()
    assert len(errors) == 1 and "step exploded" in errors[0].details["error"]
