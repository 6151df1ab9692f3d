"""What fits in a submission's columns: each text a submission carries is checked against its
column's length while the request is read, before any blob is written, so an over-long value
is a 400 on every database (SQLite would store it, PostgreSQL would fail mid-transaction).
The same holds for a NUL character, which PostgreSQL's text columns cannot hold."""
from app.problems import Problem

INSTANCE_ID = 255           # submissions.instance_id, submission_defs.instance_id / deprecated_id
DEVICE_ID = 255             # submissions.device_id, submission_defs.device_id
ATTACHMENT_NAME = 255       # submission_attachments.name
INSTANCE_NAME = 500         # submission_defs.instance_name


def check(what, value, limit):
    """Problem 400.63 when `value` is longer than `limit` characters, 400.64 when it holds a
    NUL character; None passes."""
    if value is not None and len(value) > limit:
        raise Problem("400.63", {"what": what, "length": len(value), "limit": limit})
    if value is not None and "\x00" in value:
        raise Problem("400.64", {"what": what})
    return value
