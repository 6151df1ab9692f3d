"""Local-disk blob store: files named by their SHA-256 under DATA_DIR/blobs/ab/cd/<sha256>.

Writes go to a temporary file in the same directory, are fsynced, linked into place and the
directory fsynced, so a crash leaves either the whole file or nothing. The same bytes are
stored once whatever their name, which also makes retried uploads free.

A request that fails after writing a blob removes the file unless a row points at it
(discard). Another request may be storing the same bytes at that moment and count on the
file: so a writer that holds its blob (put_stream(hold=True)) keeps a shared flock on the file
until its transaction is over, and discard removes a file only under an exclusive flock, which
it cannot take while anyone holds one; a writer that locked a file just being removed sees
it gone (another inode at the path, or none) and links its own copy.
"""
import fcntl
import hashlib
import os
import tempfile
from dataclasses import dataclass, field

CHUNK = 1 << 20


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    md5: str
    size: int
    #: a shared flock on the file, kept by put_stream(hold=True) until release()
    held: list = field(default_factory=list, compare=False, repr=False)

    def release(self):
        while self.held:
            os.close(self.held.pop())


class BlobStore:
    def __init__(self, root):
        self.root = os.path.join(root, "blobs")

    def path(self, sha256):
        return os.path.join(self.root, sha256[:2], sha256[2:4], sha256)

    def put_stream(self, stream, hold=False):
        """Copy a readable binary stream into the store; returns its hashes and size. With
        `hold`, the file is kept from discard() until the blob's release()."""
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
            if hold:
                blob.held.append(self._link_held(tmp, blob.sha256))
            else:
                self._link(tmp, blob.sha256)
            return blob
        finally:
            os.unlink(tmp)

    def _link(self, tmp, sha256):
        """Link the fsynced temporary file at its final path unless a file is there."""
        final = self.path(sha256)
        directory = os.path.dirname(final)
        os.makedirs(directory, exist_ok=True)
        try:
            os.link(tmp, final)
        except FileExistsError:
            return
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def _link_held(self, tmp, sha256):
        """_link, then a shared flock on the file at the path (as it is after the lock)."""
        final = self.path(sha256)
        while True:
            self._link(tmp, sha256)
            try:
                fd = os.open(final, os.O_RDONLY)
            except FileNotFoundError:
                continue                # discarded between link and open: link again
            fcntl.flock(fd, fcntl.LOCK_SH)
            if _same_file(fd, final):
                return fd
            os.close(fd)                # discarded while we waited for the lock

    def discard(self, blob, referenced):
        """Remove the blob's file if no one holds it and `referenced(sha256)` is false (asked
        under the exclusive lock, so a writer that commits a row first holds it till then).
        Releases the blob."""
        blob.release()
        final = self.path(blob.sha256)
        try:
            fd = os.open(final, os.O_RDONLY)
        except FileNotFoundError:
            return
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return                  # another request is storing the same bytes
            if _same_file(fd, final) and not referenced(blob.sha256):
                os.unlink(final)
        finally:
            os.close(fd)

    def size(self, sha256):
        """The stored file's size, or None when there is none."""
        try:
            return os.stat(self.path(sha256)).st_size
        except FileNotFoundError:
            return None

    def open(self, sha256):
        return open(self.path(sha256), "rb")

    def read(self, sha256):
        with self.open(sha256) as f:
            return f.read()


def _same_file(fd, path):
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False
