"""The export schema of a form: its fields and tables, read from its versions' XForm XML.

Every export (Central's CSV zip, OData, the people's XLSX) starts here. The rules are Central's
(central-backend lib/data/schema.js, getFormFields and merge):

- fields are the primary instance's elements in depth-first document order; attributes are
  not fields; a repeat's second instance (pyxform writes a jr:template and a plain copy) is
  skipped; an element whose path is a body <repeat nodeset> is a "repeat", one with a <bind
  type> takes that type, one with children and no typed bind is a "structure" (a group),
  anything else is "unknown" (still a column);
- select multiples are the body's <select> controls; binary questions (and /meta/audit) are
  attachments;
- with deleted fields, every published version's fields are merged, oldest first: each older
  field missing from the newer tree is put back at the end of its parent's subtree
  (`deleted=True`), so current fields keep the current version's order.

A `Field` carries what the other exports need as well: question labels {language: text}
(itext resolved) and inline choice labels {value: {language: text}}. Paths are generic (no
positions). `path` is absolute (/data/hh/member/name); `rel` is Central's field path, without
the root element (/hh/member/name).

`version_fields(version)` is cached per form version (id and MD5) (a version's XML never changes);
`export_fields(session, form, deleted_fields)` reads the current version or all of them;
`tables(fields)` splits fields into the root table and one table per repeat, nested repeats
included, each with its ordered leaf fields.
"""
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace

from sqlalchemy import select

from app import safexml
from app.forms.models import FormVersion

XF = "http://www.w3.org/2002/xforms"
H = "http://www.w3.org/1999/xhtml"
_ITEXT = re.compile(r"""^\s*jr:itext\(\s*['"]([^'"]+)['"]\s*\)\s*$""")
_POSITION = re.compile(r"\[[^\]]*\]")
STRUCTURAL = ("repeat", "structure")
#: body elements that are a question's control (safexml.local names: odk:rank is "rank")
CONTROLS = frozenset(("input", "select1", "select", "upload", "trigger", "range", "rank",
                      "textarea", "secret"))


@dataclass(frozen=True)
class Field:
    """One element of the primary instance, as Central's form_fields row plus labels."""
    path: str                   # /data/hh/member/name (generic, absolute)
    rel: str                    # /hh/member/name (Central's path: no root element)
    name: str                   # name
    type: str                   # "repeat", "structure", a bind type (string, int, decimal,
                                # date, dateTime, time, geopoint, geotrace, geoshape, binary,
                                # barcode …) or "unknown"
    order: int                  # position in depth-first order (renumbered after a merge)
    group: str = ""             # the absolute path of the enclosing element ("" at the root)
    control: str = ""           # body control: input, select1, select, upload, rank, …
    select_multiple: bool = False
    binary: bool = False        # an attachment: a binary question or /meta/audit
    labels: dict = field(default_factory=dict, compare=False)    # {language: text}
    choices: dict = field(default_factory=dict, compare=False)   # {value: {language: text}}
    deleted: bool = False       # only in older versions (deletedFields=true)

    @property
    def structural(self):
        return self.type in STRUCTURAL


@dataclass(frozen=True)
class Table:
    """The root table (path "", repeat None) or one repeat's table."""
    path: str                   # "" for the root, else the repeat's rel path (/hh/member)
    name: str                   # "" for the root, else the repeat's name (member)
    repeat: Field | None        # the repeat field
    parent: str | None          # the enclosing table's path (None for the root)
    fields: tuple               # leaf fields whose nearest repeat is this one, in order
    depth: int = 0              # 0 root, 1 a repeat, 2 a repeat inside a repeat …


# --------------------------------------------------------------------------- reading XML

