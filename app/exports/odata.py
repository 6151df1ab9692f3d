"""ODK Central's OData documents, made without Flask: the service documents, the EDMX
$metadata, and the JSON rows of the Submissions table, its repeat tables and a list's
Entities, shaped as central-backend makes them (lib/formats/odata.js, lib/data/odata.js,
lib/data/entity.js), so Excel, Power BI, pyodk and ruODK read them unchanged.

What it owns:
- `form_fields(...)`: a form version's fields (path, name, type, kind) in Central's order, from
  the export core (app/exports/fields.py, shared with the CSV export);
- `tables(fields)`, `service_document`, `edmx`, and the entity list's counterparts;
- `Shaper`: one submission's XML → the rows of one table (groups as nested objects; a repeat
  as `<name>@odata.navigationLink`, or nested rows under `$expand=*`; repeat rows keyed by
  Central's sha1 `__id` and their parent's `__<Submissions-…>-id`);
- `entity_row`, `select_*` ($select), and `feed()`: a JSON feed written in chunks from a
  row iterator, so a page of any size is never one big string.
"""
import hashlib
import json
import re
from dataclasses import dataclass
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from app.db.columns import isoformat
from app.exports.instances import replace_elements, searchable
from app.problems import Problem

FQDN_ROOT = "org.opendatakit.user"
TYPES = {"int": "Edm.Int64", "decimal": "Edm.Decimal", "boolean": "Edm.Boolean",
         "geopoint": "Edm.GeographyPoint", "geotrace": "Edm.GeographyLineString",
         "geoshape": "Edm.GeographyPolygon", "date": "Edm.Date",
         "dateTime": "Edm.DateTimeOffset"}
SYSTEM_FIELDS = ("submissionDate", "updatedAt", "submitterId", "submitterName",
                 "attachmentsPresent", "attachmentsExpected", "status", "reviewState",
                 "deviceId", "edits", "formVersion", "deletedAt")
ENTITY_SYSTEM_FIELDS = ("createdAt", "creatorId", "creatorName", "updates", "updatedAt",
                        "deletedAt", "version", "conflict")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def identifier(name):
    """Central's sanitizeOdataIdentifier: a leading non-letter gets a _, runs of other
    characters become one _."""
    return re.sub(r"[^a-z0-9_]+", "_", re.sub(r"^([^a-z_])", r"_\1", name, flags=re.I),
                  flags=re.I)


# Fields ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FormField:
    path: str           # /group/question: from the instance root, root name left out
    name: str
    type: str           # the bind type (int, decimal, dateTime, select1, binary, …)
    kind: str           # leaf, structure or repeat

    @property
    def structural(self):
        return self.kind != "leaf"


def form_fields(export_fields):
    """The OData view of a version's fields (app.exports.fields.version_fields: Central's
    getFormFields order and types, shared with the CSV export)."""
    return [FormField(f.rel, f.name, f.type,
                      f.type if f.type in ("structure", "repeat") else "leaf")
            for f in export_fields]


def _table_name(path):
    return ".".join(identifier(p) for p in path[1:].split("/"))


def tables(fields):
    """{"Submissions": None, "Submissions.<repeat path>": the repeat's field, …}."""
    found = {"Submissions": None}
    for field in fields:
        if field.kind == "repeat":
            found[f"Submissions.{_table_name(field.path)}"] = field
    return found


def service_document(fields, metadata_url):
    return {"@odata.context": metadata_url,
            "value": [{"name": name, "kind": "EntitySet", "url": name} for name in tables(fields)]}


def entity_service_document(metadata_url):
    return {"@odata.context": metadata_url,
            "value": [{"name": "Entities", "kind": "EntitySet", "url": "Entities"}]}


# $metadata ------------------------------------------------------------------------------------

