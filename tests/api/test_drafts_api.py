"""Form drafts over the JSON API, as ODK Central's: POST /forms makes a draft, files go to the
draft, publishing (with a version) makes the published version; phones, the form list and
the API's published reads never see a draft."""
from urllib.parse import quote

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.forms.models import FormVersion
from app.submissions.models import Submission
from tests.collect import CollectClient
from tests.factories import make_instance, make_xform
from tests.openrosa.docs import form_entries, media_files

XML = "application/xml"


def _new(client, headers, xml, query=""):
    return client.post(f"/v1/projects/1/forms{query}", data=xml, headers=headers,
                       content_type=XML)


def _url(form_id, suffix=""):
    return f"/v1/projects/1/forms/{quote(form_id, safe='')}{suffix}"


def test_a_new_form_is_a_draft_until_published_and_phones_never_see_the_draft(
        client, login, collect):
    headers = login("admin")
    r = _new(client, headers, make_xform("visit", "1", media=["logo.png"]))
    assert r.status_code == 200
    assert (r.json["xmlFormId"], r.json["version"], r.json["publishedAt"]) == ("visit", "1", None)
    assert len(r.json["draftToken"]) == 64 and r.json["enketoId"] is None
    assert client.get("/v1/projects/1/forms", headers=headers).json == []
    assert client.get(_url("visit"), headers=headers).status_code == 404
    assert form_entries(collect.form_list()) == []
    assert collect.submit(make_instance("visit", "1")).status_code == 404

    up = client.post(_url("visit", "/draft/attachments/logo.png"), data=b"PNG", headers=headers)
    assert up.status_code == 200 and up.json["exists"] is True
    listed = client.get(_url("visit", "/draft/attachments"), headers=headers).json
    assert [(a["name"], a["type"], a["exists"]) for a in listed] == [("logo.png", "image", True)]

    assert client.post(_url("visit", "/draft/publish"), headers=headers).json == {"success": True}
    form = client.get(_url("visit"), headers=headers).json
    assert form["version"] == "1" and form["publishedAt"] is not None
    assert [e["formID"] for e in form_entries(collect.form_list())] == ["visit"]
    files = media_files(collect.get(f"{collect.base}/forms/visit/manifest"))
    assert [f["filename"] for f in files] == ["logo.png"]
    assert client.get(_url("visit", "/draft"), headers=headers).json["code"] == "404.1"


def test_publish_true_publishes_at_once_and_an_existing_form_id_is_409_3(client, login):
    headers = login("admin")
    r = _new(client, headers, make_xform("visit", "1"), "?publish=true")
    assert r.status_code == 200 and r.json["outcome"] == "created"
    for query in ("", "?publish=true"):
        again = _new(client, headers, make_xform("visit", "2"), query)
        assert again.status_code == 409 and again.json["code"] == "409.3"
    _new(client, headers, make_xform("other", "1"))       # a draft holds its form id too
    assert _new(client, headers, make_xform("other", "1")).json["code"] == "409.3"
    for query in ("", "?publish=true"):
        nowhere = client.post(f"/v1/projects/999/forms{query}", data=make_xform("v", "1"),
                              headers=headers, content_type=XML)
        assert nowhere.status_code == 404 and nowhere.json["code"] == "404.1"


