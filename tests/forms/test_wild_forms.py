"""Real forms written by others (../shared/wild-forms): every one pyxform accepts (with ODK
Validate where Java runs it, as `flask forms publish` does) publishes and is served to a phone
with matching hashes and its media; the rest are refused with a clear, bilingual error and
leave nothing behind."""
import csv
import hashlib
import os

import pytest
from sqlalchemy import func, select

from app.cli import publish_paths
from app.forms.compile import odk_validate_unavailable
from app.forms.models import Form
from tests.collect import CollectClient
from tests.conftest import SHARED
from tests.openrosa.docs import form_entries, media_files

WILD = os.path.join(SHARED, "wild-forms")


def _index():
    path = os.path.join(WILD, "INDEX.tsv")
    if not os.path.exists(path):
        return [pytest.param(None, None, id="wild-forms-missing")]
    with open(path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [pytest.param(r["file"], _accepted(r), id=r["file"]) for r in rows]


def _accepted(row):
    """yes / no / na (an XForm) from INDEX.tsv: what pyxform 4.5 and, for XLSForms where Java
    runs it, ODK Validate 1.20 said of the form when the folder was gathered."""
    if row["compiles_with_pyxform_4_5"] == "yes" and VALIDATES:
        if "ODK Validate 1.20 on output: FAIL" in row["notes"]:
            return "no"
    return row["compiles_with_pyxform_4_5"]


VALIDATES = odk_validate_unavailable() is None


def _has_form_id(path):
    """Read independently of the app: does the XForm's primary instance root carry an id?"""
    from lxml import etree
    xf = "{http://www.w3.org/2002/xforms}"
    model = etree.parse(path).getroot().find("{http://www.w3.org/1999/xhtml}head/" + xf + "model")
    primary = [i for i in model.iter(xf + "instance") if i.get("id") is None][0]
    return bool(primary[0].get("id"))


@pytest.mark.parametrize("name, compiles", _index())
def test_wild_form_publishes_or_is_refused_clearly(name, compiles, shared_dir, app, db, client,
                                                   personas):
    path = os.path.join(WILD, name)
    lines = []
    failed = publish_paths([path], echo=lines.append, validate=VALIDATES)
    forms = db.session.scalar(select(func.count()).select_from(Form))
    if name.endswith(".xml") and not _has_form_id(path):
        compiles = "no"      # nothing could be submitted to it; Central refuses it too
    if compiles == "no":
        assert failed == 1 and forms == 0
        assert "REFUSED" in lines[0] and " / " in lines[0]        # English / Chinese
        return
    assert failed == 0, lines
    assert forms == 1
    phone = CollectClient(client, f"/v1/key/{personas['worker_a'].token}/projects/1")
    entry, = form_entries(phone.form_list())
    body = phone.get(entry["downloadUrl"]).data
    assert entry["hash"] == "md5:" + hashlib.md5(body).hexdigest()
    if name.endswith(".xml"):
        assert body == open(path, "rb").read()           # XForms are served byte for byte
    media_dir = os.path.splitext(path)[0] + "-media"
    if "manifestUrl" in entry:
        for f in media_files(phone.get(entry["manifestUrl"])):
            response = phone.get(f["downloadUrl"])
            content = response.data
            if f["type"] in ("entityList", "approvalEntityList"):
                # Served from the register: a change token, and the list's CSV header.
                assert f["integrityUrl"] and response.headers["ETag"] == f'"{f["hash"][4:]}"'
                assert content.startswith(b"name,label,__version")
                continue
            assert f["hash"] == "md5:" + hashlib.md5(content).hexdigest()
            if f["filename"] != "itemsets.csv":
                assert content == open(os.path.join(media_dir, f["filename"]), "rb").read()
