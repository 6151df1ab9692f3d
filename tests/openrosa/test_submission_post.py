"""Checklist items 31–47: POST <base>/submission."""
import io

from sqlalchemy import func, select

from app.forms import publish as publishing
from app.submissions.models import Submission, SubmissionAttachment, SubmissionDef
from tests.factories import make_instance, make_xform, new_instance_id
from tests.openrosa.docs import message


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def stored(db, instance_id):
    d = db.session.scalar(select(SubmissionDef).where(SubmissionDef.instance_id == instance_id))
    return d, {a.name: a.blob_sha256 for a in d.attachments} if d else None


def test_item_31_multipart_post_is_201_with_one_message(collect, simple_form, db):
    iid = new_instance_id()
    response = collect.submit(make_instance(instance_id=iid, values={"name": "王芳"}),
                              xml_name="whatever.xml")
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    nature, text = message(response)
    assert nature == "" and "full submission upload was successful!" in text
    assert stored(db, iid)[0].xml.endswith("</data>")


def test_item_31_application_xml_part_is_accepted(collect, simple_form):
    assert collect.submit(make_instance(), xml_type="application/xml").status_code == 201


def test_item_32_success_is_only_201(collect, simple_form):
    iid = new_instance_id()
    codes = {collect.submit(make_instance(instance_id=iid)).status_code for _ in range(3)}
    assert codes == {201}


def test_item_33_missing_xml_part_is_400(collect, simple_form, db):
    response = collect.client.post(f"{collect.base}/submission", headers=collect.headers,
                                   data={"photo.jpg": (io.BytesIO(b"x"), "photo.jpg")},
                                   content_type="multipart/form-data")
    assert response.status_code == 400
    nature, text = message(response)
    assert nature == "error" and "xml_submission_file" in text and "缺少" in text
    assert count(db, Submission) == 0


def test_item_34_only_referenced_parts_are_stored(collect, simple_form, db):
    iid = new_instance_id()
    xml = make_instance(instance_id=iid, values={"name": "a", "photo": "p1.jpg"})
    response = collect.submit(xml, files={"p1.jpg": b"photo one", "other.jpg": b"stray"},
                              incomplete=False)
    assert response.status_code == 201
    assert list(stored(db, iid)[1]) == ["p1.jpg"]
    assert count(db, SubmissionAttachment) == 1


def test_item_34_is_incomplete_and_csrf_fields_are_ignored(collect, simple_form):
    data = {"xml_submission_file": (io.BytesIO(make_instance()), "s.xml", "text/xml"),
            "*isIncomplete*": "yes", "csrf_token": "abc"}
    response = collect.client.post(f"{collect.base}/submission", data=data,
                                   headers=collect.headers, content_type="multipart/form-data")
    assert response.status_code == 201


def test_item_35_split_upload_adds_attachments(collect, publish, db):
    publish(make_xform("photos", "1", binary=["a", "b"]))
    iid = new_instance_id()
    xml = make_instance("photos", instance_id=iid, values={"a": "a.jpg", "b": "b.jpg"})
    assert collect.submit(xml, files={"a.jpg": b"AAA"}, incomplete=True).status_code == 201
    assert stored(db, iid)[1]["b.jpg"] is None
    assert collect.submit(xml, files={"b.jpg": b"BBB"}).status_code == 201
    attachments = stored(db, iid)[1]
    assert attachments["a.jpg"] and attachments["b.jpg"]
    assert count(db, Submission) == 1 and count(db, SubmissionDef) == 1


def test_item_36_identical_retry_stores_nothing_new(collect, simple_form, db):
    iid = new_instance_id()
    xml = make_instance(instance_id=iid, values={"name": "a", "photo": "p.jpg"})
    collect.submit(xml, files={"p.jpg": b"photo"})
    before = (count(db, Submission), count(db, SubmissionDef), count(db, SubmissionAttachment))
    assert collect.submit(xml).status_code == 201
    assert collect.submit(xml, files={"p.jpg": b"photo"}).status_code == 201
    after = (count(db, Submission), count(db, SubmissionDef), count(db, SubmissionAttachment))
    assert before == after == (1, 1, 1)


def test_item_37_same_instance_id_different_xml_is_409(collect, simple_form, db):
    iid = new_instance_id()
    first = make_instance(instance_id=iid, values={"name": "first"})
    collect.submit(first)
    response = collect.submit(make_instance(instance_id=iid, values={"name": "changed"}))
    assert response.status_code == 409
    nature, text = message(response)
    assert nature == "error" and iid in text
    assert stored(db, iid)[0].xml == first.decode()


def test_item_38_resubmitting_a_deleted_submission_is_409(collect, simple_form, db):
    iid = new_instance_id()
    xml = make_instance(instance_id=iid)
    collect.submit(xml)
    from app.submissions.queries import delete_submission
    delete_submission(db.session, None, stored(db, iid)[0].submission)
    db.session.commit()
    response = collect.submit(xml)
    assert response.status_code == 409 and "deleted" in message(response)[1]


def test_item_39_instance_id_unique_per_form_only(collect, simple_form, publish, db):
    publish(make_xform("other", "1"))
    iid = new_instance_id()
    assert collect.submit(make_instance("simple", instance_id=iid)).status_code == 201
    assert collect.submit(make_instance("other", instance_id=iid)).status_code == 201
    assert count(db, Submission) == 2


