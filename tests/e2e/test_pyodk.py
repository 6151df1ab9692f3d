"""pyodk, ODK's own Python client, reads Doorstep through a real gunicorn, as the README
promises (JSON API): the answers carry every field pyodk's models require."""
import uuid

import pytest

from tests.e2e.live import pyodk_client
from tests.factories import make_entity_xform, make_instance, make_xform


@pytest.fixture
def pyodk(live_server, personas, tmp_path):
    server = live_server()
    with pyodk_client(server, tmp_path) as client:
        yield client


def test_forms_and_submissions(pyodk, publish, collect):
    publish(make_xform("simple", "1", title="Simple", binary=["photo"]))
    iid = f"uuid:{uuid.uuid4()}"
    assert collect.submit(make_instance(instance_id=iid)).status_code == 201
    forms = pyodk.forms.list()
    assert [f.xmlFormId for f in forms] == ["simple"]
    assert pyodk.forms.get("simple").name == "Simple"
    submissions = pyodk.submissions.list(form_id="simple")
    assert [s.instanceId for s in submissions] == [iid]
    assert pyodk.submissions.get(instance_id=iid, form_id="simple").instanceId == iid


def test_entity_lists_and_entities(pyodk, publish, collect, personas):
    publish(make_entity_xform("register_person", "people"))
    entity_id = str(uuid.uuid4())
    created = (f'<data id="register_person" version="1"><full_name>王芳</full_name>'
               f'<village>dongwan</village><meta><instanceID>uuid:{uuid.uuid4()}</instanceID>'
               f'<entity dataset="people" id="{entity_id}" create="1"><label>王芳</label>'
               f'</entity></meta></data>').encode()
    assert collect.submit(created).status_code == 201
    assert [e.name for e in pyodk.entity_lists.list()] == ["people"]
    [entity] = pyodk.entities.list(entity_list_name="people")
    assert entity.uuid == entity_id and entity.creatorId == personas["worker_a"].id
    version = entity.currentVersion
    assert (version.version, version.label, version.current) == (1, "王芳", True)
    assert version.creatorId == personas["worker_a"].id
    assert version.userAgent.startswith("org.odk.collect.android/")
    assert version.data == {"full_name": "王芳", "village": "dongwan"}
