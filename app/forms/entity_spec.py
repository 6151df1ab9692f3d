"""What an XForm declares about entities (ODK XForms Entities spec): which lists it creates or
updates, from which scope, and which properties its questions save to.

A `meta/entity` block names a list (`dataset`); the presence of its `create` / `update`
attributes says what the form may do. A bind's `entities:saveto` names a property; with several
blocks (entities-version 2025.1, entities in repeats) a property belongs to the block whose
scope (the group holding its `meta`) most closely contains the question.
"""
import re

from app import safexml
from app.problems import Problem

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
        if any(b["scope"] == safexml.element_path(meta.getparent()) for b in blocks):
            continue                 # a repeat's jr:template and its first instance: one block
        blocks.append({"dataset": entity.get("dataset") or "",
                       "create": "create" in entity.attrib, "update": "update" in entity.attrib,
                       "scope": safexml.element_path(meta.getparent()), "properties": [], "fields": {}})
    for bind in model.iterfind(f"{{{XF}}}bind"):
        prop = bind.get(f"{{{ENTITIES_NS}}}saveto")
        owner = _owner(blocks, bind.get("nodeset") or "")
        if prop and owner is not None:
            name = prop.split("#")[-1]
            owner["properties"].append(name)
            owner["fields"][name] = bind.get("nodeset")
    return version, blocks


def _owner(blocks, nodeset):
    inside = [b for b in blocks if nodeset.startswith(b["scope"] + "/")]
    return max(inside, key=lambda b: len(b["scope"]), default=None)


SUPPORTED = ("2022.1", "2023.1", "2024.1", "2025.1")
OFFLINE_FROM = (2024, 1)
_LIST_NAME = re.compile(r"^(?!__)[A-Za-z_][A-Za-z0-9_-]*$")
_PROPERTY = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def check_entities(name, version, blocks):
    """Checklist 61–63, 65 at publish: the entities-version is present and not newer than we
    read (older ones are kept, with a warning, as wild forms carry them), every block says
    create and/or update, list and property names are valid. Returns warnings (a version
    below 2024.1: phones will not do offline entity work with it; entities in repeats or for
    several lists below 2025.1); raises Problem for what cannot be published."""
    if not blocks:
        return []
    parts = version.split(".")
    if len(parts) < 2 or not parts[0].isdigit() or not parts[1].isdigit():
        raise Problem("400.13", {"name": name, "version": version or "(none)"})
    year, minor = int(parts[0]), int(parts[1])
    if (year, minor) > (2025, 1):
        raise Problem("400.13", {"name": name, "version": version})   # newer than we read
    warnings = []
    if not version.startswith(SUPPORTED):
        warnings.append(f"entities-version {version} is older than any phone reads (2022.1)")
    several = len({b["dataset"] for b in blocks}) > 1
    in_repeat = any(b["scope"].count("/") > 1 for b in blocks)
    if (several or in_repeat) and (year, minor) < (2025, 1):
        # Central refuses these; phones in the wild carry them (Collect's own test forms do),
        # and a form we can read is a form we serve: warn instead.
        warnings.append(f"entities-version {version}: entities in groups or repeats, or for "
                        "several lists, are defined from 2025.1; update the form")
    if (year, minor) < OFFLINE_FROM:
        warnings.append(f"entities-version {version} is older than 2024.1: phones will not "
                        "update entities offline with this form")
    for block in blocks:
        if not block["create"] and not block["update"]:
            raise Problem("400.14", {"name": name, "dataset": block["dataset"]})
        if not _LIST_NAME.match(block["dataset"]) or "." in block["dataset"]:
            raise Problem("400.15", {"name": name, "what": "list", "value": block["dataset"],
                                     "reason": "an XML name without '.', not starting with __"})
        for prop in block["properties"]:
            if prop.lower() in ("name", "label") or prop.startswith("__") or not _PROPERTY.match(prop):
                raise Problem("400.15", {"name": name, "what": "property", "value": prop,
                                         "reason": "not name or label, not starting with __"})
    return warnings
