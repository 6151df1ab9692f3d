"""A submission as its form shows it: the form version's questions in form order (groups and
repeats), their labels and choice labels in Chinese or English, each with the instance's
value and the validation issues found at that field; and the same questions as the inputs
of the correction form. Plain data, no Flask.

The layout is read from the version's XForm (form_versions.xml: the body's controls, their
itext labels) and its schema (form_versions.schema: types, choices, the secondary instances
written in the form), once per version and process (a version never changes).
"""
import re
from dataclasses import dataclass, field

from lxml import etree

from app import safexml
from app.forms.schema import H, XF, _itext, _text, message
from app.problems import Problem

#: controls shown as questions (a trigger is an acknowledgement, shown like any field)
CONTROLS = {"input", "select1", "select", "upload", "range", "rank", "odk:rank", "textarea",
            "trigger"}
#: bind types the correction form offers an input for, and the input's HTML type
INPUT_TYPES = {"string": "text", "int": "number", "integer": "number", "decimal": "number",
               "date": "date"}
MEDIA_PREFIX = {"image": "image", "audio": "audio", "video": "video"}


@dataclass
class Question:
    path: str                   # generic absolute path (/data/member/full_name)
    control: str
    type: str
    label: dict                 # {language: text}
    choices: dict = None        # value -> {language: text}; None: no labels to show
    readonly: bool = False
    mediatype: str = ""         # upload: image/*, audio/* …
    lookup: str = ""            # a select over an attached list (villages, people …): its name


@dataclass
class Group:
    path: str
    label: dict
    repeat: bool
    children: list = field(default_factory=list)


_LAYOUTS = {}
_KEEP = 64


def layout(key, load):
    """The version's questions as a tree of Group and Question; `key` is (version id, XForm
    MD5), `load()` gives the version's (XForm text, schema dict), called once per version and
    process."""
    found = _LAYOUTS.get(key)
    if found is None:
        if len(_LAYOUTS) >= _KEEP:
            _LAYOUTS.clear()
        found = _LAYOUTS[key] = _layout(*load())
    return found


def _layout(xform, schema):
    schema = schema or {}
    root = safexml.parse(xform.encode("utf-8"))
    model = root.find(f"{{{H}}}head/{{{XF}}}model")
    translations, default = _itext(model) if model is not None else ({}, None)
    body = root.find(f"{{{H}}}body")
    top = Group("/" + (schema.get("root") or "data"), {}, False)
    if body is not None:
        _read(body, top, schema, translations, default)
    return top


def _label(el, translations, default):
    label = el.find(f"{{{XF}}}label")
    if label is None:
        return {}
    ref = label.get("ref")
    if ref:
        return _text(ref, translations, default)
    text = "".join(label.itertext()).strip()
    return {"": text} if text else {}


def _read(parent_el, group, schema, translations, default):
    nodes = schema.get("nodes", {})
    for el in parent_el:
        if not isinstance(el.tag, str):
            continue
        tag = safexml.local(el.tag)
        ref = (el.get("ref") or el.get("nodeset") or "").strip()
        if tag == "group":
            if ref and nodes.get(ref, {}).get("kind") == "repeat":
                # pyxform wraps each repeat in a group of the same ref: one heading
                inner = Group(ref, _label(el, translations, default), True)
                for child in el:
                    if isinstance(child.tag, str) and safexml.local(child.tag) == "repeat":
                        _read(child, inner, schema, translations, default)
                group.children.append(inner)
            elif ref:
                inner = Group(ref, _label(el, translations, default), False)
                _read(el, inner, schema, translations, default)
                group.children.append(inner)
            else:
                _read(el, group, schema, translations, default)
        elif tag == "repeat":
            inner = Group(ref, _label(el, translations, default), True)
            _read(el, inner, schema, translations, default)
            group.children.append(inner)
        elif tag in CONTROLS and ref:
            node = nodes.get(ref, {})
            group.children.append(Question(
                ref, tag, node.get("type", "string"), _label(el, translations, default),
                _choices(node, schema, translations, default),
                readonly=node.get("readonly") in ("true()", "true") or "calculate" in node,
                mediatype=el.get("mediatype") or "",
                lookup=_lookup(node, schema)))


