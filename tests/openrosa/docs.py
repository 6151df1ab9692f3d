"""Parsing OpenRosa documents in tests, strictly, as Collect's parser does."""
from lxml import etree

XFORMS_LIST = "http://openrosa.org/xforms/xformsList"
MANIFEST = "http://openrosa.org/xforms/xformsManifest"
RESPONSE = "http://openrosa.org/http/response"


def form_entries(response):
    root = etree.fromstring(response.data)
    assert root.tag == f"{{{XFORMS_LIST}}}xforms"
    entries = []
    for xform in root:
        assert xform.tag == f"{{{XFORMS_LIST}}}xform"
        entry = {etree.QName(c).localname: (c.text or "").strip() for c in xform}
        assert all(etree.QName(c).namespace == XFORMS_LIST for c in xform)
        entries.append(entry)
    return entries


def media_files(response):
    root = etree.fromstring(response.data)
    assert root.tag == f"{{{MANIFEST}}}manifest"
    files = []
    for media in root:
        entry = {etree.QName(c).localname: (c.text or "").strip() for c in media}
        entry["type"] = media.get("type")
        files.append(entry)
    return files


def message(response):
    root = etree.fromstring(response.data)
    assert root.tag == f"{{{RESPONSE}}}OpenRosaResponse"
    messages = root.findall(f"{{{RESPONSE}}}message")
    assert len(messages) == 1
    return messages[0].get("nature"), messages[0].text