def test_a_new_draft_of_a_published_form_with_a_rewritten_version(client, login, publish, db):
    headers = login("admin")
    publish(make_xform("visit", "1", media=["logo.png"]), media={"logo.png": b"PNG1"})
    # no body: the published version is copied, and its files are carried forward
    assert client.post(_url("visit", "/draft"), headers=headers).json == {"success": True}
    draft = client.get(_url("visit", "/draft"), headers=headers).json
    assert draft["version"] == "1" and draft["publishedAt"] is None
    assert client.get(_url("visit", "/draft/attachments"), headers=headers).json[0]["exists"]
    same = client.post(_url("visit", "/draft/publish"), headers=headers)
    assert same.status_code == 409 and same.json["code"] == "409.6"
    r = client.post(_url("visit", "/draft/publish?version=1.1"), headers=headers)
    assert r.status_code == 200
    form = client.get(_url("visit"), headers=headers).json
    assert form["version"] == "1.1"
    versions = client.get(_url("visit", "/versions"), headers=headers).json
    assert [v["version"] for v in versions] == ["1.1", "1"]
    xml = client.get("/v1/projects/1/forms/visit.xml", headers=headers).data
    assert b'version="1.1"' in xml
    v11 = db.session.scalar(select(FormVersion).where(FormVersion.version == "1.1"))
    assert [a.blob_sha256 is not None for a in v11.attachments] == [True]


def test_a_draft_from_a_body_must_be_the_same_form(client, login, publish):
    headers = login("admin")
    publish(make_xform("visit", "1"))
    wrong = client.post(_url("visit", "/draft"), data=make_xform("other", "2"), headers=headers,
                        content_type=XML)
    assert wrong.status_code == 400 and wrong.json["code"] == "400.222"
    unknown = client.post(_url("nope", "/draft"), headers=headers)
    assert unknown.status_code == 404
    ok = client.post(_url("visit", "/draft"), data=make_xform("visit", "2"), headers=headers,
                     content_type=XML)
    assert ok.status_code == 200
    assert client.get(_url("visit", "/draft.xml"), headers=headers).data.count(b'version="2"') == 1
    assert client.get(_url("visit"), headers=headers).json["version"] == "1"


def test_delete_draft_and_the_codes_central_gives(client, login, publish):
    headers = login("admin")
    _new(client, headers, make_xform("fresh", "1"))
    never = client.delete(_url("fresh", "/draft"), headers=headers)
    assert never.status_code == 409 and never.json["code"] == "409.7"
    publish(make_xform("visit", "1"))
    none = client.delete(_url("visit", "/draft"), headers=headers)
    assert none.status_code == 404 and none.json["code"] == "404.1"
    client.post(_url("visit", "/draft"), headers=headers)
    assert client.delete(_url("visit", "/draft"), headers=headers).json == {"success": True}
    assert client.get(_url("visit", "/draft"), headers=headers).status_code == 404
    assert client.post(_url("visit", "/draft/publish"), headers=headers).json["code"] == "404.1"


def test_only_admins_touch_drafts(client, login, publish):
    publish(make_xform("visit", "1"))
    client.post(_url("visit", "/draft"), headers=login("admin"))
    supervisor = login("supervisor")
    for method, suffix in (("post", "/draft"), ("get", "/draft"), ("get", "/draft.xml"),
                           ("delete", "/draft"), ("post", "/draft/publish"),
                           ("get", "/draft/attachments"), ("get", "/draft/submissions")):
        r = getattr(client, method)(_url("visit", suffix), headers=supervisor)
        assert r.status_code == 403, (method, suffix)
    r = _new(client, supervisor, make_xform("mine", "1"))
    assert r.status_code == 403


def test_every_draft_write_is_audited(client, login, publish, db):
    headers = login("admin")
    publish(make_xform("visit", "1", media=["logo.png"]))
    client.post(_url("visit", "/draft"), headers=headers)
    client.post(_url("visit", "/draft/attachments/logo.png"), data=b"PNG", headers=headers)
    client.post(_url("visit", "/draft/publish?version=2"), headers=headers)
    client.post(_url("visit", "/draft"), headers=headers)
    client.delete(_url("visit", "/draft"), headers=headers)
    actions = list(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.action.like("form.draft.%")).order_by(AuditEvent.id)))
    assert actions == ["form.draft.create", "form.draft.attachment", "form.draft.publish",
                       "form.draft.create", "form.draft.delete"]