def _lookup(node, schema):
    """The attached list a select's itemset reads (its file name without .csv), or ""."""
    name = (node.get("choices") or {}).get("instance") or ""
    source = schema.get("external", {}).get(name, "")
    return source.rsplit(".", 1)[0] if source else ""


def _choices(node, schema, translations, default):
    """{value: {language: text}} of a select's choices: inline items, or an itemset over a
    secondary instance written in the form (an attached CSV's are not read: values shown)."""
    choices = node.get("choices")
    if not choices:
        return None
    if "values" in choices:
        return {v: choices["labels"].get(v, {}) for v in choices["values"]}
    source = schema.get("instances", {}).get(choices.get("instance") or "")
    if not source:
        return None
    try:
        items = etree.fromstring(source.encode("utf-8"), etree.XMLParser(resolve_entities=False,
                                                                       no_network=True))
    except etree.XMLSyntaxError:
        return None
    value_ref, label_ref = choices.get("value") or "name", choices.get("label") or "label"
    found = {}
    for item in items:
        if not isinstance(item.tag, str):
            continue
        fields_ = {safexml.local(c.tag): (c.text or "") for c in item if isinstance(c.tag, str)}
        value = fields_.get(value_ref)
        if value is None:
            continue
        if label_ref.startswith("jr:itext(") and "itextId" in label_ref:
            key = fields_.get("itextId", "")
            found[value] = {lang: texts[key] for lang, texts in translations.items()
                            if key in texts}
        else:
            found[value] = {"": fields_.get(label_ref, value)}
    return found


# --- a submission shown with its form ------------------------------------------------------


def _children(elem, name):
    """The child elements of this local name, in any namespace or none (lxml's {*})."""
    return list(elem.iterchildren(f"{{*}}{name}"))


def _step(parent_path, path):
    return [s for s in path[len(parent_path):].split("/") if s]


def _find(elem, steps):
    for step in steps:
        found = _children(elem, step) if elem is not None else []
        elem = found[0] if found else None
    return elem


def lookups(top, root):
    """{list name: {values}} the instance's answers pick from attached lists (to look their
    names up in the register in one query per list)."""
    out = {}

    def walk(group, elems):
        for child in group.children:
            steps = _step(group.path, child.path)
            found = elems
            for step in steps:
                found = [c for e in found for c in _children(e, step)]
            if isinstance(child, Group):
                walk(child, found)
            elif child.lookup:
                out.setdefault(child.lookup, set()).update(
                    v for e in found for v in (e.text or "").split())
    walk(top, [root])
    return out


def show(top, root, lang, issues, attachments, names=None):
    """The items of the submission page: [{"kind": "field"|"group"|"repeat", …}] in form
    order, labels in `lang`, each field with its issues (by concrete path) and, for an
    upload, the attachment it names (when the submission has it). `names`: {list name:
    {value: (name, link or None)}} for answers picked from attached lists."""
    by_path = {}
    for found in issues or []:
        by_path.setdefault(found.get("path", ""), []).append(found)
    shown = set()
    items = _show(top, root, "/" + safexml.local(root.tag), lang, by_path, attachments, shown,
                  names or {})
    elsewhere = [i for path, found in by_path.items() if path not in shown for i in found]
    return items, elsewhere


def _show(group, elem, concrete, lang, by_path, attachments, shown, names):
    items = []
    for child in group.children:
        steps = _step(group.path, child.path)
        if isinstance(child, Group) and child.repeat:
            holder = _find(elem, steps[:-1])
            entries = []
            for n, entry in enumerate(_children(holder, steps[-1]) if holder is not None else [],
                                      start=1):
                where = f"{concrete}/{'/'.join(steps[:-1] + [steps[-1]])}[{n}]"
                entries.append(_show(child, entry, where, lang, by_path, attachments, shown,
                                     names))
            items.append({"kind": "repeat", "label": message(child.label, lang), "entries": entries,
                          "path": child.path})
        elif isinstance(child, Group):
            inner = _find(elem, steps)
            where = f"{concrete}/{'/'.join(steps)}"
            items.append({"kind": "group", "label": message(child.label, lang),
                          "items": _show(child, inner, where, lang, by_path, attachments, shown,
                                         names)})
        else:
            node = _find(elem, steps)
            value = (node.text or "").strip() if node is not None else ""
            where = f"{concrete}/{'/'.join(steps)}"
            found = by_path.get(where, [])
            if found:
                shown.add(where)
            if not value and not found:
                continue            # a note, or a question the form did not ask here
            items.append(_field(child, value, where, lang, found, attachments,
                                names.get(child.lookup, {})))
    return items


