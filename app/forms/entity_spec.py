"""What an XForm declares about entities (ODK XForms Entities spec): which lists it creates or
updates, from which scope, and which properties its questions save to.

A `meta/entity` block names a list (`dataset`); the presence of its `create` / `update`
attributes says what the form may do. A bind's `entities:saveto` names a property; with several
blocks (entities-version 2025.1, entities in repeats) a property belongs to the block whose
scope (the group holding its `meta`) most closely contains the question.
"""
from app import safexml

ENTITIES_NS = "http://www.opendatakit.org/xforms/entities"
XF = "http://www.w3.org/2002/xforms"


def read_entities(model, primary_root):
    """(entities_version, [{"dataset", "create", "update", "scope", "properties", "fields"}]),
    `fields` mapping each property to the path of the question that saves it."""
    version = model.get(f"{{{ENTITIES_NS}}}entities-version") or ""
    blocks = []
    for entity in primary_root.iter(f"{{{XF}}}entity", "entity"):
        meta = entity.getparent()
        if meta is None or safexml.local(meta.tag) != "meta":
            continue
        if any(b["scope"] == _path(meta.getparent()) for b in blocks):
            continue                 # a repeat's jr:template and its first instance: one block
        blocks.append({"dataset": entity.get("dataset") or "",
                       "create": "create" in entity.attrib, "update": "update" in entity.attrib,
                       "scope": _path(meta.getparent()), "properties": [], "fields": {}})
    for bind in model.iterfind(f"{{{XF}}}bind"):
        prop = bind.get(f"{{{ENTITIES_NS}}}saveto")
        owner = _owner(blocks, bind.get("nodeset") or "")
        if prop and owner is not None:
            name = prop.split("#")[-1]
            owner["properties"].append(name)
            owner["fields"][name] = bind.get("nodeset")
    return version, blocks


def _path(element):
    steps = []
    while element is not None and safexml.local(element.tag) != "instance":
        steps.append(safexml.local(element.tag))
        element = element.getparent()
    return "/" + "/".join(reversed(steps))


def _owner(blocks, nodeset):
    inside = [b for b in blocks if nodeset.startswith(b["scope"] + "/")]
    return max(inside, key=lambda b: len(b["scope"]), default=None)
