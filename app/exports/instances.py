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

    def read(self, xml, instance_id):
        """(root row, [rows of each repeat table, by TableLayout.index - 1]). The root row's
        SubmissionDate and metadata slots are left for the caller (central_csv)."""
        if isinstance(xml, str):
            xml = xml.encode("utf-8")
        if self._cut and searchable(xml):
            xml = _without(xml, self._cut)
        row = self.root.template[:]
        subrows = [[] for _ in range(len(self.tables) - 1)]
        try:
            element = etree.fromstring(xml, _PARSER)
        except etree.XMLSyntaxError:
            return row, subrows        # stored XML always parses; never stop an export for one
        _walk(element, self._root_map, row, {}, instance_id, instance_id, subrows)
        return row, subrows


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


def searchable(xml):
    """Can a tag be found in this XML text by byte search? Not where a comment or CDATA
    section (`<!`) or a processing instruction (`<?`, after the XML declaration) could hold
    a tag-like string: a phone's `<?x <member>?>` made the search cut the text from there to
    the real `</member>`, blanking its row in the CSV and making the OData feed a 500."""
    return b"<!" not in xml and xml.find(b"<?", 1) < 0


def _without(xml, names):
    """The XML with every element named in `names` removed, found by plain byte search: a
    root-only export then parses only the small part of a household visit it needs. Only
    called when the text is searchable(); anything unexpected (an unclosed element) leaves
    the XML as it was, and the parse that follows is the judge either way."""
    return replace_elements(xml, names, empty=False)


def replace_elements(xml, names, empty):
    """The XML with each element named in `names` (bytes: names no other field has, so
    `<name` can only open one of them) cut out, or made empty (`<name/>`) when `empty`, by
    plain byte search (the OData feed empties repeats the same way, app.exports.odata);
    anything unexpected (an unclosed element) gives the XML back as it was."""
    for name in names:
        open_tag, close_tag = b"<" + name, b"</" + name + b">"
        replacement = b"<" + name + b"/>" if empty else b""
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
            pieces.append(replacement)
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