_SUBMISSION_METADATA = """<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" \
Namespace="org.opendatakit.submission">
<ComplexType Name="metadata">
<Property Name="submissionDate" Type="Edm.DateTimeOffset"/>
<Property Name="updatedAt" Type="Edm.DateTimeOffset"/>
<Property Name="deletedAt" Type="Edm.DateTimeOffset"/>
<Property Name="submitterId" Type="Edm.String"/>
<Property Name="submitterName" Type="Edm.String"/>
<Property Name="attachmentsPresent" Type="Edm.Int64"/>
<Property Name="attachmentsExpected" Type="Edm.Int64"/>
<Property Name="status" Type="org.opendatakit.submission.Status"/>
<Property Name="reviewState" Type="org.opendatakit.submission.ReviewState"/>
<Property Name="deviceId" Type="Edm.String"/>
<Property Name="edits" Type="Edm.Int64"/>
<Property Name="formVersion" Type="Edm.String"/>
</ComplexType>
<EnumType Name="Status">
<Member Name="notDecrypted"/>
<Member Name="missingEncryptedFormData"/>
</EnumType>
<EnumType Name="ReviewState">
<Member Name="hasIssues"/>
<Member Name="edited"/>
<Member Name="rejected"/>
<Member Name="approved"/>
</EnumType>
</Schema>"""

_CAPABILITIES = """<Annotation Term="Org.OData.Capabilities.V1.ConformanceLevel" \
EnumMember="Org.OData.Capabilities.V1.ConformanceLevelType/Minimal"/>
<Annotation Term="Org.OData.Capabilities.V1.BatchSupported" Bool="false"/>
<Annotation Term="Org.OData.Capabilities.V1.CountRestrictions">
<Record><PropertyValue Property="Countable" Bool="true"/></Record>
</Annotation>
<Annotation Term="Org.OData.Capabilities.V1.FilterFunctions">
<Record>
<PropertyValue Property="NonCountableProperties">
<Collection>
<String>eq</String>
</Collection>
</PropertyValue>
</Record>
</Annotation>
<Annotation Term="Org.OData.Capabilities.V1.FilterFunctions">
<Record>
<PropertyValue Property="Filterable" Bool="true"/>
<PropertyValue Property="RequiresFilter" Bool="false"/>
<PropertyValue Property="NonFilterableProperties">
<Collection>
{paths}</Collection>
</PropertyValue>
</Record>
</Annotation>
<Annotation Term="Org.OData.Capabilities.V1.SortRestrictions">
<Record><PropertyValue Property="Sortable" Bool="false"/></Record>
</Annotation>
<Annotation Term="Org.OData.Capabilities.V1.ExpandRestrictions">
<Record><PropertyValue Property="Expandable" Bool="false"/></Record>
</Annotation>
"""

_EDMX_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
              '<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">\n'
              "<edmx:DataServices>\n")
_EDMX_TAIL = "</edmx:DataServices>\n</edmx:Edmx>"


def _property(prop):
    tag = "NavigationProperty" if prop.get("navigation") else "Property"
    return f'<{tag} Name={quoteattr(prop["name"])} Type={quoteattr(prop["type"])}/>\n'