def form_fields(xml):
    """The fields of one XForm (bytes or str), in Central's depth-first order."""
    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    root = safexml.parse(xml)
    model = root.find(f"{{{H}}}head/{{{XF}}}model")
    primary = next(i for i in model.iterfind(f"{{{XF}}}instance") if i.get("id") is None)
    data = next(e for e in primary if isinstance(e.tag, str))
    envelope = safexml.local(data.tag)
    typed = {}
    for bind in model.iterfind(f"{{{XF}}}bind"):
        if bind.get("type") is None:
            continue      # Central reads only binds that have a type
        nodeset = _absolute(bind.get("nodeset") or bind.get("ref") or "", envelope)
        typed.setdefault(nodeset, bind.get("type"))
    translations = _itext(model)
    body = root.find(f"{{{H}}}body")
    repeats, selects, controls, labels, choices = set(), set(), {}, {}, {}
    if body is not None:
        for el in body.iter():
            if not isinstance(el.tag, str):
                continue
            tag = safexml.local(el.tag)
            ref = _absolute(el.get("nodeset") or el.get("ref") or "", envelope)
            if not ref or ref == "/":
                continue
            if tag == "repeat":
                repeats.add(ref)
                continue
            if tag == "select":
                selects.add(ref)
            label = el.find(f"{{{XF}}}label")
            if label is not None and ref not in labels and tag in CONTROLS | {"group"}:
                labels[ref] = _label(label, translations)
            if tag not in CONTROLS:
                continue      # groups, items, setvalue actions …: not a question's control
            controls.setdefault(ref, tag)
            if tag in ("select1", "select", "rank"):
                items = {}
                for item in el.iterfind(f"{{{XF}}}item"):
                    value = (item.findtext(f"{{{XF}}}value") or "").strip()
                    item_label = item.find(f"{{{XF}}}label")
                    items[value] = _label(item_label, translations) if item_label is not None else {}
                itemset = el.find(f"{{{XF}}}itemset")
                if itemset is not None:
                    items.update(_itemset(itemset, model, translations))
                if items:
                    choices[ref] = items
    fields = []
    _walk(data, envelope, f"/{envelope}", "", typed, repeats, selects, controls, labels,
          choices, fields)
    return fields


def _walk(parent, envelope, parent_path, parent_rel, typed, repeats, selects, controls, labels,
          choices, out):
    seen_repeats = set()
    for tag in parent:
        if not isinstance(tag.tag, str):
            continue
        name = safexml.local(tag.tag)
        path = f"{parent_path}/{name}"
        rel = f"{parent_rel}/{name}"
        has_children = any(isinstance(c.tag, str) for c in tag)
        if path in repeats:
            if path in seen_repeats:
                continue
            seen_repeats.add(path)
            kind = "repeat"
        elif path in typed:
            kind = typed[path].split(":")[-1] if typed[path] else "unknown"
        elif has_children or (name == "entity" and "/meta/entity" in rel):
            kind = "structure"
        else:
            kind = "unknown"
        out.append(Field(path=path, rel=rel, name=name, type=kind, order=len(out),
                         group=parent_path if parent_path != f"/{envelope}" else "",
                         control=controls.get(path, ""),
                         select_multiple=path in selects,
                         binary=kind == "binary" or rel == "/meta/audit",
                         labels=labels.get(path, {}), choices=choices.get(path, {})))
        if kind in STRUCTURAL and has_children:
            _walk(tag, envelope, path, rel, typed, repeats, selects, controls, labels,
                  choices, out)


_INSTANCE = re.compile(r"""^\s*instance\(\s*['"]([^'"]+)['"]\s*\)((?:/[\w:.-]+)+)""")


def _itemset(itemset, model, translations):
    """{value: labels} of an itemset over a secondary instance written in the form (pyxform's
    choices); a choice filter is ignored (every choice is a possible answer). Itemsets over
    an attached CSV or the register have no labels here: {}."""
    match = _INSTANCE.match(itemset.get("nodeset") or "")
    if not match:
        return {}
    instance = next((i for i in model.iterfind(f"{{{XF}}}instance")
                     if i.get("id") == match.group(1) and not i.get("src")), None)
    if instance is None:
        return {}
    value_el, label_el = itemset.find(f"{{{XF}}}value"), itemset.find(f"{{{XF}}}label")
    value_ref = (value_el.get("ref") if value_el is not None else None) or "value"
    label_ref = (label_el.get("ref") if label_el is not None else None) or "label"
    steps = match.group(2).strip("/").split("/")
    nodes = [e for e in instance if isinstance(e.tag, str)]
    for step in steps[1:]:     # the first step is the instance's root element
        nodes = [c for n in nodes for c in n if isinstance(c.tag, str)
                 and safexml.local(c.tag) == step]
    itext = re.match(r"^\s*jr:itext\(\s*([\w.-]+)\s*\)\s*$", label_ref)
    out = {}
    for node in nodes:
        children = {safexml.local(c.tag): (c.text or "").strip() for c in node
                    if isinstance(c.tag, str)}
        value = children.get(value_ref, "")
        if itext:
            key = children.get(itext.group(1), "")
            out[value] = {lang: texts[key] for lang, texts in translations.items()
                          if key in texts}
        else:
            text = children.get(label_ref, "")
            out[value] = {"": text} if text else {}
    return out


