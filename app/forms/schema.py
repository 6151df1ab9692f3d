"""The form schema: what validation needs to know about one form version, compiled once from
its XForm at publish and stored with the version (form_versions.schema, plain JSON).

    {"v": 1, "root": "data",
     "template": "<data …>…</data>",            # the primary instance, as the phone starts it
     "nodes": {"/data/age": {"kind": "leaf", "type": "int", "required": "true()",
                              "relevant": "…", "constraint": "…",
                              "constraint_message": {"Chinese (zh)": "…", "English (en)": "…"},
                              "required_message": {…}, "calculate": "…", "readonly": "…",
                              "control": "select1", "choices": {…}, "count": "…"}, …},
     "instances": {"sex": "<root>…</root>"},       # secondary instances written in the form
     "external": {"people": "people.csv"},          # secondary instances from attachments
     "languages": ["Chinese (zh)", "English (en)"], "default_language": "Chinese (zh)",
     "unchecked": [{"path", "what", "reason"}]}     # expressions the evaluator cannot read

Paths are generic (no repeat positions). `choices` is {"values": [...], "labels": {...}} for
inline items, or {"itemset": nodeset, "value": ref, "label": ref, "instance": id} for an
itemset. Expressions that do not compile are listed in `unchecked` and skipped, so a form
using a function we do not know is published and served as usual; only that check is lost.
"""
import logging
import re

from lxml import etree

from app import safexml
from app.validation import xpath

XF = "http://www.w3.org/2002/xforms"
H = "http://www.w3.org/1999/xhtml"
JR = "http://openrosa.org/javarosa"
SCHEMA_VERSION = 1
log = logging.getLogger(__name__)
_ITEXT = re.compile(r"""^\s*jr:itext\(\s*['"]([^'"]+)['"]\s*\)\s*$""")
_INSTANCE = re.compile(r"""instance\(\s*['"]([^'"]+)['"]\s*\)""")
EXPRESSIONS = ("required", "relevant", "constraint", "calculate", "readonly")
CONTROLS = {"input", "select1", "select", "upload", "trigger", "range", "rank", "odk:rank",
            "textarea", "secret"}


def safe_schema(xml_bytes):
    """build_schema, or None when this form defeats it: publishing must not depend on it
    (validation then builds nothing and checks nothing for that version)."""
    try:
        return build_schema(xml_bytes)
    except Exception:  # noqa: BLE001 - a form we cannot analyse is still a form we serve
        log.exception("could not build the form schema")
        return None


def build_schema(xml_bytes):
    root = safexml.parse(xml_bytes)
    model = root.find(f"{{{H}}}head/{{{XF}}}model")
    primary = next(i for i in model.iterfind(f"{{{XF}}}instance") if i.get("id") is None)
    data = next(iter(primary))
    translations, default_language = _itext(model)
    schema = {"v": SCHEMA_VERSION, "root": safexml.local(data.tag),
              "template": etree.tostring(data, encoding="unicode"),
              "nodes": {}, "instances": {}, "external": {},
              "languages": sorted(translations), "default_language": default_language,
              "unchecked": []}
    nodes = schema["nodes"]
    for elem in data.iter():
        if not isinstance(elem.tag, str):
            continue
        path = safexml.element_path(elem)
        kind = "group" if len(elem) else "leaf"
        nodes.setdefault(path, {"kind": kind, "type": "string"})
        for name in elem.attrib:
            if not name.startswith("{") and elem is not data:
                nodes.setdefault(f"{path}/@{name}", {"kind": "attribute", "type": "string"})
    for instance in model.iterfind(f"{{{XF}}}instance"):
        name = instance.get("id")
        if not name:
            continue
        if instance.get("src"):
            schema["external"][name] = instance.get("src").rsplit("/", 1)[-1]
        elif len(instance):
            schema["instances"][name] = etree.tostring(instance[0], encoding="unicode")
    for bind in model.iterfind(f"{{{XF}}}bind"):
        path = _generic(bind.get("nodeset") or bind.get("ref") or "")
        if not path:
            continue
        node = nodes.setdefault(path, {"kind": "leaf", "type": "string"})
        node["type"] = (bind.get("type") or "string").split(":")[-1]
        for name in EXPRESSIONS:
            value = bind.get(name)
            if value is not None:
                node[name] = value
        if bind.get(f"{{{JR}}}preload"):
            node["preload"] = bind.get(f"{{{JR}}}preload")
            node["preload_params"] = bind.get(f"{{{JR}}}preloadParams") or ""
        for name, attr in (("constraint_message", f"{{{JR}}}constraintMsg"),
                           ("required_message", f"{{{JR}}}requiredMsg")):
            if bind.get(attr):
                node[name] = _text(bind.get(attr), translations, default_language)
    body = root.find(f"{{{H}}}body")
    if body is not None:
        _read_body(body, nodes, translations, default_language)
    _check_expressions(schema)
    return schema


