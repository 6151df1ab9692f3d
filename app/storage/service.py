"""Store bytes and register them as a Blob row in the caller's transaction."""
from sqlalchemy.dialects import postgresql, sqlite

from app.storage.models import Blob

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


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
        insert = _INSERTS[session.get_bind().dialect.name]
        session.execute(insert(Blob).on_conflict_do_nothing(index_elements=["sha256"]),
                        [{"sha256": b.sha256, "md5": b.md5, "size": b.size} for b in stored])