def _field(question, value, where, lang, found, attachments, listed):
    shown_value, media, links = value, None, []
    if listed and value:
        picked = [listed.get(v, (v, None)) for v in value.split()]
        shown_value = "、".join(name for name, _link in picked)
        links = picked if any(link for _name, link in picked) else []
    if question.choices is not None and value:
        values = value.split() if question.control == "select" else [value]
        shown_value = "、".join(message(question.choices.get(v), lang) or v for v in values)
    if question.control == "upload" and value:
        kind = question.mediatype.split("/")[0]
        media = {"name": value, "kind": MEDIA_PREFIX.get(kind, "file"),
                 "present": value in attachments}
    return {"kind": "field", "path": where, "label": message(question.label, lang) or question.path,
            "value": shown_value, "raw": value, "media": media, "links": links,
            "issues": [message({"zh": i.get("message_zh", ""), "en": i.get("message_en", "")}, lang)
                       for i in found]}


# --- the correction form -----------------------------------------------------------------


def inputs(top, root, lang):
    """The questions the correction form offers (those outside repeats, with an input for
    their type), each {"name", "path", "label", "input", "value", "choices": [(value, label,
    checked)]}. Not offered: repeats, files, calculated values and answers picked from an
    attached list (a village, a person, a household: the register's keys)."""
    out = []
    _inputs(top, root, "/" + safexml.local(root.tag), lang, out)
    return out


def _inputs(group, elem, concrete, lang, out):
    for child in group.children:
        steps = _step(group.path, child.path)
        if isinstance(child, Group):
            if not child.repeat:
                _inputs(child, _find(elem, steps), f"{concrete}/{'/'.join(steps)}", lang, out)
            continue
        node = _find(elem, steps)
        if (node is None or child.readonly or child.lookup
                or child.control in ("upload", "trigger")):
            continue            # files, calculations and picks from the phones' lists
        value = (node.text or "").strip()
        where = f"{concrete}/{'/'.join(steps)}"
        entry = {"name": "v" + where, "path": where, "value": value,
                 "label": message(child.label, lang) or child.path, "choices": None}
        if child.choices is not None and child.control in ("select1", "select"):
            chosen = set(value.split()) if child.control == "select" else {value}
            entry["input"] = "checkboxes" if child.control == "select" else "select"
            entry["choices"] = [(v, message(t, lang) or v, v in chosen)
                                for v, t in child.choices.items()]
            if child.control == "select1" and value and value not in child.choices:
                entry["choices"].append((value, value, True))
        elif child.type in INPUT_TYPES or child.control in ("select1", "select"):
            entry["input"] = INPUT_TYPES.get(child.type, "text")
            entry["step"] = "any" if child.type == "decimal" else "1"
        else:
            continue
        out.append(entry)


def changed(offered, form):
    """{concrete path: new value} for the offered inputs whose value the form changes. A
    select-multiple's boxes come as `<name>::<value>` fields, with a hidden `<name>` field
    saying its boxes were on the form (none ticked then means none chosen)."""
    out = {}
    for entry in offered:
        if entry["input"] == "checkboxes":
            if entry["name"] not in form:
                continue        # the form did not carry this question's boxes at all
            new = " ".join(v for v, _label, _on in entry["choices"]
                           if form.get(f"{entry['name']}::{v}"))
        elif entry["name"] in form:
            new = (form.get(entry["name"]) or "").strip()
        else:
            continue
        if _NOT_XML.search(new):            # lxml would refuse to write it (a 500)
            raise Problem("400.79", {"summary": "form: " + entry["name"],
                                     "fields": entry["name"]})
        if new != entry["value"]:
            out[entry["path"]] = new
    return out


#: characters XML 1.0 cannot hold (controls other than tab and newlines, lone surrogates)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def apply(root, changes):
    """Set the changed leaves of a parsed instance (paths as inputs() gives them)."""
    for path, value in changes.items():
        node = _find(root, [s for s in path.split("/") if s][1:])
        if node is not None:
            node.text = value
