"""The shipped server (gunicorn, gevent workers) configured by DOORSTEP_STORAGE_* alone: a
phone's photo goes to the bucket, not the data directory, and downloads the same."""
import hashlib
import os

import pytest
import requests

from app.storage import stores
from tests.collect import OPENROSA
from tests.e2e.conftest import live_server  # noqa: F401 - a real gunicorn
from tests.factories import make_instance, new_instance_id

PHOTO = b"\xff\xd8 a photo sent to gunicorn " * 4000


@pytest.mark.once
def test_gunicorn_keeps_a_photo_in_s3_when_the_settings_say_so(
        live_server, s3_config, simple_form, personas):  # noqa: F811
    env = {f"DOORSTEP_{key}": s3_config[key] for key in (
        "STORAGE_URL", "STORAGE_ENDPOINT_URL", "STORAGE_REGION", "STORAGE_ACCESS_KEY_ID",
        "STORAGE_SECRET_ACCESS_KEY")}
    server = live_server(env=env)
    instance_id = new_instance_id()
    sent = requests.post(
        f"{server.url}/v1/key/{personas['worker_a'].token}/projects/1/submission",
        headers=OPENROSA, timeout=30,
        files={"xml_submission_file": ("submission.xml", make_instance(
                   instance_id=instance_id, values={"photo": "p.jpg"}), "text/xml"),
               "p.jpg": ("p.jpg", PHOTO, "image/jpeg")})
    assert sent.status_code == 201, sent.text
    token = requests.post(f"{server.url}/v1/sessions", timeout=30, json={
        "email": "admin", "password": "admin-password"}).json()["token"]
    download = requests.get(
        f"{server.url}/v1/projects/1/forms/simple/submissions/{instance_id}/attachments/p.jpg",
        headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert download.status_code == 200 and download.content == PHOTO
    sha256 = hashlib.sha256(PHOTO).hexdigest()
    assert stores.s3(s3_config).read(sha256) == PHOTO
    assert not os.path.exists(stores.local(s3_config).path(sha256))
