"""Column helpers shared by every package's models: timestamps in UTC, JSON that works on both
SQLite and PostgreSQL."""
from datetime import datetime, timezone

from sqlalchemy import JSON
from sqlalchemy.dialects.postgresql import JSONB

JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow():
    return datetime.now(timezone.utc).replace(tzinfo=None)


def isoformat(value):
    """Central's timestamp shape: ISO 8601 in UTC with milliseconds and Z."""
    if value is None:
        return None
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
