"""A failed request leaves no blob file that no row points at, and never removes one that
another request storing the same bytes is counting on (app/storage/store.py)."""
import io
import os

import pytest
from sqlalchemy import func, select

from app.storage.store import BlobStore
from app.submissions import rows
from app.submissions.models import Submission
from tests.factories import make_instance, new_instance_id


@pytest.fixture
def store(tmp_path):
    return BlobStore(str(tmp_path))


def _put(store, data):
    return store.put_stream(io.BytesIO(data), hold=True)


def test_a_blob_no_row_points_at_is_removed(store):
    blob = _put(store, b"orphan")
    store.discard(blob, referenced=lambda sha: False)
    assert not os.path.exists(store.path(blob.sha256))


def test_a_blob_a_row_points_at_is_kept(store):
    blob = _put(store, b"kept")
    store.discard(blob, referenced=lambda sha: True)
    assert store.read(blob.sha256) == b"kept"


def test_a_blob_another_request_is_storing_is_kept_until_that_request_is_over(store):
    failing, storing = _put(store, b"same photo"), _put(store, b"same photo")
    store.discard(failing, referenced=lambda sha: False)
    assert store.read(storing.sha256) == b"same photo"          # the other one still holds it
    store.discard(storing, referenced=lambda sha: False)        # and then fails too
    assert not os.path.exists(store.path(storing.sha256))


def test_a_writer_after_a_discard_stores_its_own_copy(store):
    first = _put(store, b"again")
    store.discard(first, referenced=lambda sha: False)
    second = _put(store, b"again")
    assert store.read(second.sha256) == b"again"
    second.release()


def test_a_submission_that_fails_after_its_photo_was_written_leaves_no_file(
        collect, simple_form, db, app, monkeypatch):
    def fails(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(rows, "create_submission", fails)
    photo = f"a photo never stored before: {new_instance_id()}".encode()
    root = os.path.join(app.config["DATA_DIR"], "blobs")
    before = sorted(f for _, _, files in os.walk(root) for f in files)
    response = collect.submit(make_instance(values={"photo": "p.jpg"}), files={"p.jpg": photo})
    assert response.status_code == 500
    assert sorted(f for _, _, files in os.walk(root) for f in files) == before
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0
