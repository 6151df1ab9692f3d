"""Local-disk blob store: files named by their SHA-256 under DATA_DIR/blobs/ab/cd/<sha256>.

Writes go to a temporary file in the same directory, are fsynced, renamed into place and the
directory fsynced, so a crash leaves either the whole file or nothing. The same bytes are
stored once whatever their name, which also makes retried uploads free.
"""
import hashlib
import os
import tempfile
from dataclasses import dataclass

CHUNK = 1 << 20


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    md5: str
    size: int


class BlobStore:
    def __init__(self, root):
        self.root = os.path.join(root, "blobs")

    def path(self, sha256):
        return os.path.join(self.root, sha256[:2], sha256[2:4], sha256)

    def put_stream(self, stream):
        """Copy a readable binary stream into the store; returns its hashes and size."""
        os.makedirs(self.root, exist_ok=True)
        sha, md5, size = hashlib.sha256(), hashlib.md5(), 0
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    sha.update(chunk)
                    md5.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            blob = StoredBlob(sha.hexdigest(), md5.hexdigest(), size)
            self._move_into_place(tmp, blob.sha256)
            return blob
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def _move_into_place(self, tmp, sha256):
        final = self.path(sha256)
        if os.path.exists(final):
            return
        directory = os.path.dirname(final)
        os.makedirs(directory, exist_ok=True)
        os.replace(tmp, final)
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def open(self, sha256):
        return open(self.path(sha256), "rb")

    def read(self, sha256):
        with self.open(sha256) as f:
            return f.read()
