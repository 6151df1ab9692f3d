"""Phones in the console: enrolled with a sheet whose code works on formList, a new code for a
lost sheet, revoked with one click, village scope for a supervisor, and each phone's last
contact written at most once per LAST_SEEN_EVERY."""
import re
from datetime import timedelta

from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.auth import accounts, provisioning
from app.auth.actors import LAST_SEEN_EVERY, app_user_by_token
from app.auth.models import AppUser
from app.db.columns import utcnow
from app.web.phones import KEY_COOKIE
from tests.collect import CollectClient
from tests.web.conftest import sign_in

SERVER_URL = re.compile(r'<code class="url">([^<]+)</code>')


def _enrol(console, name="王小梅的手机", villages=("dongwan",), **more):
    data = {"name": name, "villages": list(villages), "all_forms": "1", **more}
    return console.post("/phones", data)


def _new_phone(db):
    return db.session.scalar(select(AppUser).order_by(AppUser.id.desc()))


def _key_of(body):
    url = SERVER_URL.search(body).group(1)
    return url.split("/v1/key/")[1].split("/")[0], url


def test_enrolling_shows_a_sheet_whose_code_is_the_phone_s_key_and_works_on_formlist(
        console, db, client, simple_form):
    admin = console("admin")
    response = _enrol(admin)
    assert response.status_code == 303
    phone = _new_phone(db)
    assert response.headers["Location"] == f"/phones/{phone.id}"
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith(KEY_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert f"Path=/phones/{phone.id}" in cookie
    body = admin.get(f"/phones/{phone.id}").get_data(as_text=True)
    assert '<svg role="img"' in body and "王小梅的手机" in body
    token, url = _key_of(body)
    assert url == f"http://localhost/v1/key/{token}/projects/1"
    assert [a.code for a in phone.areas] == ["dongwan"] and phone.all_forms
    assert CollectClient(client, f"/v1/key/{token}/projects/1").form_list().status_code == 200
    events = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.target == f"app_user:{phone.id}")).all()
    assert "app_user.create" in events


def test_the_sheet_s_payload_is_the_managed_collect_settings(console, db):
    from app.console.phones import sheet
    drawn = sheet("http://10.0.0.5:8000", 1, "Test town", "a" * 64, "phone")
    settings = provisioning.decode(drawn.payload)
    assert settings == provisioning.collect_settings(
        "http://10.0.0.5:8000/v1/key/" + "a" * 64 + "/projects/1", "Test town")
    assert drawn.svg.startswith('<svg role="img"') and "<title>phone</title>" in drawn.svg


def test_the_sheet_is_shown_only_to_the_browser_that_made_the_key_and_only_for_a_while(
        console, db, app):
    admin = console("admin")
    _enrol(admin)
    phone = _new_phone(db)
    other = console("admin")                      # another sign-in of the same person
    body = other.get(f"/phones/{phone.id}").get_data(as_text=True)
    assert "<svg" not in body and "王小梅的手机" in body
    kept = admin.client.get_cookie(KEY_COOKIE, path=f"/phones/{phone.id}").value
    token, bound, _until = kept.split(".")
    stale = (utcnow() - timedelta(seconds=1)).strftime("%Y%m%d%H%M%S")
    admin.client.set_cookie(KEY_COOKIE, f"{token}.{bound}.{stale}", path=f"/phones/{phone.id}")
    assert "<svg" not in admin.get(f"/phones/{phone.id}").get_data(as_text=True)


def test_a_new_code_refuses_the_old_key_and_shows_a_new_sheet(console, db, client, simple_form):
    admin = console("admin")
    _enrol(admin)
    phone = _new_phone(db)
    old, _ = _key_of(admin.get(f"/phones/{phone.id}").get_data(as_text=True))
    response = admin.post(f"/phones/{phone.id}/code")
    assert response.status_code == 303
    new, _ = _key_of(admin.get(f"/phones/{phone.id}").get_data(as_text=True))
    assert new != old
    assert CollectClient(client, f"/v1/key/{old}/projects/1").form_list().status_code == 403
    assert CollectClient(client, f"/v1/key/{new}/projects/1").form_list().status_code == 200


