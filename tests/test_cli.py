"""The flask commands, through Click's runner against the test database."""
import os
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.auth.models import AppUser, User
from app.auth.secrets import check_password
from app.cli import app_users, areas, forms, users
from app.forms.models import Form
from app.projects.models import Area
from tests.factories import make_xform


def run(app, group, args, **kw):
    return app.test_cli_runner().invoke(group, args, **kw)


def test_users_create_prompts_for_the_password(app, db):
    result = run(app, users, ["create", "--username", "lihua", "--role", "supervisor",
                              "--areas", "dongwan"], input="s3cret-pass\ns3cret-pass\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "lihua"))
    assert check_password(user.password_hash, "s3cret-pass") and user.digest_ha1
    assert [a.code for a in user.areas] == ["dongwan"] and not user.all_areas
    again = run(app, users, ["create", "--username", "lihua", "--role", "viewer",
                             "--password", "x"])
    assert again.exit_code != 0 and "taken" in again.output and "已被使用" in again.output


def test_users_password_changes_both_hashes_and_ends_her_sessions(app, db, personas, client):
    from app.auth import sessions, web_sessions
    from app.auth.actors import from_user, user_by_session_token
    from app.auth.models import WebSession
    before = db.session.scalar(select(User).where(User.username == "viewer"))
    old_ha1 = before.digest_ha1
    api, _row = sessions.log_in(db.session, from_user(before), 24)
    web_sessions.open_session(db.session, from_user(before), timedelta(hours=1))
    db.session.commit()
    result = run(app, users, ["password", "viewer", "--password", "new-pass"])
    assert result.exit_code == 0
    db.session.expire_all()
    assert user_by_session_token(db.session, api) is None
    assert db.session.scalars(select(WebSession)).all() == []
    db.session.expire_all()
    after = db.session.scalar(select(User).where(User.username == "viewer"))
    assert check_password(after.password_hash, "new-pass") and after.digest_ha1 != old_ha1


def test_forms_publish_reports_each_form_and_fails_on_refusal(app, db, tmp_path):
    good = tmp_path / "visit.xml"
    good.write_bytes(make_xform("visit", "1", media=["logo.png"]))
    (tmp_path / "visit-media").mkdir()
    (tmp_path / "visit-media" / "logo.png").write_bytes(b"png")
    bad = tmp_path / "notes.txt"
    bad.write_text("not a form")
    result = run(app, forms, ["publish", str(good)])
    assert result.exit_code == 0 and "visit version 1: created" in result.output
    assert "missing media" not in result.output
    result = run(app, forms, ["publish", str(good), str(bad)])
    assert result.exit_code != 0
    assert "visit version 1: unchanged" in result.output and "REFUSED" in result.output


def test_forms_state(app, db, publish):
    publish(make_xform("visit", "1"))
    assert run(app, forms, ["state", "visit", "closing"]).exit_code == 0
    assert db.session.scalar(select(Form.state)) == "closing"
    assert run(app, forms, ["state", "nope", "closed"]).exit_code != 0


@pytest.mark.parametrize("header", ["name,label_zh,label_en", "name,label::Chinese (zh),label::English (en)"])
def test_areas_import_updates_labels(app, db, tmp_path, header):
    csv = tmp_path / "villages.csv"
    csv.write_text(f"{header}\n"
                   "dongwan,东湾新村,Dongwan New\nhuayuan,花园村,Huayuan\n", encoding="utf-8")
    result = run(app, areas, ["import", str(csv)])
    assert result.exit_code == 0 and "1 created, 1 updated" in result.output
    dongwan = db.session.scalar(select(Area).where(Area.code == "dongwan"))
    assert (dongwan.name_zh, dongwan.name_en) == ("东湾新村", "Dongwan New")


def test_app_users_revoke(app, db, personas, client):
    result = run(app, app_users, ["revoke", str(personas["worker_b"].id)])
    assert result.exit_code == 0
    assert db.session.get(AppUser, personas["worker_b"].id).revoked_at is not None
    response = client.get(f"/v1/key/{personas['worker_b'].token}/projects/1/formList",
                          headers={"X-OpenRosa-Version": "1.0"})
    assert response.status_code == 403
    assert run(app, app_users, ["revoke", "999"]).exit_code != 0


def test_setup_publishes_forms_in_the_folder(app, db, tmp_path, webforms_files, client):
    from app.cli import setup
    (tmp_path / "villages.csv").write_text(open(os.path.join(
        os.path.dirname(__file__), "..", "forms", "villages.csv"), encoding="utf-8").read(),
        encoding="utf-8")
    (tmp_path / "visit.xml").write_bytes(make_xform("visit", "1"))
    result = run(app, setup, ["--forms-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "visit version 1: created" in result.output and "Admin login" in result.output
    # the browser forms' link for the quick start phone, with its key, which opens its forms
    link = re.search(r"Forms in a browser \(no Collect\) / 浏览器填报: (\S+)\n",
                     result.output).group(1)
    key = re.search(r"/v1/key/([^/]+)/projects/1", result.output).group(1)
    assert link.endswith(f"/-/web/{key}/")
    assert "Browser forms not installed" not in result.output
    db.session.commit()
    page = client.get(f"/-/web/{key}/")
    assert page.status_code == 200 and 'data-form="visit"' in page.get_data(as_text=True)