def _read_body(body, nodes, translations, default_language):
    for el in body.iter():
        if not isinstance(el.tag, str):
            continue
        tag = safexml.local(el.tag)
        ref = _generic(el.get("ref") or el.get("nodeset") or "")
        if tag == "repeat" and ref in nodes:
            nodes[ref]["kind"] = "repeat"
            count = el.get(f"{{{JR}}}count")
            if count:
                nodes[ref]["count"] = count
            if el.get(f"{{{JR}}}noAddRemove") in ("true()", "true"):
                nodes[ref]["fixed"] = True
        elif tag in ("select1", "select", "rank") and ref in nodes:
            node = nodes[ref]
            node["control"] = tag
            itemset = el.find(f"{{{XF}}}itemset")
            if itemset is not None:
                value = itemset.find(f"{{{XF}}}value")
                label = itemset.find(f"{{{XF}}}label")
                nodeset = itemset.get("nodeset") or ""
                found = _INSTANCE.search(nodeset)
                node["choices"] = {"itemset": nodeset,
                                   "value": value.get("ref") if value is not None else "value",
                                   "label": label.get("ref") if label is not None else "label",
                                   "instance": found.group(1) if found else None}
            else:
                values, labels = [], {}
                for item in el.iterfind(f"{{{XF}}}item"):
                    v = (item.findtext(f"{{{XF}}}value") or "").strip()
                    values.append(v)
                    label = item.find(f"{{{XF}}}label")
                    if label is not None:
                        labels[v] = _label(label, translations, default_language)
                node["choices"] = {"values": values, "labels": labels}
        elif tag in CONTROLS and ref in nodes:
            nodes[ref].setdefault("control", tag)


def _check_expressions(schema):
    """Compile every expression now: what cannot be read is listed, once, and skipped later."""
    for path, node in schema["nodes"].items():
        for name in ("required", "relevant", "constraint", "count"):
            source = node.get(name)
            if source is None:
                continue
            try:
                xpath.compile(source)
            except xpath.XPathError as e:
                schema["unchecked"].append({"path": path, "what": name, "reason": str(e)})
        choices = node.get("choices") or {}
        if choices.get("itemset"):
            try:
                xpath.compile(choices["itemset"])
                xpath.compile(choices["value"])
            except xpath.XPathError as e:
                schema["unchecked"].append({"path": path, "what": "choices", "reason": str(e)})


def _itext(model):
    translations, default = {}, None
    itext = model.find(f"{{{XF}}}itext")
    if itext is None:
        return translations, default
    for translation in itext.iterfind(f"{{{XF}}}translation"):
        lang = translation.get("lang") or ""
        if translation.get("default") is not None and default is None:
            default = lang
        texts = translations.setdefault(lang, {})
        for text in translation.iterfind(f"{{{XF}}}text"):
            value = next((v for v in text.iterfind(f"{{{XF}}}value") if not v.get("form")),
                         None)
            if value is not None:
                texts[text.get("id")] = "".join(value.itertext()).strip()
    if default is None and translations:
        default = next(iter(translations))
    return translations, default


def _text(raw, translations, default_language):
    """{language: text} for a message that is itext('id') or plain text ({"": text})."""
    match = _ITEXT.match(raw)
    if not match:
        return {"": raw}
    key = match.group(1)
    return {lang: texts[key] for lang, texts in translations.items() if key in texts}


def _label(label, translations, default_language):
    ref = label.get("ref")
    if ref:
        return _text(ref, translations, default_language)
    return {"": "".join(label.itertext()).strip()}


def _generic(path):
    return re.sub(r"\[[^\]]*\]", "", path.strip())


def message(texts, lang_code):
    """The text of a {language: text} message for "zh" or "en": the language whose name ends
    in (code), else the untranslated text, else any."""
    if not texts:
        return ""
    for lang, text in texts.items():
        if lang.endswith(f"({lang_code})") or lang == lang_code:
            return text
    return texts.get("") or next(iter(texts.values()))
