"""Issue 16, item 16, through a real gunicorn: a women's group leader's phone, granted only
the pregnancy report, downloads people.csv without anyone's resident ID number or household,
and villages.csv with her village alone; a village worker's phone is sent what its forms
read (ID numbers included), the same columns in every form."""
import csv
import hashlib
import io

import requests
from lxml import etree

from app.auth import accounts
from tests.collect import OPENROSA

MANIFEST = "{http://openrosa.org/xforms/xformsManifest}"


def _media(server, token, form):
    base = f"{server.url}/v1/key/{token}/projects/1"
    manifest = requests.get(f"{base}/forms/{form}/manifest", headers=OPENROSA, timeout=30)
    assert manifest.status_code == 200
    files = {}
    for entry in etree.fromstring(manifest.content).iter(f"{MANIFEST}mediaFile"):
        response = requests.get(entry.findtext(f"{MANIFEST}downloadUrl"), headers=OPENROSA,
                                timeout=60)
        assert response.status_code == 200
        files[entry.findtext(f"{MANIFEST}filename")] = (entry.findtext(f"{MANIFEST}hash"),
                                                        response.content)
    return files


def _rows(data):
    return list(csv.reader(io.StringIO(data.decode("utf-8"))))


def test_a_group_leaders_phone_gets_only_what_her_form_reads(live_server, town, db):
    _user, leader = accounts.create_app_user(db.session, 1, "leader only", ["dongwan"],
                                             ["pregnancy_report"])
    db.session.commit()
    server = live_server()
    files = _media(server, leader, "pregnancy_report")
    people = _rows(files["people.csv"][1])
    assert people[0][:3] == ["name", "label", "__version"]
    assert sorted(people[0][3:]) == ["deceased", "dob", "full_name", "phone",
                                     "prepregnancy_check_date", "sex", "village"]
    assert b"610425" not in files["people.csv"][1]           # no resident ID number at all
    villages_hash, villages = files["villages.csv"]
    assert [r[0] for r in _rows(villages)] == ["name", "dongwan"]
    assert villages_hash == "md5:" + hashlib.md5(villages).hexdigest()


def test_a_workers_lists_have_the_same_columns_in_every_form(live_server, town, personas):
    server = live_server()
    token = personas["worker_a"].token
    headers = {form: _rows(_media(server, token, form)["people.csv"][1])[0]
               for form in ("person", "pregnancy_report", "three_checks")}
    assert headers["person"] == headers["pregnancy_report"] == headers["three_checks"]
    assert "id_number" in headers["person"]     # the person form reads it, and she has it
