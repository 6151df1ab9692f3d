"""Checking one submission against the form version it was filled with.

validate(form, root, now, secondary) -> [Issue], where `form` is a CompiledForm (the stored
form schema, parsed once per version), `root` the submission's instance element, `now` the
moment taken as today()/now(), and `secondary` the attached lists by instance id (an lxml root,
or None for a list that is not checked, such as a register list).

The instance is checked as the phone saw it: nodes the phone leaves out of a submission (not
relevant, or from a newer form) are put back empty before any expression is evaluated, and the
values of calculations are taken as the phone computed them. Then, in document order:
unknown elements; values of questions that did not apply; required answers; types; choices;
constraints; repeat counts. Expressions that read a register list are not evaluated: the
register moves on after the phone downloaded it, so the server cannot see what the phone saw.
Anything the evaluator cannot do becomes an `evaluator` issue; nothing here raises.
"""
import copy
import datetime as dt
import math
import re

from lxml import etree

from app import safexml
from app.forms.schema import message
from app.validation import rules, xpath
from app.validation.issues import issue

DATE_TYPES = ("date", "dateTime", "time")
INT_RANGE = (-2147483648, 2147483647)
_INT = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
#: elements phones add under meta that a form need not declare
META_EXTRAS = {"deprecatedID", "instanceName", "audit", "rootUuid"}


class CompiledForm:
    """A form schema made ready to check submissions: template parsed, expressions compiled."""

    def __init__(self, schema, form_id=""):
        self.schema = schema
        self.form_id = form_id
        self.nodes = schema["nodes"]
        self.template = _local_names(safexml.parse(schema["template"].encode("utf-8")))
        self.unchecked = {(u["path"], u["what"]) for u in schema.get("unchecked", [])}
        self.internal = {name: _local_names(safexml.parse(xml.encode("utf-8")))
                         for name, xml in schema.get("instances", {}).items()}
        self.end_path = next((p for p, n in self.nodes.items()
                              if n.get("preload") == "timestamp" and n.get("preload_params") == "end"),
                             None)
        self.offered = {}          # (path, list identity) -> values of an unfiltered itemset
        self.choice_labels = {}
        for path, node in self.nodes.items():
            labels = (node.get("choices") or {}).get("labels")
            if labels:
                self.choice_labels[path] = {v: message(t, "zh") for v, t in labels.items()}

    def expression(self, path, what, source):
        if source is None or (path, what) in self.unchecked:
            return None
        try:
            return xpath.compile(source)
        except xpath.XPathError:
            return None


_NAME = re.compile(r"^[A-Za-z_][\w.-]*$")
_INSTANCE_REF = re.compile(r"""instance\(\s*['"]([^'"]+)['"]\s*\)""")


def _reads_unchecked_list(source, secondary):
    return any(secondary.get(name, ...) is None for name in _INSTANCE_REF.findall(source or ""))


def end_time(form, root):
    """The phone's `end` timestamp, as a local wall-clock datetime, if the form records it."""
    if form.end_path is None:
        return None
    steps = form.end_path.strip("/").split("/")[1:]
    elem = root
    for step in steps:
        elem = next((c for c in elem if isinstance(c.tag, str) and safexml.local(c.tag) == step), None)
        if elem is None:
            return None
    text = (elem.text or "").strip()
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None


def validate(form, root, now, secondary=None):
    secondary = secondary or {}
    try:
        return _Check(form, root, now, secondary).run()
    except Exception as e:  # noqa: BLE001 - validation must never cost a submission
        return [issue("/" + safexml.local(root.tag), "evaluator", reason=f"{type(e).__name__}: {e}")]


