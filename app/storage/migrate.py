"""Copying every blob row's bytes from one store to another (`flask storage migrate`).

Each blob is read from the source into a temporary file while its SHA-256 is computed, and
written to the target only when that matches the row's: a corrupted or missing source object
is reported, never copied. A blob the target already holds at the right size is skipped, so a
run that stopped half way is simply run again (neither store ever holds part of an object: the
local one links a whole fsynced file, S3 stores a whole PUT). `verify` also reads the target's
copies of those and reports any whose SHA-256 differs; nothing is ever deleted.
"""
import hashlib
import tempfile
from dataclasses import dataclass, field

from sqlalchemy import select

from app.storage.models import Blob
from app.storage.store import CHUNK

BATCH = 1000


@dataclass
class Outcome:
    copied: int = 0
    present: int = 0
    failures: list = field(default_factory=list)    # (sha256, reason)


def blob_rows(session):
    """(sha256, size) of every blob row, in sha256 order, a batch of rows at a time."""
    after = ""
    while True:
        batch = session.execute(select(Blob.sha256, Blob.size).where(Blob.sha256 > after)
                                .order_by(Blob.sha256).limit(BATCH)).all()
        session.rollback()          # no read transaction left open while bytes are copied
        yield from batch
        if len(batch) < BATCH:
            return
        after = batch[-1].sha256


def copy_all(rows, source, target, verify=False, progress=lambda sha256, result: None):
    outcome = Outcome()
    for sha256, size in rows:
        result = copy_one(source, target, sha256, size, verify)
        if result == "copied":
            outcome.copied += 1
        elif result == "present":
            outcome.present += 1
        else:
            outcome.failures.append((sha256, result))
        progress(sha256, result)
    return outcome


def copy_one(source, target, sha256, size, verify=False):
    """'copied', 'present', or why the blob could not be copied."""
    if target.size(sha256) == size:
        if verify and _sha256_of(target, sha256) != sha256:
            return "the target's copy has other bytes (remove it and run again)"
        return "present"
    with tempfile.TemporaryFile(prefix="doorstep-migrate-") as spool:
        try:
            found = _sha256_of(source, sha256, spool)
        except FileNotFoundError:
            return "missing from the source store"
        if found != sha256:
            return f"the source's bytes have SHA-256 {found}"
        spool.seek(0)
        stored = target.put_stream(spool)
        stored.release()
    return "copied" if stored.sha256 == sha256 else f"the target stored {stored.sha256}"


def _sha256_of(store, sha256, copy_to=None):
    digest = hashlib.sha256()
    with store.open(sha256) as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            if copy_to is not None:
                copy_to.write(chunk)
    return digest.hexdigest()
