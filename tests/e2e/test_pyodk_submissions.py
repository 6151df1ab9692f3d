"""pyodk (1.3.0, ODK's own Python client) writes submissions to Doorstep through a real
gunicorn as it writes them to Central: `submissions.create` with an attachment (sent chunked)
and an instanceID full of URL-reserved and non-ASCII characters, `edit` with a comment,
`list_comments`, `add_comment`, `review`, and `get_table` reading the result back; on the
form id of pyodk's own suite (slashes and percent signs), and again after its suite's first
run (the instanceID is taken: 409.3, then the versions say which one to edit)."""
import uuid
from xml.sax.saxutils import escape, quoteattr

import pytest
from pyodk.errors import PyODKError

from tests.e2e.live import pyodk_client
from tests.factories import make_xform

# what pyodk's own suite sends (test_submission_create__non_ascii), and a Chinese name
ODD = "+~!@#$%^&*()✅王芳"
FORM = "'=+/*-451%/%"        # pyodk's suite's form id: slashes, percent signs, quotes


def fruit_xml(instance_id, name, deprecated_id=None, photo=None, form=FORM):
    meta = f"<instanceID>{escape(instance_id)}</instanceID>"
    if deprecated_id:
        meta += f"<deprecatedID>{escape(deprecated_id)}</deprecatedID>"
    photo = f"<photo>{photo}</photo>" if photo else "<photo/>"
    return (f'<data id={quoteattr(form)} version="1"><meta>{meta}</meta>'
            f"<name>{escape(name)}</name><village>dongwan</village>{photo}</data>")


@pytest.fixture
def pyodk(live_server, personas, publish, tmp_path):
    for form_id in (FORM, "fruits"):
        publish(make_xform(form_id, "1", title="Fruits", binary=["photo"]))
    server = live_server()
    with pyodk_client(server, tmp_path) as client:
        yield client


def test_pyodk_creates_edits_comments_reviews_and_reads_back(pyodk, tmp_path, personas):
    photo = tmp_path / "bird.jpg"
    photo.write_bytes(b"\xff\xd8\xff" + bytes(range(256)) * 200)    # 51 KiB: several chunks
    iid = f"uuid:{uuid.uuid4()}{ODD}"
    created = pyodk.submissions.create(fruit_xml(iid, "苹果", photo="bird.jpg"),
                                       form_id=FORM, device_id="pyodk:e2e",
                                       attachments=[photo])
    assert (created.instanceId, created.deviceId) == (iid, "pyodk:e2e")
    assert [(a.name, a.exists) for a in created.attachments] == [("bird.jpg", True)]
    stored = pyodk.session.get(pyodk.session.urlformat(
        "projects/1/forms/{form}/submissions/{iid}/attachments/bird.jpg", form=FORM, iid=iid))
    assert stored.content == photo.read_bytes()

    # the same XML again is a retry; other XML under a used instanceID is Central's 409.3
    assert pyodk.submissions.create(fruit_xml(iid, "苹果", photo="bird.jpg"),
                                    form_id=FORM).instanceId == iid
    with pytest.raises(PyODKError) as conflict:
        pyodk.submissions.create(fruit_xml(iid, "梨"), form_id=FORM)
    assert conflict.value.is_central_error(code=409.3)

    edited_iid = f"uuid:{uuid.uuid4()}✅"
    pyodk.submissions.edit(iid, fruit_xml(edited_iid, "香蕉", deprecated_id=iid,
                                          photo="bird.jpg"),
                           form_id=FORM, comment="pyODK edit ✅")
    edited = pyodk.submissions.get(iid, form_id=FORM)
    assert (edited.instanceId, edited.reviewState) == (iid, "edited")
    # pyodk's suite run again: the first version's XML is taken (409.3), so it reads the
    # versions to find the one to edit
    with pytest.raises(PyODKError) as taken:
        pyodk.submissions.create(fruit_xml(iid, "苹果", photo="bird.jpg"), form_id=FORM)
    assert taken.value.is_central_error(code=409.3)
    versions = pyodk.session.get(pyodk.session.urlformat(
        "projects/1/forms/{form}/submissions/{iid}/versions", form=FORM, iid=iid)).json()
    assert [v["instanceId"] for v in versions] == [edited_iid, iid]

    pyodk.submissions.add_comment(iid, "第二条", form_id=FORM)
    comments = pyodk.submissions.list_comments(iid, form_id=FORM)
    assert [(c.body, c.actorId) for c in comments] == [
        ("第二条", personas["admin"].id), ("pyODK edit ✅", personas["admin"].id)]

    pyodk.submissions.review(iid, "approved", form_id=FORM, comment="核实无误")
    assert pyodk.submissions.get(iid, form_id=FORM).reviewState == "approved"
    assert len(pyodk.submissions.list_comments(iid, form_id=FORM)) == 3

    # Doorstep's OData routes take no "/" in a form id: get_table reads a plainer one
    pyodk.submissions.create(fruit_xml(iid, "苹果", form="fruits"), form_id="fruits")
    pyodk.submissions.edit(iid, fruit_xml(edited_iid, "香蕉", deprecated_id=iid, form="fruits"),
                           form_id="fruits")
    pyodk.submissions.review(iid, "approved", form_id="fruits")
    [row] = pyodk.submissions.get_table(form_id="fruits")["value"]
    assert (row["__id"], row["name"], row["meta"]["instanceID"]) == (iid, "香蕉", edited_iid)
    assert row["__system"]["reviewState"] == "approved"