def edmx(xml_form_id, fields):
    """The EDMX metadata document for a form's tables, as Central's edmxFor() writes it."""
    base = f"{FQDN_ROOT}.{identifier(xml_form_id)}"
    submissions = {"name": "Submissions", "primary": True, "properties": [], "path": None}
    entity_types, complex_types, stack = [submissions], [], [submissions]
    for field in fields:
        while stack[-1]["path"] is not None and not field.path.startswith(stack[-1]["path"] + "/"):
            stack.pop()
        out = stack[-1]
        name = identifier(field.name)
        if field.kind == "structure":
            type_name = _table_name(field.path)
            bag = {"name": type_name, "path": field.path, "properties": []}
            complex_types.append(bag)
            stack.append(bag)
            out["properties"].append({"name": name, "type": f"{base}.{type_name}"})
        elif field.kind == "repeat":
            type_name = _table_name(field.path)
            context = next((o for o in reversed(stack) if o.get("repeat")), None)
            id_parts = ["Submissions"] + (
                [identifier(p) for p in context["path"][1:].split("/")] if context else [])
            bag = {"name": f"Submissions.{type_name}", "path": field.path, "repeat": True,
                   "properties": [{"name": f"__{'-'.join(id_parts)}-id", "type": "Edm.String"}]}
            entity_types.append(bag)
            stack.append(bag)
            out["properties"].append({"name": name, "navigation": True,
                                      "type": f"Collection({base}.Submissions.{type_name})"})
        else:
            out["properties"].append({"name": name, "type": TYPES.get(field.type, "Edm.String")})
    parts = [_EDMX_HEAD, _SUBMISSION_METADATA, "\n",
             f'<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace={quoteattr(base)}>\n']
    for entity in entity_types:
        parts.append(f'<EntityType Name={quoteattr(entity["name"])}>\n'
                     '<Key><PropertyRef Name="__id"/></Key>\n<Property Name="__id" Type="Edm.String"/>\n')
        if entity.get("primary"):
            parts.append('<Property Name="__system" Type="org.opendatakit.submission.metadata"/>\n')
        parts.extend(_property(p) for p in entity["properties"])
        parts.append("</EntityType>\n")
    for complex_type in complex_types:
        parts.append(f'<ComplexType Name={quoteattr(complex_type["name"])}>\n')
        parts.extend(_property(p) for p in complex_type["properties"])
        parts.append("</ComplexType>\n")
    parts.append(f"<EntityContainer Name={quoteattr(xml_form_id)}>\n")
    for entity in entity_types:
        parts.append(f'<EntitySet Name={quoteattr(entity["name"])} '
                     f'EntityType={quoteattr(base + "." + entity["name"])}>\n')
        if entity.get("primary"):
            paths = "".join(f"<PropertyPath>{escape(p['name'])}</PropertyPath>\n"
                            for p in entity["properties"])
            parts.append(_CAPABILITIES.format(paths=paths))
        parts.append("</EntitySet>\n")
    parts.append("</EntityContainer>\n</Schema>\n")
    parts.append(_EDMX_TAIL)
    return "".join(parts)


_ENTITY_METADATA = """<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" \
Namespace="org.opendatakit.entity">
<ComplexType Name="metadata">
<Property Name="createdAt" Type="Edm.DateTimeOffset"/>
<Property Name="creatorId" Type="Edm.String"/>
<Property Name="creatorName" Type="Edm.String"/>
<Property Name="updates" Type="Edm.Int64"/>
<Property Name="updatedAt" Type="Edm.DateTimeOffset"/>
<Property Name="deletedAt" Type="Edm.DateTimeOffset"/>
<Property Name="version" Type="Edm.Int64"/>
<Property Name="conflict" Type="Edm.String"/>
</ComplexType>
</Schema>
"""


def entity_edmx(dataset_name, property_names):
    """The EDMX metadata document of an entity list, as Central's edmxForEntities()."""
    base = f"{FQDN_ROOT}.{identifier(dataset_name)}"
    names = [identifier(p) for p in property_names]
    props = "".join(f'<Property Name={quoteattr(n)} Type="Edm.String"/>\n' for n in names)
    paths = "".join(f"<PropertyPath>{escape(n)}</PropertyPath>\n" for n in names)
    search = ('<Annotation Term="Org.OData.Capabilities.V1.SearchRestrictions">\n<Record>\n'
              '<PropertyValue Property="Searchable" Bool="false"/>\n</Record>\n</Annotation>\n')
    return "".join([
        _EDMX_HEAD, _ENTITY_METADATA,
        f'<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace={quoteattr(base)}>\n',
        '<EntityType Name="Entities">\n<Key><PropertyRef Name="__id"/></Key>\n'
        '<Property Name="__id" Type="Edm.String"/>\n'
        '<Property Name="__system" Type="org.opendatakit.entity.metadata"/>\n'
        '<Property Name="label" Type="Edm.String"/>\n', props, "</EntityType>\n",
        f"<EntityContainer Name={quoteattr(dataset_name)}>\n",
        f'<EntitySet Name="Entities" EntityType={quoteattr(base + ".Entities")}>\n',
        _CAPABILITIES.format(paths=paths), search, "</EntitySet>\n</EntityContainer>\n</Schema>\n",
        _EDMX_TAIL])


