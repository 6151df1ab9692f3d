"""Validation inside intake, over real HTTP: a submission with problems is stored (201) and
marked hasIssues with each problem kept; the API shows them and filters by review state; an
edit that fixes them clears the state; `flask submissions revalidate` re-checks after a rule
changes; the per-form setting for the register is a command away."""
import re
import uuid

from click.testing import CliRunner
from lxml import etree
from sqlalchemy import select, update

from app.cli import forms as forms_cli
from app.cli import submissions as submissions_cli
from app.forms.models import Form, FormVersion
from app.submissions.models import Submission, SubmissionDef
from app.validation import rules, service
from app.validation.issues import issue
from tests.samples import SAMPLES, instance

BASE = "/v1/projects/1/forms/person/submissions"


def _edited(name, new_id, **values):
    root = etree.fromstring(instance(name))
    for path, value in values.items():
        root.find(path).text = value
    root.find("meta/instanceID").text = new_id
    entity = root.find("meta/entity")
    if entity is not None and entity.get("create") in ("1", "true"):
        entity.set("id", str(uuid.uuid4()))       # another person, not a second create of one
    return etree.tostring(root)


def _state(db, instance_id):
    db.session.rollback()
    return db.session.scalar(select(Submission.review_state)
                             .where(Submission.instance_id == instance_id))


def test_a_submission_with_problems_is_stored_and_marked_has_issues(town, db, client, login):
    phone = town.phone()
    good = instance("person_registered")
    bad = _edited("person_registered", "uuid:bad-one", id_number="610425199810101423")
    assert phone.submit(good).status_code == 201
    assert phone.submit(bad).status_code == 201
    headers = login("admin")
    flagged = client.get(f"{BASE}?reviewState=hasIssues", headers=headers).json
    assert [s["instanceId"] for s in flagged] == ["uuid:bad-one"]
    assert flagged[0]["issues"] == [{
        "path": "/data/id_number", "code": "id_number_checksum", "value": "610425199810101423",
        "message": "The ID number's check digit is wrong (it should be 2)",
        "messageZh": "身份证号校验位不正确（应为2）"}]
    good_id = re.search(rb"<instanceID>([^<]+)", good).group(1).decode()
    detail = client.get(f"{BASE}/{good_id}", headers=headers).json
    assert detail["reviewState"] is None and detail["issues"] == []


def test_an_edit_that_fixes_the_problem_clears_has_issues(town, db):
    phone = town.phone()
    assert phone.submit(_edited("person_registered", "uuid:v1", dob="1998-10-11")).status_code == 201
    assert _state(db, "uuid:v1") == "hasIssues"
    fixed = etree.fromstring(_edited("person_registered", "uuid:v2"))
    etree.SubElement(fixed.find("meta"), "deprecatedID").text = "uuid:v1"
    assert phone.submit(etree.tostring(fixed)).status_code == 201
    assert _state(db, "uuid:v1") == "edited"
    issues = db.session.scalars(select(SubmissionDef.issues).order_by(SubmissionDef.id)).all()
    assert [len(i) for i in issues] == [2, 0]          # dob: the form's constraint and the rule


def test_a_version_published_before_validation_gets_its_schema_on_first_use(town, db):
    db.session.execute(update(FormVersion).values(schema=None))
    db.session.commit()
    service._COMPILED.clear()          # as after an upgrade: a new process, nothing cached
    phone = town.phone()
    assert phone.submit(_edited("person_registered", "uuid:late", sex="male")).status_code == 201
    assert _state(db, "uuid:late") == "hasIssues"
    schema = db.session.scalar(select(FormVersion.schema).join(Form, Form.id == FormVersion.form_id)
                               .where(Form.xml_form_id == "person"))
    assert schema["nodes"]["/data/sex"]["constraint"]


