"""Walks the URL map: every console route refuses an anonymous request, a role without its
permission, and a person of another village, and declares what it reads (@page).

Path arguments are filled from SAMPLES by name (things in village dongwan); a route with an
argument not named there fails here, so no page escapes the walk. A form route is sent its
form schema's EXAMPLE, so a refusal is the policy's, not the form's.
"""
import re

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.auth import accounts
from app.auth.actors import PERMISSIONS
from app.auth.models import AppUser
from app.projects.models import Area
from app.register import entities
from app.register.lists import dataset_named
from app.submissions.models import Submission
from app.web.session import DECLARATION
from tests import conftest as top
from tests.factories import make_instance
from tests.samples import register as sample
from tests.web.conftest import sign_in

PUBLIC = {"console.login", "console.login_post", "console.logout", "console.static"}
ROLES = ("admin", "supervisor", "viewer")
LI_XIUYING_AGAIN = "0b5c1a2e-7d7a-4c43-9a55-0d0c0ffee001"
ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


@pytest.fixture
def samples(town, simple_form, db, personas):
    """One of each thing a console path can name, in village dongwan; and people of the
    other village (xishan) in each role."""
    phone = town.phone("worker_a")
    xml = make_instance("simple", "1", values={"name": "王小梅", "village": "dongwan",
                                               "photo": "p.jpg"})
    assert phone.submit(xml, files={"p.jpg": b"\xff\xd8 a photo"}).status_code == 201
    s = db.session
    submission = s.scalar(select(Submission).order_by(Submission.id.desc()))
    for role in ("supervisor", "viewer"):
        accounts.create_user(s, f"{role}_x", "x-password", role, top.REALM, ["xishan"],
                             hash_method="scrypt:1024:8:1")
    from app.quality import outside
    births, _ = outside.import_file(s, None, 1, "hospital_births", "b.csv", (
        "certificate_no,mother_name,sex,birth_date,village\nH1,李秀英,女,2026-05-01,dongwan\n"
    ).encode())
    # 李秀英 registered a second time in dongwan: a duplicate pair for the pages naming one
    twin = dict(next(d for u, d in sample.PEOPLE if u == sample.LI_XIUYING))
    entities.create(s, dataset_named(s, 1, "people"), "李秀英", twin, uuid=LI_XIUYING_AGAIN,
                    area_id=s.scalar(select(Area.id).where(Area.code == "dongwan")))
    s.commit()
    return {"submission_id": submission.id, "import_id": births.id, "person": sample.LI_XIUYING,
            "a": sample.LI_XIUYING, "b": LI_XIUYING_AGAIN,
            "household": sample.H1, "entity": sample.LI_XIUYING,
            "app_user_id": personas["worker_a"].id, "user_id": personas["supervisor"].id,
            "xml_form_id": "simple", "month": "2026-05", "name": "p.jpg"}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("console.") and rule.endpoint not in PUBLIC:
            yield rule, getattr(app.view_functions[rule.endpoint], DECLARATION, None)


def _url(rule, samples):
    names = ARG.findall(rule.rule)
    missing = [n for n in names if n not in samples]
    assert not missing, f"{rule.rule}: add {missing} to SAMPLES in this test"
    return ARG.sub(lambda m: str(samples[m.group(1)]), rule.rule)


def _methods(rule):
    return sorted(rule.methods & {"GET", "POST"})


def _browser(app, username, password):
    client = app.test_client()
    assert sign_in(app, client, username, password).status_code == 303
    return client


def _csrf(app, client):
    from app.auth import web_sessions
    from app.web.session import COOKIE
    return web_sessions.csrf_token(app.config["SECRET_KEY"], client.get_cookie(COOKIE).value)


def _send(app, client, method, url, declaration):
    if method == "GET":
        return client.get(url)
    form = dict(getattr(declaration.form, "EXAMPLE", {}) if declaration.form else {})
    form["csrf"] = _csrf(app, client) if client.get_cookie("doorstep_console") else "x"
    return client.post(url, data=form)


def _audit_rows(db):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_every_console_route_declares_its_permission_query_and_scope(app):
    for endpoint in PUBLIC - {"console.static"}:       # open to all, yet through schemas
        declaration = getattr(app.view_functions[endpoint], DECLARATION, None)
        assert declaration is not None and declaration.permission is None, endpoint
    routes = list(_routes(app))
    assert routes, "no console routes"
    for rule, declaration in routes:
        assert declaration is not None, f"{rule.rule} has no @page"
        assert declaration.permission in PERMISSIONS, rule.rule
        if "POST" in rule.methods:
            assert declaration.form is not None, f"{rule.rule}: a POST route needs a form schema"
            example = getattr(declaration.form, "EXAMPLE", None)
            assert example is not None, f"{rule.rule}: its form schema needs an EXAMPLE"
            declaration.form().load({**example, "csrf": "x"})       # the example is valid
        if declaration.scope == "town":
            assert PERMISSIONS[declaration.permission] <= {"admin"}, (
                f"{rule.rule} is town-wide but a village role may use it")
        if declaration.scope == "shared":       # read by all; changed by none of them
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, f"{rule.rule} is shared"