def test_revoking_refuses_the_phone_at_once_and_keeps_it_listed(console, db, client, personas,
                                                                simple_form):
    supervisor = console("supervisor")
    phone = CollectClient(client, f"/v1/key/{personas['worker_a'].token}/projects/1")
    assert phone.form_list().status_code == 200
    response = supervisor.post(f"/phones/{personas['worker_a'].id}/revoke")
    assert response.status_code == 303
    assert phone.form_list().status_code == 403
    body = supervisor.get(f"/phones/{personas['worker_a'].id}").get_data(as_text=True)
    assert "Revoke this phone" not in body and "撤销" in body
    assert "worker_a" in supervisor.get("/phones").get_data(as_text=True)
    assert supervisor.post(f"/phones/{personas['worker_a'].id}/code").status_code == 409


def test_a_supervisor_sees_enrols_and_revokes_only_her_villages_phones(console, db, client,
                                                                       personas):
    supervisor = console("supervisor")
    listed = supervisor.get("/phones").get_data(as_text=True)
    assert "worker_a" in listed and "leader" in listed and "worker_b" not in listed
    # town-wide and two-village phones are the admin's
    accounts.create_app_user(db.session, 1, "town officer")
    accounts.create_app_user(db.session, 1, "both villages", ["dongwan", "xishan"])
    db.session.commit()
    listed = supervisor.get("/phones").get_data(as_text=True)
    assert "town officer" not in listed and "both villages" not in listed
    assert supervisor.get("/phones?village=xishan").status_code == 403
    other = personas["worker_b"].id
    assert supervisor.get(f"/phones/{other}").status_code == 404
    assert supervisor.post(f"/phones/{other}/revoke").status_code == 404
    assert supervisor.post(f"/phones/{other}/code").status_code == 404
    assert CollectClient(client, f"/v1/key/{personas['worker_b'].token}/projects/1") \
        .form_list().status_code == 200
    before = db.session.scalar(select(func.count()).select_from(AppUser))
    assert _enrol(supervisor, villages=("xishan",)).status_code == 403
    assert _enrol(supervisor, villages=("dongwan", "xishan")).status_code == 403
    refused = _enrol(supervisor, villages=())                       # never town-wide
    assert refused.status_code == 400
    assert "请勾选手机服务的村" in refused.get_data(as_text=True)
    assert _enrol(supervisor, villages=("*",)).status_code == 403       # nor by asking
    assert 'value="王小梅的手机"' in refused.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AppUser)) == before
    assert _enrol(supervisor, villages=("dongwan",)).status_code == 303


def test_an_admin_enrols_a_town_wide_phone_with_chosen_forms(console, db, publish):
    from tests.factories import make_xform
    publish(make_xform("visit", "1", title="Home visit"))
    publish(make_xform("checks", "1", title="Three checks"))
    admin = console("admin")
    ticked_nothing = admin.post("/phones", {"name": "town officer", "all_forms": "0",
                                            "forms": ["checks"]})
    assert ticked_nothing.status_code == 400         # every village is asked for, not implied
    response = admin.post("/phones", {"name": "town officer", "all_forms": "0",
                                      "forms": ["checks"], "villages": ["*"]})
    assert response.status_code == 303
    phone = _new_phone(db)
    assert phone.all_areas and not phone.all_forms
    assert [f.xml_form_id for f in phone.forms] == ["checks"]
    body = admin.get("/phones?lang=en").get_data(as_text=True)
    assert "Every village" in body and "Three checks" in body
    none_ticked = admin.post("/phones", {"name": "no forms", "all_forms": "0",
                                         "villages": ["*"]})
    assert none_ticked.status_code == 400


def test_the_list_filters_by_village_and_pages_by_25(console, db, personas):
    for n in range(26):
        accounts.create_app_user(db.session, 1, f"phone {n:02d}", ["xishan"])
    db.session.commit()
    admin = console("admin")
    first = admin.get("/phones?village=xishan").get_data(as_text=True)
    assert "phone 25" in first and "phone 01" in first and "phone 00" not in first
    assert "worker_a" not in first
    more = re.search(r'href="(/phones\?[^"]*after=\d+[^"]*)"', first).group(1)
    second = admin.get(more.replace("&amp;", "&")).get_data(as_text=True)
    assert "phone 00" in second and "worker_b" in second and "phone 01" not in second