def test_revalidate_applies_a_changed_rule_to_stored_submissions(town, db, app, monkeypatch):
    phone = town.phone()
    assert phone.submit(instance("person_registered")).status_code == 201
    assert phone.submit(instance("person_away")).status_code == 201
    assert phone.submit(_edited("person_registered", "uuid:no-phone", phone="")).status_code == 201
    approved = re.search(rb"<instanceID>([^<]+)", instance("person_away")).group(1).decode()
    db.session.execute(update(Submission).where(Submission.instance_id == approved)
                       .values(review_state="approved"))
    db.session.commit()
    assert _state(db, "uuid:no-phone") is None

    def every_phone_number(fields):          # the town's new rule: a phone number for everyone
        if not fields.value("phone"):
            yield issue("/data/phone", "required")
    original = rules.RULES["person"]
    monkeypatch.setitem(rules.RULES, "person", [*original, every_phone_number])
    result = CliRunner().invoke(submissions_cli, ["revalidate", "person"], obj=app.extensions)
    assert result.exit_code == 0, result.output
    assert "Checking 3 submissions of person" in result.output
    assert "3 checked, 1 with issues." in result.output
    assert _state(db, "uuid:no-phone") == "hasIssues"
    assert _state(db, approved) == "approved"           # a supervisor's decision stays

    monkeypatch.setitem(rules.RULES, "person", original)
    result = CliRunner().invoke(submissions_cli, ["revalidate", "person"], obj=app.extensions)
    assert "3 checked, 0 with issues." in result.output
    assert _state(db, "uuid:no-phone") is None


def test_the_register_setting_for_submissions_with_issues(town, db, app, client, login):
    person = db.session.scalar(select(Form).where(Form.xml_form_id == "person"))
    assert person.issues_update_register is False        # default: they wait for a supervisor
    result = CliRunner().invoke(forms_cli, ["issues", "person", "update"], obj=app.extensions)
    assert result.exit_code == 0 and "still update the register" in result.output
    form = client.get("/v1/projects/1/forms/person", headers=login("admin")).json
    assert form["issuesUpdateRegister"] is True


#: samples whose story is that the server flags them (tests/validation/test_rules.py)
FLAGGED = {"termination_without_approval": ["approval_missing"]}


def test_sample_submissions_pass_validation_through_intake_unless_their_story_says_so(town, db):
    names = sorted(SAMPLES)
    for name in names:
        assert town.phone(SAMPLES[name].persona).submit(instance(name)).status_code == 201
    found = db.session.execute(select(SubmissionDef.instance_id, Submission.review_state,
                                      SubmissionDef.issues)
                               .join(Submission, Submission.id == SubmissionDef.submission_id)
                               .order_by(SubmissionDef.id)).all()
    assert [(state, [i["code"] for i in issues]) for _iid, state, issues in found] == [
        ("hasIssues" if name in FLAGGED else None, FLAGGED.get(name, [])) for name in names]


def test_a_failure_inside_validation_never_costs_the_submission(town, db, monkeypatch):
    from app.audit.models import AuditEvent
    from app.validation import step

    def broken(*args, **kwargs):
        raise RuntimeError("the evaluator fell over")
    monkeypatch.setattr(step, "issues_of", broken)
    assert town.phone().submit(instance("person_registered")).status_code == 201
    stored = db.session.scalar(select(Submission))
    assert stored.review_state == "hasIssues"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "submission.validate.error"))
    assert "the evaluator fell over" in event.details["error"]


def test_without_an_end_time_today_is_the_day_it_arrived_in_the_towns_time_zone():
    import datetime as dt

    from app.validation.service import filled_at
    from tests.validation.test_check import TYPES
    root = etree.fromstring(b'<data id="t"><s>x</s></data>')
    # 2026-11-20 17:30 UTC is already the 21st in Beijing
    moment = filled_at(None, TYPES, 1, root, dt.datetime(2026, 11, 20, 17, 30), "Asia/Shanghai")
    assert moment == dt.datetime(2026, 11, 21, 1, 30)
