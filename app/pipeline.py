"""The packages built on submissions, plugged into intake and review when the app is created:
validation checks a submission before it is written, the register merges it and the life
events follow, and a review decision or a deletion re-counts it. app.submissions sees them only
as the hooks in app.submissions.processing, so the dependencies run one way: validation,
events and register build on submissions, never the reverse (tests/test_package_layers.py).
"""
from app.events.record import record_received, resync
from app.register.step import held_for_review, merge_approved, merge_received
from app.submissions import processing
from app.validation import step as validation


def install():
    processing.install(check=validation.check, after_check=validation.after_write,
                       holds=held_for_review, steps=[merge_received, record_received],
                       approve=merge_approved, recount=resync)
