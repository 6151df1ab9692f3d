"""One submission's XML → one row per table, laid out as Central's CSV export lays it out.

`Layout(fields, …)` is built once per export from the export fields (app.exports.fields):
each table's columns (Central's names: path relative to the table with `/` → `-`, or the bare
name with groupPaths=false; geopoints in four columns `-Latitude`, `-Longitude`, `-Altitude`,
`-Accuracy`; a select multiple's column then one `<column>/<value>` per value with
splitSelectMultiples), the root table's trailing metadata slots (KEY … FormVersion, filled by
the caller) and each repeat table's `PARENT_KEY`, `KEY`. It also holds a precomputed map
from element tag to what the element is (a column, a group, a repeat), per level, so that
reading a submission is one lxml parse and one walk of its elements.

`Layout.read(xml, instance_id)` → (root row, [[rows] per repeat table]) with values as
strings (None where the submission has no value, which is an empty cell in the CSV). Central's
rules (lib/data/briefcase.js processRow): elements the form does not know are skipped with
everything in them; a repeat's KEY is `<instanceID>/<group>/<repeat>[n]` (structures by
name, repeats by name and 1-based position among its siblings in the same parent instance),
its PARENT_KEY the enclosing repeat's KEY (or the instanceID); split select-multiple cells
are 0 unless the value was chosen (1), even when the question is absent.

This is the hot path of every export: no per-element work besides one dict lookup and an
assignment.
"""
import html
import re

from lxml import etree

from app.exports.fields import tables

#: root-table metadata columns, after the fields (briefcase.js), in order
ROOT_META = ("KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent",
             "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits", "FormVersion")
#: the stored XML was checked at intake (app.safexml); this parser still never resolves an
#: entity nor reads the network
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          huge_tree=False, remove_comments=True, remove_pis=True)

# node kinds in the tag map
LEAF, GEO, MULTI, GROUP, REPEAT, SKIP = range(6)


class TableLayout:
    """One table's columns and how its rows start."""

    def __init__(self, table, index):
        self.table = table              # fields.Table
        self.index = index              # 0 root, 1… repeats in document order
        self.header = []                # column names
        self.columns = []               # (field, part): part "" or Latitude… or a choice value
        self.template = None            # a new row: None, or 0 in split select cells
        self.key = None                 # repeat tables: KEY and PARENT_KEY slots
        self.parent_key = None
        self.meta = {}                  # root table: ROOT_META name → slot

    @property
    def name(self):
        return self.table.name

    @property
    def path(self):
        return self.table.path


