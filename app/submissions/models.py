"""Submissions, their versions (defs) and attachments, shaped like ODK Central's.

A submission is the logical record; each edit (deprecatedID) adds a def with its own
instanceID and XML. instanceIDs are unique per form across all defs, which is what makes a
retried POST idempotent and lets the database, not the code, refuse a double insert.
"""
from sqlalchemy import event
from sqlalchemy.orm import object_session

from app.db import db
from app.db.columns import JSONType, utcnow

REVIEW_STATES = ("hasIssues", "edited", "approved", "rejected")  # NULL = received


class Submission(db.Model):
    __tablename__ = "submissions"
    __table_args__ = (
        db.UniqueConstraint("form_id", "instance_id"),
        # the few held out of the register (a report counts those waiting for review)
        db.Index("ix_submissions_held", "form_id", "area_id", "review_state",
                 postgresql_where=db.text("NOT in_register AND deleted_at IS NULL"),
                 sqlite_where=db.text("NOT in_register AND deleted_at IS NULL")),
        # a form's submissions and its last one (the console's forms page); with the id and
        # export_version, the kept export segments' check reads this index alone
        db.Index("ix_submissions_form_time", "form_id", "created_at", "id", "export_version",
                 postgresql_where=db.text("deleted_at IS NULL"),
                 sqlite_where=db.text("deleted_at IS NULL")),
    )
    id = db.Column(db.Integer, primary_key=True)
    form_id = db.Column(db.ForeignKey("forms.id"), nullable=False)
    #: the instanceID of the first def: the submission's id in URLs, as in Central
    instance_id = db.Column(db.String(255), nullable=False)
    area_id = db.Column(db.ForeignKey("areas.id"))
    submitter_kind = db.Column(db.String(20), nullable=False)
    submitter_id = db.Column(db.Integer)
    device_id = db.Column(db.String(255))
    review_state = db.Column(db.String(20))
    #: its current version's changes were let into the register (stored without being held
    #: for review, or approved): its life events count unless it is rejected or deleted
    in_register = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime)
    deleted_at = db.Column(db.DateTime)
    #: counted up by every change to the row (rows.update_submission, and _bump below for
    #: the ORM): a kept export segment holds exactly its rows while their versions add up
    #: as when it was made (app/exports/segments.py)
    export_version = db.Column(db.Integer, nullable=False, server_default="0")

    defs = db.relationship("SubmissionDef", back_populates="submission",
                           order_by="SubmissionDef.id")


@event.listens_for(Submission, "before_update")
def _bump(mapper, connection, target):
    """A change the ORM writes to a submission (a review, a deletion) counts up its
    export_version, as rows.update_submission does for Core updates."""
    if object_session(target).is_modified(target, include_collections=False):
        target.export_version = Submission.export_version + 1


class SubmissionDef(db.Model):
    __tablename__ = "submission_defs"
    __table_args__ = (db.UniqueConstraint("form_id", "instance_id"),)
    id = db.Column(db.Integer, primary_key=True)
    submission_id = db.Column(db.ForeignKey("submissions.id"), nullable=False, index=True)
    form_id = db.Column(db.ForeignKey("forms.id"), nullable=False)
    form_version_id = db.Column(db.ForeignKey("form_versions.id"), nullable=False)
    instance_id = db.Column(db.String(255), nullable=False)
    deprecated_id = db.Column(db.String(255))
    #: the XML exactly as received (bytes decoded as UTF-8)
    xml = db.Column(db.Text, nullable=False)
    xml_sha256 = db.Column(db.String(64), nullable=False)
    #: the latest version of the submission (exactly one per submission)
    current = db.Column(db.Boolean, nullable=False, default=True)
    encrypted = db.Column(db.Boolean, nullable=False, default=False)
    instance_name = db.Column(db.String(500))
    #: validation issues: [{path, code, message_zh, message_en, value}]; NULL: not checked
    issues = db.Column(JSONType)
    submitter_kind = db.Column(db.String(20), nullable=False)
    submitter_id = db.Column(db.Integer)
    device_id = db.Column(db.String(255))
    user_agent = db.Column(db.String(500))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    submission = db.relationship("Submission", back_populates="defs")
    attachments = db.relationship("SubmissionAttachment", order_by="SubmissionAttachment.name",
                                  lazy="selectin")


class SubmissionAttachment(db.Model):
    """A file the submission's XML names; present once `blob_sha256` is set."""
    __tablename__ = "submission_attachments"
    __table_args__ = (db.UniqueConstraint("def_id", "name"),)
    id = db.Column(db.Integer, primary_key=True)
    def_id = db.Column(db.ForeignKey("submission_defs.id"), nullable=False)
    name = db.Column(db.String(255), nullable=False)
    blob_sha256 = db.Column(db.ForeignKey("blobs.sha256"))


class SubmissionComment(db.Model):
    """A reviewer's comment on a submission (the console's review page). Append-only: a
    comment is never edited or deleted; the review page's feed shows them with the
    submission's versions and review changes."""
    __tablename__ = "submission_comments"
    __table_args__ = (db.Index("ix_submission_comments_submission", "submission_id", "id"),)
    id = db.Column(db.Integer, primary_key=True)
    submission_id = db.Column(db.ForeignKey("submissions.id"), nullable=False)
    actor_kind = db.Column(db.String(20), nullable=False)
    actor_id = db.Column(db.Integer)
    body = db.Column(db.Text, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)


# The console's review queue reads submissions newest first, all of them or one village's
# (app/console/review.py): keyset pages along these.
db.Index("ix_submissions_received", Submission.created_at, Submission.id)
db.Index("ix_submissions_area_received", Submission.area_id, Submission.created_at,
         Submission.id)
db.Index("ix_submissions_state_received", Submission.review_state, Submission.created_at,
         Submission.id)
