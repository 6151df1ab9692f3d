"""S3-compatible blob store: objects named by their SHA-256 under <prefix>/ab/cd/<sha256>.

The same interface as the local store (app/storage/store.py). put_stream hashes the bytes
into a local temporary file, then PUTs them whole with their SHA-256 for the server to check:
a PUT that returns has stored every byte (S3 writes an object entirely or not at all), so the
blob row may commit after it, as it may after the local store's fsync. Bytes already stored
(a phone's retry, the same photo twice) are found with a HEAD and not sent again.

discard() never deletes. S3 has no lock a writer could hold: an object a failed request wrote
may be the one another request has just found with its HEAD and is about to commit a row for,
and deleting it would lose that request's attachment after its 201. An object no row points
at costs only its storage; it is never served (every read starts from a row), and the next
upload of the same bytes reuses it (docs/operations.md, "Object storage").

A store that cannot be reached, or refuses, is a 503 the phone retries (503.321, 503.322),
never a 500; nothing is committed, since the blob is written before the transaction.
"""
import base64
import contextlib
import hashlib
import tempfile
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from app.problems import Problem
from app.storage.store import CHUNK, StoredBlob

#: Error codes S3 gives for an object that is not there (HEAD answers with the bare status).
_MISSING = {"404", "NoSuchKey", "NotFound"}
_RETRY_AFTER = [("Retry-After", "60")]


def parse_url(url):
    """s3://bucket/prefix → (bucket, prefix without slashes at either end)."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"DOORSTEP_STORAGE_URL must look like s3://bucket/prefix, not {url!r}")
    return parts.netloc, parts.path.strip("/")


class S3BlobStore:
    def __init__(self, url, endpoint_url=None, region=None, access_key=None, secret_key=None,
                 attempts=3, connect_timeout=5, read_timeout=60):
        self.url = url
        self.bucket, self.prefix = parse_url(url)
        self.client = boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url or None, region_name=region or None,
            aws_access_key_id=access_key or None, aws_secret_access_key=secret_key or None,
            config=Config(connect_timeout=connect_timeout, read_timeout=read_timeout,
                          retries={"max_attempts": attempts, "mode": "standard"}))

    def key(self, sha256):
        return "/".join(p for p in (self.prefix, sha256[:2], sha256[2:4], sha256) if p)

    def put_stream(self, stream, hold=False):
        """Copy a readable binary stream into the store; returns its hashes and size. `hold`
        is accepted for the local store's sake: nothing here is ever removed (see above)."""
        sha, md5, size = hashlib.sha256(), hashlib.md5(), 0
        with tempfile.TemporaryFile(prefix="doorstep-s3-") as spool:
            while chunk := stream.read(CHUNK):
                sha.update(chunk)
                md5.update(chunk)
                size += len(chunk)
                spool.write(chunk)
            blob = StoredBlob(sha.hexdigest(), md5.hexdigest(), size)
            if self.size(blob.sha256) != size:
                spool.seek(0)
                self._put(spool, blob, sha.digest(), md5.digest())
        return blob

    def _put(self, body, blob, sha_digest, md5_digest):
        # S3 (and MinIO, Ceph) refuse the PUT with BadDigest when the bytes they received
        # have another SHA-256 or MD5 than these: nothing torn or altered is ever stored
        with _speaking_problems():
            self.client.put_object(
                Bucket=self.bucket, Key=self.key(blob.sha256), Body=body,
                ContentLength=blob.size, ContentMD5=base64.b64encode(md5_digest).decode(),
                ChecksumSHA256=base64.b64encode(sha_digest).decode())

    def size(self, sha256):
        """The stored object's size, or None when there is none."""
        with _speaking_problems():
            try:
                head = self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
            except ClientError as e:
                if _code(e) in _MISSING:
                    return None
                raise
        return head["ContentLength"]

    def discard(self, blob, referenced):
        """Keeps the object: see the module's docstring."""
        blob.release()

    def open(self, sha256):
        """A readable binary stream of the object (FileNotFoundError when there is none)."""
        with _speaking_problems():
            try:
                return self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))["Body"]
            except ClientError as e:
                if _code(e) in _MISSING:
                    raise FileNotFoundError(self.key(sha256)) from e
                raise

    def read(self, sha256):
        with self.open(sha256) as f:
            return f.read()


def _code(error):
    return str(error.response.get("Error", {}).get("Code", ""))


@contextlib.contextmanager
def _speaking_problems():
    """botocore's failures as the catalogue's 503s (a missing object is not one of them)."""
    try:
        yield
    except ClientError as e:
        if _code(e) in _MISSING:
            raise
        raise Problem("503.322", {"reason": _code(e) or "error"}, headers=_RETRY_AFTER) from e
    except BotoCoreError as e:
        raise Problem("503.321", {"reason": type(e).__name__}, headers=_RETRY_AFTER) from e
