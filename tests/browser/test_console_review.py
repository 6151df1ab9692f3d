"""Review in a real browser through gunicorn, at phone and desktop size: a supervisor finds a
flagged submission in the queue, reads it with its issue beside the field, corrects it in the
browser and sees the new version; the register holds the corrected values. Every page passes
the page checks (no sideways scroll, axe, weight) and is screenshotted."""
import pytest
from lxml import etree
from sqlalchemy import select

from app.register.models import Entity
from app.submissions.models import Submission, SubmissionDef
from tests.browser.console import SIZES, check_page, open_browser, sign_in
from tests.samples import instance
from tests.samples.register import SUN_MIN

pytestmark = pytest.mark.once

BAD_ID, GOOD_ID = "610425199912010928", "610425199912010927"


@SIZES
def test_a_supervisor_reviews_and_corrects_a_flagged_submission_and_the_register_changes(
        browser, console_site, town, db, personas, width, height):
    root = etree.fromstring(instance("person_method_stated"))
    root.find("id_number").text = BAD_ID
    assert town.phone("worker_a").submit(etree.tostring(root)).status_code == 201
    db.session.rollback()
    flagged = db.session.scalar(select(Submission).order_by(Submission.id.desc()))
    assert flagged.review_state == "hasIssues"
    flagged_id = flagged.id
    db.session.rollback()           # no transaction left open while gunicorn writes

    page = open_browser(browser, width, height)
    sign_in(page, console_site, "supervisor", personas["supervisor"].password)
    page.goto(console_site + "/review?state=hasIssues")
    check_page(page, "review-queue")
    assert page.locator("table.review-queue tbody tr").count() == 1
    with page.expect_navigation():
        page.click("table.review-queue tbody tr a")
    assert "校验位不正确" in page.text_content("dd.flagged")
    check_page(page, "submission")

    with page.expect_navigation():
        page.click(f"a[href^='/submissions/{flagged_id}/edit']")
    check_page(page, "submission-edit")
    page.fill("input[name='v/data/id_number']", GOOD_ID)
    page.fill("input[name='v/data/phone']", "13600009999")
    with page.expect_navigation():
        page.click("form.correction button[type=submit]")
    assert page.url.startswith(f"{console_site}/submissions/{flagged_id}")
    assert page.locator("dd.flagged").count() == 0
    assert GOOD_ID in page.text_content("ol.timeline")          # the version's changes
    check_page(page, "submission-corrected")

    db.session.rollback()
    person = db.session.scalar(select(Entity).where(Entity.uuid == SUN_MIN))
    assert (person.data["id_number"], person.data["phone"]) == (GOOD_ID, "13600009999")
    new = db.session.scalar(select(SubmissionDef).where(
        SubmissionDef.submission_id == flagged_id, SubmissionDef.current.is_(True)))
    assert new.deprecated_id and new.issues == [] and new.submitter_kind == "user"
    page.context.close()
