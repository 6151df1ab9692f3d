"""Walks the URL map: every JSON route under /v1 (the api, odata, exports and reports API
blueprints, and any route added to them) refuses an anonymous request, a phone's token, a
viewer's write, every role outside the permission its @takes names, and a person of another
village (whose lists leave that village's records out), and refuses without changing the
database.

Path arguments are filled by name from SAMPLES (the dict the `samples` fixture returns: things
in village dongwan); a route with an
argument named nowhere there fails the walk, so no new route escapes it: adding one is a line in
SAMPLES (and, for a new body schema, a line in EXAMPLES, so that a refusal is the policy's and
not the schema's: @takes loads the body before the handler checks who asks).
"""
import io
import re
import zipfile

import pytest
from sqlalchemy import select

from app.api.loading import BYTES, JSON_OR_CSV
from app.api.openapi import declaration, json_rules
from app.auth import accounts
from app.auth.actors import PERMISSIONS
from app.projects.models import Area
from app.register import entities
from app.register.lists import dataset_named
from app.submissions.models import Submission
from tests import conftest as top
from tests.factories import make_instance
from tests.samples import register as sample

#: open to anyone: logging in, and the API's description
PUBLIC = {"api.create_session", "api.openapi_document"}
#: JSON routes Central lets an app user's token use (its app-user role's verbs:
#: open_form.list, open_form.read, submission.create). Doorstep takes a phone's submission,
#: and a file missing from its own, here too; it refuses the form routes here today (phones
#: read forms on the OpenRosa face), but the walk leaves that choice open.
APP_USER_ALLOWED = {"api.list_forms", "api.get_form", "api.create_submission",
                    "api.upload_submission_attachment"}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
#: arguments naming one record of a village: an outsider must be refused it
RECORD_ARGS = {"instance_id", "uuid", "app_user_id", "import_id", "other"}
LI_XIUYING_AGAIN = "0b5c1a2e-7d7a-4c43-9a55-0d0c0ffee001"
#: routes that name a village's records in their body (EXAMPLES below names dongwan's)
RECORDS_IN_BODY = {"api.bulk_entities"}
#: what a request may change even when refused: a phone's last contact, a failed log-in
VOLATILE = {("app_users", "last_seen_at"), ("login_failures", None),
            ("digest_nonce_uses", None)}

#: a valid body for each body schema, by its class name (one line per new schema)
EXAMPLES = {
    "SessionBody": {"email": "admin", "password": "admin-password"},
    "FormUpdateBody": {"state": "closing"},
    "SubmissionUpdateBody": {"reviewState": "approved"},
    "DatasetUpdateBody": {"approvalRequired": True},
    "EntityCreateBody": {"label": "新人", "data": {"village": "dongwan"}},
    "EntityUpdateBody": {"label": "改名", "data": {"village": "dongwan"}},
    "BulkIdsBody": {"ids": [sample.LI_XIUYING]},
    "LockBody": {"village": "dongwan"},
    "UnlockBody": {"village": "dongwan", "reason": "a correction"},
    "TargetsBody": {"village": "dongwan", "targets": {"birth_rate": 12}},
    "WebhookCreateBody": {"url": "https://hooks.example.org/a", "events": ["entity.created"]},
    "WebhookUpdateBody": {"active": False},
    "ReplayBody": {"dead": True},
    "AppUserCreateBody": {"displayName": "新手机", "villages": ["dongwan"]},
    "CommentBody": {"body": "看过了"},
    "DatasetCreateBody": {"name": "trees"},
    "PropertyCreateBody": {"name": "species"},
    "MergeBody": {"from": sample.WANG_QIANG, "values": {"phone": "merged"}},
    "ProjectCreateBody": {"name": "新镇"},
}