class _Check:
    def __init__(self, form, root, now, secondary):
        self.form, self.secondary, self.issues = form, secondary, []
        self.model, self.added = _complete(form, root)
        instances = {**form.internal, **{k: v for k, v in secondary.items() if v is not None}}
        self.types = {}
        self.paths = {}
        for elem in self.model.iter():
            if isinstance(elem.tag, str):
                path = self._generic(elem)
                self.paths[elem] = path
                kind = form.nodes.get(path, {}).get("type")
                if kind in DATE_TYPES:
                    self.types[elem] = kind
        self.env = xpath.Env(self.model, self.types, instances, now, form.choice_labels)
        self.relevant = {}

    def _generic(self, elem):
        parent = elem.getparent()
        base = self.paths.get(parent) if parent is not None else ""
        return f"{base}/{safexml.local(elem.tag)}"

    def concrete(self, elem):
        steps = []
        while elem is not None:
            step = safexml.local(elem.tag)
            if self.form.nodes.get(self.paths.get(elem), {}).get("kind") == "repeat":
                n = 1 + sum(1 for s in elem.itersiblings(preceding=True) if s.tag == elem.tag)
                step += f"[{n}]"
            steps.append(step)
            elem = elem.getparent()
        return "/" + "/".join(reversed(steps))

    def run(self):
        self._walk(self.model, True)
        for rule in rules.RULES.get(self.form.form_id, ()):
            try:
                self.issues.extend(rule(rules.Fields(self)))
            except Exception as e:  # noqa: BLE001 - a broken rule is reported, not raised
                self.issues.append(issue("/" + self.form.schema["root"], "evaluator",
                                         reason=f"{rule.__name__}: {type(e).__name__}: {e}"))
        return self.issues

    def _walk(self, elem, parent_relevant):
        path = self.paths[elem]
        node = self.form.nodes.get(path)
        if node is None:
            if elem not in self.added and not self._allowed_extra(elem):
                self.issues.append(issue(self.concrete(elem), "unknown", _text(elem)[:200]))
            return
        if parent_relevant is False:
            relevant = False
        else:
            own = self._is_relevant(elem, path, node)
            if own is False:
                relevant = False
            elif own is None or parent_relevant == "unknown":
                relevant = "unknown"    # cannot tell: check what can be checked, flag nothing
            else:
                relevant = True
        if node.get("kind") == "repeat":
            self._check_count(elem, path, node)
        if len(elem):
            for child in elem:
                if isinstance(child.tag, str):
                    self._walk(child, relevant)
            return
        value = (elem.text or "").strip()
        if relevant is False:
            if value and elem not in self.added:
                self.issues.append(issue(self.concrete(elem), "not_relevant", value))
            return
        self._check_leaf(elem, path, node, value, relevant is True)

    def _allowed_extra(self, elem):
        parent = elem.getparent()
        return parent is not None and safexml.local(parent.tag) == "meta" and \
            safexml.local(elem.tag) in META_EXTRAS

    def _flag(self, elem, path, node, what):
        """A bind's boolean (relevant, required) for this element: True/False, or None when it
        cannot be told (no expression we can read, a register list, an evaluator error)."""
        source = node.get(what)
        expression = self.form.expression(path, what, source)
        if expression is None or _reads_unchecked_list(source, self.secondary):
            return None
        try:
            return expression.boolean(self.env, elem)
        except xpath.XPathError as e:
            self.issues.append(issue(self.concrete(elem), "evaluator", reason=f"{what}: {e}"))
            return None

    def _is_relevant(self, elem, path, node):
        if node.get("relevant") is None:
            return True
        return self._flag(elem, path, node, "relevant")

    def _check_leaf(self, elem, path, node, value, surely_relevant):
        where = _Where(self, elem)             # the concrete path, only worked out if needed
        if not value:
            if surely_relevant and self._required(elem, path, node):
                texts = node.get("required_message") or {}
                self.issues.append(issue(where, "required", "", zh=message(texts, "zh") or None,
                                         en=message(texts, "en") or None))
            return
        kind = node.get("type", "string")
        if not _type_ok(kind, value):
            self.issues.append(issue(where, "type", value, type=kind))
            return
        if node.get("choices") and not self._choices_ok(elem, path, node, value, where):
            return
        self._constraint(elem, path, node, value, where)

    def _required(self, elem, path, node):
        if node.get("required") in (None, "false()"):
            return False
        return bool(self._flag(elem, path, node, "required"))

    def _choices_ok(self, elem, path, node, value, where):
        choices = node["choices"]
        if "values" in choices:
            offered = set(choices["values"])
        else:
            offered = self._offered(elem, path, choices, where)
            if offered is None:
                return True
        picked = value.split() if node.get("control") in ("select", "rank") else [value]
        wrong = [v for v in picked if v not in offered]
        for v in wrong:
            self.issues.append(issue(where, "choice", v))
        return not wrong

    def _offered(self, elem, path, choices, where):
        name = choices.get("instance")
        if (path, "choices") in self.form.unchecked or (name and self.secondary.get(name, ...) is None
                                                        and name not in self.form.internal):
            return None
        # An itemset without a filter offers the same values every time: computed once per
        # form (internal lists) or per list file (attachments), not per question per submission.
        static = "[" not in choices["itemset"]
        key = (path, id(self.secondary.get(name)) if name not in self.form.internal else None)
        if static and key in self.form.offered:
            return self.form.offered[key]
        try:
            nodes = xpath.compile(choices["itemset"]).evaluate(self.env, elem)
            offered = {self._item_value(item.elem, choices["value"])
                       for item in (nodes if isinstance(nodes, list) else [])}
        except xpath.XPathError as e:
            self.issues.append(issue(where, "evaluator", reason=f"choices: {e}"))
            return None
        if static:
            self.form.offered[key] = offered
        return offered

    def _item_value(self, item, ref):
        if _NAME.match(ref):                   # the usual <value ref="name"/>: a child's text
            child = item.find(ref)
            return (child.text or "") if child is not None else ""
        return xpath.to_string(xpath.compile(ref).evaluate(_ItemEnv(self.env), item))

    def _constraint(self, elem, path, node, value, where):
        source = node.get("constraint")
        expression = self.form.expression(path, "constraint", source)
        if expression is None or _reads_unchecked_list(source, self.secondary):
            return
        try:
            ok = expression.boolean(self.env, elem)
        except xpath.XPathError as e:
            self.issues.append(issue(where, "evaluator", reason=f"constraint: {e}"))
            return
        if not ok:
            texts = node.get("constraint_message") or {}
            self.issues.append(issue(where, "constraint", value, zh=message(texts, "zh") or None,
                                     en=message(texts, "en") or None, expression=source))

    def _check_count(self, elem, path, node):
        source = node.get("count")
        if not source or elem.getprevious() is not None and elem.getprevious().tag == elem.tag:
            return                          # once per repeat, at its first instance
        expression = self.form.expression(path, "count", source)
        if expression is None or _reads_unchecked_list(source, self.secondary):
            return
        try:
            expected = xpath.to_number(expression.evaluate(self.env, elem.getparent()))
        except xpath.XPathError as e:
            self.issues.append(issue(self.concrete(elem), "evaluator", reason=f"repeat count: {e}"))
            return
        actual = sum(1 for s in elem.getparent() if s.tag == elem.tag and s not in self.added)
        if math.isfinite(expected) and int(expected) != actual and expected >= 0:
            self.issues.append(issue(self.concrete(elem).rsplit("[", 1)[0], "repeat_count",
                                     str(actual), actual=actual, expected=int(expected)))


