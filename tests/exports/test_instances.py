"""app.exports.instances: one submission's XML into Central's per-table rows and keys."""
import pytest

from app.exports.fields import form_fields
from app.exports.instances import ROOT_META, Layout
from tests.exports.forms import survey, survey_instance

pytestmark = pytest.mark.database_independent


def rows(layout, xml, iid="uuid:s1"):
    root, subs = layout.read(xml, iid)
    named = [dict(zip(layout.root.header, root))]
    for table, table_rows in zip(layout.tables[1:], subs):
        named.append([dict(zip(table.header, r)) for r in table_rows])
    return named


def test_headers_are_centrals():
    layout = Layout(form_fields(survey()))
    assert layout.root.header == ["SubmissionDate", "name", "old_q", "place-Latitude",
                                  "place-Longitude", "place-Altitude", "place-Accuracy",
                                  "pets", "meta-instanceID", *ROOT_META]
    assert layout.tables[1].header == ["age", "PARENT_KEY", "KEY"]
    assert layout.tables[2].header == ["day", "PARENT_KEY", "KEY"]


def test_group_paths_false_uses_bare_names():
    layout = Layout(form_fields(survey()), group_paths=False)
    assert "instanceID" in layout.root.header and "meta-instanceID" not in layout.root.header


def test_repeat_keys_name_groups_and_positions_and_nested_rows_point_at_their_parent():
    root, person, visit = rows(Layout(form_fields(survey())), survey_instance())
    assert root["name"] == "Ann" and root["meta-instanceID"] == "uuid:s1"
    assert [(p["age"], p["PARENT_KEY"], p["KEY"]) for p in person] == [
        ("40", "uuid:s1", "uuid:s1/hh/person[1]"), ("12", "uuid:s1", "uuid:s1/hh/person[2]")]
    assert [(v["day"], v["PARENT_KEY"], v["KEY"]) for v in visit] == [
        ("2026-01-01", "uuid:s1/hh/person[1]", "uuid:s1/hh/person[1]/visit[1]"),
        ("2026-02-01", "uuid:s1/hh/person[1]", "uuid:s1/hh/person[1]/visit[2]")]


def test_geopoint_splits_into_four_and_select_multiple_splits_into_0_1_columns():
    layout = Layout(form_fields(survey()), select_values={"/pets": ["bird", "cat", "dog"]})
    root = rows(layout, survey_instance())[0]
    assert [root[f"place-{p}"] for p in ("Latitude", "Longitude", "Altitude", "Accuracy")] == \
        ["31.2", "121.5", "4", "10"]
    assert (root["pets"], root["pets/bird"], root["pets/cat"], root["pets/dog"]) == \
        ("cat dog", 0, 1, 1)
    # absent: the split cells still start at 0, as Central's data frame does
    empty = rows(layout, b'<data id="survey"><name>x</name></data>')[0]
    assert (empty["pets"], empty["pets/cat"]) == (None, 0)


def test_unknown_elements_are_skipped_with_their_subtree_and_empty_is_none():
    xml = survey_instance(extra="<surprise><name>not me</name></surprise>").replace(
        b"<name>Ann</name>", b"<name/>")
    root = rows(Layout(form_fields(survey())), xml)[0]
    assert root["name"] is None


def test_namespaced_elements_are_read_by_local_name():
    xml = (b'<data xmlns="http://example.org/x" xmlns:orx="http://openrosa.org/xforms" '
           b'id="survey"><name>Bo</name><orx:meta><orx:instanceID>uuid:n</orx:instanceID>'
           b'</orx:meta></data>')
    root = rows(Layout(form_fields(survey())), xml)[0]
    assert (root["name"], root["meta-instanceID"]) == ("Bo", "uuid:n")


def test_root_only_reads_no_repeat():
    layout = Layout(form_fields(survey()), root_only=True)
    root, subs = layout.read(survey_instance(), "uuid:s1")
    assert subs == [] and root[layout.root.header.index("name")] == "Ann"


def test_entities_in_text_are_decoded():
    xml = survey_instance(name="A &amp; B &lt;C&gt;")
    assert rows(Layout(form_fields(survey())), xml)[0]["name"] == "A & B <C>"


def test_a_root_only_read_cuts_repeats_out_of_the_text_and_reads_the_same():
    import glob
    import os

    from app.forms.compile import compile_form
    from app.exports.instances import _without
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    xml = compile_form("home_visit.xlsx", open(os.path.join(root, "forms", "home_visit.xlsx"),
                                                "rb").read()).xml
    fast = Layout(form_fields(xml), root_only=True)
    slow = Layout(form_fields(xml), root_only=True)
    slow._cut = ()
    assert fast._cut == (b"member",)
    samples = glob.glob(os.path.join(root, "tests", "samples", "instances", "home_visit_*.xml"))
    assert samples
    for path in samples:
        data = open(path, "rb").read()
        assert fast.read(data, "k") == slow.read(data, "k")
    # a longer name that starts alike stays, a self-closing instance goes
    assert _without(b"<d><member/><member_count>2</member_count><member><a>1</a></member></d>",
                    (b"member",)) == b"<d><member_count>2</member_count></d>"
    # anything unclosed: left as it was
    assert _without(b"<d><member><a>1</a></d>", (b"member",)) == b"<d><member><a>1</a></d>"