def test_odd_form_ids_route_to_their_drafts(client, login):
    headers = login("admin")
    for form_id in ("'=+/*-451%/%", "✅", "a/b.c"):
        r = _new(client, headers, make_xform(form_id, "1"))
        assert r.status_code == 200 and r.json["xmlFormId"] == form_id
        got = client.get(_url(form_id, "/draft"), headers=headers)
        assert got.status_code == 200 and got.json["xmlFormId"] == form_id
        assert client.post(_url(form_id, "/draft/publish"), headers=headers).status_code == 200
        assert client.get(_url(form_id), headers=headers).json["xmlFormId"] == form_id


def test_draft_testing_keeps_test_submissions_apart_and_drops_them(client, login, publish, db):
    headers = login("admin")
    publish(make_xform("visit", "1"))
    client.post(_url("visit", "/draft"), data=make_xform("visit", "2", media=["logo.png"]),
                headers=headers, content_type=XML)
    client.post(_url("visit", "/draft/attachments/logo.png"), data=b"PNG", headers=headers)
    token = client.get(_url("visit", "/draft"), headers=headers).json["draftToken"]
    phone = CollectClient(client, f"/v1/test/{token}/projects/1/forms/visit/draft")
    [entry] = form_entries(phone.form_list())
    assert (entry["formID"], entry["version"]) == ("visit", "2")
    assert b'version="2"' in phone.get(entry["downloadUrl"]).data
    [file] = media_files(phone.get(entry["manifestUrl"]))
    assert phone.get(file["downloadUrl"]).data == b"PNG"
    assert phone.head_submission().status_code == 204
    iid = "uuid:test-1"
    assert phone.submit(make_instance("visit", "2", instance_id=iid)).status_code == 201
    assert phone.submit(make_instance("visit", "2", instance_id=iid)).status_code == 201
    old = phone.submit(make_instance("visit", "1"))
    assert old.status_code == 409 and b"download the draft again" in old.data
    listed = client.get(_url("visit", "/draft/submissions"), headers=headers).json
    assert [s["instanceId"] for s in listed] == [iid]
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0

    # a replaced draft keeps its token and loses its test submissions
    client.post(_url("visit", "/draft"), data=make_xform("visit", "3"), headers=headers,
                content_type=XML)
    assert client.get(_url("visit", "/draft"), headers=headers).json["draftToken"] == token
    assert client.get(_url("visit", "/draft/submissions"), headers=headers).json == []
    client.post(_url("visit", "/draft/publish"), headers=headers)
    gone = phone.form_list()
    assert gone.status_code == 404 and b"404.4" not in gone.data and b"draft" in gone.data
    client.post(_url("visit", "/draft"), headers=headers)
    assert client.get(_url("visit", "/draft"), headers=headers).json["draftToken"] != token
    wrong = CollectClient(client, f"/v1/test/{'x' * 64}/projects/1/forms/visit/draft")
    assert wrong.form_list().status_code == 404


def test_a_test_phone_follows_openrosa_rules_and_its_files_are_kept(client, login, db):
    headers = login("admin")
    token = _new(client, headers, make_xform("visit", "1", binary=["photo"])).json["draftToken"]
    base = f"/v1/test/{token}/projects/1/forms/visit/draft"
    bare = client.get(f"{base}/formList")
    assert bare.status_code == 400 and bare.headers["X-OpenRosa-Version"] == "1.0"
    phone = CollectClient(client, base)
    sent = phone.submit(make_instance("visit", "1", instance_id="uuid:t1",
                                      values={"photo": "photo.jpg"}),
                        files={"photo.jpg": b"JPEG"})
    assert sent.status_code == 201 and b"OpenRosaResponse" in sent.data
    [row] = client.get(_url("visit", "/draft/submissions"), headers=headers).json
    assert (row["instanceId"], row["attachments"]) == ("uuid:t1", ["photo.jpg"])
    changed = phone.submit(make_instance("visit", "1", instance_id="uuid:t1",
                                         values={"name": "other", "photo": "photo.jpg"}))
    assert changed.status_code == 409


