"""A real S3 API on loopback (moto's server, in a thread on a free port) and fixtures that put
the app's blobs in a fresh bucket of it for one test."""
import contextlib
import threading
import uuid

import boto3
import pytest
from werkzeug.serving import make_server

from app.storage import stores

CREDENTIALS = {"STORAGE_REGION": "us-east-1", "STORAGE_ACCESS_KEY_ID": "testing",
               "STORAGE_SECRET_ACCESS_KEY": "testing"}


@contextlib.contextmanager
def moto_server():
    """moto's S3 server in a thread on a free loopback port: its endpoint URL."""
    from moto.server import ThreadedMotoServer
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def s3_endpoint():
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3_config(app, s3_endpoint):
    """The app's settings naming a new, empty bucket (prefix `town`) of the loopback S3."""
    bucket = f"doorstep-{uuid.uuid4().hex[:12]}"
    s3_client(s3_endpoint).create_bucket(Bucket=bucket)
    return {**app.config, **CREDENTIALS, "STORAGE_URL": f"s3://{bucket}/town",
            "STORAGE_ENDPOINT_URL": s3_endpoint}


def s3_client(endpoint):
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
        aws_secret_access_key="testing")


@pytest.fixture
def s3_store(app, s3_config, monkeypatch):
    """The app keeps its blobs in S3 for this test (list it before fixtures that publish)."""
    store = stores.s3(s3_config)
    monkeypatch.setitem(app.extensions, "blob_store", store)
    return store


@pytest.fixture
def http_server(app, db):
    """The app served over real HTTP on a free loopback port, in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def send_photo_and_download(base_url, personas, photo):
    """A phone sends a submission with `photo` over real HTTP to the server at `base_url`,
    then the admin downloads the attachment: its bytes."""
    import requests

    from tests.collect import OPENROSA
    from tests.factories import make_instance, new_instance_id
    instance_id = new_instance_id()
    sent = requests.post(
        f"{base_url}/v1/key/{personas['worker_a'].token}/projects/1/submission",
        headers=OPENROSA, timeout=30,
        files={"xml_submission_file": ("submission.xml", make_instance(
                   instance_id=instance_id, values={"photo": "p.jpg"}), "text/xml"),
               "p.jpg": ("p.jpg", photo, "image/jpeg")})
    assert sent.status_code == 201, sent.text
    token = requests.post(f"{base_url}/v1/sessions", timeout=30, json={
        "email": "admin", "password": "admin-password"}).json()["token"]
    download = requests.get(
        f"{base_url}/v1/projects/1/forms/simple/submissions/{instance_id}/attachments/p.jpg",
        headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert download.status_code == 200
    return download.content
