"""A blob row exists only once its bytes are durably stored: put_stream() fsyncs the file (or
completes the S3 PUT, app/storage/s3.py) first, and the row commits with the record using it."""
from app.db import db
from app.db.columns import utcnow


class Blob(db.Model):
    __tablename__ = "blobs"
    sha256 = db.Column(db.String(64), primary_key=True)
    md5 = db.Column(db.String(32), nullable=False)
    size = db.Column(db.BigInteger, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
