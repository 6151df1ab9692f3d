"""Lists to phones (issue 5): each worker's CSV holds only her villages' rows, its hash moves
exactly when a row she can see changes, and it is served with ETag / If-None-Match and gzip."""
import gzip
import uuid

from lxml import etree

from tests.register.test_merge import PROPS, entity_instance
from tests.factories import make_entity_xform

MANIFEST = "{http://openrosa.org/xforms/xformsManifest}"


def list_entry(phone):
    manifest = etree.fromstring(phone.get(f"{phone.base}/forms/people_form/manifest").data)
    entry = next(m for m in manifest if m.findtext(f"{MANIFEST}filename") == "people.csv")
    return entry.findtext(f"{MANIFEST}hash"), entry.findtext(f"{MANIFEST}downloadUrl")


def test_two_villages_two_lists_and_a_change_moves_only_its_villages_hash(town, publish, db):
    publish(make_entity_xform("people_form", create=True, update=True, properties=PROPS,
                              uses_list=True))
    a, b = town.phone("worker_a"), town.phone("worker_b")         # dongwan, xishan
    before_a, url_a = list_entry(a)
    before_b, url_b = list_entry(b)
    rows_a = a.get(url_a).data.decode()
    rows_b = b.get(url_b).data.decode()
    assert "张丽" in rows_a and "赵燕" not in rows_a
    assert "赵燕" in rows_b and "张丽" not in rows_b

    assert a.submit(entity_instance(str(uuid.uuid4()), "新人", create=True,
                                    full_name="新人")).status_code == 201     # in dongwan
    after_a, _ = list_entry(a)
    after_b, _ = list_entry(b)
    assert after_a != before_a and after_b == before_b
    assert "新人" in a.get(url_a).data.decode()


def test_the_list_is_served_with_etag_and_gzip(town, publish, db):
    publish(make_entity_xform("people_form", create=True, update=True, properties=PROPS,
                              uses_list=True))
    phone = town.phone()
    for i in range(30):                   # enough rows to be worth compressing
        assert phone.submit(entity_instance(str(uuid.uuid4()), f"村民{i}", create=True,
                                            full_name=f"村民{i}")).status_code == 201
    hash_, url = list_entry(phone)
    plain = phone.get(url)
    assert plain.headers["ETag"] == f'"{hash_.removeprefix("md5:")}"'
    again = phone.get(url, headers={"If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    zipped = phone.get(url, headers={"Accept-Encoding": "gzip"})
    assert len(plain.data) >= 1024 and "Content-Encoding" not in plain.headers
    assert zipped.headers["Content-Encoding"] == "gzip" and len(zipped.data) < len(plain.data)
    assert gzip.decompress(zipped.data) == plain.data
