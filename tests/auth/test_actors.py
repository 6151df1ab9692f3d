"""Who a phone's token belongs to (app.auth.actors.app_user_by_token): her villages and forms
come with her, in one statement."""
from sqlalchemy import select

from app.auth import accounts
from app.auth.actors import app_user_by_token
from app.forms.models import Form
from app.projects.models import Area
from tests.factories import make_xform


def test_an_app_user_comes_with_her_villages_and_forms(db, publish):
    publish(make_xform("visit", "1"))
    publish(make_xform("checks", "1"))
    s = db.session
    _, everywhere = accounts.create_app_user(s, 1, "town officer")
    _, two_villages = accounts.create_app_user(s, 1, "王秀英", ["dongwan", "xishan"],
                                               ["checks"])
    revoked, token = accounts.create_app_user(s, 1, "left", ["dongwan"])
    accounts.revoke_app_user(s, revoked)
    s.commit()
    areas = dict(s.execute(select(Area.code, Area.id)).all())
    forms = dict(s.execute(select(Form.xml_form_id, Form.id)).all())

    officer = app_user_by_token(s, everywhere)
    assert (officer.name, officer.area_ids, officer.form_ids) == ("town officer", None, None)
    worker = app_user_by_token(s, two_villages)
    assert worker.area_ids == {areas["dongwan"], areas["xishan"]}
    assert worker.form_ids == {forms["checks"]}
    assert worker.sees_form(forms["checks"]) and not worker.sees_form(forms["visit"])
    assert app_user_by_token(s, token) is None
    assert app_user_by_token(s, "x" * 64) is None