# $select ---------------------------------------------------------------------------------------

def select_option(text):
    """The `__`-named properties a $select names ({name: True}), or None when it names
    none of them or is absent or *: Central's extractOptions().metadata."""
    if text is None or text.strip() == "*":
        return None
    return {p.strip(): True for p in text.split(",") if p.strip().startswith("__")}


def select_fields(fields, text, table):
    """The fields a $select keeps for `table` (Central's filterFields): each named field,
    its groups, a group's whole content; 400.196 for a name the table does not have; 501.191
    for a field inside a repeat named from an outer table."""
    if text is None or text.strip() == "*":
        return fields
    by_path = {"/".join(identifier(p) for p in f.path[1:].split("/")): f for f in fields}
    keep, prefix = set(), ""
    id_keys = {"__id"}
    parent_key = "__Submissions"
    segments = table.split(".")[1:]
    for i, segment in enumerate(segments):
        prefix = f"{prefix}/{segment}" if prefix else segment
        field = by_path.get(prefix)
        if field is None:
            raise Problem("404.1")
        keep.add(field)
        if field.kind == "repeat" and i < len(segments) - 1:
            parent_key = "__Submissions-" + prefix.replace("/", "-")
    id_keys.add(parent_key + "-id")
    system = {"__system"} | {f"__system/{n}" for n in SYSTEM_FIELDS}
    for prop in (p.strip() for p in text.split(",")):
        if prop in id_keys or (table == "Submissions" and prop in system):
            continue
        key = f"{prefix}/{prop}" if prefix else prop
        field = by_path.get(key)
        if field is None:
            raise Problem("400.196", {"field": prop, "table": table})
        keep.add(field)
        parent = key.rsplit("/", 1)[0] if "/" in key else None
        while parent is not None and by_path[parent] not in keep:
            if by_path[parent].kind == "repeat":
                raise Problem("501.191", {"feature": f"$select of {prop} inside a repeat "
                                          "(read its own table)", "supported": "$select of "
                                          "fields and groups of the table read"})
            keep.add(by_path[parent])
            parent = parent.rsplit("/", 1)[0] if "/" in parent else None
        if field.kind == "structure":
            keep.update(f for f in fields if f.path.startswith(field.path + "/")
                        and not _inside_repeat_below(f, field, fields))
    return [f for f in fields if f in keep]


def _inside_repeat_below(f, group, fields):
    """Whether f lies inside a repeat nested in `group` (a group's content stops there)."""
    return any(r.kind == "repeat" and r.path.startswith(group.path + "/")
               and f.path.startswith(r.path + "/") for r in fields)


# Rows ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SubmissionFacts:
    """What a root row's __system says, read from the database by the caller."""
    instance_id: str
    created_at: object
    updated_at: object
    deleted_at: object
    submitter_id: object
    submitter_name: object
    attachments_present: int
    attachments_expected: int
    review_state: object
    device_id: object
    edits: int
    form_version: str
    encrypted: bool = False
    has_data: bool = True


