"""Checklist items 55–59: token URLs, Basic (HTTPS only), Digest, st=, form grants."""
import base64
import hashlib

from requests.auth import HTTPDigestAuth
from requests.utils import parse_dict_header

from app.auth import accounts, digest, secrets
from tests.collect import OPENROSA, CollectClient
from tests.factories import make_instance, make_xform
from tests.openrosa.docs import form_entries, message


def _basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _digest_header(challenge, method, url, user, password):
    """Answer a challenge with requests' own Digest implementation (not ours)."""
    auth = HTTPDigestAuth(user, password)
    auth.init_per_thread_state()
    auth._thread_local.chal = parse_dict_header(challenge.split(" ", 1)[1])
    return auth.build_digest_header(method, url)


def test_item_55_token_urls_need_no_authorization(collect, media_form):
    entry = form_entries(collect.form_list())[0]
    for url in (entry["downloadUrl"], entry["manifestUrl"],
                f"{collect.base}/forms/withmedia/attachments/logo.png"):
        assert collect.get(url).status_code == 200
    assert collect.head_submission().status_code == 204
    assert collect.submit(make_instance("withmedia")).status_code == 201


def test_item_56_revoked_unknown_and_malformed_tokens(client, db, personas, simple_form):
    from app.auth.models import AppUser
    accounts.revoke_app_user(db.session, db.session.get(AppUser, personas["worker_b"].id))
    db.session.commit()
    for token, status in ((personas["worker_b"].token, 403), ("A" * 64, 403), ("short", 401)):
        phone = CollectClient(client, f"/v1/key/{token}/projects/1")
        assert phone.form_list().status_code == status
        response = phone.submit(make_instance())
        assert response.status_code == status and message(response)[0] == "error"
        assert "WWW-Authenticate" not in response.headers


def test_item_57_401_challenges_and_basic_is_refused_over_http(client, personas, simple_form):
    url = "/v1/projects/1/formList"
    response = client.get(url, headers=OPENROSA)
    assert response.status_code == 401
    assert [h.split(" ")[0] for h in response.headers.getlist("WWW-Authenticate")] == ["Digest"]
    basic = _basic("admin", "admin-password")
    refused = client.get(url, headers={**OPENROSA, "Authorization": basic})
    assert refused.status_code == 401 and "HTTPS" in message(refused)[1]
    secure = client.get(url, headers={**OPENROSA, "Authorization": basic},
                        base_url="https://localhost")
    assert secure.status_code == 200
    challenge = client.get(url, headers=OPENROSA, base_url="https://localhost")
    schemes = [h.split(" ")[0] for h in challenge.headers.getlist("WWW-Authenticate")]
    assert schemes == ["Digest", "Basic"]


def test_item_57_digest_over_plain_http(client, personas, simple_form):
    url = "/v1/projects/1/submission"
    first = client.head(url, headers=OPENROSA)
    header = _digest_header(first.headers["WWW-Authenticate"], "HEAD",
                            "http://localhost" + url, "supervisor", "supervisor-password")
    assert client.head(url, headers={**OPENROSA, "Authorization": header}).status_code == 204
    post = client.post(url, headers=OPENROSA)
    header = _digest_header(post.headers["WWW-Authenticate"], "POST",
                            "http://localhost" + url, "supervisor", "supervisor-password")
    phone = CollectClient(client, "/v1/projects/1", headers={"Authorization": header})
    assert phone.submit(make_instance(), query="").status_code == 201


def test_item_57_wrong_digest_password_and_stale_nonce(client, app, personas):
    url = "/v1/projects/1/formList"
    challenge = client.get(url, headers=OPENROSA).headers["WWW-Authenticate"]
    wrong = _digest_header(challenge, "GET", "http://localhost" + url, "supervisor", "nope")
    assert client.get(url, headers={**OPENROSA, "Authorization": wrong}).status_code == 401
    old_nonce = digest.make_nonce(app.config["SECRET_KEY"], now=1_000_000)
    stale_challenge = challenge.replace(parse_dict_header(challenge[7:])["nonce"], old_nonce)
    stale = _digest_header(stale_challenge, "GET", "http://localhost" + url, "supervisor",
                           "supervisor-password")
    response = client.get(url, headers={**OPENROSA, "Authorization": stale})
    assert response.status_code == 401 and "stale=true" in response.headers["WWW-Authenticate"]