def test_every_console_route_refuses_an_anonymous_request(app, samples, personas):
    for rule, declaration in _routes(app):
        url = _url(rule, samples)
        for method in _methods(rule):
            client = app.test_client()
            response = _send(app, client, method, url, declaration)
            if method == "GET":
                assert response.status_code == 302, (method, url)
                assert response.headers["Location"].startswith("/login?next="), url
            else:
                assert response.status_code == 401, (method, url)
            # a phone's key is no way in either
            token = personas["worker_a"].token
            response = app.test_client().open(url, method=method, query_string={"st": token})
            assert response.status_code in (302, 400, 401), (method, url)


def test_every_console_route_refuses_a_role_without_its_permission(app, samples, personas, db):
    for rule, declaration in _routes(app):
        url = _url(rule, samples)
        refused = [r for r in ROLES if r not in PERMISSIONS[declaration.permission]]
        for role in refused:
            client = _browser(app, role, personas[role].password)
            for method in _methods(rule):
                before = _audit_rows(db)
                response = _send(app, client, method, url, declaration)
                assert response.status_code == 403, (role, method, url, response.status_code)
                assert _audit_rows(db) == before, (role, method, url)


def _outsider(declaration):
    """A person of village xishan in a role that has the route's permission (None: only an
    admin has it, and an admin sees every village)."""
    for role in ("supervisor", "viewer"):
        if role in PERMISSIONS[declaration.permission]:
            return f"{role}_x"
    return None


def test_every_console_route_refuses_a_person_of_another_village(app, samples, personas, db):
    admin = _browser(app, "admin", personas["admin"].password)
    for rule, declaration in _routes(app):
        url = _url(rule, samples)
        outsider = _outsider(declaration)
        if declaration.scope != "village":
            continue            # "own" and "town" are checked above and by their pages
        if outsider is None:
            continue
        names = ARG.findall(rule.rule)
        client = _browser(app, outsider, "x-password")
        for method in _methods(rule):
            if method == "GET":
                assert admin.get(url).status_code == 200, f"the sample for {url} is wrong"
            if names:
                target = url
            elif method == "GET":
                fields_ = declaration.query().fields
                assert "village" in fields_, f"{url}: a village page needs ?village="
                target = url + "?village=dongwan"
            else:
                fields_ = declaration.form().fields
                assert {"village", "villages"} & set(fields_), (
                    f"{url}: a village form needs a village field")
                target = url
            before = _audit_rows(db)
            response = _send(app, client, method, target, declaration)
            assert response.status_code in (403, 404), (outsider, method, target,
                                                        response.status_code)
            assert _audit_rows(db) == before, (outsider, method, target)


# The browser forms (app/webforms): a leader's link pages, guarded by the key in their path
# and a query schema (pages.link); and the files anyone may fetch (no personal data).

WEBFORMS_OPEN = {"webforms.static", "webforms.service_worker", "webforms.engine"}


def _leader_routes(app):
    from app.webforms.pages import DECLARATION as LEADER
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("webforms."):
            declared = getattr(app.view_functions[rule.endpoint], LEADER, None)
            assert declared is not None or rule.endpoint in WEBFORMS_OPEN, (
                f"{rule.rule}: neither a leader route (@link) nor one of the open files")
            if declared is not None:
                assert declared[0] in PERMISSIONS and "token" in ARG.findall(rule.rule)
                assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule.rule
                found.append(rule)
    return found


def test_every_browser_forms_route_is_a_leader_route_or_an_open_file(app):
    assert {r.endpoint for r in _leader_routes(app)} == {"webforms.home", "webforms.form"}


def test_every_leader_route_refuses_a_malformed_or_revoked_key_and_an_unknown_query_field(
        app, db, personas, simple_form, webforms_files):
    from app.db.columns import utcnow
    live, revoked = personas["leader"], personas["worker_b"]
    db.session.get(AppUser, revoked.id).revoked_at = utcnow()
    db.session.commit()
    client = app.test_client()
    for rule in _leader_routes(app):
        def url(token, rule=rule):
            return _url(rule, {"token": token, "xml_form_id": "simple"})
        assert client.get(url(live.token)).status_code == 200, rule.rule
        malformed = client.get(url("not-a-key"))
        assert malformed.status_code == 401 and malformed.content_type.startswith("text/html")
        assert "链接中的访问令牌格式不正确" in malformed.get_data(as_text=True), rule.rule
        refused = client.get(url(revoked.token))
        assert refused.status_code == 403, rule.rule
        for query in ("?bogus=1", "?lang=fr", "?lang=en&lang=zh", "?draft=../x"):
            if query == "?draft=../x" and rule.endpoint != "webforms.form":
                query = "?draft=1"                  # not a field of the forms list
            answer = client.get(url(live.token) + query)
            assert answer.status_code == 400, (rule.rule, query, answer.status_code)
            assert "400.79" in answer.get_data(as_text=True)


def test_the_engine_route_serves_the_pinned_files_and_no_other_name(app, webforms_files):
    from app.webforms import assets
    client = app.test_client()
    served = [p.rsplit("/", 1)[-1] for _, _, files in assets.PACKAGES.values() for p in files]
    for name in served:
        assert client.get(f"/-/web/engine/{assets.tag()}/{name}").status_code == 200, name
    for name in (assets.MANIFEST, served[0] + ".gz", "..%2Finstalled.json", "sw.js", "x.js"):
        assert client.get(f"/-/web/engine/{assets.tag()}/{name}").status_code == 404, name
    assert client.get(f"/-/web/engine/0.0.1-{assets.tag()}/{served[0]}").status_code == 404
