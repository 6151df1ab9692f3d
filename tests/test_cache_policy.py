"""No shared cache may keep anything Doorstep answers (app/cache_policy.py, as ODK Central)."""
from tests.factories import make_instance
from tests.openrosa.docs import media_files

REVALIDATE = "private, no-cache"


def assert_kept_privately(response):
    assert response.headers["Cache-Control"] == REVALIDATE
    assert {"Accept-Encoding", "Origin"} <= set(response.vary)


def assert_never_kept(response):
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Vary"] == "*"


def test_what_a_phone_reads_is_kept_only_privately_and_revalidated(collect, media_form):
    form_list = collect.form_list()
    manifest = collect.get(f"{collect.base}/forms/withmedia/manifest")
    media = media_files(manifest)[0]
    first = collect.get(media["downloadUrl"])
    again = collect.get(media["downloadUrl"], headers={"If-None-Match": first.headers["ETag"]})
    refused = collect.get(f"{collect.base}/forms/nope/manifest")
    head = collect.head_submission()
    assert [r.status_code for r in (form_list, manifest, first, again, refused, head)] == \
        [200, 200, 200, 304, 404, 204]
    for response in (form_list, manifest, first, again, refused, head):
        assert_kept_privately(response)
    # Flask's own file responses say plain "no-cache", which a shared cache may store
    assert "public" not in first.headers["Cache-Control"]


def test_a_preflight_answer_has_no_body_and_no_type(collect, simple_form):
    response = collect.head_submission()
    assert response.status_code == 204 and "Content-Type" not in response.headers


def test_answers_to_submissions_and_log_ins_are_never_kept(client, collect, simple_form,
                                                           personas):
    stored = collect.submit(make_instance())
    refused = collect.submit(b"<not-xml")
    login = client.post("/v1/sessions", json={"email": "admin", "password": "admin-password"})
    token = login.json["token"]
    logout = client.delete(f"/v1/sessions/{token}",
                           headers={"Authorization": f"Bearer {token}"})
    assert [r.status_code for r in (stored, refused, login, logout)] == [201, 400, 200, 200]
    for response in (stored, refused, login, logout):
        assert_never_kept(response)


def test_the_staff_api_is_kept_only_privately(client, personas, simple_form):
    token = client.post("/v1/sessions", json={"email": "admin",
                                              "password": "admin-password"}).json["token"]
    forms = client.get("/v1/projects/1/forms", headers={"Authorization": f"Bearer {token}"})
    unauthenticated = client.get("/v1/projects/1/forms")
    assert [forms.status_code, unauthenticated.status_code] == [200, 401]
    assert_kept_privately(forms)
    assert_kept_privately(unauthenticated)


def test_the_web_consoles_pages_and_downloads_are_never_kept(app, db, personas, simple_form,
                                                             collect):
    """A clinic's computer is shared: after signing out, Back or the disk cache must not show
    a woman's record, nor a phone's enrolment sheet its key. The stylesheet is kept."""
    from sqlalchemy import select

    from app.audit.models import AuditEvent
    from app.submissions.models import Submission
    from tests.web.conftest import sign_in
    assert collect.submit(make_instance()).status_code == 201
    submission_id = db.session.scalar(select(Submission.id))
    browser = app.test_client()
    sign_in(app, browser, "admin", "admin-password")
    pages = [browser.get(url) for url in ("/", f"/submissions/{submission_id}",
                                          f"/submissions/{submission_id}/xml", "/login")]
    head = browser.head(f"/submissions/{submission_id}")
    assert [r.status_code for r in pages + [head]] == [200, 200, 200, 302, 200]
    for response in pages + [head]:
        assert_never_kept(response)
    css = browser.get(pages[0].get_data(as_text=True).split('rel="stylesheet" href="')[1]
                      .split('"')[0].replace("&amp;", "&"))
    assert css.status_code == 200
    assert_kept_privately(css)
    db.session.rollback()
    # a HEAD reads as a GET does, and is audited as one
    assert len(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "submission.read")).all()) == 3


def test_a_browser_links_pages_are_never_kept_but_the_engine_is_kept_for_good(
        client, personas, simple_form, webforms_files):
    token = personas["leader"].token
    page = client.get(f"/-/web/{token}/")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert "*" not in page.headers.get("Vary", "")      # Cache Storage refuses Vary: *
    engine = client.get(page.get_data(as_text=True).split('"vue": "')[1].split('"')[0])
    assert engine.status_code == 200
    assert engine.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    refused = client.get("/-/web/" + "x" * 64 + "/")
    assert refused.status_code in (401, 403) and refused.headers["Cache-Control"] == "no-store"
