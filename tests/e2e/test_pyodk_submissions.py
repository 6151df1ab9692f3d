"""pyodk (1.3.0, ODK's own Python client) writes submissions to Doorstep through a real
gunicorn as it writes them to Central: `submissions.create` with an attachment (sent chunked)
and an instanceID full of URL-reserved and non-ASCII characters, `edit` with a comment,
`list_comments`, `add_comment`, `review`, and `get_table` reading the result back."""
import uuid
from xml.sax.saxutils import escape

import pytest
from pyodk.client import Client
from pyodk.errors import PyODKError

from tests.factories import make_xform

# what pyodk's own suite sends (test_submission_create__non_ascii), and a Chinese name
ODD = "+~!@#$%^&*()✅王芳"


def fruit_xml(instance_id, name, deprecated_id=None, photo=None):
    meta = f"<instanceID>{escape(instance_id)}</instanceID>"
    if deprecated_id:
        meta += f"<deprecatedID>{escape(deprecated_id)}</deprecatedID>"
    photo = f"<photo>{photo}</photo>" if photo else "<photo/>"
    return (f'<data id="simple" version="1"><meta>{meta}</meta><name>{escape(name)}</name>'
            f"<village>dongwan</village>{photo}</data>")


@pytest.fixture
def pyodk(live_server, personas, publish, tmp_path):
    publish(make_xform("simple", "1", title="Simple", binary=["photo"]))
    server = live_server()
    config = tmp_path / "pyodk.toml"
    config.write_text(f'[central]\nbase_url = "{server.url}"\nusername = "admin"\n'
                      f'password = "admin-password"\ndefault_project_id = 1\n')
    with Client(config_path=str(config), cache_path=str(tmp_path / "cache.toml")) as client:
        yield client


def test_pyodk_creates_edits_comments_reviews_and_reads_back(pyodk, tmp_path, personas):
    photo = tmp_path / "bird.jpg"
    photo.write_bytes(b"\xff\xd8\xff" + bytes(range(256)) * 200)    # 51 KiB: several chunks
    iid = f"uuid:{uuid.uuid4()}{ODD}"
    created = pyodk.submissions.create(fruit_xml(iid, "苹果", photo="bird.jpg"),
                                       form_id="simple", device_id="pyodk:e2e",
                                       attachments=[photo])
    assert (created.instanceId, created.deviceId) == (iid, "pyodk:e2e")
    assert [(a.name, a.exists) for a in created.attachments] == [("bird.jpg", True)]
    stored = pyodk.session.get(pyodk.session.urlformat(
        "projects/1/forms/simple/submissions/{iid}/attachments/bird.jpg", iid=iid))
    assert stored.content == photo.read_bytes()

    # the same XML again is a retry; other XML under a used instanceID is Central's 409.3
    assert pyodk.submissions.create(fruit_xml(iid, "苹果", photo="bird.jpg"),
                                    form_id="simple").instanceId == iid
    with pytest.raises(PyODKError) as conflict:
        pyodk.submissions.create(fruit_xml(iid, "梨"), form_id="simple")
    assert conflict.value.is_central_error(code=409.3)

    edited_iid = f"uuid:{uuid.uuid4()}✅"
    pyodk.submissions.edit(iid, fruit_xml(edited_iid, "香蕉", deprecated_id=iid,
                                          photo="bird.jpg"),
                           form_id="simple", comment="pyODK edit ✅")
    edited = pyodk.submissions.get(iid, form_id="simple")
    assert (edited.instanceId, edited.reviewState) == (iid, "edited")

    pyodk.submissions.add_comment(iid, "第二条", form_id="simple")
    comments = pyodk.submissions.list_comments(iid, form_id="simple")
    assert [(c.body, c.actorId) for c in comments] == [
        ("第二条", personas["admin"].id), ("pyODK edit ✅", personas["admin"].id)]

    pyodk.submissions.review(iid, "approved", form_id="simple", comment="核实无误")
    assert pyodk.submissions.get(iid, form_id="simple").reviewState == "approved"
    assert len(pyodk.submissions.list_comments(iid, form_id="simple")) == 3

    [row] = pyodk.submissions.get_table(form_id="simple")["value"]
    assert (row["__id"], row["name"], row["photo"]) == (iid, "香蕉", "bird.jpg")
    assert row["__system"]["reviewState"] == "approved"
