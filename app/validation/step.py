"""Validation as part of intake: checked in intake's read phase, before the write transaction,
so the issues and the review state are written with the submission in the same statements and
checking never holds the write lock.

check(...) never raises: anything that goes wrong in it is returned as an error text, and
intake then stores the submission as `hasIssues` with the error in the audit log. Nothing in
validation can cost a submission (DESIGN.md §5).
"""
import logging

from app.db.columns import utcnow
from app.validation.service import issues_of, save_built_schema

log = logging.getLogger(__name__)


def check(session, store, form_row, instance):
    """(issue dicts or None when not checked, error text or None) for a submission about to
    be stored; `form_row` is intake's form-and-version row."""
    if instance.encrypted:
        return None, None
    try:
        found = issues_of(session, store, version_id=form_row.version_id, root=instance.root,
                          received_at=utcnow(), version_md5=form_row.version_md5,
                          time_zone=form_row.time_zone, persist=False)
    except Exception as e:  # noqa: BLE001 - validation must never cost a submission
        log.exception("validation failed for %s", instance.instance_id)
        return None, f"{type(e).__name__}: {e}"
    return (None if found is None else [i.as_dict() for i in found]), None


def after_write(session, version_id):
    """In the write phase: keep a schema the read phase had to build (older versions)."""
    save_built_schema(session, version_id)