def test_item_40_unknown_or_ungranted_form_is_refused(collect, simple_form, publish, db, client):
    response = collect.submit(make_instance("unknown"))
    assert response.status_code == 404 and "unknown" in message(response)[1]
    from app.auth import accounts
    from tests.collect import CollectClient
    publish(make_xform("private", "1"))
    _, token = accounts.create_app_user(db.session, 1, "limited", ["dongwan"], ["simple"])
    db.session.commit()
    limited = CollectClient(client, f"/v1/key/{token}/projects/1")
    response = limited.submit(make_instance("private"))
    assert response.status_code == 403 and message(response)[0] == "error"
    assert count(db, Submission) == 0


def test_item_41_any_published_version_is_accepted(collect, publish, simple_form):
    publish(make_xform("simple", "2", fields=("name", "age")))
    assert collect.submit(make_instance(version="1")).status_code == 201
    assert collect.submit(make_instance(version="2")).status_code == 201
    response = collect.submit(make_instance(version="7"))
    assert response.status_code == 404 and "7" in message(response)[1]


def test_item_42_closing_accepts_closed_refuses(collect, simple_form, db):
    publishing.set_state(db.session, simple_form.form, "closing")
    db.session.commit()
    assert collect.submit(make_instance()).status_code == 201
    publishing.set_state(db.session, simple_form.form, "closed")
    db.session.commit()
    response = collect.submit(make_instance())
    assert response.status_code == 409 and "closed" in message(response)[1]


def test_item_43_chunked_body_is_accepted(collect, simple_form, db):
    """A body without Content-Length, as a WSGI server hands over a chunked request
    (wsgi.input_terminated). tests/e2e sends real chunked bytes to gunicorn."""
    boundary = "ChunkyBoundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"xml_submission_file\"; "
            f"filename=\"s.xml\"\r\nContent-Type: text/xml\r\n\r\n").encode() + make_instance() + \
        f"\r\n--{boundary}--\r\n".encode()
    response = collect.client.post(
        f"{collect.base}/submission", input_stream=io.BytesIO(body), headers=collect.headers,
        content_type=f"multipart/form-data; boundary={boundary}",
        environ_overrides={"wsgi.input_terminated": True, "CONTENT_LENGTH": ""})
    assert response.status_code == 201
    assert count(db, Submission) == 1


def test_item_44_oversized_body_is_413_before_buffering(collect, simple_form, db, app):
    limit = app.config["MAX_CONTENT_LENGTH"]

    class Exploding(io.BytesIO):
        def read(self, *args):
            raise AssertionError("the body was read although Content-Length was too large")

        readline = readinto = read1 = read

    response = collect.client.post(
        f"{collect.base}/submission", input_stream=Exploding(), headers=collect.headers,
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"CONTENT_LENGTH": str(limit + 1)})
    assert response.status_code == 413
    assert message(response)[0] == "error" and str(limit) in message(response)[1]
    assert count(db, Submission) == 0


def test_item_44_oversized_chunked_body_is_413(collect, simple_form, db, app):
    body = b"--x\r\nContent-Disposition: form-data; name=\"big\"; filename=\"b\"\r\n\r\n" + \
        b"0" * (app.config["MAX_CONTENT_LENGTH"] + 10) + b"\r\n--x--\r\n"
    response = collect.client.post(
        f"{collect.base}/submission", input_stream=io.BytesIO(body), headers=collect.headers,
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"wsgi.input_terminated": True, "CONTENT_LENGTH": ""})
    assert response.status_code == 413
    assert count(db, Submission) == 0


def test_item_45_missing_instance_id_gets_one(collect, simple_form, db):
    response = collect.submit(make_instance(instance_id="-", values={"name": "no id"}))
    assert response.status_code == 201
    submission = db.session.scalar(select(Submission))
    assert submission.instance_id.startswith("uuid:") and len(submission.instance_id) == 41


def test_item_46_device_id_and_user_agent_are_kept(collect, simple_form, db):
    iid = new_instance_id()
    collect.submit(make_instance(instance_id=iid), query="?deviceID=collect%3AAbC123")
    d, _ = stored(db, iid)
    assert d.device_id == "collect:AbC123" and d.submission.device_id == "collect:AbC123"
    assert d.user_agent.startswith("org.odk.collect.android/")


def test_item_47_enketo_instance_headers_are_accepted(collect, simple_form, db):
    iid, old = new_instance_id(), new_instance_id()
    collect.submit(make_instance(instance_id=old))
    headers = {"X-OpenRosa-Instance-Id": iid, "X-OpenRosa-Deprecated-Id": old}
    response = collect.submit(make_instance(instance_id=iid, deprecated_id=old), headers=headers)
    assert response.status_code == 201
    assert stored(db, iid)[0].deprecated_id == old


def test_anonymous_post_is_challenged_before_the_body_is_read(client, simple_form):
    class Exploding(io.BytesIO):
        def read(self, *args):
            raise AssertionError("an anonymous body was read")

        readline = readinto = read1 = read

    response = client.post("/v1/projects/1/submission", input_stream=Exploding(b"x" * 10),
                           headers={"X-OpenRosa-Version": "1.0"},
                           content_type="multipart/form-data; boundary=x")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Digest")