class _ItemEnv(xpath.Env):
    """Evaluates a choice's value ref relative to an item of a secondary instance."""

    def __init__(self, env):  # noqa: D107 - shares the outer env's state
        self.__dict__.update(env.__dict__)
        self._item_contexts = {}

    def context(self, elem):
        root = elem.getroottree()
        key = id(root)
        if key not in self._item_contexts:
            context = xpath.XPathContext(root)
            context.odk = self
            self._item_contexts[key] = context
        context = copy.copy(self._item_contexts[key])
        context.item = self._item_contexts[key].root.elements[elem]
        return context


class _Where:
    """An element's concrete path (/data/member[2]/dob), computed when an issue needs it."""
    __slots__ = ("check", "elem")

    def __init__(self, check, elem):
        self.check, self.elem = check, elem

    def __str__(self):
        return self.check.concrete(self.elem)


def _text(elem):
    return "".join(elem.itertext()).strip()


def _type_ok(kind, value):
    if kind in ("string", "select", "select1", "barcode", "binary", "rank", "odk:rank"):
        return True
    if kind in ("int", "integer"):
        return bool(_INT.match(value)) and INT_RANGE[0] <= int(value) <= INT_RANGE[1]
    if kind == "decimal":
        return bool(_DECIMAL.match(value))
    if kind == "date":
        return bool(xpath._DATE.match(value)) and xpath.parse_date(value) is not None
    if kind == "dateTime":
        return bool(xpath._DATETIME.match(value)) and xpath.parse_date(value) is not None
    if kind == "time":
        return xpath.parse_time(value) is not None
    if kind == "boolean":
        return value in ("true", "false", "1", "0")
    if kind == "geopoint":
        return _geopoint_ok(value)
    if kind in ("geotrace", "geoshape"):
        points = [p for p in value.split(";") if p.strip()]
        return bool(points) and all(_geopoint_ok(p) for p in points)
    return True


