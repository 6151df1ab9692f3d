"""A console form acts on the town it was shown in. Admins and county staff keep the console
open in several tabs; a form filled in on a page of town A and sent after another tab
switched her session to town B acted on town B (the villages' codes are the same in both),
e.g. enrolled a phone whose key opened town B to a worker of town A. Every POST form of a
page now carries its town, which the guard takes as `?project=` is taken."""
import re

from sqlalchemy import select

from app.auth.models import AppUser
from tests.web.conftest import sign_in

FORM = re.compile(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', re.S)
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def _form(page, action):
    """The hidden fields of the page's form posting to `action`, as the browser sends them."""
    body = next(b for a, b in FORM.findall(page) if a == action)
    return dict(HIDDEN.findall(body))


def test_a_phone_enrolled_from_a_town_a_page_after_switching_to_town_b_is_town_as(
        app, db, towns):
    admin = app.test_client()
    assert sign_in(app, admin, "admin", "admin-password").status_code == 303
    page = admin.get("/phones/new?project=1").get_data(as_text=True)
    hidden = _form(page, "/phones")
    assert hidden.get("project") == "1"
    assert admin.get("/?project=2").status_code == 200           # another tab: town B
    sent = admin.post("/phones", data={**hidden, "name": "甲镇新手机", "villages": "dongwan",
                                        "all_forms": "1"})
    assert sent.status_code in (200, 303), sent.status_code
    db.session.rollback()
    assert db.session.scalar(select(AppUser.project_id).where(
        AppUser.display_name == "甲镇新手机")) == 1


def test_a_form_naming_a_town_she_does_not_work_in_is_refused(app, db, towns, personas):
    supervisor = app.test_client()
    assert sign_in(app, supervisor, "supervisor", "supervisor-password").status_code == 303
    hidden = _form(supervisor.get("/phones/new").get_data(as_text=True), "/phones")
    refused = supervisor.post("/phones", data={**hidden, "project": "2", "name": "乙镇手机",
                                               "villages": "dongwan", "all_forms": "1"})
    assert refused.status_code == 404 and "404.341" in refused.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(AppUser.id).where(
        AppUser.display_name == "乙镇手机")) is None


def test_every_post_form_of_a_page_carries_its_town(app, towns):
    """The Today, phone, user and submission pages' forms (one of each kind of page)."""
    admin = app.test_client()
    assert sign_in(app, admin, "admin", "admin-password").status_code == 303
    for url in ("/phones/new?project=2", f"/submissions/{towns.b['submission_id']}",
                f"/phones/{towns.b['app_user_id']}", "/users/new", "/forms/simple"):
        page = admin.get(url).get_data(as_text=True)
        forms = [(a, dict(HIDDEN.findall(b))) for a, b in FORM.findall(page)
                 if a != "/logout"]
        assert forms, url
        assert [a for a, fields in forms if fields.get("project") != "2"] == [], url
