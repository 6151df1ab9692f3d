"""ODK's own form engine fills forms as a phone would; Doorstep accepts what it produces."""
from sqlalchemy import select

from app.submissions.models import SubmissionDef
from tests.engine import fill
from tests.factories import make_xlsform

HOUSEHOLD = make_xlsform(
    survey=[
        {"type": "select_one village", "name": "village", "label": "Village", "required": "yes"},
        {"type": "text", "name": "head", "label": "Head of household", "required": "yes"},
        {"type": "integer", "name": "members_count", "label": "Members",
         "constraint": ". >= 1 and . <= 30", "constraint_message": "1 to 30"},
        {"type": "select_multiple changes", "name": "changes", "label": "Changes"},
        {"type": "begin_repeat", "name": "member", "label": "Member"},
        {"type": "text", "name": "member_name", "label": "Name"},
        {"type": "end_repeat", "name": "member"},
    ],
    choices=[{"list_name": "village", "name": "dongwan", "label": "东湾村"},
             {"list_name": "village", "name": "xishan", "label": "西山村"},
             {"list_name": "changes", "name": "birth", "label": "Birth"},
             {"list_name": "changes", "name": "moved_in", "label": "Moved in"}],
    settings={"form_id": "household", "version": "2026112901", "form_title": "Household"})


def _served_form(collect, publish):
    publish(HOUSEHOLD, filename="household.xlsx")
    return collect.get(f"{collect.base}/forms/household.xml").data


def test_an_engine_filled_instance_is_accepted_byte_for_byte(collect, publish, db):
    xform = _served_form(collect, publish)
    filled = fill(xform, {"/data/village": "dongwan", "/data/head": "王建国",
                          "/data/members_count": "2", "/data/changes": ["birth", "moved_in"],
                          "/data/member[1]/member_name": "王建国",
                          "/data/member[2]/member_name": "李秀英"},
                  repeats={"/data/member": 2})
    assert filled.status == "ready" and filled.violations == []
    assert b"<changes>birth moved_in</changes>" in filled.xml
    assert filled.xml.count(b"<member_name>") == 2
    response = collect.submit(filled.xml)
    assert response.status_code == 201
    stored = db.session.scalar(select(SubmissionDef))
    assert stored.xml.encode("utf-8") == filled.xml


def test_the_engine_reports_what_the_form_forbids(collect, publish):
    xform = _served_form(collect, publish)
    filled = fill(xform, {"/data/village": "xishan", "/data/members_count": "99"})
    assert filled.status == "pending"               # a phone would not let it be finalised
    assert filled.violations == [{"reference": "/data/head", "message": "required"},
                                 {"reference": "/data/members_count", "message": "1 to 30"}]