def test_a_publish_version_xml_cannot_hold_is_a_400_not_a_500(client, login, publish, db):
    headers = login("admin")
    publish(make_xform("visit", "1"))
    client.post(_url("visit", "/draft"), headers=headers)
    for bad in ("%01", "a%0Bb", "%EF%BF%BE"):        # control characters, U+FFFE
        r = client.post(_url("visit", f"/draft/publish?version={bad}"), headers=headers)
        assert r.status_code == 400 and r.json["code"] == "400.79", r.json
        assert r.json["message_zh"]
    assert client.get(_url("visit", "/draft"), headers=headers).status_code == 200
    assert client.post(_url("visit", "/draft/publish?version=2%09b"),
                       headers=headers).status_code == 200          # a tab is XML's


def test_a_test_phones_submission_is_a_write_and_is_audited(client, login, db):
    headers = login("admin")
    token = _new(client, headers, make_xform("visit", "1", binary=["photo"])).json["draftToken"]
    phone = CollectClient(client, f"/v1/test/{token}/projects/1/forms/visit/draft")
    xml = make_instance("visit", "1", instance_id="uuid:t1", values={"photo": "photo.jpg"})
    assert phone.submit(xml).status_code == 201
    assert phone.submit(xml, files={"photo.jpg": b"JPEG"}).status_code == 201
    db.session.rollback()
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "form.draft.submission.create").order_by(AuditEvent.id)).all()
    assert [(e.target, e.actor_id, e.details) for e in events] == [
        (events[0].target, None, {"instanceId": "uuid:t1", "outcome": "created", "files": []}),
        (events[0].target, None, {"instanceId": "uuid:t1", "outcome": "duplicate",
                                  "files": ["photo.jpg"]})]
    assert events[0].target.startswith("draft:")


def test_two_publishes_of_one_draft_racing_publish_it_once_and_the_other_is_404(
        app, client, login, publish, db, monkeypatch):
    """Both requests load the draft and pass its checks before either writes (PostgreSQL:
    SQLite's write lock at BEGIN runs them one after the other)."""
    import threading
    import pytest
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite takes its write lock at BEGIN: the two publishes never overlap")
    from app.forms import drafts
    headers = login("admin")
    publish(make_xform("visit", "1"))
    client.post(_url("visit", "/draft"), data=make_xform("visit", "2"), headers=headers,
                content_type=XML)
    both_checked = threading.Barrier(2)
    real_publish = drafts.publishing.publish

    def after_the_other_checked_too(*args, **kwargs):
        try:
            both_checked.wait(timeout=3)
        except threading.BrokenBarrierError:
            pass                # the other request is waiting for this one: no overlap
        return real_publish(*args, **kwargs)

    monkeypatch.setattr(drafts.publishing, "publish", after_the_other_checked_too)
    answers = []

    def publish_draft():
        answers.append(app.test_client().post(_url("visit", "/draft/publish"), headers=headers))
    threads = [threading.Thread(target=publish_draft) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted((r.status_code, r.json.get("code")) for r in answers) == [
        (200, None), (404, "404.1")], [r.json for r in answers]
    db.session.rollback()
    assert [v.version for v in db.session.scalars(select(FormVersion).order_by(
        FormVersion.id))] == ["1", "2"]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "form.draft.publish")) == 1


def test_a_form_whose_id_version_title_or_file_name_outgrows_its_column_is_400_261(
        client, login, db):
    headers = login("admin")
    too_long = {"id": make_xform("f" * 256, "1"), "version": make_xform("v", "9" * 256),
                "title": make_xform("t", "1", title="題" * 501),
                "file name": make_xform("m", "1", media=["m" * 252 + ".png"])}
    for what, xml in too_long.items():
        for query in ("", "?publish=true"):
            r = _new(client, headers, xml, query)
            assert r.status_code == 400 and r.json["code"] == "400.261", (what, r.json)
            assert r.json["details"]["what"] == what and r.json["message_zh"]
    assert client.get("/v1/projects/1/forms", headers=headers).json == []
    fits = make_xform("f" * 255, "9" * 255, title="題" * 500, media=["m" * 251 + ".png"])
    assert _new(client, headers, fits).status_code == 200


