"""Which columns of each attached CSV a form reads, found in its XPath expressions at publish
time, so that a phone is sent only the register properties its forms use.

A form reads a list through a secondary instance (`<instance id="people"
src="jr://file-csv/people.csv"/>`) in paths such as
`instance('people')/root/item[name = /data/woman]/full_name`: in binds (calculate, relevant,
constraint …), setvalue actions, itemsets (nodeset, and the value / label refs relative to
each item), label outputs; or through pulldata('people', 'full_name', 'name', …). Each
expression is parsed with the validation XPath parser and walked: a name step after `item`,
or a name inside a predicate on the items, is a column read. Whatever cannot be followed
exactly (a wildcard, another axis, the text of a whole item, an expression that does not
parse, search()) counts as reading every column, so a form always gets what it needs.

list_reads(xml) -> {"people.csv": ["full_name", "village"], "villages.csv": "*"}; "*" is
every column. Plain functions over bytes; no database.
"""
import re

from app import safexml
from app.validation.xpath import XPathError, compile as compile_xpath

XF = "http://www.w3.org/2002/xforms"
EVERY = "*"
_INSTANCE_CALL = re.compile(r"""instance\(\s*['"]([^'"]+)['"]\s*\)""")
_PULLDATA = re.compile(r"""pulldata\(\s*['"]([^'"]+)['"]\s*(,\s*['"]([^'"]+)['"]\s*,"""
                       r"""\s*['"]([^'"]+)['"])?""")
_SEARCH = re.compile(r"""search\(\s*['"]([^'"]+)['"]""")
ITEMS = 2                 # instance('x') is depth 0, /root 1, /root/item 2, /root/item/col 3


def list_reads(xml_bytes):
    """{CSV file name: sorted column names the form reads, or "*"} for every CSV the form
    attaches as a secondary instance or reads with pulldata() / search()."""
    root = safexml.parse(xml_bytes)
    reads = _Reads(_csv_instances(root))
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if safexml.local(el.tag) == "itemset":
            reads.itemset(el)
        for name, value in el.attrib.items():
            if name == "nodeset" and safexml.local(el.tag) == "itemset":
                continue
            if "pulldata(" in value or "search(" in value:
                reads.functions(value)
            if "instance(" in value:
                reads.expression(value)
    return reads.result()


def _csv_instances(root):
    """{instance id: file name} of the form's secondary instances that are CSV files."""
    found = {}
    for instance in root.iter(f"{{{XF}}}instance"):
        src, name = instance.get("src") or "", instance.get("id")
        if name and src.lower().endswith(".csv"):
            found[name] = src.rsplit("/", 1)[-1]
    return found


class _Reads:
    def __init__(self, files):
        self.files = files
        self.columns = {f: set() for f in files.values()}
        self.every = set()

    def result(self):
        return {f: EVERY if f in self.every else sorted(cols) for f, cols in self.columns.items()}

    def all_of(self, file):
        self.columns.setdefault(file, set())
        self.every.add(file)

    def read(self, file, column):
        self.columns.setdefault(file, set()).add(column)

    def expression(self, source, context=None):
        """Walk one expression whose value is used (its node-sets read as text)."""
        try:
            token = compile_xpath(source).token
        except XPathError:
            token = None
        if token is None:
            self._unreadable(source, context)
            return None
        try:
            return self.use(token, context)
        except RecursionError:
            self._unreadable(source, context)
            return None

    def _unreadable(self, source, context):
        for name in _INSTANCE_CALL.findall(source):
            if name in self.files:
                self.all_of(self.files[name])
        if context is not None:
            self.all_of(context[0])

    def itemset(self, el):
        """A select's items: the nodeset picks items (their text is not read); its value and
        label refs are read from each item."""
        try:
            picked = self.walk(compile_xpath(el.get("nodeset") or "").token, None)
        except (XPathError, RecursionError):
            picked = None
            self._unreadable(el.get("nodeset") or "", None)
        for child in el:
            ref = child.get("ref") if isinstance(child.tag, str) else None
            if ref is None:
                continue
            if picked is not None and picked[1] == ITEMS:
                self.expression(ref, picked)
            elif "instance(" in ref:
                self.expression(ref)

    def functions(self, source):
        for match in _PULLDATA.finditer(source):
            file = f"{match.group(1)}.csv"
            if match.group(2):
                self.read(file, match.group(3))
                self.read(file, match.group(4))
            else:
                self.all_of(file)
        for match in _SEARCH.finditer(source):
            self.all_of(f"{match.group(1)}.csv")

    def use(self, token, context):
        """Walk a token whose value is used as a value: an item (or the root) read as text
        reads every column of its list."""
        found = self.walk(token, context)
        if found is not None and found[1] <= ITEMS:
            self.all_of(found[0])
        return found

    def walk(self, token, context):
        """(file, depth) when the token evaluates to nodes of a CSV instance, else None;
        records the columns read on the way. `context` is the (file, depth) of the context
        node inside a predicate on a list's nodes."""
        symbol = token.symbol
        if symbol == "instance" and len(token) == 1:
            arg = token[0]
            if arg.symbol == "(string)" and arg.value in self.files:
                return (self.files[arg.value], 0)
            if arg.symbol != "(string)":
                for file in self.files.values():
                    self.all_of(file)
            return None
        if symbol == "(name)":
            return self._step(context, token) if context is not None else None
        if symbol == "." and len(token) == 0:
            return context
        if symbol in ("/", "//") and len(token) == 1:
            self.walk(token[0], None)         # an absolute path: the form's own instance
            return None
        if symbol in ("/", "//") and len(token) == 2:
            left = self.walk(token[0], context)
            if left is None:
                self.walk(token[1], None)
                return None
            if symbol == "//":
                self.all_of(left[0])
                self.walk(token[1], None)
                return None
            return self._step(left, token[1])
        if symbol == "[" and len(token) == 2:
            nodes = self.walk(token[0], context)
            self.use(token[1], nodes)
            return nodes
        if symbol == "count":
            for child in token:
                self.walk(child, context)
            return None
        if context is not None and symbol in ("*", "..", "@") and len(token) == 0:
            self.all_of(context[0])           # a wildcard or another axis on a list's nodes
            return None
        for child in token:
            self.use(child, context)
        return None

    def _step(self, nodes, step):
        """Where a step from `nodes` (file, depth) leads."""
        file, depth = nodes
        if step.symbol == "[" and len(step) == 2:
            picked = self._step(nodes, step[0])
            self.use(step[1], picked)
            return picked
        if step.symbol != "(name)":
            self.all_of(file)
            for child in step:
                self.use(child, None)
            return None
        if depth < ITEMS:
            return (file, depth + 1)
        if depth == ITEMS:
            self.read(file, step.value)
            return (file, depth + 1)
        self.all_of(file)                     # below a column: not a CSV shape we know
        return None

