"""The form page's one-button forms (close or open the form, the issues policy) work as the
browser sends them: the `action` macro is imported with the page's context, so each carries
the session's CSRF token (it rendered an empty one, and every click was refused 403.91)."""
import re

from sqlalchemy import select

from app.forms.models import Form
from tests.web.conftest import sign_in

FORM = re.compile(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', re.S)
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def test_the_close_button_of_the_form_page_closes_the_form(app, db, personas, simple_form):
    admin = app.test_client()
    assert sign_in(app, admin, "admin", "admin-password").status_code == 303
    page = admin.get("/forms/simple").get_data(as_text=True)
    buttons = [(a, dict(HIDDEN.findall(b))) for a, b in FORM.findall(page)
               if a == "/forms/simple/state"]
    assert buttons and all(fields["csrf"] for _a, fields in buttons)
    closing = next(fields for _a, fields in buttons if fields["state"] == "closing")
    assert admin.post("/forms/simple/state", data=closing).status_code == 303
    db.session.rollback()
    assert db.session.scalar(select(Form.state).where(Form.xml_form_id == "simple")) == \
        "closing"
