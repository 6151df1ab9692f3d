"""Checking a submission against its form version: types, required when relevant, values of
questions that did not apply, choices (static, filtered, from CSV), constraints (with the
form's messages in both languages), repeat counts, unknown elements, evaluator errors."""
import datetime as dt

import pytest
from lxml import etree

from app.forms.compile import compile_form
from app.forms.schema import build_schema
from app.validation.check import CompiledForm, validate
from app.validation.service import csv_instance
from tests.factories import make_xlsform

NOW = dt.datetime(2026, 11, 20, 10, 0)
ZH, EN = "label::Chinese (zh)", "label::English (en)"


def compiled(survey, choices=(), form_id="t"):
    xml = compile_form("t.xlsx", make_xlsform(survey, choices, {"form_id": form_id, "version": "1"})).xml
    return CompiledForm(build_schema(xml), form_id)


def check(form, body, secondary=None, now=NOW):
    root = etree.fromstring(f'<data id="{form.form_id}" version="1">{body}'
                            f'<meta><instanceID>uuid:1</instanceID></meta></data>'.encode())
    return [(i.path, i.code) for i in validate(form, root, now, secondary or {})]


TYPES = compiled([
    {"type": "integer", "name": "i", "label": "I"}, {"type": "decimal", "name": "d", "label": "D"},
    {"type": "date", "name": "day", "label": "Day"}, {"type": "time", "name": "t", "label": "T"},
    {"type": "dateTime", "name": "dt", "label": "DT"}, {"type": "geopoint", "name": "g", "label": "G"},
    {"type": "geotrace", "name": "line", "label": "L"}, {"type": "text", "name": "s", "label": "S"},
])


@pytest.mark.parametrize("field, good, bad", [
    ("i", "-42", "4.2"), ("i", "2147483647", "2147483648"), ("d", "3.14", "3,14"),
    ("d", "-1e3", "abc"), ("day", "2026-02-28", "2026-02-30"), ("day", "2024-02-29", "29/02/2024"),
    ("t", "08:30:00.000+08:00", "25:00"), ("dt", "2026-11-20T08:30:00.000+08:00", "2026-11-20 08:30"),
    ("g", "30.5 114.3 20 5", "95 10 0 0"), ("line", "30 114 0 0;30.1 114.1 0 0", "30 114;x"),
])
def test_each_type_has_valid_and_invalid_values(field, good, bad):
    assert check(TYPES, f"<{field}>{good}</{field}>") == []
    assert check(TYPES, f"<{field}>{bad}</{field}>") == [(f"/data/{field}", "type")]


def test_any_text_is_a_string():
    assert check(TYPES, "<s>任何文字 &amp; symbols</s>") == []


REQUIRED = compiled([
    {"type": "select_one yn", "name": "pregnant", "label": "P", "required": "yes"},
    {"type": "integer", "name": "weeks", "label": "W", "required": "yes",
     "relevant": "${pregnant} = 'yes'"},
    {"type": "begin_group", "name": "g", "label": "G", "relevant": "${pregnant} = 'no'"},
    {"type": "text", "name": "why", "label": "Why"},
    {"type": "end_group", "name": "g"},
], [{"list_name": "yn", "name": "yes", "label": "Yes"}, {"list_name": "yn", "name": "no", "label": "No"}])


def test_required_answers_are_present_when_relevant():
    assert check(REQUIRED, "<pregnant>yes</pregnant><weeks>8</weeks>") == []
    assert check(REQUIRED, "<pregnant>yes</pregnant><weeks/>") == [("/data/weeks", "required")]
    assert check(REQUIRED, "<pregnant>yes</pregnant>") == [("/data/weeks", "required")]
    assert check(REQUIRED, "<pregnant>no</pregnant>") == []          # not relevant, not required
    assert check(REQUIRED, "") == [("/data/pregnant", "required")]


def test_values_of_questions_that_did_not_apply_are_flagged():
    assert check(REQUIRED, "<pregnant>no</pregnant><weeks>8</weeks>") == [("/data/weeks", "not_relevant")]
    assert check(REQUIRED, "<pregnant>yes</pregnant><weeks>8</weeks><g><why>x</why></g>") == [
        ("/data/g/why", "not_relevant")]
    assert check(REQUIRED, "<pregnant>no</pregnant><g><why>x</why></g>") == []


CHOICES = compiled([
    {"type": "select_one village", "name": "village", "label": "V"},
    {"type": "select_multiple fruit", "name": "fruits", "label": "F"},
    {"type": "select_one group", "name": "group", "label": "G", "choice_filter": "village=${village}"},
    {"type": "select_one_from_file places.csv", "name": "place", "label": "P"},
], [{"list_name": "village", "name": "dongwan", "label": "Dongwan"},
    {"list_name": "village", "name": "xishan", "label": "Xishan"},
    {"list_name": "fruit", "name": "apple", "label": "Apple"},
    {"list_name": "fruit", "name": "pear", "label": "Pear"},
    {"list_name": "group", "name": "g1", "label": "G1", "village": "dongwan"},
    {"list_name": "group", "name": "g2", "label": "G2", "village": "xishan"}])