class Layout:
    """Columns of every table of an export, and the reader of one submission into rows."""

    def __init__(self, fields, select_values=None, group_paths=True, root_only=False):
        self.fields = list(fields)
        self.select_values = select_values or {}
        self.group_paths = group_paths
        self.tables = []
        by_path = {}
        for i, table in enumerate(tables(self.fields, root_only=root_only)):
            layout = TableLayout(table, i)
            self.tables.append(layout)
            by_path[table.path] = layout
        self._by_path = by_path
        self._slots = {}                 # field rel → (table index, first column slot)
        for layout in self.tables:
            self._columns(layout)
        self.root = self.tables[0]
        self._root_map = self._tag_map("", root_only)
        self._cut = _cuttable(self.fields) if root_only else ()
        self._flat = _Flat.build(self) if not root_only else None

    # ---------------------------------------------------------------- columns

    def _columns(self, layout):
        header, columns = layout.header, layout.columns
        if layout.index == 0:
            header.append("SubmissionDate")
            columns.append((None, "SubmissionDate"))
        prefix = len(layout.path) + 1
        for f in layout.table.fields:
            base = f.rel[prefix:].replace("/", "-") if self.group_paths else f.name
            self._slots[f.rel] = (layout.index, len(header))
            if f.type == "geopoint":
                for part in ("Latitude", "Longitude", "Altitude", "Accuracy"):
                    header.append(f"{base}-{part}")
                    columns.append((f, part))
            elif f.select_multiple:
                header.append(base)
                columns.append((f, ""))
                for value in self.select_values.get(f.rel, ()):
                    header.append(f"{base}/{value}")
                    columns.append((f, value))
            else:
                header.append(base)
                columns.append((f, ""))
        if layout.index == 0:
            for name in ROOT_META:
                layout.meta[name] = len(header)
                header.append(name)
                columns.append((None, name))
        else:
            layout.parent_key = len(header)
            header.append("PARENT_KEY")
            columns.append((None, "PARENT_KEY"))
            layout.key = len(header)
            header.append("KEY")
            columns.append((None, "KEY"))
        # Central's data frame: a cell whose header holds "/" (a split select value) starts at 0
        layout.template = [0 if "/" in name else None for name in header]

    # ---------------------------------------------------------------- tag map

    def _tag_map(self, table_path, root_only):
        """The _Level of the root's children; built recursively. A level has `leaves`
        ({tag: slot}: plain values, the hot case) and `others` ({tag: node}: geopoints,
        split select multiples, groups, repeats, and tags seen to be unknown)."""
        children = {}
        for f in self.fields:
            parent_rel = f.rel[:f.rel.rfind("/")]
            children.setdefault(parent_rel, []).append(f)

        def build(parent_rel):
            level = _Level()
            for f in children.get(parent_rel, ()):
                if f.name in level.leaves or f.name in level.others:
                    continue
                if f.type == "repeat":
                    layout = self._by_path.get(f.rel)
                    if layout is None:        # root_only: repeats are not read
                        level.others[f.name] = _SKIP
                    else:
                        level.others[f.name] = (REPEAT, None, (layout, f.name), build(f.rel))
                elif f.type == "structure":
                    level.others[f.name] = (GROUP, None, f.name, build(f.rel))
                else:
                    slot = self._slots.get(f.rel)
                    if slot is None:
                        level.others[f.name] = _SKIP
                    elif f.type == "geopoint":
                        level.others[f.name] = (GEO, slot[1], None, None)
                    elif f.select_multiple and self.select_values.get(f.rel):
                        values = {v: slot[1] + 1 + i
                                  for i, v in enumerate(self.select_values[f.rel])}
                        level.others[f.name] = (MULTI, slot[1], values, None)
                    else:
                        level.leaves[f.name] = slot[1]
            return level
        return build(table_path)

    # ---------------------------------------------------------------- reading

    def new_root_row(self):
        return self.root.template[:]

    def read(self, xml, instance_id, flat=True):
        """(root row, [rows of each repeat table, by TableLayout.index - 1]). The root row's
        SubmissionDate and metadata slots are left for the caller (central_csv).
        flat: try the flat reader first (see _Flat); False: the element walk only."""
        if flat and self._flat is not None and isinstance(xml, str):
            found = self._flat.read(xml, instance_id)
            if found is not None:
                return found
        if isinstance(xml, str):
            xml = xml.encode("utf-8")
        if self._cut and b"<!" not in xml:
            xml = _without(xml, self._cut)
        row = self.root.template[:]
        subrows = [[] for _ in range(len(self.tables) - 1)]
        try:
            element = etree.fromstring(xml, _PARSER)
        except etree.XMLSyntaxError:
            return row, subrows        # stored XML always parses; never stop an export for one
        _walk(element, self._root_map, row, {}, instance_id, instance_id, subrows)
        return row, subrows


#: a leaf with its text: `<name attr="…">text</name>` (no element inside)
_LEAF = re.compile(r"<([A-Za-z_][\w.-]*)(?:\s[^<>]*)?>([^<]*)</\1>")
#: an empty element written `<name …/>`
_EMPTY = re.compile(r"<([A-Za-z_][\w.-]*)(?:\s[^<>]*)?/>")
#: a closing tag with a prefix (`</orx:meta>`): a namespaced element, which the flat reader
#: does not read
_PREFIXED = re.compile(r"</[\w.-]+:")


class _FlatTable:
    __slots__ = ("layout", "leaves", "others", "groups", "repeats", "group_count")

    def __init__(self, layout):
        self.layout = layout
        self.leaves = {}        # name → slot
        self.others = {}        # name → GEO / MULTI node
        self.groups = {}        # name → how many structures of that name this table has
        self.repeats = []       # (name, key infix "/g/name", _FlatTable) of child repeats


