"""pyodk's forms.create and forms.update, which go through Central's draft workflow (a draft,
its files, publishing with a version), against a real gunicorn: XForm and XLSForm bodies,
attachments, the version updater, and form ids pyodk must URL-quote. One server for the
module's one flow: starting gunicorn is the slow part."""
import uuid

from sqlalchemy import select

from app.forms.models import Form, FormVersion
from tests.e2e.live import pyodk_client
from tests.factories import make_xform
from tests.forms.test_publish import xlsform

FRUITS = b"name,label\napple,Apple\nbanana,Banana\n"


def _fruit_form(settings=None):
    return xlsform([("select_one_from_file fruits.csv", "fruit", "Fruit")], settings)


def _latest_version(client, form_id):
    """What pyodk's own test utilities read (tests/utils/forms.py: get_latest_form_version)."""
    versions = client.session.get(client.session.urlformat(
        "projects/{pid}/forms/{fid}/versions", pid=1, fid=form_id)).json()
    return sorted(versions, key=lambda v: v["publishedAt"], reverse=True)[0]["version"]


def _served(db, form_id):
    """(version, {attachment: uploaded?}) of the form's published version, as phones see it."""
    db.session.expire_all()
    form = db.session.scalar(select(Form).where(Form.xml_form_id == form_id))
    version = db.session.get(FormVersion, form.current_version_id)
    served = version.version, {a.name: a.blob_sha256 is not None for a in version.attachments}
    db.session.rollback()       # no read left open: on SQLite it would hold up the server's writes
    return served


def test_pyodk_creates_and_updates_forms_through_drafts(live_server, personas, db, tmp_path):
    server = live_server()
    fruits = tmp_path / "fruits.csv"
    fruits.write_bytes(FRUITS)
    with pyodk_client(server, tmp_path) as client:
        # an XForm under an id pyodk makes up
        xml_id = client.session.get_xform_uuid()
        created = client.forms.create(definition=make_xform(xml_id, "1").decode())
        assert (created.xmlFormId, created.publishedAt) == (xml_id, None)
        assert client.forms.get(xml_id).version == "1"

        # an XLSForm without a form_id: the id is pyodk's (URL-quoted) fallback header
        form = client.forms.create(definition=_fruit_form(), attachments=[fruits])
        assert form.xmlFormId.startswith("uuid:")
        assert _served(db, form.xmlFormId) == ("", {"fruits.csv": True})

        # ids pyodk must quote, an XLSForm file, then every update pattern pyodk offers
        for form_id in ("'=+/*-451%/%", "✅"):
            sheet = tmp_path / f"{uuid.uuid4().hex}.xlsx"
            sheet.write_bytes(_fruit_form({"form_id": form_id, "version": "1"}))
            assert client.forms.create(definition=sheet, attachments=[fruits]).xmlFormId == form_id
            sheet.write_bytes(_fruit_form({"form_id": form_id, "version": "2"}))
            client.forms.update(form_id, definition=sheet, attachments=[fruits])
            assert client.forms.get(form_id).version == "2"
            client.forms.update(form_id, attachments=[fruits],
                                version_updater=lambda v: v + "_1")
            assert _latest_version(client, form_id) == "2_1"
            assert _served(db, form_id) == ("2_1", {"fruits.csv": True})
            client.forms.update(form_id, attachments=[fruits])     # a timestamp version
            assert _latest_version(client, form_id).startswith("20")

        # a new XForm definition for the first form, as pyodk's range_draft test does
        update = tmp_path / "update.xml"
        update.write_bytes(make_xform(xml_id, "2"))
        client.forms.update(xml_id, definition=update)
        assert [v.version for v in [client.forms.get(xml_id)]] == ["2"]
        assert client.forms.get_xml(xml_id).count('version="2"') == 1