def test_forwarded_proto_is_trusted_only_from_configured_proxies(app, client, personas):
    url = "/v1/projects/1/formList"
    headers = {**OPENROSA, "Authorization": _basic("admin", "admin-password"),
               "X-Forwarded-Proto": "https"}
    assert client.get(url, headers=headers).status_code == 401
    app.wsgi_app.trusted = frozenset({"127.0.0.1"})
    try:
        assert client.get(url, headers=headers,
                          environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code == 200
    finally:
        app.wsgi_app.trusted = frozenset()


def test_item_58_st_query_token(client, personas, simple_form):
    token = personas["worker_a"].token
    response = client.get(f"/v1/projects/1/formList?st={token}", headers=OPENROSA)
    assert response.status_code == 200 and form_entries(response)
    phone = CollectClient(client, "/v1/projects/1")
    assert phone.submit(make_instance(), query=f"?st={token}").status_code == 201


def test_item_59_app_user_sees_only_granted_forms(client, db, publish, simple_form):
    publish(make_xform("pregnancy", "1", title="Pregnancy report"))
    _, token = accounts.create_app_user(db.session, 1, "group leader", ["dongwan"], ["pregnancy"])
    db.session.commit()
    leader = CollectClient(client, f"/v1/key/{token}/projects/1")
    assert [e["formID"] for e in form_entries(leader.form_list())] == ["pregnancy"]
    assert leader.get(f"{leader.base}/forms/simple.xml").status_code == 404
    assert leader.submit(make_instance("simple")).status_code == 403
    assert leader.submit(make_instance("pregnancy")).status_code == 201


def test_app_user_of_another_project_is_refused(client, db, simple_form):
    from app.projects.models import Project
    db.session.add(Project(id=2, name="Other town"))
    db.session.flush()
    _, token = accounts.create_app_user(db.session, 2, "elsewhere")
    db.session.commit()
    phone = CollectClient(client, f"/v1/key/{token}/projects/1")
    assert phone.form_list().status_code == 403


def test_viewer_may_list_but_not_submit(client, personas, simple_form):
    viewer = CollectClient(client, "/v1/projects/1", headers={
        "Authorization": _basic("viewer", "viewer-password")})
    assert viewer.client.get("/v1/projects/1/formList", headers=viewer.headers,
                             base_url="https://localhost").status_code == 200
    import io
    response = viewer.client.post(
        "/v1/projects/1/submission", headers=viewer.headers, base_url="https://localhost",
        data={"xml_submission_file": (io.BytesIO(make_instance()), "s.xml", "text/xml")},
        content_type="multipart/form-data")
    assert response.status_code == 403


def test_item_57_digest_under_a_sub_path(client, personas, simple_form):
    """Served under /odk behind a proxy: the client signs /odk/v1/…, Flask routes /v1/…."""
    url, mounted = "/v1/projects/1/formList", "/odk/v1/projects/1/formList"
    env = {"SCRIPT_NAME": "/odk"}
    challenge = client.get(url, headers=OPENROSA, environ_overrides=env)
    header = _digest_header(challenge.headers["WWW-Authenticate"], "GET",
                            "http://localhost" + mounted, "supervisor", "supervisor-password")
    response = client.get(url, headers={**OPENROSA, "Authorization": header},
                          environ_overrides=env)
    assert response.status_code == 200
    assert form_entries(response)[0]["downloadUrl"].startswith("http://localhost/odk/v1/")


def test_item_57_a_digest_header_is_accepted_once(client, personas, simple_form):
    # someone on the network path of a plain-HTTP phone replays what it saw, with a body
    # of their own: refused with a stale challenge, and the phone's next count still works
    url = "/v1/projects/1/submission"
    auth = HTTPDigestAuth("supervisor", "supervisor-password")
    auth.init_per_thread_state()
    auth._thread_local.chal = parse_dict_header(
        client.post(url, headers=OPENROSA).headers["WWW-Authenticate"].split(" ", 1)[1])
    header = auth.build_digest_header("POST", "http://localhost" + url)
    phone = CollectClient(client, "/v1/projects/1", headers={"Authorization": header})
    assert phone.submit(make_instance(), query="").status_code == 201
    replayed = phone.submit(make_instance(), query="")
    assert replayed.status_code == 401
    assert "stale=true" in replayed.headers["WWW-Authenticate"]
    following = auth.build_digest_header("POST", "http://localhost" + url)       # nc=00000002
    phone = CollectClient(client, "/v1/projects/1", headers={"Authorization": following})
    assert phone.submit(make_instance(), query="").status_code == 201


def test_item_57_digest_without_qop_is_refused(client, app, personas):
    # RFC 2069's answer has no nonce count, so a replay of it could not be recognised
    url = "/v1/projects/1/formList"
    challenge = client.get(url, headers=OPENROSA).headers["WWW-Authenticate"]
    nonce = parse_dict_header(challenge.split(" ", 1)[1])["nonce"]
    realm = app.config["AUTH_REALM"]
    ha1 = secrets.digest_ha1("supervisor", realm, "supervisor-password")
    md5 = lambda s: hashlib.md5(s.encode()).hexdigest()  # noqa: E731
    answer = md5(f"{ha1}:{nonce}:" + md5("GET:" + url))       # no qop, nc or cnonce
    header = (f'Digest username="supervisor", realm="{realm}", nonce="{nonce}", uri="{url}", '
              f'response="{answer}"')
    assert client.get(url, headers={**OPENROSA, "Authorization": header}).status_code == 401


def test_nonce_uses_are_forgotten_after_the_nonce_life(app, db):
    import datetime as dt

    from app.auth import nonces
    from app.auth.models import DigestNonceUse
    assert nonces.first_use(db.engine, "n1", "00000001")
    assert not nonces.first_use(db.engine, "n1", "00000001")
    assert nonces.first_use(db.engine, "n1", "00000002")
    with db.engine.begin() as c:
        c.execute(DigestNonceUse.__table__.update().values(
            used_at=dt.datetime(2026, 1, 1)))
    assert nonces.first_use(db.engine, "n2", "00000001")          # purges the old ones
    kept = db.session.scalars(db.select(DigestNonceUse.nonce)).all()
    assert kept == ["n2"]