class _Flat:
    """A reader of a submission's text without building a tree, for the common case: one
    regular expression finds every `<name>text</name>` of a table at once (in C), after each
    repeat's instances are cut out by plain string search and read the same way, recursively.
    About four times quicker than parsing and walking a household visit.

    It is used only where it cannot differ from the element walk (Central's rules):
    - the form (the export's fields) names every leaf of a table once, every repeat once in
      the whole form, and no leaf like a repeat; else `build` returns None;
    - for each submission, it reads nothing and the walk is used when the text holds a
      comment, CDATA or processing instruction (`<!`, `<?` past the declaration), a
      namespace-prefixed element, or any element the form does not account for: every `<`
      of a table's text must be a leaf's open or close tag, an empty element's (`<x/>`, an
      empty group's too), or the open or close tag of one of the table's groups, counted. An unknown wrapper around known names,
      a group repeated, a leaf holding elements: all change the count, and the walk decides.
    """

    def __init__(self, root, repeat_tables):
        self.root = root
        self.repeat_tables = repeat_tables

    @classmethod
    def build(cls, layout):
        fields = layout.fields
        names = {}
        for f in fields:
            names.setdefault(f.name, []).append(f)
        tables_by_path = {t.path: t for t in layout.tables}
        flat = {t.path: _FlatTable(t) for t in layout.tables}
        for f in fields:
            table = _table_of(f, tables_by_path)
            if f.type == "repeat":
                if len(names[f.name]) != 1 or f.rel not in flat:
                    return None
                infix = f.rel[len(table.path):]
                flat[table.path].repeats.append((f.name, infix, flat[f.rel]))
            elif f.type == "structure":
                groups = flat[table.path].groups
                groups[f.name] = groups.get(f.name, 0) + 1
            else:
                target = flat[table.path]
                if f.name in target.leaves or f.name in target.others:
                    return None
                slot = layout._slots[f.rel][1]
                if f.type == "geopoint":
                    target.others[f.name] = (GEO, slot, None, None)
                elif f.select_multiple and layout.select_values.get(f.rel):
                    target.others[f.name] = (MULTI, slot, {
                        v: slot + 1 + i for i, v in enumerate(layout.select_values[f.rel])}, None)
                else:
                    target.leaves[f.name] = slot
        for table in flat.values():
            table.group_count = sum(table.groups.values())
            repeat_names = {name for name, _i, _t in table.repeats}
            if repeat_names & (set(table.leaves) | set(table.others)):
                return None
        return cls(flat[""], len(layout.tables) - 1)

    def read(self, xml, instance_id):
        start = 0
        if xml.startswith("<?xml"):
            start = xml.find("?>") + 2
        if "<!" in xml or xml.find("<?", start) >= 0 or _PREFIXED.search(xml):
            return None
        head_end = xml.find(">", start)
        if head_end < 0 or xml[head_end - 1] == "/":
            return None
        close = xml.rfind("</")
        body = xml[head_end + 1:close]
        layout = self.root.layout
        row = layout.template[:]
        subrows = [[] for _ in range(self.repeat_tables)]
        if not _fill(self.root, body, row, instance_id, instance_id, subrows):
            return None
        return row, subrows


def _table_of(field, tables_by_path):
    """The table a field belongs to: its nearest enclosing repeat's (the root's if none)."""
    rel = field.rel
    while True:
        rel = rel[:rel.rfind("/")]
        if rel in tables_by_path or not rel:
            return tables_by_path.get(rel, tables_by_path[""])


def _fill(table, text, row, key, parent_key, subrows):
    """Read one table's text (its element's content) into `row`; repeats' instances are cut
    out and read into their own rows. False when the text is not what the form says."""
    for name, infix, child in table.repeats:
        open_tag, close_tag = f"<{name}", f"</{name}>"
        pieces, at, n = [], 0, 0
        while True:
            start = text.find(open_tag, at)
            if start < 0:
                break
            after = start + len(open_tag)
            if after >= len(text) or text[after] not in "> \t\r\n/":
                pieces.append(text[at:after])
                at = after
                continue
            gt = text.find(">", after)
            if gt < 0:
                return False
            n += 1
            sub = child.layout.template[:]
            sub_key = f"{key}{infix}[{n}]"
            sub[child.layout.key] = sub_key
            sub[child.layout.parent_key] = parent_key
            if text[gt - 1] == "/":
                end = gt + 1
            else:
                close = text.find(close_tag, gt)
                if close < 0:
                    return False
                if not _fill(child, text[gt + 1:close], sub, sub_key, sub_key, subrows):
                    return False
                end = close + len(close_tag)
            subrows[child.layout.index - 1].append(sub)
            pieces.append(text[at:start])
            at = end
        if n:
            pieces.append(text[at:])
            text = "".join(pieces)
    matches = _LEAF.findall(text)
    leaves, others, groups = table.leaves, table.others, table.groups
    empty_groups = 0
    for name, value in matches:
        slot = leaves.get(name)
        if slot is not None:
            if "&" in value:
                value = html.unescape(value)
            row[slot] = value
            continue
        node = others.get(name)
        if node is None:
            if name in groups:
                empty_groups += 1      # <group></group>: its two tags counted as a leaf's
            continue
        if "&" in value:
            value = html.unescape(value)
        if node[0] == GEO:
            parts = value.split()
            if value[:1].isspace():
                parts.insert(0, "")
            for i, part in enumerate(parts[:4]):
                row[node[1] + i] = part
        else:
            row[node[1]] = value
            for choice in value.split():
                slot = node[2].get(choice)
                if slot is not None:
                    row[slot] = 1
    empties = _EMPTY.findall(text)
    if groups:
        empty_groups += sum(1 for name in empties if name in groups)
    expected = 2 * len(matches) + len(empties) + 2 * (table.group_count - empty_groups)
    return text.count("<") == expected


