"""app/forms/drafts.py as a plain library: what a draft carries forward, how publishing goes
through publish(), and that nothing reading published forms sees a draft."""
import pytest
from flask import current_app
from lxml import etree

from app.auth.actors import Actor
from app.forms import drafts
from app.forms.queries import listed_forms, readable_form
from app.forms.xform import read_xform
from app.problems import Problem
from tests.factories import make_xform
from tests.forms.test_publish import external_choices_xlsform, xlsform


def _store():
    return current_app.extensions["blob_store"]


def test_with_version_changes_the_version_and_nothing_else():
    xml = make_xform("visit", "1", title="Visit", media=["logo.png"])
    rewritten = drafts.with_version(xml, "2026-12-05T21:00:00")
    before, after = read_xform(xml), read_xform(rewritten)
    assert after.version == "2026-12-05T21:00:00"
    assert (after.xml_form_id, after.title, after.media) == (
        before.xml_form_id, before.title, before.media)
    unversioned = drafts.with_version(make_xform("visit", None), "3")
    assert read_xform(unversioned).version == "3"
    assert etree.fromstring(rewritten).tag == etree.fromstring(xml).tag


def test_a_draft_only_form_is_invisible_to_what_reads_published_forms(db, personas):
    drafts.create_form(db.session, _store(), 1, "visit.xml", make_xform("visit", "1"))
    db.session.commit()
    everyone = Actor("user", 1, "admin", "admin", None, None, None)
    assert listed_forms(db.session, everyone, 1) == []
    with pytest.raises(Problem) as e:
        readable_form(db.session, everyone, 1, "visit")
    assert e.value.code == "404.2"


def test_publishing_an_xlsform_draft_keeps_its_xlsform_and_files(db, personas):
    sheet = xlsform([("select_one_from_file fruits.csv", "fruit", "Fruit")],
                    {"form_id": "fruit", "version": "1"})
    draft = drafts.create_form(db.session, _store(), 1, "fruit.xlsx", sheet)
    drafts.set_attachment(db.session, _store(), draft, "fruits.csv", b"name,label\na,A\n")
    result = drafts.publish(db.session, _store(), draft)
    assert result.outcome == "created" and result.version.version == "1"
    assert result.version.xlsform_sha256 is not None and result.missing_media == []
    assert drafts.find(db.session, 1, "fruit") is None


def test_a_new_draft_carries_forward_files_by_name_and_type(db, personas, publish):
    publish(make_xform("visit", "1", media=["logo.png", "list.csv"]),
            media={"logo.png": b"PNG", "list.csv": b"a\n"})
    # logo.png is still an image; list.csv is now an image too, so its CSV is not carried
    new = make_xform("visit", "2", media=["logo.png", "list.csv"]).replace(
        b"jr://file-csv/list.csv", b"jr://images/list.csv")
    draft = drafts.start(db.session, _store(), 1, "visit", ("visit.xml", new))
    assert {(a.name, a.kind, a.blob_sha256 is not None) for a in draft.attachments} == {
        ("logo.png", "image", True), ("list.csv", "image", False)}
    # no body: the published version again, replacing the draft; files come from the draft
    again = drafts.start(db.session, _store(), 1, "visit", None)
    assert (again.id, again.token, again.version) == (draft.id, draft.token, "1")
    assert {(a.name, a.blob_sha256 is not None) for a in again.attachments} == {
        ("logo.png", True), ("list.csv", False)}


def test_a_draft_of_a_published_version_must_change_the_version(db, personas, publish):
    publish(make_xform("visit", "1"))
    draft = drafts.start(db.session, _store(), 1, "visit", None)
    with pytest.raises(Problem) as e:
        drafts.publish(db.session, _store(), draft)
    assert e.value.code == "409.6" and "another version" in e.value.message_en
    assert drafts.publish(db.session, _store(), draft, "1.1").outcome == "new version"


def test_an_external_choices_draft_has_its_itemsets_csv_uploaded(db, personas):
    draft = drafts.create_form(db.session, _store(), 1, "ext.xlsx", external_choices_xlsform())
    assert [(a.name, a.blob_sha256 is not None) for a in draft.attachments] == [
        ("itemsets.csv", True)]
    assert drafts.publish(db.session, _store(), draft).missing_media == []
