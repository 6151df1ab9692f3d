"""Store bytes and register them as a Blob row in the caller's transaction."""
from sqlalchemy import bindparam, text

from app.db.columns import utcnow
from app.storage.models import Blob

#: Written as SQL both dialects share: SQLAlchemy's on_conflict_do_nothing() has no cache key
#: and would be compiled afresh for every submission with attachments.
_INSERT_BLOB = text(f"INSERT INTO {Blob.__tablename__} (sha256, md5, size, created_at) "
                    "VALUES (:sha256, :md5, :size, :at) ON CONFLICT (sha256) DO NOTHING"
                    ).bindparams(bindparam("at", type_=Blob.__table__.c.created_at.type))


def save_blob(session, store, stream):
    """Write the stream durably, then add its Blob row unless another request already did
    (ON CONFLICT DO NOTHING, so two workers storing the same photo never collide)."""
    stored = store.put_stream(stream)
    insert_blob_rows(session, [stored])
    return stored


def discard_unreferenced(session, store, stored):
    """After a failed request (its transaction rolled back): remove the files it wrote that
    no blob row points at, and release the rest (app/storage/store.py says why this is safe
    while another request stores the same bytes). A database that cannot answer keeps them."""
    def referenced(sha256):
        try:
            return session.execute(_REFERENCED, {"sha256": sha256}).first() is not None
        except Exception:  # noqa: BLE001 - cannot tell: keep the file
            return True
        finally:
            session.rollback()

    for blob in stored:
        store.discard(blob, referenced)


_REFERENCED = text(f"SELECT 1 FROM {Blob.__tablename__} WHERE sha256 = :sha256")


def insert_blob_rows(session, stored):
    """Rows for blobs the store has already written durably."""
    stored = list(stored)
    if stored:
        at = utcnow()
        session.execute(_INSERT_BLOB, [{"sha256": b.sha256, "md5": b.md5, "size": b.size,
                                        "at": at} for b in stored])
