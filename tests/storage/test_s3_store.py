"""The S3 store against a real S3 API: the local store's interface, content-addressed keys,
bytes checked by the server, and objects never deleted by a failed request."""
import base64
import hashlib
import io

import pytest

from app.problems import Problem
from app.storage import stores
from app.storage.s3 import S3BlobStore, parse_url
from app.storage.store import BlobStore
from tests.storage.conftest import s3_client

PHOTO = b"\xff\xd8 a photo of a clinic card " * 1000


def _keys(store):
    listed = s3_client(store.client.meta.endpoint_url).list_objects_v2(Bucket=store.bucket)
    return [o["Key"] for o in listed.get("Contents", [])]


def test_bytes_put_are_read_back_under_prefix_ab_cd_sha256(s3_store):
    blob = s3_store.put_stream(io.BytesIO(PHOTO), hold=True)
    assert s3_store.read(blob.sha256) == PHOTO
    assert blob.size == len(PHOTO)
    assert _keys(s3_store) == [f"town/{blob.sha256[:2]}/{blob.sha256[2:4]}/{blob.sha256}"]
    with s3_store.open(blob.sha256) as f:
        assert f.read(10) == PHOTO[:10]


def test_the_same_bytes_twice_are_one_object(s3_store):
    first = s3_store.put_stream(io.BytesIO(PHOTO))
    second = s3_store.put_stream(io.BytesIO(PHOTO))
    assert first == second and len(_keys(s3_store)) == 1


def test_discard_keeps_the_object_another_request_may_count_on(s3_store):
    blob = s3_store.put_stream(io.BytesIO(b"orphan"), hold=True)
    s3_store.discard(blob, referenced=lambda sha256: False)
    assert s3_store.read(blob.sha256) == b"orphan"


def test_a_missing_object_is_file_not_found_as_in_the_local_store(s3_store):
    with pytest.raises(FileNotFoundError):
        s3_store.open("0" * 64)
    assert s3_store.size("0" * 64) is None


def test_each_put_asks_the_server_to_check_its_sha256_and_md5(s3_store):
    sent = []
    s3_store.client.meta.events.register(
        "before-send.s3.PutObject", lambda request, **kw: sent.append(dict(request.headers)))
    s3_store.put_stream(io.BytesIO(b"real bytes"))
    # moto stores what it is sent; S3 itself answers BadDigest (503.322 here) to a mismatch
    assert base64.b64decode(sent[0]["x-amz-checksum-sha256"]) == hashlib.sha256(
        b"real bytes").digest()
    assert base64.b64decode(sent[0]["Content-MD5"]) == hashlib.md5(b"real bytes").digest()


def test_a_refusal_by_the_store_is_503_322(s3_store):
    s3_store.bucket = "no-such-bucket-here"
    with pytest.raises(Problem) as refused:
        s3_store.put_stream(io.BytesIO(b"photo"))
    assert refused.value.code == "503.322" and refused.value.status == 503


def test_a_store_that_cannot_be_reached_is_503_321():
    store = S3BlobStore("s3://bucket/x", endpoint_url="http://127.0.0.1:9", region="us-east-1",
                        access_key="k", secret_key="s", attempts=1)
    with pytest.raises(Problem) as unreachable:
        store.put_stream(io.BytesIO(b"photo"))
    assert unreachable.value.code == "503.321"
    assert ("Retry-After", "60") in unreachable.value.headers


@pytest.mark.database_independent
def test_the_setting_chooses_the_store(app, s3_config):
    assert isinstance(stores.from_config({**s3_config, "STORAGE_URL": ""}), BlobStore)
    chosen = stores.from_config(s3_config)
    assert isinstance(chosen, S3BlobStore) and chosen.prefix == "town"


@pytest.mark.database_independent
def test_a_storage_url_that_is_not_s3_is_refused():
    assert parse_url("s3://bucket") == ("bucket", "")
    with pytest.raises(ValueError):
        parse_url("https://bucket/prefix")
