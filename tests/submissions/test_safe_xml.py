"""Hostile XML gets a 400 and costs nothing: no entity expansion, no file or network access."""
import pytest
from sqlalchemy import func, select

from app.submissions.models import Submission
from tests.openrosa.docs import message

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<data id="simple" version="1"><name>&lol3;</name><meta><instanceID>uuid:b</instanceID></meta></data>"""
XXE = b"""<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<data id="simple" version="1"><name>&x;</name><meta><instanceID>uuid:x</instanceID></meta></data>"""
REMOTE = b"""<?xml version="1.0"?><!DOCTYPE d SYSTEM "http://127.0.0.1:9/evil.dtd">
<data id="simple" version="1"><meta><instanceID>uuid:r</instanceID></meta></data>"""


@pytest.mark.parametrize("xml", [BOMB, XXE, REMOTE, b"<data", b"", b"\xff\xfe<a/>"],
                         ids=["bomb", "xxe", "remote-dtd", "truncated", "empty", "bad-encoding"])
def test_hostile_or_broken_xml_is_400_and_stores_nothing(collect, simple_form, db, xml):
    response = collect.submit(xml)
    assert response.status_code == 400
    assert message(response)[0] == "error"
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0


def test_hostile_xform_is_refused_at_publish(publish):
    from app.problems import Problem
    with pytest.raises(Problem) as e:
        publish(XXE, filename="evil.xml")
    assert e.value.code == "400.2"