def test_a_nul_in_a_test_phones_url_finds_no_draft_rather_than_failing(client, login):
    headers = login("admin")
    token = _new(client, headers, make_xform("visit", "1")).json["draftToken"]
    for form_id in ("vi%00sit", "visit"):
        phone = CollectClient(client, f"/v1/test/{token}/projects/1/forms/{form_id}/draft")
        if form_id == "visit":
            phone = CollectClient(client, f"/v1/test/{token[:-1]}%00/projects/1/forms/visit/draft")
        for response in (phone.form_list(), phone.get(f"{phone.base}.xml"),
                         phone.submit(make_instance("visit", "1"))):
            assert response.status_code == 404 and b"OpenRosaResponse" in response.data


def test_an_xlsform_fallback_id_no_file_may_be_named_is_400_4_not_a_500(client, login):
    from tests.forms.test_publish import xlsform
    headers = {**login("admin"), "Content-Type": "application/vnd.openxmlformats-officedocument"
               ".spreadsheetml.sheet"}
    for fallback in ("a%00b", "%E8%A1%A8" * 100):         # a NUL; 300 bytes of UTF-8
        for query in ("", "?publish=true"):
            r = client.post(f"/v1/projects/1/forms{query}", data=xlsform([("text", "n", "N")]),
                            headers={**headers, "X-XlsForm-FormId-Fallback": fallback})
            assert r.status_code == 400 and r.json["code"] == "400.4", r.json
    assert client.get("/v1/projects/1/forms", headers=headers).json == []


def test_a_test_phone_keeps_only_the_files_its_xml_names(client, login, db):
    """As intake (and Central): a part the submission does not name is not stored."""
    from app.storage.models import Blob
    headers = login("admin")
    token = _new(client, headers, make_xform("visit", "1", binary=["photo"])).json["draftToken"]
    phone = CollectClient(client, f"/v1/test/{token}/projects/1/forms/visit/draft")
    blobs = db.session.scalar(select(func.count()).select_from(Blob))
    sent = phone.submit(make_instance("visit", "1", instance_id="uuid:t1",
                                      values={"photo": "photo.jpg"}),
                        files={"photo.jpg": b"JPEG", "other.bin": b"not named",
                               "..%2Fx": b"not named either"})
    assert sent.status_code == 201
    [row] = client.get(_url("visit", "/draft/submissions"), headers=headers).json
    assert row["attachments"] == ["photo.jpg"]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Blob)) == blobs + 1


def test_a_new_draft_is_compiled_without_the_sqlite_write_lock(client, login, publish, db,
                                                               monkeypatch):
    """pyxform and ODK Validate take seconds: every phone's submission would wait for them
    (app/forms/publish.py keeps its compile out of the lock the same way)."""
    import pytest
    from app.db import transactions
    from app.forms import drafts
    if db.session.get_bind().dialect.name != "sqlite":
        pytest.skip("PostgreSQL has no database-wide write lock")
    headers = login("admin")
    publish(make_xform("visit", "1"))
    real_compile = drafts.compile_upload
    held = []

    def observed(*args, **kwargs):
        held.append(transactions.in_transaction(db.session))
        return real_compile(*args, **kwargs)
    monkeypatch.setattr(drafts, "compile_upload", observed)
    for body in (make_xform("visit", "2"), b""):
        assert client.post(_url("visit", "/draft"), data=body, headers=headers,
                           content_type=XML).status_code == 200
    assert _new(client, headers, make_xform("other", "1")).status_code == 200
    assert held == [False, False, False]
    assert client.get(_url("visit", "/draft"), headers=headers).json["version"] == "1"