class Shaper:
    """Turns a submission's XML into the rows of one table, as Central's submissionToOData."""

    def __init__(self, fields, table, expand=False, wkt=False, metadata=None):
        self.table = table
        self.expand = expand
        self.wkt = wkt
        self.metadata = metadata          # select_option(): None = everything
        self.by_path = {f.path: f for f in fields}
        self.children = {}
        for f in fields:
            self.children.setdefault(f.path.rsplit("/", 1)[0], []).append(f)
        self.names = {f.path: identifier(f.name) for f in fields}
        # Central's getBranchState depends only on the head of the field stack (the stack
        # is its ancestors), so it is worked out once per field rather than per element
        self.states = {f.path: self._state_of("Submissions." + _table_name(f.path))
                       for f in fields}
        self._quoted = ""
        # the Submissions table without $expand reads nothing inside a repeat but that it is
        # there: each instance of a repeat whose name no other field has is emptied in the
        # text before parsing (a household visit's members are most of its XML)
        if table == "Submissions" and not expand:
            counts = {}
            for f in fields:
                counts[f.name] = counts.get(f.name, 0) + 1
            self._hollow = tuple(f.name.encode() for f in fields
                                 if f.kind == "repeat" and counts[f.name] == 1)
        else:
            self._hollow = ()
        # {parent path: {element name: (field, output name, branch state)}}: one lookup per
        # element of the submission, where most of the time goes
        self.steps = {}
        for f in fields:
            parent = f.path.rsplit("/", 1)[0]
            self.steps.setdefault(parent, {})[f.name] = (f, self.names[f.path],
                                                        self.states[f.path])

    def frame(self, path):
        """Central's generateDataFrame: nulls for the leaves, nested frames for the groups
        (gh#206: a missing value is a null, not an absent key)."""
        out = {}
        for child in self.children.get(path, ()):
            if child.kind == "leaf":
                out[self.names[child.path]] = None
            elif child.kind == "structure":
                out[self.names[child.path]] = self.frame(child.path)
        return out

    def system(self, facts):
        status = ("notDecrypted" if facts.has_data else "missingEncryptedFormData") \
            if facts.encrypted else None
        return {"submissionDate": isoformat(facts.created_at),
                "updatedAt": isoformat(facts.updated_at),
                "submitterId": None if facts.submitter_id is None else str(facts.submitter_id),
                "submitterName": facts.submitter_name,
                "attachmentsPresent": facts.attachments_present or 0,
                "attachmentsExpected": facts.attachments_expected or 0,
                "status": status, "reviewState": facts.review_state,
                "deviceId": facts.device_id or None, "edits": facts.edits,
                "formVersion": facts.form_version, "deletedAt": isoformat(facts.deleted_at)}

    def rows(self, facts, xml):
        """The rows of this shaper's table that one submission holds."""
        result = []
        root = {} if facts.encrypted else self.frame("")
        root["__id"] = facts.instance_id
        if self.table == "Submissions":
            system = self.system(facts)
            metadata = self.metadata
            if metadata is None or "__system" in metadata:
                root["__system"] = system
            elif any(p.startswith("__system/") for p in metadata):
                root["__system"] = {k: v for k, v in system.items()
                                    if metadata.get(f"__system/{k}")}
            result.append(root)
        if facts.encrypted or not xml:
            return result
        data = xml.encode("utf-8") if isinstance(xml, str) else xml
        if self._hollow and searchable(data):     # no comment, CDATA or PI to hide a tag in
            data = _hollowed(data, self._hollow)
        element = etree.fromstring(data, _PARSER)
        self._quoted = quote(facts.instance_id, safe=_URI_SAFE)
        self.walk(element, "", [], {}, root, facts.instance_id, result)
        if self.metadata is not None:
            # under $select the keys Central adds itself stay only when named
            for row in result:
                for key in [k for k in row if k.startswith("__") and k != "__system"
                            and not self.metadata.get(k)]:
                    del row[key]
        return result

    def _state_of(self, implied):
        """Central's getBranchState: out of (-1), at (0) or inside (1) the target table."""
        if implied == self.table:
            return 0
        if implied.startswith(self.table + "."):
            return 1
        return -1

    def walk(self, element, path, stack, counter, data, instance_id, result):
        steps = self.steps.get(path)
        if not steps:
            return
        for child in element:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            step = steps.get(tag[tag.rfind("}") + 1:])
            if step is None:
                continue
            field, out, state = step
            kind = field.kind
            if kind == "leaf":
                if data is not None and state == 1:
                    text = child.text
                    if len(child) or (text and field.type != "string"):
                        data[out] = self.value(field, child)
                    else:       # the common case: a string answer, or none
                        data[out] = text or None
            elif kind == "structure":
                inner = data.get(out) if data is not None else None
                if data is not None and inner is None:
                    inner = data[out] = self.frame(field.path)
                self.walk(child, field.path, stack + [(field, None)], counter, inner,
                          instance_id, result)
            else:
                index = counter.get(field.path, -1) + 1
                counter[field.path] = index
                if data is None:
                    continue
                inner_stack = stack + [(field, index)]
                data[f"{out}@odata.navigationLink"] = _navigation(inner_stack, instance_id,
                                                                  self.names, self._quoted)
                if state < 1 or self.expand:
                    bag = self.frame(field.path)
                    bag["__id"] = _hash_id(inner_stack, instance_id)
                    data.setdefault(out, []).append(bag)
                    if state == 0:
                        parent = _parent_stack(inner_stack)
                        key = "-".join(["Submissions"] + [self.names[f.path] for f, _ in parent])
                        bag[f"__{key}-id"] = _hash_id(parent, instance_id)
                        result.append(bag)
                    self.walk(child, field.path, inner_stack, {}, bag, instance_id, result)

    def value(self, field, element):
        text = element.text
        if len(element):        # mixed content: Central concatenates the text events
            text = "".join(element.itertext())
        if text is None or text == "":
            return None
        kind = field.type
        if kind == "int":
            match = re.match(r"\s*[+-]?\d+", text)
            return int(match.group()) if match else None
        if kind == "decimal":
            match = re.match(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text)
            return float(match.group()) if match else None
        if kind == "geopoint":
            return _geopoint(text, self.wkt)
        if kind in ("geotrace", "geoshape"):
            return _geoshape(kind, text, self.wkt)
        if kind == "dateTime":
            trimmed = text.strip()
            return f"{trimmed}:00" if re.search(r"[+-]\d\d$", trimmed) else trimmed
        return text