def test_last_contact_is_written_on_a_phone_s_request_at_most_once_per_interval(
        db, client, personas, simple_form):
    phone = CollectClient(client, f"/v1/key/{personas['worker_a'].token}/projects/1")

    def seen():
        found = db.session.scalar(select(AppUser.last_seen_at).where(
            AppUser.id == personas["worker_a"].id))
        db.session.rollback()       # a request begins outside any transaction, as a server's
        return found
    assert seen() is None
    assert phone.form_list().status_code == 200
    first = seen()
    assert first is not None and utcnow() - first < timedelta(minutes=1)
    assert phone.form_list().status_code == 200
    assert seen() == first                              # throttled: no second write
    db.session.get(AppUser, personas["worker_a"].id).last_seen_at = \
        utcnow() - LAST_SEEN_EVERY - timedelta(seconds=1)
    db.session.commit()
    assert phone.head_submission().status_code == 204
    assert seen() > first


def test_last_contact_is_noted_in_the_caller_s_own_transaction_when_it_is_writing(db,
                                                                                  personas):
    # a caller that already writes (the demo town, the CLI) must not wait on itself
    now = utcnow()
    assert app_user_by_token(db.session, personas["leader"].token, now=now) is not None
    db.session.commit()
    assert db.session.get(AppUser, personas["leader"].id).last_seen_at == now


def test_the_list_shows_last_contact_and_marks_phones_silent_for_a_week(console, db, personas):
    quiet = db.session.get(AppUser, personas["leader"].id)
    quiet.last_seen_at = utcnow() - timedelta(days=8)
    busy = db.session.get(AppUser, personas["worker_a"].id)
    busy.last_seen_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    body = console("admin").get("/phones?lang=en").get_data(as_text=True)
    rows = {m.group(1): m.group(2) for m in re.finditer(
        r'<tr>\s*<th scope="row"><a [^>]*>([^<]+)</a></th>(.*?)</tr>', body, re.S)}
    assert "Silent for 7 days" in rows["leader"]
    assert "Silent for 7 days" not in rows["worker_a"]
    assert "Never" in rows["worker_b"] and "Silent for 7 days" in rows["worker_b"]


def test_a_viewer_may_not_manage_phones(app, personas, db):
    client = app.test_client()
    sign_in(app, client, "viewer", personas["viewer"].password)
    assert client.get("/phones").status_code == 403


WEB_LINK = re.compile(r'<code class="url">([^<]+/-/web/[^<]+)</code>')


def test_the_sheet_shows_the_browser_link_with_the_same_key_and_its_qr_code(
        console, db, client, simple_form, webforms_files):
    import segno
    admin = console("admin")
    _enrol(admin)
    phone = _new_phone(db)
    body = admin.get(f"/phones/{phone.id}").get_data(as_text=True)
    token, _ = _key_of(body)
    link = WEB_LINK.search(body).group(1)
    assert link == f"http://localhost/-/web/{token}/"
    assert "妇女小组长" in body                 # labelled for the leader, in Chinese by default
    drawn = segno.make(link, error="l", micro=False).svg_inline(
        scale=4, border=4, title="王小梅的手机：浏览器链接", svgclass="qr-web", omitsize=True)
    assert drawn.replace("<svg ", '<svg role="img" ', 1) in body
    db.session.commit()
    page = client.get(link.removeprefix("http://localhost"))
    assert page.status_code == 200 and "simple" in page.get_data(as_text=True)


def test_a_new_code_refuses_the_old_browser_link_too(console, db, client, simple_form,
                                                     webforms_files):
    admin = console("admin")
    _enrol(admin)
    phone = _new_phone(db)
    old = WEB_LINK.search(admin.get(f"/phones/{phone.id}").get_data(as_text=True)).group(1)
    admin.post(f"/phones/{phone.id}/code")
    new = WEB_LINK.search(admin.get(f"/phones/{phone.id}").get_data(as_text=True)).group(1)
    db.session.commit()
    assert client.get(old.removeprefix("http://localhost")).status_code == 403
    assert client.get(new.removeprefix("http://localhost")).status_code == 200


def test_the_enrolment_form_links_each_form_s_preview_for_a_supervisor(console, simple_form,
                                                                      webforms_files):
    supervisor = console("supervisor")
    body = supervisor.get("/phones/new").get_data(as_text=True)
    assert 'href="/forms/simple/preview"' in body and 'aria-label="预览 Simple"' in body
    assert supervisor.get("/forms/simple/preview").status_code == 200
