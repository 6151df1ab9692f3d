"""Read what the server needs from an XForm: id, version, title, binary questions, expected
media files, encryption. Plain functions over bytes; no database.

Expected media follow Central (lib/data/schema.js): jr://images|audio|video|file|file-csv/<name>
references anywhere in the form, secondary instances with a jr:// src, and itemsets.csv when a
form uses external choices.
"""
import re
from dataclasses import dataclass, field

from app import safexml
from app.forms.entity_spec import check_entities, read_entities
from app.problems import Problem

XF = "http://www.w3.org/2002/xforms"
H = "http://www.w3.org/1999/xhtml"
_MEDIA_REF = re.compile(r"^jr://(images|image|audio|video|file|file-csv)/(.+)$")
_EMBEDDED_REF = re.compile(r"jr://(images|image|audio|video|file|file-csv)/([^\s\"'<>)]+)")
_KIND = {"images": "image", "image": "image", "audio": "audio", "video": "video",
         "file": "file", "file-csv": "file"}


@dataclass
class XFormInfo:
    xml_form_id: str
    version: str
    title: str
    binary_paths: list = field(default_factory=list)
    media: dict = field(default_factory=dict)       # name -> kind
    encrypted: bool = False
    entities_version: str = ""
    entities: list = field(default_factory=list)    # see forms.entity_spec
    warnings: list = field(default_factory=list)


#: what an XForm names that has a column of its own (app/forms/models.py, draft_models.py):
#: longer is 400.261 at upload, not a database error (PostgreSQL) or a silent store (SQLite)
_LIMITS = {"id": (255, "编号"), "version": (255, "版本号"), "title": (500, "标题"),
           "file name": (255, "媒体文件名")}


def _check_length(what, value):
    limit, zh = _LIMITS[what]
    if len(value) > limit:
        raise Problem("400.261", {"what": what, "what_zh": zh, "length": len(value),
                                  "limit": limit})


def read_xform(xml_bytes, name="form"):
    root = safexml.parse(xml_bytes)
    model = root.find(f"{{{H}}}head/{{{XF}}}model")
    if model is None:
        raise Problem("400.5", {"name": name})
    instance = next((i for i in model.iterfind(f"{{{XF}}}instance") if i.get("id") is None), None)
    data = next(iter(instance), None) if instance is not None else None
    if data is None or not data.get("id"):
        raise Problem("400.11", {"name": name})
    title = root.findtext(f"{{{H}}}head/{{{H}}}title") or ""
    encrypted = any(s.get("base64RsaPublicKey") for s in model.iterfind(f"{{{XF}}}submission"))
    # Encrypted forms are never read for entities: the server cannot see their data (as Central).
    entities_version, entities = ("", []) if encrypted else read_entities(model, data)
    entity_warnings = check_entities(name, entities_version, entities)
    media = _media(root, root.find(f"{{{H}}}body"))
    for what, value in (("id", data.get("id")), ("version", data.get("version") or ""),
                        ("title", title.strip()), *(("file name", m) for m in media)):
        _check_length(what, value)
    return XFormInfo(
        xml_form_id=data.get("id"), version=data.get("version") or "",
        title=title.strip() or data.get("id"),
        binary_paths=[b.get("nodeset") for b in model.iterfind(f"{{{XF}}}bind")
                      if (b.get("type") or "").split(":")[-1] == "binary" and b.get("nodeset")],
        media=media,
        encrypted=encrypted, entities_version=entities_version, entities=entities,
        warnings=entity_warnings)


def _media(root, body):
    """name -> kind for every jr:// reference. A text or attribute that is wholly a jr:// URL
    names a file even with spaces in it ("jr://images/first image.jpg"); inside longer text
    (markdown images in labels) a reference ends at white space. A control with a `query`
    (select_one_external) reads its choices from itemsets.csv, as in Central's schema.js."""
    media = {}
    if body is not None and any(el.get("query") for el in body.iter()):
        media["itemsets.csv"] = "file"
    for value in _strings(root):
        whole = _MEDIA_REF.match(value.strip())
        for kind, name in [whole.groups()] if whole else _EMBEDDED_REF.findall(value):
            media.setdefault(name.rsplit("/", 1)[-1], _KIND[kind])
        if "itemsets.csv" in value:
            media.setdefault("itemsets.csv", "file")
    return media


def _strings(root):
    for el in root.iter():
        if el.text and "jr://" in el.text or el.text and "itemsets.csv" in el.text:
            yield el.text
        for value in el.attrib.values():
            if "jr://" in value or "itemsets.csv" in value:
                yield value