def _cuttable(fields):
    """For a root-only read: the names (as bytes) of top-level repeats whose elements can be
    cut out of the XML text before parsing, because no other field of the form, at any depth,
    has that name (so `<name` … `</name>` can only be an instance of that repeat)."""
    names = {}
    for f in fields:
        names.setdefault(f.name, []).append(f)
    return tuple(f.name.encode() for f in fields
                 if f.type == "repeat" and len(names[f.name]) == 1)


_AFTER_NAME = frozenset(b"> /\t\r\n")


def _without(xml, names):
    """The XML with every element named in `names` removed, found by plain byte search: a
    root-only export then parses a household visit's 1-2 kB instead of its 4-10 kB. Only
    called when the text has no comment or CDATA section (`<!`), where a tag-like string
    could hide; anything unexpected (an unclosed element) leaves the XML as it was, and the
    parse that follows is the judge either way."""
    for name in names:
        open_tag, close_tag = b"<" + name, b"</" + name + b">"
        pieces, at = [], 0
        while True:
            start = xml.find(open_tag, at)
            if start < 0:
                break
            after = start + len(open_tag)
            if after >= len(xml) or xml[after] not in _AFTER_NAME:
                pieces.append(xml[at:after])        # a longer name that starts alike
                at = after
                continue
            gt = xml.find(b">", after)
            if gt < 0:
                return xml
            if xml[gt - 1] == 0x2F:                 # <name/>
                end = gt + 1
            else:
                close = xml.find(close_tag, gt)
                if close < 0:
                    return xml
                end = close + len(close_tag)
            pieces.append(xml[at:start])
            at = end
        if pieces:
            pieces.append(xml[at:])
            xml = b"".join(pieces)
    return xml


class _Level:
    """What the children of one element are: see Layout._tag_map."""
    __slots__ = ("leaves", "others")

    def __init__(self):
        self.leaves = {}
        self.others = {}


_SKIP = (SKIP, None, None, None)


def _local(tag):
    return tag.rpartition("}")[2] if tag[0] == "{" else tag


def _resolve(level, tag):
    """The node of a tag not found as it is: comments and processing instructions are
    skipped; a namespaced tag is looked up by its local name; either way the answer is
    remembered under the tag, so each distinct tag is resolved once per export."""
    if not isinstance(tag, str):
        return _SKIP
    local = _local(tag)
    slot = level.leaves.get(local)
    if slot is not None and local != tag:
        level.leaves[tag] = slot
        return None
    node = level.others.get(local, _SKIP) if local != tag else _SKIP
    level.others[tag] = node
    return node


def _walk(element, level, row, counts, key_prefix, parent_key, subrows):
    """Fill `row` from element's children. key_prefix: the key path so far (instanceID, then
    structures and repeats); parent_key: the KEY of the nearest enclosing repeat row (or the
    instanceID); counts: {repeat name: n} for repeats within the current repeat instance."""
    leaves, others = level.leaves, level.others
    for child in element:
        tag = child.tag
        slot = leaves.get(tag)
        if slot is not None:
            text = child.text
            if text is not None:
                row[slot] = text
            continue
        node = others.get(tag)
        if node is None:
            node = _resolve(level, tag)
            if node is None:               # a namespaced leaf, now known by its tag
                text = child.text
                if text is not None:
                    row[leaves[tag]] = text
                continue
        kind = node[0]
        if kind == GROUP:
            _walk(child, node[3], row, counts, f"{key_prefix}/{node[2]}", parent_key, subrows)
        elif kind == REPEAT:
            layout, name = node[2]
            n = counts.get(name, 0) + 1
            counts[name] = n
            key = f"{key_prefix}/{name}[{n}]"
            sub = layout.template[:]
            sub[layout.key] = key
            sub[layout.parent_key] = parent_key
            # Central writes a repeat row when its element closes: nested rows come first
            _walk(child, node[3], sub, {}, key, key, subrows)
            subrows[layout.index - 1].append(sub)
        elif kind == GEO:
            text = child.text
            if text is not None:
                parts = text.split()
                if text[:1].isspace():
                    parts.insert(0, "")        # JS split(/\s+/) keeps a leading empty part
                slot = node[1]
                for i, part in enumerate(parts[:4]):
                    row[slot + i] = part
        elif kind == MULTI:
            text = child.text
            if text is not None:
                row[node[1]] = text
                values = node[2]
                for value in text.split():
                    slot = values.get(value)
                    if slot is not None:
                        row[slot] = 1
