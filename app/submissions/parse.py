"""Read a submission's XML into the facts intake needs: form id, version, instanceID,
deprecatedID, encryption and the attachment file names it expects.

Rules follow Central (lib/model/frames/submission.js): version "" when absent; instanceID from
meta/instanceID, else a root-level instanceID; for encrypted envelopes the expected files are
every media/file plus encryptedXmlFile.
"""
from dataclasses import dataclass, field

from lxml import etree

from app import safexml
from app.problems import Problem
from app.submissions import lengths


@dataclass
class Instance:
    root: object
    text: str           # the XML as stored (app.safexml.Document.text)
    xml_form_id: str
    version: str
    instance_id: str | None
    deprecated_id: str | None
    instance_name: str | None
    encrypted: bool
    encrypted_files: list = field(default_factory=list)


def read_instance(xml_bytes):
    """The facts of a submission's XML; Problem 400.x for XML that cannot be stored."""
    document = safexml.read(xml_bytes)
    root = document.root
    form_id = root.get("id")
    if not form_id:
        raise Problem("400.8")
    encrypted = (root.get("encrypted") or "").lower() == "yes"
    return Instance(
        root=root, text=document.text, xml_form_id=form_id, version=root.get("version") or "",
        instance_id=lengths.check("instanceID", _meta(root, "instanceID"), lengths.INSTANCE_ID),
        deprecated_id=lengths.check("deprecatedID", _meta(root, "deprecatedID"),
                                    lengths.INSTANCE_ID),
        instance_name=lengths.check("instanceName", _meta(root, "instanceName"),
                                    lengths.INSTANCE_NAME),
        encrypted=encrypted, encrypted_files=_encrypted_files(root) if encrypted else [])


def _meta(root, name):
    """meta/<name> in any namespace (plain forms use the default one, encrypted envelopes and
    old forms use orx:), else a root-level <name>."""
    for child in root:
        if safexml.local(child.tag) == "meta":
            for item in child:
                if safexml.local(item.tag) == name:
                    return (item.text or "").strip() or None
    for child in root:
        if safexml.local(child.tag) == name:
            return (child.text or "").strip() or None
    return None


def _encrypted_files(root):
    names = []
    for el in root.iter(etree.Element):
        tag = safexml.local(el.tag)
        if tag == "encryptedXmlFile" or (tag == "file" and safexml.local(el.getparent().tag) == "media"):
            if el.text and el.text.strip():
                names.append(_file_name(el.text.strip()))
    return names


def expected_attachments(instance, binary_paths):
    """File names this instance expects as attachments, in document order, de-duplicated."""
    if instance.encrypted:
        return list(dict.fromkeys(instance.encrypted_files))
    names = []
    for path in binary_paths:
        for el in _select(instance.root, path):
            if el.text and el.text.strip():
                names.append(_file_name(el.text.strip()))
    return list(dict.fromkeys(names))


def _file_name(name):
    return lengths.check("attachment name", name, lengths.ATTACHMENT_NAME)


def _select(root, path):
    """Elements at an absolute bind path like /data/group/photo (repeats give several)."""
    steps = [s for s in path.split("/") if s][1:]   # drop the root step
    nodes = [root]
    for step in steps:
        nodes = [c for n in nodes for c in n if safexml.local(c.tag) == step]
    return nodes
