"""The whole app on S3 storage: a real HTTP submission's photo lands in the bucket and comes
back byte for byte; form media reach the phone through the manifest; an export zips the
attachments; and a store that cannot be reached is a clear 503 with nothing committed."""
import hashlib
import io
import zipfile

from sqlalchemy import func, select

from app.storage.models import Blob
from app.storage.s3 import S3BlobStore
from app.submissions.models import Submission
from tests.factories import make_instance
from tests.openrosa.docs import media_files, message
from tests.storage.conftest import send_photo_and_download

PHOTO = b"\xff\xd8 a photo of a clinic card " * 5000


def _unreachable():
    """An S3 store at a loopback port nothing listens on (9, discard), tried once."""
    return S3BlobStore("s3://bucket/town", endpoint_url="http://127.0.0.1:9",
                       region="us-east-1", access_key="k", secret_key="s", attempts=1)


def _bearer(client, username="admin"):
    token = client.post("/v1/sessions", json={"email": username,
                                              "password": f"{username}-password"}).json["token"]
    return {"Authorization": f"Bearer {token}"}


def test_a_photo_sent_over_http_is_in_the_bucket_and_downloads_the_same(
        s3_store, simple_form, http_server, personas):
    assert send_photo_and_download(http_server, personas, PHOTO) == PHOTO
    assert s3_store.read(hashlib.sha256(PHOTO).hexdigest()) == PHOTO


def test_form_media_reach_the_phone_through_the_manifest(s3_store, collect, media_form):
    files = media_files(collect.get(f"{collect.base}/forms/withmedia/manifest"))
    response = collect.get(files[0]["downloadUrl"])
    assert response.status_code == 200 and response.data == b"\x89PNG fake image bytes"
    assert files[0]["hash"] == "md5:" + hashlib.md5(response.data).hexdigest()
    assert s3_store.size(hashlib.sha256(response.data).hexdigest()) == len(response.data)


def test_an_export_zips_the_attachments_kept_in_s3(s3_store, collect, simple_form, client):
    assert collect.submit(make_instance(values={"photo": "p.jpg"}),
                          files={"p.jpg": PHOTO}).status_code == 201
    response = client.get("/v1/projects/1/forms/simple/submissions.csv.zip",
                          headers=_bearer(client))
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as z:
        assert z.read("media/p.jpg") == PHOTO


def test_a_store_that_cannot_be_reached_is_a_503_and_nothing_is_committed(
        app, collect, simple_form, db, monkeypatch):
    monkeypatch.setitem(app.extensions, "blob_store", _unreachable())
    blobs_before = db.session.scalar(select(func.count()).select_from(Blob))
    response = collect.submit(make_instance(values={"photo": "p.jpg"}), files={"p.jpg": PHOTO})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    nature, text = message(response)
    assert nature == "error" and "cannot be reached" in text and "无法连接文件存储" in text
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0
    assert db.session.scalar(select(func.count()).select_from(Blob)) == blobs_before


def test_a_media_download_from_an_unreachable_store_is_a_503_not_a_cut_off_file(
        app, collect, media_form, monkeypatch):
    files = media_files(collect.get(f"{collect.base}/forms/withmedia/manifest"))
    monkeypatch.setitem(app.extensions, "blob_store", _unreachable())
    response = collect.get(files[0]["downloadUrl"])
    assert response.status_code == 503 and b"PNG" not in response.data


def test_a_head_of_media_answers_from_the_row_without_reading_the_object(
        app, collect, media_form, monkeypatch):
    files = media_files(collect.get(f"{collect.base}/forms/withmedia/manifest"))
    monkeypatch.setitem(app.extensions, "blob_store", _unreachable())
    response = collect.head(files[0]["downloadUrl"])
    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(len(b"\x89PNG fake image bytes"))
