"""Checklist items 61–66: what publishing makes of a form's entity declarations."""
import pytest
from sqlalchemy import select

from app.forms.models import FormAttachment
from app.problems import Problem
from app.register.models import Dataset, DatasetProperty
from tests.factories import make_entity_xform


def refused(publish, xml):
    with pytest.raises(Problem) as e:
        publish(xml)
    return e.value.code


def test_item_61_known_versions_are_accepted_missing_or_newer_refused(publish):
    for version in ("2022.1.0", "2023.1.0", "2024.1.0", "2025.1.0"):
        publish(make_entity_xform(f"f{version[:4]}", entities_version=version))
    assert refused(publish, make_entity_xform("none", entities_version="")) == "400.13"
    assert refused(publish, make_entity_xform("newer", entities_version="2026.1.0")) == "400.13"


def test_item_62_a_block_that_neither_creates_nor_updates_is_refused(publish):
    assert refused(publish, make_entity_xform("idle", create=False, update=False)) == "400.14"


def test_item_63_bad_names_and_case_clashes_are_refused(publish):
    assert refused(publish, make_entity_xform("a", dataset="__people")) == "400.15"
    assert refused(publish, make_entity_xform("b", dataset="peo.ple")) == "400.15"
    assert refused(publish, make_entity_xform("c", properties=("label",))) == "400.15"
    assert refused(publish, make_entity_xform("d", properties=("__v",))) == "400.15"
    publish(make_entity_xform("e", dataset="people", properties=("full_name",)))
    assert refused(publish, make_entity_xform("f", dataset="People")) == "409.16"
    assert refused(publish, make_entity_xform("g", properties=("Full_Name",))) == "409.16"


def test_item_64_publishing_creates_lists_and_properties(publish, db):
    publish(make_entity_xform("p1", properties=("full_name", "village")))
    publish(make_entity_xform("p2", properties=("village", "phone")))
    dataset = db.session.scalar(select(Dataset).where(Dataset.name == "people"))
    assert [p.name for p in db.session.scalars(select(DatasetProperty).where(
        DatasetProperty.dataset_id == dataset.id).order_by(DatasetProperty.position))] == [
        "full_name", "village", "phone"]


def test_item_65_old_versions_warn(publish):
    result = publish(make_entity_xform("old", entities_version="2023.1.0"))
    assert any("older than 2024.1" in w for w in result.warnings)
    assert not publish(make_entity_xform("new", entities_version="2024.1.0")).warnings


def test_item_66_an_attachment_named_after_a_list_is_linked(publish, db):
    publish(make_entity_xform("maker"))
    publish(make_entity_xform("user", create=False, update=True, uses_list=True, version="2"))
    linked = db.session.scalar(select(FormAttachment).where(FormAttachment.name == "people.csv"))
    assert linked.dataset_id is not None
