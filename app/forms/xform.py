"""Read what the server needs from an XForm: id, version, title, binary questions, expected
media files, encryption. Plain functions over bytes; no database.

Expected media follow Central (lib/data/schema.js): jr://images|audio|video|file|file-csv/<name>
references anywhere in the form, secondary instances with a jr:// src, and itemsets.csv when a
form uses external choices.
"""
import re
from dataclasses import dataclass, field

from app import safexml
from app.problems import Problem

XF = "http://www.w3.org/2002/xforms"
H = "http://www.w3.org/1999/xhtml"
_MEDIA_REF = re.compile(r"jr://(images|image|audio|video|file|file-csv)/([^\s\"'<>]+)")
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


def read_xform(xml_bytes):
    root = safexml.parse(xml_bytes)
    model = root.find(f"{{{H}}}head/{{{XF}}}model")
    if model is None:
        raise Problem("400.4", {"reason": "no <h:head>/<model> element"})
    instance = next((i for i in model.iterfind(f"{{{XF}}}instance") if i.get("id") is None), None)
    data = next(iter(instance), None) if instance is not None else None
    if data is None or not data.get("id"):
        raise Problem("400.4", {"reason": "the primary instance's root has no id attribute"})
    title = root.findtext(f"{{{H}}}head/{{{H}}}title") or ""
    return XFormInfo(
        xml_form_id=data.get("id"), version=data.get("version") or "",
        title=title.strip() or data.get("id"),
        binary_paths=[b.get("nodeset") for b in model.iterfind(f"{{{XF}}}bind")
                      if (b.get("type") or "").split(":")[-1] == "binary" and b.get("nodeset")],
        media=_media(xml_bytes, model),
        encrypted=any(s.get("base64RsaPublicKey") for s in model.iterfind(f"{{{XF}}}submission")))


def _media(xml_bytes, model):
    text = xml_bytes.decode("utf-8", "replace")
    media = {}
    for kind, name in _MEDIA_REF.findall(text):
        name = name.rsplit("/", 1)[-1]
        media.setdefault(name, _KIND[kind])
    for inst in model.iterfind(f"{{{XF}}}instance"):
        src = inst.get("src") or ""
        if src.startswith("jr://"):
            media.setdefault(src.rsplit("/", 1)[-1], "file")
    if "itemsets.csv" in text:
        media.setdefault("itemsets.csv", "file")
    return media
