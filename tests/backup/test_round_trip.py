"""A backup restored into an empty database and store answers as the original did: the
phone's form list, manifest and entity list CSV, a submission's photo (same bytes), the
register over the JSON API; every blob's bytes match its SHA-256. A non-empty target is
refused without --force; a backup of an older revision restores and is migrated up."""
import hashlib
import json
import os
import re

import requests
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import select, text

from app.audit.models import AuditEvent
from app.db import db as _db
from app.storage.models import Blob
from app.submissions.models import SubmissionAttachment
from tests.backup.conftest import restore_into, take_backup
from tests.backup.phones import person, publish_forms, visit
from tests.collect import OPENROSA
from tests.conftest import VILLAGES
from tests.e2e.live import LiveServer
from tests.openrosa.docs import media_files


def _answers(get, token):
    """What a phone and an admin read, as bytes, with absolute URLs made relative."""
    phone = f"/v1/key/{token}/projects/1"
    found = {"formList": get(f"{phone}/formList", OPENROSA),
             "manifest": get(f"{phone}/forms/people_form/manifest", OPENROSA)}
    csv_url = next(f["downloadUrl"] for f in media_files(_Doc(found["manifest"]))
                   if f["filename"] == "people.csv")
    found["people.csv"] = get(re.sub(r"^https?://[^/]+", "", csv_url), OPENROSA)
    admin = {"Authorization": "Bearer " + get("/v1/sessions", None)}
    iids = sorted(get("/v1/projects/1/forms/visit/submissions", admin, json=True))
    found["photos"] = [get(f"/v1/projects/1/forms/visit/submissions/{i}/attachments/p.jpg",
                           admin) for i in iids]
    found["entities"] = get("/v1/projects/1/datasets/people/entities", admin)
    return found


class _Doc:
    def __init__(self, data):
        self.data = data


def _test_client_get(client):
    def get(path, headers, json=False):
        if path == "/v1/sessions":
            return client.post(path, json={"email": "admin", "password": "admin-password"}
                               ).json["token"]
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.data[:300])
        if json:
            return [s["instanceId"] for s in response.json]
        return response.data.replace(b"http://localhost", b"")
    return get


def _http_get(server):
    def get(path, headers, json=False):
        if path == "/v1/sessions":
            return requests.post(server.url + path, json={"email": "admin",
                                 "password": "admin-password"}, timeout=10).json()["token"]
        response = requests.get(server.url + path, headers=headers, timeout=10)
        assert response.status_code == 200, (path, response.content[:300])
        if json:
            return [s["instanceId"] for s in response.json()]
        return response.content.replace(server.url.encode(), b"")
    return get


def _audited(session, action):
    return session.scalars(select(AuditEvent.target).where(AuditEvent.action == action)).all()


def _every_blob_matches(target_app):
    """Every blob row's file in the restored store hashes to its name; every attachment a
    submission has points at a blob row."""
    with target_app.app_context():
        store = target_app.extensions["blob_store"]
        blobs = _db.session.scalars(select(Blob)).all()
        for blob in blobs:
            assert hashlib.sha256(store.read(blob.sha256)).hexdigest() == blob.sha256
        named = {a.blob_sha256 for a in _db.session.scalars(select(SubmissionAttachment))}
        assert None not in named and named <= {b.sha256 for b in blobs}
        _db.session.remove()
        return len(blobs)


def test_restored_server_answers_the_same_and_every_blob_matches(
        app, db, client, personas, publish, collect, make_target, tmp_path):
    publish_forms(publish)
    photos = []
    for _ in range(3):
        xml, files = visit()
        photos.append(files["p.jpg"])
        assert collect.submit(xml, files).status_code == 201
    for name in ("王芳", "李娜"):
        assert collect.submit(person(name)).status_code == 201
    token = personas["worker_a"].token
    before = _answers(_test_client_get(client), token)
    assert sorted(before["photos"]) == sorted(photos)
    assert "王芳".encode() in before["people.csv"] and len(json.loads(before["entities"])) == 2
    db.session.commit()

    result = take_backup(app, tmp_path / "backup")
    assert result.exit_code == 0, result.output
    assert os.stat(tmp_path / "backup").st_mode & 0o777 == 0o700
    assert _audited(db.session, "backup.take") == [str(tmp_path / "backup")]
    target = make_target()
    target_app = target.app()
    result = restore_into(target_app, tmp_path / "backup")
    assert result.exit_code == 0, result.output
    with target_app.app_context():
        assert _audited(_db.session, "backup.restore") == [str(tmp_path / "backup")]
        _db.session.remove()
    assert _every_blob_matches(target_app) == 3          # the photos

    server = LiveServer(target.url, target.data_dir, workers=1).wait()
    try:
        after = _answers(_http_get(server), token)
    finally:
        server.stop()
    assert after == before


def test_restore_refuses_a_non_empty_target_unless_forced(app, db, personas, make_target,
                                                          tmp_path):
    db.session.commit()
    assert take_backup(app, tmp_path / "backup").exit_code == 0
    refused = restore_into(app, tmp_path / "backup")
    assert refused.exit_code != 0
    assert "not empty" in refused.output and "不是空的" in refused.output

    target = make_target()
    target_app = target.app()
    with target_app.app_context():
        upgrade()                       # a database in use: migrated, with a project and rows
        from app.projects.service import ensure_default_project
        ensure_default_project(_db.session, "Another town")
        _db.session.commit()
        _db.engine.dispose()
    assert restore_into(target_app, tmp_path / "backup").exit_code != 0
    forced = restore_into(target_app, tmp_path / "backup", "--force")
    assert forced.exit_code == 0, forced.output
    with target_app.app_context():
        names = _db.session.execute(text("SELECT name FROM projects")).scalars().all()
        users = _db.session.execute(text("SELECT username FROM users ORDER BY username")
                                    ).scalars().all()
        _db.session.remove()
        _db.engine.dispose()
    assert names == ["Test town"] and users == ["admin", "supervisor", "viewer"]


def test_a_backup_of_an_older_revision_restores_and_is_migrated_up(make_target, tmp_path):
    old, new = make_target(), make_target()
    old_app = old.app()
    with old_app.app_context():
        upgrade(revision="0030")
        from app.projects.service import ensure_default_project, import_areas
        ensure_default_project(_db.session, "Old town")
        import_areas(_db.session, 1, VILLAGES)
        _db.session.commit()
        _db.engine.dispose()
    assert take_backup(old_app, tmp_path / "backup").exit_code == 0
    new_app = new.app()
    result = restore_into(new_app, tmp_path / "backup")
    assert result.exit_code == 0, result.output
    assert "revision 0030" in result.output
    with new_app.app_context():
        revision = _db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        areas = _db.session.execute(text("SELECT count(*) FROM areas")).scalar()
        outside = _db.session.execute(text("SELECT count(*) FROM outside_imports")).scalar()
        head = ScriptDirectory.from_config(
            new_app.extensions["migrate"].migrate.get_config()).get_current_head()
        _db.session.remove()
        _db.engine.dispose()
    assert (revision, areas, outside) == (head, 12, 0) and head != "0030"
