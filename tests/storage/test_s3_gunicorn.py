"""The shipped server (gunicorn, gevent workers) configured by DOORSTEP_STORAGE_* alone: a
phone's photo goes to the bucket, not the data directory, and downloads the same."""
import hashlib
import os

import pytest

from app.storage import stores
from tests.e2e.conftest import live_server  # noqa: F401 - a real gunicorn
from tests.storage.conftest import send_photo_and_download

PHOTO = b"\xff\xd8 a photo sent to gunicorn " * 4000


@pytest.mark.once
def test_gunicorn_keeps_a_photo_in_s3_when_the_settings_say_so(
        live_server, s3_config, simple_form, personas):  # noqa: F811
    env = {f"DOORSTEP_{key}": s3_config[key] for key in (
        "STORAGE_URL", "STORAGE_ENDPOINT_URL", "STORAGE_REGION", "STORAGE_ACCESS_KEY_ID",
        "STORAGE_SECRET_ACCESS_KEY")}
    server = live_server(env=env)
    assert send_photo_and_download(server.url, personas, PHOTO) == PHOTO
    sha256 = hashlib.sha256(PHOTO).hexdigest()
    assert stores.s3(s3_config).read(sha256) == PHOTO
    assert not os.path.exists(stores.local(s3_config).path(sha256))
