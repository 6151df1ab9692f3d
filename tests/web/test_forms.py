"""The forms pages: publishing an uploaded XLSForm as the API and CLI do (then on a phone's form
list), a broken one refused with pyxform's words in both languages and nothing changed,
warnings shown, the state closing a form to phones, a missing media file uploaded, the
policy for submissions with issues switched, and only an admin let in."""
import io

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.forms.models import Form, FormVersion
from tests.factories import make_instance, make_xform, make_xlsform



def visit(version="1", extra=()):
    return make_xlsform(
        survey=[{"type": "text", "name": "name", "label::English (en)": "Name",
                 "label::中文 (zh)": "姓名"},
                {"type": "image", "name": "photo", "label::English (en)": "Photo",
                 "label::中文 (zh)": "照片"}, *extra],
        settings={"form_id": "visit", "version": version, "form_title": "入户走访"})


def upload(console, data, filename="visit.xlsx", lang="zh", media=()):
    files = {"file": (io.BytesIO(data), filename)}
    if media:
        files["media"] = [(io.BytesIO(body), name) for name, body in media]
    return console.post(f"/forms?lang={lang}", files, content_type="multipart/form-data")


def phone_form_list(collect):
    """The form list worker_a's phone is sent (OpenRosa XML)."""
    return collect.get(f"{collect.base}/formList").get_data(as_text=True)


def count(db, model):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def test_an_uploaded_xlsform_is_published_and_on_a_phones_form_list(console, db, collect):
    admin = console("admin")
    assert "visit" not in phone_form_list(collect)
    response = upload(admin, visit())
    assert response.status_code == 303
    assert response.headers["Location"] == "/forms/visit?done=created"
    page = admin.get("/forms/visit?done=created&lang=en").get_data(as_text=True)
    assert "Published: a new form." in page and "入户走访" in page
    assert "<formID>visit</formID>" in phone_form_list(collect)
    row = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "form.publish")).one()
    assert row.actor_type == "user" and row.details["xmlFormId"] == "visit"
    listed = admin.get("/forms").get_data(as_text=True)
    assert "/forms/visit" in listed and "入户走访" in listed


def broken():
    return make_xlsform(survey=[{"type": "textX", "name": "name", "label": "Name"}],
                        settings={"form_id": "broken", "version": "1"})


def test_a_broken_xlsform_shows_pyxforms_error_in_both_languages_and_changes_nothing(console,
                                                                                      db):
    admin = console("admin")
    before = count(db, AuditEvent)
    zh = upload(admin, broken(), "broken.xlsx")
    assert zh.status_code == 400
    body = zh.get_data(as_text=True)
    assert "表单定义无效" in body and "textX" in body and "未发布任何内容" in body
    assert "“textX”不是 XLSForm 的题型" in body          # pyxform's words said again
    en = upload(admin, broken(), "broken.xlsx", lang="en")
    body = en.get_data(as_text=True)
    assert en.status_code == 400
    assert "The form definition is invalid" in body and "textX" in body
    assert count(db, Form) == 0 and count(db, AuditEvent) == before


def test_pyxforms_commonest_refusals_are_said_again_in_plain_words(console, db):
    admin = console("admin")
    twice = make_xlsform(survey=[{"type": "text", "name": "a", "label": "A"},
                                 {"type": "text", "name": "a", "label": "B"}],
                         settings={"form_id": "twice", "version": "1"})
    body = upload(admin, twice, "twice.xlsx").get_data(as_text=True)
    assert "请查看 survey 表第 3 行。" in body and "名称“a”在同一组中用了两次" in body
    body = upload(admin, twice, "twice.xlsx", lang="en").get_data(as_text=True)
    assert "Look at row 3 of the survey sheet." in body
    assert count(db, Form) == 0


def test_odk_validates_error_is_shown_and_nothing_published(console, db):
    from tests.forms.test_odk_validate import group_of_calculations, require_odk_validate
    require_odk_validate()
    admin = console("admin")
    response = upload(admin, group_of_calculations(), "checked.xlsx", lang="en")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "fails ODK Validate" in body and "Group has no children!" in body
    zh = upload(admin, group_of_calculations(), "checked.xlsx").get_data(as_text=True)
    assert "未通过 ODK Validate" in zh
    assert count(db, Form) == 0


def test_pyxforms_warnings_are_shown_on_the_forms_page(console):
    admin = console("admin")
    assert upload(admin, visit()).status_code == 303
    page = admin.get("/forms/visit").get_data(as_text=True)
    assert "警告" in page and "max-pixels" in page


def test_a_reused_version_with_other_content_is_refused_with_its_reason(console, db):
    admin = console("admin")
    assert upload(admin, visit()).status_code == 303
    changed = visit(extra=[{"type": "integer", "name": "age", "label::English (en)": "Age",
                            "label::中文 (zh)": "年龄"}])
    response = upload(admin, changed, lang="en")
    assert response.status_code == 409
    assert "was already published with different content" in response.get_data(as_text=True)
    assert count(db, FormVersion) == 1
    response = upload(admin, visit("2", extra=[{"type": "integer", "name": "age",
                                                 "label::English (en)": "Age",
                                                 "label::中文 (zh)": "年龄"}]))
    assert response.headers["Location"] == "/forms/visit?done=new+version"
    page = admin.get("/forms/visit").get_data(as_text=True)
    assert page.count("/forms/visit/xform?version=") == 2