PLACES = {"places": csv_instance(b"name,label\nclinic,Clinic\nhome,Home\n")}


def test_selects_use_the_choices_offered():
    assert check(CHOICES, "<village>dongwan</village><fruits>apple pear</fruits>") == []
    assert check(CHOICES, "<village>beijing</village>") == [("/data/village", "choice")]
    assert check(CHOICES, "<fruits>apple kiwi</fruits>") == [("/data/fruits", "choice")]


def test_a_filtered_choice_must_be_one_the_filter_offered():
    assert check(CHOICES, "<village>dongwan</village><group>g1</group>") == []
    assert check(CHOICES, "<village>dongwan</village><group>g2</group>") == [("/data/group", "choice")]


def test_choices_from_an_attached_csv_are_checked_and_a_register_list_is_not():
    assert check(CHOICES, "<place>clinic</place>", PLACES) == []
    assert check(CHOICES, "<place>moon</place>", PLACES) == [("/data/place", "choice")]
    assert check(CHOICES, "<place>anything</place>", {"places": None}) == []


CONSTRAINED = compiled([
    {"type": "integer", "name": "age", ZH: "年龄", EN: "Age", "constraint": ". >= 15 and . <= 49",
     "constraint_message::Chinese (zh)": "15到49岁", "constraint_message::English (en)": "15 to 49"},
    {"type": "date", "name": "lmp", ZH: "末次月经", EN: "LMP", "constraint": ". <= today()"},
    {"type": "text", "name": "code", ZH: "编号", EN: "Code", "constraint": "regex(., '[')"},
])


def test_constraints_hold_and_report_the_forms_message_in_both_languages():
    assert check(CONSTRAINED, "<age>30</age><lmp>2026-10-01</lmp>") == []
    root = etree.fromstring(b'<data id="t"><age>60</age><lmp>2026-12-01</lmp></data>')
    found = validate(CONSTRAINED, root, NOW, {})
    assert [(i.path, i.code, i.message_zh, i.message_en, i.value) for i in found] == [
        ("/data/age", "constraint", "15到49岁", "15 to 49", "60"),
        ("/data/lmp", "constraint", "不符合表单的约束条件：. <= today()",
         "Fails the form's constraint: . <= today()", "2026-12-01")]


def test_today_is_the_day_the_form_was_filled():
    assert check(CONSTRAINED, "<lmp>2026-12-01</lmp>", now=dt.datetime(2026, 12, 2)) == []


def test_an_evaluator_error_is_itself_an_issue():
    assert check(CONSTRAINED, "<code>x</code>") == [("/data/code", "evaluator")]


def test_an_expression_the_evaluator_cannot_read_is_listed_at_publish_and_skipped():
    form = compiled([{"type": "integer", "name": "n", "label": "N",
                      "constraint": "digest(., 'MD5') != ''"}])
    assert form.schema["unchecked"][0]["path"] == "/data/n"
    assert check(form, "<n>3</n>") == []


REPEATS = compiled([
    {"type": "integer", "name": "count", "label": "C"},
    {"type": "begin_repeat", "name": "child", "label": "Child", "repeat_count": "${count}"},
    {"type": "integer", "name": "age", "label": "Age", "constraint": ". < 18"},
    {"type": "end_repeat", "name": "child"},
])


def test_repeats_are_counted_and_each_instance_checked():
    assert check(REPEATS, "<count>2</count><child><age>3</age></child><child><age>5</age></child>") == []
    assert check(REPEATS, "<count>3</count><child><age>3</age></child><child><age>5</age></child>") == [
        ("/data/child", "repeat_count")]
    assert check(REPEATS, "<count>2</count><child><age>3</age></child><child><age>30</age></child>") == [
        ("/data/child[2]/age", "constraint")]


def test_unknown_elements_are_flagged_once():
    assert check(TYPES, "<s>x</s><extra><deep>1</deep></extra>") == [("/data/extra", "unknown")]
    assert check(TYPES, "<s>x</s><meta><deprecatedID>uuid:0</deprecatedID></meta>") == []


def test_a_namespaced_instance_is_read_like_a_plain_one():
    root = etree.fromstring(b'<data xmlns="http://www.w3.org/2002/xforms" id="t"><i>x</i></data>')
    assert [(i.path, i.code) for i in validate(TYPES, root, NOW, {})] == [("/data/i", "type")]
