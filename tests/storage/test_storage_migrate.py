"""`flask storage migrate`: every blob row's bytes copied local → S3 and back, each SHA-256
checked, a second run copying nothing, and a corrupted or missing blob caught (exit 1)."""
import hashlib
import os

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.storage import stores
from app.storage.cli import storage
from app.storage.models import Blob
from tests.factories import make_instance
from tests.storage.conftest import s3_client

PHOTO = b"\xff\xd8 the photo of a birth certificate " * 3000
LOGO = b"\x89PNG fake image bytes"


@pytest.fixture
def local_store(app, monkeypatch):
    """The app keeps its blobs in DATA_DIR for this test, whatever DOORSTEP_TEST_STORAGE says."""
    monkeypatch.setitem(app.extensions, "blob_store", stores.local(app.config))


@pytest.fixture
def local_blobs(local_store, app, db, collect, simple_form, media_form):
    """A form's XForm and media and a submission's photo in the local store: their sha256s."""
    assert collect.submit(make_instance(values={"photo": "p.jpg"}),
                          files={"p.jpg": PHOTO}).status_code == 201
    db.session.commit()
    return [hashlib.sha256(data).hexdigest() for data in (PHOTO, LOGO)]


@pytest.fixture
def configured(app, s3_config, monkeypatch):
    """The app's settings name the test's bucket (as DOORSTEP_STORAGE_URL would)."""
    for key in ("STORAGE_URL", "STORAGE_ENDPOINT_URL", "STORAGE_REGION", "STORAGE_ACCESS_KEY_ID",
                "STORAGE_SECRET_ACCESS_KEY"):
        monkeypatch.setitem(app.config, key, s3_config[key])
    return stores.s3(s3_config)


def _migrate(app, *args):
    return app.test_cli_runner().invoke(storage, ["migrate", *args])


def test_local_to_s3_copies_every_blob_and_a_second_run_copies_none(
        app, db, local_blobs, configured):
    rows = db.session.scalar(select(func.count()).select_from(Blob))
    db.session.commit()
    first = _migrate(app, "--to", "s3")
    assert first.exit_code == 0, first.output
    copied = int(first.output.split(" copied")[0])
    assert copied == rows >= 2                  # the photo, the logo (and any other blob row)
    local = stores.local(app.config)
    for sha256 in local_blobs:
        assert configured.read(sha256) == local.read(sha256)
    again = _migrate(app, "--to", "s3", "--verify")
    assert again.exit_code == 0, again.output
    assert again.output.startswith(f"0 copied, {copied} already there, 0 failed")
    assert f"目标已有 {copied} 个" in again.output
    db.session.rollback()
    runs = db.session.scalars(select(AuditEvent.details).where(
        AuditEvent.action == "storage.migrate").order_by(AuditEvent.id)).all()
    assert [(r["copied"], r["present"], r["failed"], r["verify"]) for r in runs] == [
        (copied, 0, 0, False), (0, copied, 0, True)]


def test_s3_to_local_brings_the_same_bytes_into_an_empty_data_dir(
        app, local_blobs, configured, monkeypatch, tmp_path):
    assert _migrate(app, "--to", "s3").exit_code == 0
    monkeypatch.setitem(app.config, "DATA_DIR", str(tmp_path))
    back = _migrate(app, "--to", "local")
    assert back.exit_code == 0, back.output
    assert "0 failed" in back.output
    fresh = stores.local(app.config)
    assert fresh.read(local_blobs[0]) == PHOTO and fresh.read(local_blobs[1]) == LOGO


def test_a_corrupted_local_file_is_reported_and_not_copied(app, local_blobs, configured):
    photo = local_blobs[0]
    path = stores.local(app.config).path(photo)
    original = open(path, "rb").read()
    try:
        with open(path, "wb") as f:
            f.write(b"X" + original[1:])          # same size, one byte changed
        result = _migrate(app, "--to", "s3")
    finally:
        with open(path, "wb") as f:
            f.write(original)
    assert result.exit_code == 1
    assert f"{photo}: the source's bytes have SHA-256" in result.output
    assert configured.size(photo) is None
    assert configured.read(local_blobs[1]) == LOGO    # the others were copied


def test_a_corrupted_s3_object_is_caught_on_the_way_back(
        app, local_blobs, configured, monkeypatch, tmp_path):
    assert _migrate(app, "--to", "s3").exit_code == 0
    s3_client(configured.client.meta.endpoint_url).put_object(
        Bucket=configured.bucket, Key=configured.key(local_blobs[0]), Body=b"not the photo")
    monkeypatch.setitem(app.config, "DATA_DIR", str(tmp_path))
    result = _migrate(app, "--to", "local")
    assert result.exit_code == 1 and f"{local_blobs[0]}: the source's" in result.output
    assert not os.path.exists(stores.local(app.config).path(local_blobs[0]))


def test_a_blob_missing_from_the_source_is_a_failure(app, local_blobs, configured, tmp_path,
                                                     monkeypatch):
    monkeypatch.setitem(app.config, "DATA_DIR", str(tmp_path))      # an empty local store
    result = _migrate(app, "--to", "s3")
    assert result.exit_code == 1 and "missing from the source store" in result.output


def test_a_copy_the_target_holds_with_other_bytes_is_caught_by_verify(
        app, local_blobs, configured):
    assert _migrate(app, "--to", "s3").exit_code == 0
    s3_client(configured.client.meta.endpoint_url).put_object(
        Bucket=configured.bucket, Key=configured.key(local_blobs[1]), Body=b"Y" * len(LOGO))
    assert _migrate(app, "--to", "s3").exit_code == 0             # trusted by its size
    result = _migrate(app, "--to", "s3", "--verify")
    assert result.exit_code == 1 and "the target's copy has other bytes" in result.output


def test_migrate_without_a_storage_url_says_what_to_set(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "STORAGE_URL", "")
    result = _migrate(app, "--to", "s3")
    assert result.exit_code == 2 and "DOORSTEP_STORAGE_URL" in result.output