def test_an_upload_without_a_file_is_refused(console, db):
    admin = console("admin")
    response = admin.post("/forms?lang=en", {}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Choose a file" in response.get_data(as_text=True)


def test_closing_takes_the_form_off_phones_and_closed_refuses_submissions(console, db, collect,
                                                                          simple_form):
    admin = console("admin")
    assert "<formID>simple</formID>" in phone_form_list(collect)
    response = admin.post("/forms/simple/state", {"state": "closing"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/forms/simple?done=state"
    assert "<formID>simple</formID>" not in phone_form_list(collect)
    assert collect.submit(make_instance("simple", "1")).status_code == 201   # still accepted
    admin.post("/forms/simple/state", {"state": "closed"})
    assert collect.submit(make_instance("simple", "1")).status_code == 409
    page = admin.get("/forms/simple?lang=en").get_data(as_text=True)
    assert "Closed" in page and "Open the form" in page
    db.session.rollback()
    states = db.session.scalars(select(AuditEvent.details).where(
        AuditEvent.action == "form.update.state").order_by(AuditEvent.id)).all()
    assert [d["state"] for d in states] == ["closing", "closed"]
    assert admin.post("/forms/simple/state", {"state": "gone"}).status_code == 400


def test_a_missing_media_file_is_uploaded_from_the_forms_page(console, db, collect, media_form):
    admin = console("admin")
    listed = admin.get("/forms?lang=en").get_data(as_text=True)
    assert '<span class="badge bad">1</span>' in listed
    page = admin.get("/forms/withmedia?lang=en").get_data(as_text=True)
    assert "villages.csv" in page and "Missing" in page
    csv = b"name,label\ndongwan,Dongwan\n"
    response = admin.post("/forms/withmedia/media",
                          {"name": "villages.csv", "file": (io.BytesIO(csv), "any.csv")},
                          content_type="multipart/form-data")
    assert response.status_code == 303
    page = admin.get("/forms/withmedia?done=media&lang=en").get_data(as_text=True)
    assert "Missing" not in page and "The media file was uploaded." in page
    manifest = collect.get(f"{collect.base}/forms/withmedia/manifest").get_data(as_text=True)
    assert "villages.csv" in manifest
    unknown = admin.post("/forms/withmedia/media",
                         {"name": "other.csv", "file": (io.BytesIO(csv), "other.csv")},
                         content_type="multipart/form-data")
    assert unknown.status_code == 404


def test_the_issues_policy_switches_between_hold_and_update(console, db, simple_form):
    admin = console("admin")
    assert "等待负责人审核" in admin.get("/forms/simple").get_data(as_text=True)
    assert admin.post("/forms/simple/issues", {"policy": "update"}).status_code == 303
    db.session.rollback()
    form = db.session.scalar(select(Form).where(Form.xml_form_id == "simple"))
    assert form.issues_update_register is True
    page = admin.get("/forms/simple?lang=en").get_data(as_text=True)
    assert "Still update the register" in page and "Make them wait for a supervisor" in page
    admin.post("/forms/simple/issues", {"policy": "hold"})
    db.session.rollback()
    assert db.session.get(Form, form.id).issues_update_register is False
    policies = db.session.scalars(select(AuditEvent.details).where(
        AuditEvent.action == "form.update.issues").order_by(AuditEvent.id)).all()
    assert [p["policy"] for p in policies] == ["update", "hold"]


def test_a_versions_xform_is_downloaded_as_phones_get_it(console, db, simple_form):
    admin = console("admin")
    response = admin.get("/forms/simple/xform?version=1")
    assert response.status_code == 200 and response.mimetype == "text/xml"
    assert response.get_data() == make_xform("simple", "1", title="Simple", binary=["photo"])
    assert admin.get("/forms/simple/xform?version=9").status_code == 404
    assert admin.get("/forms/nothing").status_code == 404


def test_only_an_admin_opens_the_forms_pages(console, simple_form):
    for persona in ("supervisor", "viewer"):
        other = console(persona)
        for url in ("/forms", "/forms/new", "/forms/simple"):
            assert other.get(url).status_code == 403, (persona, url)
        assert upload(other, visit()).status_code == 403
    assert "/forms" not in console("supervisor").get("/").get_data(as_text=True).split(
        "<main")[0]


def test_flask_forms_issues_sets_the_same_policy_and_audits_it(app, db, simple_form):
    from click.testing import CliRunner

    from app.cli import forms as forms_cli
    result = CliRunner().invoke(forms_cli, ["issues", "simple", "update"], obj=app.extensions)
    assert result.exit_code == 0, result.output
    db.session.rollback()
    assert db.session.scalar(select(Form.issues_update_register)) is True
    row = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "form.update.issues")).one()
    assert row.actor_type == "system" and row.details == {"policy": "update"}


def test_an_upload_over_the_body_size_limit_is_refused_and_changes_nothing(console, db, app):
    admin = console("admin")
    too_big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = upload(admin, too_big, "huge.xml", lang="en")
    assert response.status_code == 413
    assert "bytes this server accepts" in response.get_data(as_text=True)
    assert count(db, Form) == 0