def _absolute(path, envelope):
    path = _POSITION.sub("", path.strip())
    if not path:
        return ""
    return path if path.startswith("/") else f"/{envelope}/{path}"


def _itext(model):
    translations = {}
    itext = model.find(f"{{{XF}}}itext")
    if itext is None:
        return translations
    for translation in itext.iterfind(f"{{{XF}}}translation"):
        texts = translations.setdefault(translation.get("lang") or "", {})
        for text in translation.iterfind(f"{{{XF}}}text"):
            value = next((v for v in text.iterfind(f"{{{XF}}}value")
                          if v.get("form") in (None, "long")), None)
            if value is not None:
                texts[text.get("id")] = "".join(value.itertext()).strip()
    return translations


def _label(label, translations):
    ref = label.get("ref")
    if ref:
        match = _ITEXT.match(ref)
        if match:
            return {lang: texts[match.group(1)] for lang, texts in translations.items()
                    if match.group(1) in texts}
    text = "".join(label.itertext()).strip()
    return {"": text} if text else {}


# --------------------------------------------------------------------------- versions

_CACHE = OrderedDict()
_CACHE_SIZE = 256
_LOCK = threading.Lock()


def version_fields(version):
    """form_fields of a FormVersion, cached by its id and MD5 (a version's XML never changes;
    the MD5 keeps two databases, or a test's fresh one, from sharing an entry by id)."""
    key = (version.id, version.md5)
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            _CACHE.move_to_end(key)
            return cached
    result = tuple(form_fields(version.xml))
    with _LOCK:
        _CACHE[key] = result
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result


def export_fields(session, form, deleted_fields=False):
    """The fields an export of `form` has: its current version's, or with deleted_fields every
    published version's merged as Central merges them (older ones first, current last)."""
    versions = list(session.scalars(select(FormVersion).where(FormVersion.form_id == form.id)
                                    .order_by(FormVersion.id)))
    current = next(v for v in versions if v.id == form.current_version_id)
    if not deleted_fields:
        return list(version_fields(current))
    # the current version is the tree the others are merged into, whatever its id
    ordered = [v for v in versions if v.id != current.id] + [current]
    merged = list(version_fields(ordered[0]))
    for version in ordered[1:]:
        merged = merge(merged, list(version_fields(version)))
    current_paths = {f.path for f in version_fields(current)}
    return [f if f.path in current_paths else replace(f, deleted=True) for f in merged]


def merge(older, newer):
    """Central's merge (schema.js): newer's fields, with each subtree of older that newer lacks
    inserted after the last field of its parent's subtree; orders renumbered."""
    result = list(newer)
    paths = {f.rel for f in newer}
    idx = 0
    while idx < len(older):
        a = older[idx]
        if a.rel in paths:
            idx += 1
            continue
        prefix = a.rel[:a.rel.rfind("/")]
        insert = len(result) - 1
        while insert >= 0 and not result[insert].rel.startswith(prefix):
            insert -= 1
        end = idx + 1
        while end < len(older) and older[end].rel.startswith(a.rel + "/"):
            end += 1
        result[insert + 1:insert + 1] = older[idx:end]
        paths.update(f.rel for f in older[idx:end])
        idx = end
    return [replace(f, order=i) for i, f in enumerate(result)]


# --------------------------------------------------------------------------- tables

def tables(fields, root_only=False):
    """[root Table, one Table per repeat in document order]. A repeat's table holds the leaf
    fields whose nearest enclosing repeat it is; structures add no columns."""
    root = {"path": "", "name": "", "repeat": None, "parent": None, "fields": [], "depth": 0}
    found = [root]
    stack = [root]
    for f in fields:
        while len(stack) > 1 and not f.rel.startswith(stack[-1]["path"] + "/"):
            stack.pop()
        if f.type == "repeat":
            if root_only:
                stack.append({"path": f.rel, "fields": [], "skip": True})
                continue
            table = {"path": f.rel, "name": f.name, "repeat": f, "parent": stack[-1]["path"],
                     "fields": [], "depth": len([t for t in stack if not t.get("skip")])}
            found.append(table)
            stack.append(table)
        elif f.type != "structure":
            if stack[-1].get("skip"):
                continue
            stack[-1]["fields"].append(f)
    return [Table(path=t["path"], name=t["name"], repeat=t["repeat"], parent=t["parent"],
                  fields=tuple(t["fields"]), depth=t["depth"]) for t in found]