def _hollowed(xml, names):
    """The XML with each element named in `names` made empty (`<name/>`): the CSV export's
    byte search (app.exports.instances.replace_elements), emptying instead of cutting."""
    return replace_elements(xml, names, empty=True)


def _parent_stack(stack):
    """Central's repeatContextSlicer: the stack up to the last repeat before the head."""
    for i in range(len(stack) - 2, -1, -1):
        if stack[i][0].kind == "repeat":
            return stack[:i + 1]
    return []


def _hash_id(stack, instance_id):
    if not stack:
        return instance_id
    parts = [f"Submissions#{instance_id}"]
    for field, index in stack:
        parts.append(f"{field.name}#" if field.kind == "structure" else f"{field.name}#{index}")
    return hashlib.sha1("%%".join(parts).encode("utf-8")).hexdigest()  # noqa: S324 - Central's id


def _navigation(stack, instance_id, names, quoted):
    out = [f"Submissions('{quoted}')"]
    for i, (field, _index) in enumerate(stack):
        if field.kind == "repeat" and i < len(stack) - 1:
            out.append(f"{names[field.path]}('{_hash_id(stack[:i + 1], instance_id)}')")
        else:
            out.append(names[field.path])
    return "/".join(out)


_URI_SAFE = "-_.!~*'()"       # what JavaScript's encodeURIComponent leaves alone


def _floats(text):
    out = []
    for part in text.split():
        try:
            out.append(float(part))
        except ValueError:
            out.append(None)
    return out


def _number(x):
    return int(x) if x is not None and x == int(x) and abs(x) < 2 ** 53 else x


def _geopoint(text, wkt):
    values = _floats(text) + [None] * 4
    lat, lon, altitude, accuracy = values[:4]
    if lat is None or lon is None:
        return None
    coordinates = [_number(lon), _number(lat)]
    if altitude is not None:
        coordinates.append(_number(altitude))
    if wkt:
        return f"POINT ({' '.join(_js(c) for c in coordinates)})"
    point = {"type": "Point", "coordinates": coordinates}
    if accuracy is not None:
        point["properties"] = {"accuracy": _number(accuracy)}
    return point


def _geoshape(kind, text, wkt):
    strings = re.split(r"; ?", text)
    coordinates, accuracies = [], []
    for s in strings:
        values = _floats(s) + [None] * 4
        lat, lon, altitude, accuracy = values[:4]
        if lat is None or lon is None:
            if len(strings) == 1:
                return None
            continue
        point = [_number(lon), _number(lat)] + ([_number(altitude)] if altitude is not None else [])
        coordinates.append(point)
        accuracies.append(_number(accuracy) if accuracy else None)
    if wkt:
        points = ",".join(" ".join(_js(c) for c in p) for p in coordinates)
        return f"LINESTRING ({points})" if kind == "geotrace" else f"POLYGON (({points}))"
    shape = ({"type": "LineString", "coordinates": coordinates} if kind == "geotrace"
             else {"type": "Polygon", "coordinates": [coordinates]})
    if any(a is not None for a in accuracies):
        shape["properties"] = {"accuracies": accuracies}
    return shape


