"""Submissions written over Central's JSON API: a new submission (POST …/submissions), a new
version of one (PUT …/submissions/<instanceId>) and an attachment (POST …/attachments/<name>).

Each is Central's check of the request followed by the one way Doorstep writes a submission,
app.submissions.intake: the same durability, idempotency on instanceID, validation, village
scope and merge into the register as a phone's OpenRosa POST. What Central answers
differently from its OpenRosa face is translated here: the XML must be a submission to the
form in the URL (400.241, Central's 400.8 there); an instanceID already taken by other XML,
or by a version since replaced, is Central's 409.3 (intake's 409.1 / 409.9 on OpenRosa); a
PUT must carry a deprecatedID naming the submission's current version (400.19, 409.9).
A POST that repeats a stored submission's XML exactly is a retry and answers that submission
(Doorstep's rule, where Central's REST POST says 409.3).

No Flask: the caller gives the session, the blob store, the actor and plain data.
"""
import dataclasses

from sqlalchemy import select

from app.audit.record import record
from app.db.columns import utcnow
from app.problems import Problem
from app.storage.service import discard_unreferenced, insert_blob_rows
from app.submissions import ampersands, intake, queries, rows
from app.submissions.models import SubmissionDef


def create(session, store, actor, form, upload):
    """Store a new submission to `form` (or a retry of one). Returns intake's Received."""
    instance, upload = _for_form(upload, form)
    return _receive(session, store, actor, form.project_id, upload, instance)


def edit(session, store, actor, form, submission, upload):
    """Store `upload` as the new version of `submission`, whose current version its
    deprecatedID must name (a retry of the new version itself is answered as a retry)."""
    instance, upload = _for_form(upload, form)
    if instance.deprecated_id is None:
        raise Problem("400.19")
    current = queries.current_def(session, submission).instance_id
    if current not in (instance.deprecated_id, instance.instance_id):
        raise Problem("409.9", {"instance": instance.deprecated_id})
    return _receive(session, store, actor, form.project_id, upload, instance)


def _receive(session, store, actor, project_id, upload, instance):
    session.rollback()          # the caller's reads are done; intake runs its own phases
    try:
        return intake.receive(session, store, actor, project_id, upload)
    except Problem as e:
        # the XML's own instanceID is taken, by other XML or by a version since replaced
        if e.code in ("409.1", "409.9") and e.params.get("instance") == instance.instance_id:
            raise Problem("409.3", {"uuid": instance.instance_id}) from e
        raise


def _for_form(upload, form):
    """(instance, upload) of a submission to `form`; the upload's XML as it will be stored
    (bare ampersands escaped, app/submissions/ampersands.py)."""
    instance, xml = ampersands.read_leniently(upload.xml)
    if instance.xml_form_id != form.xml_form_id:
        raise Problem("400.241", {"value": instance.xml_form_id, "form": form.xml_form_id})
    return instance, dataclasses.replace(upload, xml=xml)


def attach(session, store, actor, submission, name, stream):
    """Store `stream` as the file `name` of the submission's current version, one its XML
    names (else 404.1, as Central answers); a file already there is replaced, as Central
    does. The bytes are written and fsynced before the row that points at them commits.

    Who: a reviewer (submission.update) any file; a sender who may only create (a phone's
    key, pyodk's `create` with attachments) only a missing file of her own submission's
    first version, as Central allows (403.2 otherwise)."""
    found = _attachment_of_current(session, submission, name)
    if not actor.can("submission.update") and not (
            found["sender"] == (actor.kind, actor.id) and found["first"]
            and not found["present"]):
        raise Problem("403.2")
    session.rollback()
    blob = store.put_stream(stream, hold=True)
    try:
        # the version must still be current when the file lands (a PUT may have replaced it
        # meanwhile): its row is locked on PostgreSQL, SQLite's transaction holds the database
        current = session.execute(select(SubmissionDef.current)
                                  .where(SubmissionDef.id == found["def_id"])
                                  .with_for_update()).scalar_one()
        if not current:
            raise Problem("409.9", {"instance": found["instance_id"]})
        insert_blob_rows(session, [blob])
        rows.set_attachment_blob(session, found["def_id"], name, blob.sha256)
        rows.update_submission(session, found["submission_id"], updated_at=utcnow())
        record(session, actor, "submission.attachment.update",
               f"submission:{found['submission_id']}", instanceId=found["instance_id"],
               names=[name], replaced=found["present"])
        session.commit()
    except BaseException:
        session.rollback()
        discard_unreferenced(session, store, [blob])
        raise
    finally:
        blob.release()


def _attachment_of_current(session, submission, name):
    current = queries.current_def(session, submission)
    attachment = next((a for a in current.attachments if a.name == name), None)
    if attachment is None:
        raise Problem("404.1")
    return {"def_id": current.id, "submission_id": submission.id,
            "instance_id": current.instance_id, "present": attachment.blob_sha256 is not None,
            "sender": (current.submitter_kind, current.submitter_id),
            "first": current.deprecated_id is None}
