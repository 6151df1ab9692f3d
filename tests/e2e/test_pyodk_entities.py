"""pyodk 1.3.0 writes entity lists and entities through a real gunicorn, each call as its own
end-to-end suite (tests/test_client.py::TestUsage in getodk/pyodk) makes it: entity_lists
create / add_property / get, entities create / create_many / update (base version and force)
/ delete / merge / get_table. Two tests, so two servers: the live server is made from a
test's own database (tests/e2e/conftest.py)."""
import uuid

import pytest
from pyodk.errors import PyODKError

from tests.e2e.live import pyodk_client


@pytest.fixture
def client(live_server, personas, tmp_path):
    server = live_server()
    with pyodk_client(server, tmp_path) as c:
        yield c


def _rows(client, name, keys):
    return sorted(({k: o.get(k) for k in keys} for o in
                   client.entities.get_table(entity_list_name=name)["value"]),
                  key=lambda r: r["label"])


def test_pyodk_makes_and_changes_entity_lists_and_entities(client):
    # entity_lists.create / add_property / get, and the 409.3 pyodk's suite expects on a rerun
    made = client.entity_lists.create(entity_list_name="pyodk_test_eln")
    assert (made.name, made.projectId, made.approvalRequired) == ("pyodk_test_eln", 1, False)
    for prop in ("test_label", "another_prop"):
        assert client.entity_lists.add_property(name=prop, entity_list_name="pyodk_test_eln")
    with pytest.raises(PyODKError) as again:
        client.entity_lists.create(entity_list_name="pyodk_test_eln")
    assert again.value.is_central_error(code=409.3)
    with pytest.raises(PyODKError) as twice:
        client.entity_lists.add_property(name="test_label", entity_list_name="pyodk_test_eln")
    assert twice.value.is_central_error(code=409.3)
    got = client.entity_lists.get(entity_list_name="pyodk_test_eln")
    assert [p.name for p in got.properties] == ["test_label", "another_prop"]
    assert ("pyodk_test_eln", 1) in [(e.name, e.projectId) for e in client.entity_lists.list()]

    # entities.create, list, get_table
    client.entities.default_entity_list_name = "pyodk_test_eln"
    entity = client.entities.create(
        label="test_label", data={"test_label": "test_value", "another_prop": "another_value"})
    assert entity.currentVersion.version == 1 and entity.creatorId > 0
    assert entity.uuid in [e.uuid for e in client.entities.list()]
    table = client.entities.get_table(select="__id")
    assert entity.uuid in [d["__id"] for d in table["value"]]

    # entities.update on the base version, a stale one (Central's 409.15), and by force
    updated = client.entities.update(
        uuid=entity.uuid, label="test_label", base_version=entity.currentVersion.version,
        data={"test_label": "test_value2", "another_prop": "another_value2"})
    assert updated.currentVersion.data["test_label"] == "test_value2"
    assert updated.currentVersion.version == 2
    with pytest.raises(PyODKError) as stale:
        client.entities.update(uuid=entity.uuid, label="x", base_version=1)
    assert stale.value.is_central_error(code=409.15)
    forced = client.entities.update(
        uuid=entity.uuid, label="test_label", force=True,
        data={"test_label": "test_value3", "another_prop": "another_value3"})
    assert forced.currentVersion.data["test_label"] == "test_value3"

    # create_many is all or none: a row naming no property of the list fails the request
    with pytest.raises(PyODKError):
        client.entities.create_many(data=[{"label": "a", "test_label": "1"},
                                          {"label": "b", "no_such_property": "2"}])
    assert [r["label"] for r in client.entities.get_table()["value"]] == ["test_label"]

    # entities.delete
    assert client.entities.delete(uuid=entity.uuid)
    assert entity.uuid not in [e.uuid for e in client.entities.list()]


def test_pyodk_merges_into_a_new_list_and_an_existing_one(client):
    # merge into a new list: every property is added, every row created
    new = f"uuid:{uuid.uuid4()}"
    client.entity_lists.create(entity_list_name=new)
    client.entities.merge(data=[{"label": "Sydney", "state": "NSW"},
                                {"label": "Melbourne", "state": "VIC"}],
                          entity_list_name=new)
    assert _rows(client, new, ("label", "state")) == [
        {"label": "Melbourne", "state": "VIC"}, {"label": "Sydney", "state": "NSW"}]

    # an existing list: add postcode, add Brisbane, update Sydney, delete Darwin
    existing = f"uuid:{uuid.uuid4()}"
    client.entity_lists.create(entity_list_name=existing)
    client.entity_lists.add_property(name="state", entity_list_name=existing)
    assert client.entities.create_many(
        data=[{"label": "Sydney", "state": "VIC"}, {"label": "Darwin", "state": "NT"}],
        entity_list_name=existing, create_source="cities.csv", source_size="2")
    actions = client.entities.merge(
        data=[{"label": "Sydney", "state": "NSW", "postcode": "2001"},
              {"label": "Brisbane", "state": "QLD", "postcode": "4000"}],
        entity_list_name=existing, add_new_properties=True, delete_not_matched=True)
    assert (len(actions.to_insert), len(actions.to_update), len(actions.to_delete)) == (1, 1, 1)
    assert _rows(client, existing, ("label", "state", "postcode")) == [
        {"label": "Brisbane", "state": "QLD", "postcode": "4000"},
        {"label": "Sydney", "state": "NSW", "postcode": "2001"}]

    # keep unmatched rows and ignore new columns
    kept = f"uuid:{uuid.uuid4()}"
    client.entity_lists.create(entity_list_name=kept)
    client.entity_lists.add_property(name="state", entity_list_name=kept)
    client.entities.create_many(
        data=[{"label": "Sydney", "state": "VIC"}, {"label": "Darwin", "state": "NT"}],
        entity_list_name=kept)
    client.entities.merge(
        data=[{"label": "Sydney", "state": "NSW", "postcode": "2000"},
              {"label": "Brisbane", "state": "QLD", "postcode": "4000"}],
        entity_list_name=kept, add_new_properties=False, delete_not_matched=False)
    assert _rows(client, kept, ("label", "state")) == [
        {"label": "Brisbane", "state": "QLD"}, {"label": "Darwin", "state": "NT"},
        {"label": "Sydney", "state": "NSW"}]
    assert [p.name for p in client.entity_lists.get(entity_list_name=kept).properties] == \
        ["state"]