def _js(number):
    """A number as JavaScript prints it (1.0 → 1)."""
    return str(_number(number))


# Entities --------------------------------------------------------------------------------------

def entity_row(entity, creator_id, creator_name, updates, property_names, selected=None):
    """One entity as Central's Entities feed has it: __id, label, __system, then every
    property as a string ('' when it has none)."""
    row = {"__id": entity.uuid, "label": entity.label}
    if selected is not None and "__id" not in selected:
        del row["__id"]
    if selected is not None and "label" not in selected:
        del row["label"]
    system = {"createdAt": isoformat(entity.created_at),
              "creatorId": None if creator_id is None else str(creator_id),
              "creatorName": creator_name, "updates": updates,
              "updatedAt": isoformat(entity.updated_at),
              "deletedAt": isoformat(entity.deleted_at), "version": entity.version,
              "conflict": entity.conflict}
    if selected is None or "__system" in selected:
        row["__system"] = system
    else:
        chosen = {k: v for k, v in system.items() if f"__system/{k}" in selected}
        if chosen:
            row["__system"] = chosen
    data = entity.data or {}
    for name in property_names:
        if selected is None or name in selected:
            value = data.get(name)
            row[identifier(name)] = "" if value is None else value
    return row


def entity_selection(text, property_names):
    """The set a $select names for Entities (None: everything); 400.196 for an unknown one."""
    if text is None or text.strip() == "*":
        return None
    chosen = {p.strip() for p in text.split(",")}
    known = {"__id", "label", "__system"} | {f"__system/{n}" for n in ENTITY_SYSTEM_FIELDS} \
        | set(property_names)
    for name in chosen:
        if name not in known:
            raise Problem("400.196", {"field": name, "table": "Entities"})
    return chosen


# Feeds -----------------------------------------------------------------------------------------

def feed(rows, context, next_link=None, count=None, chunk_bytes=64 * 1024, pause=None):
    """The feed's JSON as UTF-8 bytes in chunks of about `chunk_bytes`: rows are written as they come
    from the iterator (so memory holds one chunk, not the page), then the footer, whose
    next_link and count are callables asked once the rows are written (a page's next link
    depends on its last row). `pause()` runs between chunks (a gevent yield)."""
    buffer, size, first = ['{"value":['], 11, True
    for row in rows:
        text = json.dumps(row, ensure_ascii=False, separators=(",", ":"))
        if not first:
            buffer.append(",")
        first = False
        buffer.append(text)
        size += len(text) + 1
        if size >= chunk_bytes:
            yield "".join(buffer).encode("utf-8")
            buffer, size = [], 0
            if pause is not None:
                pause()
    footer = {"@odata.context": context}
    link = next_link() if callable(next_link) else next_link
    if link:
        footer["@odata.nextLink"] = link
    total = count() if callable(count) else count
    if total is not None:
        footer["@odata.count"] = total
    buffer.append("],")
    buffer.append(json.dumps(footer, ensure_ascii=False, separators=(",", ":"))[1:])
    yield "".join(buffer).encode("utf-8")


def skiptoken(data):
    """Central's $skiptoken: "01" and base64 of the JSON cursor."""
    import base64                  # noqa: PLC0415
    return "01" + base64.b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()


def parse_skiptoken(token, key):
    import base64                  # noqa: PLC0415
    import binascii                # noqa: PLC0415
    if not token.startswith("01"):
        raise Problem("400.197")
    try:
        value = json.loads(base64.b64decode(token[2:], validate=True).decode("utf-8"))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Problem("400.197") from None
    if not isinstance(value, dict) or not isinstance(value.get(key), str):
        raise Problem("400.197")
    return value[key]