@pytest.fixture
def samples(town, simple_form, db, personas, client):
    """One of each thing a JSON path can name, in village dongwan; a supervisor and a viewer
    of the other village (xishan)."""
    photo = make_instance("simple", "1", values={"name": "王小梅", "village": "dongwan",
                                                 "photo": "p.jpg"})
    assert town.phone("worker_a").submit(photo, files={"p.jpg": b"\xff\xd8 a photo"}
                                         ).status_code == 201
    s = db.session
    instance_id = s.scalar(select(Submission.instance_id).order_by(Submission.id.desc()))
    for role in ("supervisor", "viewer"):
        accounts.create_user(s, f"{role}_x", f"{role}_x-password", role, top.REALM, ["xishan"],
                             hash_method="scrypt:1024:8:1")
    s.commit()
    # 李秀英 registered a second time in dongwan: a duplicate pair for the routes naming one
    twin = dict(next(d for u, d in sample.PEOPLE if u == sample.LI_XIUYING))
    entities.create(s, dataset_named(s, 1, "people"), "李秀英", twin, uuid=LI_XIUYING_AGAIN,
                    area_id=s.scalar(select(Area.id).where(Area.code == "dongwan")))
    s.commit()
    admin = _login(client, "admin")
    webhook = client.post("/v1/projects/1/webhooks", headers=admin,
                          json=EXAMPLES["WebhookCreateBody"])
    assert webhook.status_code == 200, webhook.json
    births = client.post("/v1/projects/1/outside-imports?kind=hospital_births&filename=b.csv",
                         headers=admin, data="certificate_no,mother_name,sex,birth_date,village\n"
                         "H1,李秀英,女,2026-05-01,dongwan\n".encode(), content_type="text/csv")
    assert births.status_code == 201, births.json
    return {
        "project_id": 1, "xml_form_id": "simple", "instance_id": instance_id,
        "name": {"datasets": "people", "attachments": "p.jpg"},     # by the segment before it
        "uuid": sample.LI_XIUYING, "action": "delete", "table": "Submissions",
        "month": "2026-05", "year": 2026, "webhook_id": webhook.json["id"],
        "token": admin["Authorization"].split()[-1],
        "app_user_id": personas["worker_a"].id, "role_id": "app-user",
        "import_id": births.json["id"],
        "other": LI_XIUYING_AGAIN,
    }


def _login(client, username):
    response = client.post("/v1/sessions", json={"email": username,
                                                  "password": f"{username}-password"})
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


def _routes(app):
    """(rule, method, declaration) for every JSON route but the public ones."""
    rules = json_rules(app)
    assert len(rules) >= 50, "the walk does not see the API"
    for rule in sorted(rules, key=lambda r: r.rule):
        if rule.endpoint not in PUBLIC:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method, declaration(app, rule)


def _url(rule, samples):
    def fill(match):
        name = match.group(1)
        assert name in samples, f"{rule.rule}: add {name!r} to SAMPLES in this test"
        value = samples[name]
        if isinstance(value, dict):
            before = rule.rule[:match.start()].rstrip("/").rsplit("/", 1)[-1]
            assert before in value, f"{rule.rule}: add {before!r} to SAMPLES[{name!r}]"
            value = value[before]
        return str(value)
    return ARG.sub(fill, rule.rule)


def _send(client, method, url, declared, headers=None):
    body = {}
    if method in WRITES and declared.body is not None:
        if declared.body == BYTES:
            body = {"data": b"<h:html/>", "content_type": "application/xml"}
        else:
            schema = declared.body.schema if isinstance(declared.body, JSON_OR_CSV) \
                else declared.body
            assert schema.__name__ in EXAMPLES, f"{url}: add {schema.__name__} to EXAMPLES"
            body = {"json": EXAMPLES[schema.__name__]}
    return client.open(url, method=method, headers=headers or {}, **body)


def _state(db):
    """Every row of every table (but VOLATILE's), to show a refusal changed nothing."""
    db.session.rollback()
    rows = {}
    for table in db.metadata.sorted_tables:
        if (table.name, None) in VOLATILE:
            continue
        columns = [c for c in table.c if (table.name, c.name) not in VOLATILE]
        rows[table.name] = sorted(repr(tuple(r)) for r in db.session.execute(select(*columns)))
    db.session.rollback()
    return rows


def _changed(before, after):
    return [name for name in before if before[name] != after[name]]


def test_every_json_route_has_a_sample_and_every_body_an_example(app, samples):
    anonymous = {r.endpoint for r in json_rules(app) if declaration(app, r).anonymous}
    assert anonymous == PUBLIC, "a route open to anyone is documented in PUBLIC"
    for rule, method, declared in _routes(app):
        _url(rule, samples)
        if declared.body not in (None, BYTES) and method in WRITES:
            schema = getattr(declared.body, "schema", declared.body)
            assert schema.__name__ in EXAMPLES, f"{rule.rule}: add {schema.__name__} to EXAMPLES"
            schema().load(EXAMPLES[schema.__name__])           # the example is valid
        if declared.permission is not None:
            assert declared.permission in PERMISSIONS, rule.rule