def _geopoint_ok(value):
    parts = value.split()
    if not 2 <= len(parts) <= 4 or not all(_DECIMAL.match(p) for p in parts):
        return False
    lat, lon = float(parts[0]), float(parts[1])
    return -90 <= lat <= 90 and -180 <= lon <= 180


def _complete(form, root):
    """A copy of the submitted instance with every node of the form's template that is missing
    put back empty (repeats are not invented). Returns (copy, set of elements added)."""
    model = _local_names(copy.deepcopy(root))
    added = set()
    _fill(form, form.template, model, added, "/" + safexml.local(form.template.tag))
    return model, added


def _fill(form, template, actual, added, path):
    seen = set()
    position = 0
    by_tag = {}
    for c in actual:
        if isinstance(c.tag, str):
            by_tag.setdefault(c.tag, []).append(c)
    for t_child in template:
        if not isinstance(t_child.tag, str):
            continue
        tag = t_child.tag
        if tag in seen:
            continue                            # a repeat's template and first instance
        seen.add(tag)
        child_path = f"{path}/{tag}"
        matches = by_tag.get(tag)
        if matches:
            for m in matches:
                _fill(form, _structure(template, tag), m, added, child_path)
            position = actual.index(matches[-1]) + 1
            continue
        if form.nodes.get(child_path, {}).get("kind") == "repeat":
            continue
        empty = _empty_copy(t_child)
        actual.insert(position, empty)
        position += 1
        added.update(e for e in empty.iter())


def _local_names(root):
    """Element names without a namespace: forms declare the XForms default namespace on their
    primary instance, and some clients submit with it, others without."""
    for elem in root.iter():
        if isinstance(elem.tag, str) and elem.tag.startswith("{"):
            elem.tag = etree.QName(elem).localname
    etree.cleanup_namespaces(root)
    return root


def _structure(template, tag):
    """The template element to fill a repeat instance from: the jr:template one if present."""
    candidates = [c for c in template if c.tag == tag]
    return next((c for c in candidates if f"{{{xpath.JR}}}template" in c.attrib), candidates[0])


def _empty_copy(elem):
    out = etree.Element(elem.tag)
    for k, v in elem.attrib.items():
        if not k.startswith("{"):
            out.set(k, "")
    seen = set()
    for child in elem:
        if isinstance(child.tag, str) and child.tag not in seen:
            seen.add(child.tag)
            out.append(_empty_copy(child))
    return out
