"""Walks the URL map across towns: every route with a town (project) in its path, asked by
a person of town A (her phone, her supervisor, her viewer) for town B, is refused (401, 403
or 404), shows nothing of B and changes nothing; and asked under town A's own project for
B's records (B's submission, person, phone, webhook, outside import), even by an admin, it
is a 403 or 404 too. Every GET of town A answers without a word of B.

Path arguments are filled by name from the `towns` fixture (tests/towns/conftest.py); an
argument named nowhere there fails the walk, so a new route cannot escape it."""
import io
import re
import zipfile

from app.api.loading import BYTES, JSON_OR_CSV
from app.api.openapi import declaration
from tests.api.test_route_policy_api import EXAMPLES, _changed, _state
from tests.factories import make_instance
from tests.towns.conftest import B_SECRETS
from tests.web.conftest import sign_in

ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
#: arguments that name one record (not the town, a form or a list name every town has)
RECORD_ARGS = {"instance_id", "uuid", "app_user_id", "import_id", "other", "webhook_id"}


def _town_rules(app):
    rules = [r for r in app.url_map.iter_rules() if {"project", "project_id"} & r.arguments]
    assert len(rules) >= 100, "the walk does not see the towns' routes"
    for rule in sorted(rules, key=lambda r: (r.rule, r.endpoint)):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _url(rule, values, token):
    def fill(match):
        name = match.group(1)
        if name == "token":
            return token
        assert name in values, f"{rule.rule}: add {name!r} to the towns fixture"
        value = values[name]
        if isinstance(value, dict):
            before = rule.rule[:match.start()].rstrip("/").rsplit("/", 1)[-1]
            value = value.get(before, value["datasets"])
        return str(value)
    return ARG.sub(fill, rule.rule)


def _send(app, client, rule, method, url, headers):
    declared = declaration(app, rule)
    kwargs = {}
    if method in WRITES and declared is not None and declared.body not in (None, BYTES):
        schema = getattr(declared.body, "schema", declared.body) \
            if isinstance(declared.body, JSON_OR_CSV) else declared.body
        kwargs = {"json": EXAMPLES[schema.__name__]}
    elif method in WRITES and declared is not None:
        kwargs = {"data": b"<h:html/>", "content_type": "application/xml"}
    elif method == "POST":          # the OpenRosa submission: a filled form of B's village
        xml = make_instance("simple", "1", values={"name": "外来", "village": "dongwan"})
        kwargs = {"data": {"xml_submission_file": (io.BytesIO(xml), "s.xml")}}
    headers = {**headers, "X-OpenRosa-Version": "1.0"}
    return client.open(url, method=method, headers=headers, **kwargs)


def _text(response):
    """The answer as text, a zip's (CSV export, XLSX) members' included."""
    data = response.get_data()
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            data = b"".join(z.read(n) for n in z.namelist())
    return data.decode("utf-8", "replace")


def _person(app, username):
    """A client signed in at the console and carrying her API bearer token: one request is
    tried with both ways a person proves who she is."""
    client = app.test_client()
    assert sign_in(app, client, username, f"{username}-password").status_code == 303
    token = client.post("/v1/sessions", json={"email": username,
                                               "password": f"{username}-password"}).json
    return client, {"Authorization": f"Bearer {token['token']}"}


def _refused_without_a_trace(response, where):
    assert response.status_code in (401, 403, 404), (where, response.status_code)
    text = _text(response)
    assert not [s for s in B_SECRETS if s in text], (where, text[:300])


def test_town_a_people_asking_for_town_b_are_refused_and_learn_nothing(app, db, towns,
                                                                         personas):
    people = {name: _person(app, name) for name in ("supervisor", "viewer")}
    people["worker_a"] = (app.test_client(), {})
    a_token = personas["worker_a"].token
    before = _state(db)
    walked = 0
    for rule, method in _town_rules(app):
        url = _url(rule, towns.b, a_token)
        for name, (client, headers) in people.items():
            asked = url if name != "worker_a" or "<token>" in rule.rule else \
                f"{url}{'&' if '?' in url else '?'}st={a_token}"
            response = _send(app, client, rule, method, asked, headers)
            _refused_without_a_trace(response, (name, method, asked))
            walked += 1
    assert walked >= 300
    assert _changed(before, _state(db)) == []


def test_town_b_records_under_town_a_are_not_found_even_by_an_admin(app, db, towns):
    admin = _person(app, "admin")
    before = _state(db)
    walked = 0
    for rule, method in _town_rules(app):
        if not RECORD_ARGS & rule.arguments:
            continue
        url = _url(rule, {**towns.b, "project_id": 1, "project": 1}, "x" * 64)
        _refused_without_a_trace(_send(app, admin[0], rule, method, url, admin[1]),
                                 (method, url))
        walked += 1
    assert walked >= 20
    assert _changed(before, _state(db)) == []


def test_no_answer_about_town_a_holds_anything_of_town_b(app, db, towns):
    """Every GET of project 1 (lists, feeds, exports, reports, OpenRosa documents), asked by
    the admin, who may read both towns: not one of B's names or ids is in it."""
    admin = _person(app, "admin")
    read = 0
    for rule, method in _town_rules(app):
        if method != "GET" or RECORD_ARGS & rule.arguments or "<token>" in rule.rule:
            continue
        url = _url(rule, towns.a, "x" * 64)
        response = _send(app, admin[0], rule, method, url, admin[1])
        text = _text(response)
        assert not [s for s in B_SECRETS if s in text], (url, text[:300])
        read += response.status_code == 200
    assert read >= 25
