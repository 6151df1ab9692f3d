"""Reviewers' comments on a submission (the submission_comments table, migration 0020): the
JSON API's list and add (Central's GET/POST …/submissions/<instanceId>/comments, pyodk's
`list_comments`, `add_comment`, and the comment of `edit` and `review`). The console's review
page writes the same rows (app/console/review.py). Append-only; reading them is audited,
since a reviewer's words may be about a person. No Flask.
"""
from sqlalchemy import select

from app.audit.record import record
from app.submissions.models import SubmissionComment


def list_for(session, actor, submission):
    """The submission's comments, newest first (as Central lists them); audited."""
    found = list(session.scalars(select(SubmissionComment)
                                 .where(SubmissionComment.submission_id == submission.id)
                                 .order_by(SubmissionComment.id.desc())))
    record(session, actor, "submission.read", f"submission:{submission.id}", part="comments")
    return found


def add(session, actor, submission, body):
    """A new comment by `actor` (flushed, with its id and time); audited like the console's."""
    row = SubmissionComment(submission_id=submission.id, actor_kind=actor.kind,
                            actor_id=actor.id, body=body)
    session.add(row)
    session.flush()
    record(session, actor, "submission.comment", f"submission:{submission.id}",
           commentId=row.id)
    return row
