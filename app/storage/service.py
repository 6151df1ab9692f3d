"""Store bytes and register them as a Blob row in the caller's transaction."""
from sqlalchemy import bindparam, text

from app.models_base import utcnow
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


def insert_blob_rows(session, stored):
    """Rows for blobs the store has already written durably."""
    stored = list(stored)
    if stored:
        at = utcnow()
        session.execute(_INSERT_BLOB, [{"sha256": b.sha256, "md5": b.md5, "size": b.size,
                                        "at": at} for b in stored])
