"""app.exports.fields: a form's export schema as Central's getFormFields reads it, with labels,
choices, tables, and older versions merged for deletedFields."""
import os

import pytest

from app.exports import fields as export_fields
from app.exports.fields import form_fields, merge, tables
from app.forms.compile import compile_form
from tests.exports.forms import survey

pytestmark = pytest.mark.database_independent
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_fields_follow_the_instance_depth_first_with_central_types():
    got = [(f.rel, f.type) for f in form_fields(survey())]
    assert got == [("/name", "string"), ("/old_q", "string"), ("/place", "geopoint"),
                   ("/pets", "string"), ("/hh", "structure"), ("/hh/person", "repeat"),
                   ("/hh/person/age", "int"), ("/hh/person/visit", "repeat"),
                   ("/hh/person/visit/day", "date"), ("/meta", "structure"),
                   ("/meta/instanceID", "string")]


def test_the_repeat_template_and_its_copy_are_one_field():
    assert [f.rel for f in form_fields(survey())].count("/hh/person") == 1


def test_labels_choices_select_multiple_and_group():
    by = {f.rel: f for f in form_fields(survey())}
    assert by["/name"].labels == {"English (en)": "Name", "Chinese (zh)": "姓名"}
    assert by["/pets"].select_multiple and by["/pets"].control == "select"
    assert by["/pets"].choices == {"cat": {"English (en)": "Cat", "Chinese (zh)": "猫"},
                                   "dog": {"": "Dog"}}
    assert by["/hh/person/age"].group == "/data/hh/person"
    assert by["/name"].path == "/data/name" and by["/name"].group == ""


def test_tables_root_and_nested_repeats():
    found = tables(form_fields(survey()))
    assert [(t.path, t.name, t.parent, t.depth) for t in found] == [
        ("", "", None, 0), ("/hh/person", "person", "", 1),
        ("/hh/person/visit", "visit", "/hh/person", 2)]
    assert [f.name for f in found[0].fields] == ["name", "old_q", "place", "pets", "instanceID"]
    assert [f.name for f in found[1].fields] == ["age"]
    assert [f.name for f in found[2].fields] == ["day"]


def test_root_only_leaves_repeats_out():
    assert [t.path for t in tables(form_fields(survey()), root_only=True)] == [""]


def test_merge_puts_a_dropped_field_back_after_its_parent_subtree():
    old, new = form_fields(survey("1")), form_fields(survey("2", with_old=False))
    merged = merge(old, new)
    assert [f.rel for f in merged] == ["/name", "/place", "/pets", "/hh", "/hh/person",
                                       "/hh/person/age", "/hh/person/visit",
                                       "/hh/person/visit/day", "/meta", "/meta/instanceID",
                                       "/old_q"]
    assert [f.order for f in merged] == list(range(len(merged)))


def test_home_visit_has_the_member_repeat_and_choice_labels():
    xml = compile_form("home_visit.xlsx", open(os.path.join(ROOT, "forms", "home_visit.xlsx"),
                                                "rb").read()).xml
    found = form_fields(xml)
    assert [t.name for t in tables(found)] == ["", "member"]
    by = {f.rel: f for f in found}
    assert by["/member/changes"].select_multiple
    assert by["/member/sex"].choices["female"]["Chinese (zh)"] == "女"
    assert by["/hh/head_name"].labels["English (en)"] == "Head of household"
    # the entity blocks' attributes are not fields; their label is
    assert "/meta/entity/label" in by and "/meta/entity" in by
    assert by["/meta/entity"].type == "structure"


def test_version_fields_is_cached_by_version_id_and_md5():
    class Version:
        id, md5, xml = -7, "a", survey()
    first = export_fields.version_fields(Version)
    Version.xml = b"not even xml"      # a version's XML never changes: the cache answers
    assert export_fields.version_fields(Version) is first
    Version.md5, Version.xml = "b", survey(with_old=False)    # another database's version -7
    assert "/old_q" not in [f.rel for f in export_fields.version_fields(Version)]