def test_every_json_route_refuses_an_anonymous_request(app, samples, db):
    client = app.test_client()
    before = _state(db)
    for rule, method, declared in _routes(app):
        url = _url(rule, samples)
        response = _send(client, method, url, declared)
        assert response.status_code == 401, (method, url, response.status_code)
        assert response.json["code"] == "401.2", (method, url)
    assert _changed(before, _state(db)) == []


def test_every_json_route_refuses_a_phones_token(app, samples, personas, db):
    client = app.test_client()
    token = personas["worker_a"].token
    before = _state(db)
    for rule, method, declared in _routes(app):
        if rule.endpoint in APP_USER_ALLOWED:
            continue
        url = _url(rule, samples)
        response = _send(client, method, f"{url}?st={token}", declared)
        assert response.status_code in (401, 403), (method, url, response.status_code)
    assert _changed(before, _state(db)) == []


def test_a_viewer_may_change_nothing(app, samples, db, client):
    for viewer in ("viewer", "viewer_x"):
        headers = _login(client, viewer)
        snapshot = _state(db)       # (logging in is a write of its own)
        for rule, method, declared in _routes(app):
            if method in WRITES:
                url = _url(rule, samples)
                response = _send(client, method, url, declared, headers)
                assert response.status_code == 403, (viewer, method, url, response.status_code)
        assert _changed(snapshot, _state(db)) == [], viewer


def test_a_route_answers_by_the_permission_it_names(app, samples, db, client):
    """Its @takes(permission=…), which the OpenAPI description shows, is what the handler
    checks: every other role is refused without a change, every role holding it is not
    refused (dongwan's supervisor, on dongwan's records)."""
    headers = {role: _login(client, role) for role in ("admin", "supervisor", "viewer")}
    named = [(r, m, d) for r, m, d in _routes(app) if d.permission is not None]
    assert len(named) >= 40
    before = _state(db)
    for rule, method, declared in named:
        for role in sorted(set(headers) - PERMISSIONS[declared.permission]):
            response = _send(client, method, _url(rule, samples), declared, headers[role])
            assert response.status_code == 403, (role, method, rule.rule, response.status_code)
    assert _changed(before, _state(db)) == []
    for rule, method, declared in named:
        for role in sorted(set(headers) & PERMISSIONS[declared.permission]):
            response = _send(client, method, _url(rule, samples), declared, headers[role])
            assert response.status_code != 403, (role, method, rule.rule, response.json)


def test_a_supervisor_of_another_village_cannot_read_or_change_its_records(app, samples, db,
                                                                          client):
    headers = _login(client, "supervisor_x")
    before = _state(db)
    walked = 0
    for rule, method, declared in _routes(app):
        if not (RECORD_ARGS & rule.arguments or rule.endpoint in RECORDS_IN_BODY):
            continue
        walked += 1
        url = _url(rule, samples)
        response = _send(client, method, url, declared, headers)
        assert response.status_code in (403, 404), (method, url, response.status_code)
    assert walked >= 10
    assert _changed(before, _state(db)) == []


def _text(response):
    if response.mimetype == "application/zip":
        with zipfile.ZipFile(io.BytesIO(response.data)) as z:
            return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    return response.get_data(as_text=True)


def test_no_list_shows_a_supervisor_another_villages_records(app, samples, db, client):
    """The collections (lists, OData feeds, CSV exports) answer her, without dongwan's."""
    supervisor = _login(client, "supervisor")          # dongwan's: the lists do hold them
    outsider = _login(client, "supervisor_x")
    # dongwan's submission (its id and a name in it), person (id and name) and phone
    secrets = (samples["instance_id"], sample.LI_XIUYING, "王小梅", "李秀英", "worker_a")
    read = 0
    for rule, method, declared in _routes(app):
        if method != "GET" or RECORD_ARGS & rule.arguments:
            continue
        url = _url(rule, samples)
        theirs = _send(client, method, url, declared, outsider)
        if theirs.status_code != 200:
            assert theirs.status_code in (403, 404), (url, theirs.status_code)
            continue
        text = _text(theirs)
        assert not [s for s in secrets if s in text], (url, text[:300])
        if any(s in _text(_send(client, method, url, declared, supervisor)) for s in secrets):
            read += 1               # the route does list dongwan's records to dongwan
    assert read >= 5
