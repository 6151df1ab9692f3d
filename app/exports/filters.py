"""OData `$filter` and `$orderby` for exports and feeds: the subset ODK Central serves
(central-backend lib/data/odata-filter.js), parsed here by a small recursive-descent parser
and turned into SQLAlchemy conditions over the columns a caller names. No Flask.

The language:
- comparisons `eq ne lt le gt ge` between a field (or a function of one) and a literal, or two
  fields; `and`, `or`, `not`, parentheses; precedence not > comparison > and > or;
- functions `year() month() day() hour() minute() second()` of a timestamp field, and `now()`;
- literals: `null`, `true`, `false`, numbers, 'strings' ('' is a quote), dates `2024-01-31`,
  timestamps `2024-01-31T08:00:00.000Z` or with an offset `…+08:00`;
- fields: the keys of the `columns` mapping the caller gives (SUBMISSION_FIELDS through
  `submission_columns()`, ENTITY_FIELDS through `entity_columns()`), `$root/Submissions/…`
  aliases included for repeat tables, as Central takes them.

As in Central, `eq` with a value is `IS NOT DISTINCT FROM` (so `ne 'approved'` keeps the
received ones whose review state is null) and `eq null` is `IS NULL`; a timestamp literal is
compared in UTC (the database keeps naive UTC). Unlike Central, whose parser errors end up as
500s or database errors, every malformed or unsupported filter is a 400.19x naming where it
failed, and a filter is bounded (MAX_LENGTH characters, MAX_DEPTH nesting, MAX_NODES terms).

API (stable; the CSV export uses it too):
    parse(text) -> Filter | None              parse once (None for no filter)
    Filter.condition(columns) -> SQL          the WHERE condition
    Filter.mentions(field) -> bool            does it name a field (e.g. __system/deletedAt)
    where(text, columns) -> SQL               the condition plus Central's "not deleted unless
                                              the filter names __system/deletedAt"
    order_by(text, columns, stable) -> [SQL]  $orderby ("f [asc|desc], …") then a stable key
"""
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timezone

from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric, and_, extract, false, \
    literal, not_, or_, select, true

from app.db.columns import utcnow
from app.problems import Problem

MAX_LENGTH = 2000
MAX_DEPTH = 32
MAX_NODES = 256

SUBMISSION_FIELDS = ("__id", "__system/submissionDate", "__system/updatedAt",
                     "__system/submitterId", "__system/reviewState", "__system/deletedAt")
ENTITY_FIELDS = ("__id", "__system/createdAt", "__system/updatedAt", "__system/deletedAt",
                 "__system/creatorId", "__system/conflict", "__system/version")
DELETED_AT = "__system/deletedAt"
ROOT = "$root/Submissions/"

FUNCTIONS = ("year", "month", "day", "hour", "minute", "second")
COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")


# Tokens ---------------------------------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<open>\()
  | (?P<close>\))
  | (?P<comma>,)
  | (?P<string>'(?:[^']|'')*')
  | (?P<timestamp>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<name>\$?[A-Za-z_][A-Za-z0-9_]*(?:/\$?[A-Za-z_][A-Za-z0-9_.-]*)*)
""", re.VERBOSE)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    at: int


def _tokens(text):
    out, at = [], 0
    while at < len(text):
        m = _TOKEN.match(text, at)
        if m is None:
            if text[at] == "'":
                _fail("400.191", text, at, "a string is not closed with '")
            _fail("400.191", text, at, f"unexpected character {text[at]!r}")
        if m.lastgroup != "space":
            out.append(Token(m.lastgroup, m.group(), at))
        at = m.end()
    return out


# Syntax tree ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    name: str
    at: int


@dataclass(frozen=True)
class Literal:
    value: object       # None, bool, int, float, str, date, datetime (naive UTC)
    kind: str           # null, boolean, number, string, date, timestamp
    at: int


@dataclass(frozen=True)
class Call:
    name: str
    argument: object    # a Field, or None for now()
    at: int


@dataclass(frozen=True)
class Compare:
    op: str
    left: object
    right: object
    at: int


@dataclass(frozen=True)
class Logical:
    op: str             # and, or
    left: object
    right: object


@dataclass(frozen=True)
class Not:
    operand: object


class _Parser:
    def __init__(self, text):
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0
        self.nodes = 0

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self):
        token = self.peek()
        self.i += 1
        return token

    def word(self, *words):
        token = self.peek()
        if token is not None and token.kind == "name" and token.text in words:
            self.i += 1
            return token.text
        return None

    def count(self, depth):
        # depth: parentheses and nots around this term (each costs a few Python frames)
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise Problem("400.193", {"limit": f"{MAX_NODES} terms"})
        if depth > MAX_DEPTH:
            raise Problem("400.193", {"limit": f"{MAX_DEPTH} levels of nesting"})

    def parse(self):
        tree = self.expression(0)
        token = self.peek()
        if token is not None:
            _fail("400.191", self.text, token.at, f"unexpected {token.text!r}")
        return tree

    def expression(self, depth):
        left = self.conjunction(depth)
        while self.word("or"):
            self.count(depth)
            left = Logical("or", left, self.conjunction(depth))
        return left

    def conjunction(self, depth):
        left = self.negation(depth)
        while self.word("and"):
            self.count(depth)
            left = Logical("and", left, self.negation(depth))
        return left

    def negation(self, depth):
        if self.word("not"):
            self.count(depth + 1)
            return Not(self.negation(depth + 1))
        return self.comparison(depth)

    def comparison(self, depth):
        left = self.operand(depth)
        token = self.peek()
        op = self.word(*COMPARISONS)
        if op is None:
            return left
        return Compare(op, left, self.operand(depth), token.at)

    def operand(self, depth):
        self.count(depth)
        token = self.take()
        if token is None:
            _fail("400.191", self.text, len(self.text), "the filter ends too early")
        if token.kind == "open":
            inner = self.expression(depth + 1)
            self.expect("close", "')'")
            return inner
        if token.kind == "string":
            return Literal(token.text[1:-1].replace("''", "'"), "string", token.at)
        if token.kind == "number":
            value = float(token.text) if re.search(r"[.eE]", token.text) else int(token.text)
            # the databases' columns are 64-bit: a bigger number (or 1e999, infinite) would be
            # a driver error (a 500) instead of an answer
            if not -2**63 <= value < 2**63:
                _fail("400.191", self.text, token.at, f"{token.text} is too large a number")
            return Literal(value, "number", token.at)
        if token.kind == "date":
            return Literal(_date(self.text, token), "date", token.at)
        if token.kind == "timestamp":
            return Literal(_timestamp(self.text, token), "timestamp", token.at)
        if token.kind == "name":
            return self.name(token)
        _fail("400.191", self.text, token.at, f"unexpected {token.text!r}")

    def name(self, token):
        word = token.text
        if word in ("null", "true", "false"):
            return Literal({"null": None, "true": True, "false": False}[word],
                           "null" if word == "null" else "boolean", token.at)
        nxt = self.peek()
        if nxt is not None and nxt.kind == "open" and "/" not in word:
            self.take()
            if word == "now":
                self.expect("close", "')' (now takes nothing)")
                return Call("now", None, token.at)
            if word not in FUNCTIONS:
                raise Problem("501.191", {"feature": f"the function {word}()",
                                          "supported": ", ".join(FUNCTIONS + ("now",))})
            argument = self.take()
            if argument is None or argument.kind != "name" or argument.text in (
                    "null", "true", "false"):
                _fail("400.191", self.text, argument.at if argument else len(self.text),
                      f"{word}() takes one field")
            self.expect("close", f"')' ({word}() takes one field)")
            return Call(word, Field(argument.text, argument.at), token.at)
        if word in COMPARISONS + ("and", "or", "not"):
            _fail("400.191", self.text, token.at, f"{word} needs something before it")
        return Field(word, token.at)

    def expect(self, kind, what):
        token = self.take()
        if token is None or token.kind != kind:
            _fail("400.191", self.text, token.at if token else len(self.text),
                  f"expected {what}")


def _fail(code, text, at, reason):
    raise Problem(code, {"reason": reason, "at": at, "near": text[at:at + 20]})


def _date(text, token):
    try:
        return date.fromisoformat(token.text)
    except ValueError:
        _fail("400.191", text, token.at, f"{token.text} is not a date")


def _timestamp(text, token):
    raw = token.text.replace("Z", "+00:00")
    fraction = re.search(r"\.(\d+)", raw)
    if fraction and len(fraction.group(1)) > 6:       # Python reads at most microseconds
        raw = raw.replace(fraction.group(0), "." + fraction.group(1)[:6])
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        _fail("400.191", text, token.at, f"{token.text} is not a timestamp")
    return value.astimezone(timezone.utc).replace(tzinfo=None)


# Meaning --------------------------------------------------------------------------------------

class Filter:
    """A parsed $filter: turn it into a condition over columns, or ask what it names."""

    def __init__(self, text, tree):
        self.text = text
        self.tree = tree

    def condition(self, columns):
        """The SQLAlchemy condition over `columns` ({OData field: column or expression})."""
        return _Compiler(self.text, columns).boolean(self.tree)

    def mentions(self, field):
        return field in _fields(self.tree) or ROOT + field in _fields(self.tree)

    def __repr__(self):
        return f"Filter({self.text!r})"


def parse(text):
    """The parsed filter, or None when there is none (None or blank); 400.19x when it is not
    one this server reads."""
    if text is None or not text.strip():
        return None
    if len(text) > MAX_LENGTH:
        raise Problem("400.193", {"limit": f"{MAX_LENGTH} characters"})
    return Filter(text, _Parser(text).parse())


def where(text_or_filter, columns, deleted_field=DELETED_AT):
    """Central's WHERE for a feed or export: the filter's condition, and the rows not deleted
    unless the filter names the deleted field itself (then it decides)."""
    parsed = (text_or_filter if isinstance(text_or_filter, Filter) or text_or_filter is None
              else parse(text_or_filter))
    live = columns[deleted_field].is_(None) if deleted_field in columns else true()
    if parsed is None:
        return live
    if parsed.mentions(deleted_field):
        return parsed.condition(columns)
    return and_(live, parsed.condition(columns))


def older_than(created, ident, key):
    """Rows after `key` = (created_at, id) in newest-first order: (created, ident) < key.
    Written with a plain bound on `created` before the exact condition: with the OR alone
    SQLite does not start the index range there, and a keyset walk then reads the index
    from the newest row at every page, growing with the square of the rows (docs/exports.md,
    "How it streams with flat memory")."""
    at, last_id = key
    return and_(created <= at, or_(created < at, and_(created == at, ident < last_id)))


def newer_than(created, ident, key):
    """(created, ident) > key, written as older_than() for the same reason."""
    at, last_id = key
    return and_(created >= at, or_(created > at, and_(created == at, ident > last_id)))


def _fields(node):
    if isinstance(node, Field):
        return {node.name}
    if isinstance(node, Call):
        return _fields(node.argument) if node.argument else set()
    if isinstance(node, (Compare, Logical)):
        return _fields(node.left) | _fields(node.right)
    if isinstance(node, Not):
        return _fields(node.operand)
    return set()


def _kind(column):
    """How a column compares: timestamp, date, number, boolean or string."""
    kind = getattr(column, "type", None)
    if isinstance(kind, DateTime):
        return "timestamp"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, (Integer, Numeric)):
        return "number"
    if isinstance(kind, Boolean):
        return "boolean"
    return "string"


class _Compiler:
    def __init__(self, text, columns):
        self.text = text
        self.columns = columns

    def column(self, node):
        if node.name in self.columns:
            return self.columns[node.name]
        _fail("400.192", self.text, node.at,
              f"{node.name} cannot be filtered on; use one of "
              + ", ".join(n for n in self.columns if not n.startswith(ROOT)))

    def boolean(self, node):
        if isinstance(node, Logical):
            join = and_ if node.op == "and" else or_
            return join(self.boolean(node.left), self.boolean(node.right))
        if isinstance(node, Not):
            return not_(self.boolean(node.operand))
        if isinstance(node, Compare):
            return self.compare(node)
        if isinstance(node, Literal) and node.kind == "boolean":
            return true() if node.value else false()
        if isinstance(node, Field) and _kind(self.column(node)) == "boolean":
            return self.column(node).is_(True)
        at = getattr(node, "at", 0)
        _fail("400.194", self.text, at, "expected a condition (such as a eq b)")

    def value(self, node):
        """(SQL expression or None for null, kind, is-literal)."""
        if isinstance(node, Field):
            column = self.column(node)
            return column, _kind(column), False
        if isinstance(node, Call):
            if node.name == "now":
                return literal(utcnow(), DateTime()), "timestamp", False
            column = self.column(node.argument)
            if _kind(column) not in ("timestamp", "date"):
                _fail("400.194", self.text, node.at,
                      f"{node.name}() needs a date or timestamp field, not {node.argument.name}")
            return extract(node.name, column), "number", False
        if isinstance(node, Literal):
            return node, node.kind, True
        _fail("400.194", self.text, getattr(node, "at", 0),
              "a condition cannot be compared; compare a field with a value")

    def compare(self, node):
        left, left_kind, left_literal = self.value(node.left)
        right, right_kind, right_literal = self.value(node.right)
        op = node.op
        if left_literal and right_literal:
            _fail("400.194", self.text, node.at, "compare a field with a value, not two values")
        if left_literal:        # 2024-01-01 lt field  ==  field gt 2024-01-01
            left, left_kind, right, right_kind = right, right_kind, left, left_kind
            right_literal = True
            op = {"lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}.get(op, op)
        if right_literal:
            if right.kind == "null":
                if op not in ("eq", "ne"):
                    _fail("400.194", self.text, node.at, "null can only be compared with eq or ne")
                return left.is_(None) if op == "eq" else left.is_not(None)
            value = self.coerce(right, left_kind, node)
            # Central's IS [NOT] DISTINCT FROM, spelt so that an index still serves it and a
            # null never makes the comparison unknown (so `not (x eq 'a')` keeps the nulls)
            if op == "eq":
                return and_(left.is_not(None), left == value)
            if op == "ne":
                return or_(left.is_(None), left != value)
            return _ORDER[op](left, value)
        if left_kind != right_kind:
            _fail("400.194", self.text, node.at, f"cannot compare a {left_kind} with a {right_kind}")
        if op == "eq":
            return left.is_not_distinct_from(right)
        if op == "ne":
            return left.is_distinct_from(right)
        return _ORDER[op](left, right)

    def coerce(self, node, kind, where_):
        """The literal as the column's Python type, or 400.194."""
        value = node.value
        if kind == "timestamp":
            if node.kind == "timestamp":
                return value
            if node.kind == "date":
                return datetime.combine(value, time())
            if node.kind == "string":
                return self.coerce(Literal(*_timestamp_string(self.text, node), node.at), kind,
                                   where_)
        elif kind == "date":
            if node.kind == "date":
                return value
            if node.kind == "timestamp":
                return value.date()
        elif kind == "number":
            if node.kind == "number":
                return value
        elif kind == "boolean":
            if node.kind == "boolean":
                return value
        elif kind == "string":
            if node.kind == "string":
                return value
            if node.kind == "number":
                return str(value)
        _fail("400.194", self.text, node.at,
              f"cannot compare a {kind} field with the {node.kind} {_show(node)}")


def _timestamp_string(text, node):
    """A quoted '2024-01-31' or '2024-01-31T08:00Z' against a timestamp, as Central (whose
    database casts it) takes it: read as the date or timestamp it spells."""
    token = _TOKEN.fullmatch(node.value)
    if token and token.lastgroup == "date":
        return _date(text, Token("date", node.value, node.at)), "date"
    if token and token.lastgroup == "timestamp":
        return _timestamp(text, Token("timestamp", node.value, node.at)), "timestamp"
    _fail("400.194", text, node.at, f"'{node.value}' is not a date or timestamp")


def _show(node):
    return "null" if node.value is None else repr(node.value) if node.kind == "string" \
        else str(node.value).lower() if node.kind == "boolean" else str(node.value)


_ORDER = {"lt": lambda a, b: a < b, "le": lambda a, b: a <= b,
          "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b}


# $orderby -------------------------------------------------------------------------------------

def order_by(text, columns, stable=None):
    """ORDER BY clauses for `f [asc|desc], …` (Central: asc puts nulls first, desc last),
    then `stable` in the first clause's direction so pages never shuffle."""
    if text is None or not text.strip():
        return [stable] if stable is not None else []
    if len(text) > MAX_LENGTH:
        raise Problem("400.193", {"limit": f"{MAX_LENGTH} characters"})
    clauses, first_desc = [], None
    for at, part in _parts(text):
        words = part.split()
        if not words or len(words) > 2:
            _fail("400.195", text, at, "use field [asc|desc], separated by commas")
        name = words[0]
        direction = words[1].lower() if len(words) == 2 else "asc"
        if direction not in ("asc", "desc"):
            _fail("400.195", text, at, f"{words[1]} is neither asc nor desc")
        if name not in columns:
            _fail("400.195", text, at, f"{name} cannot be sorted on; use one of "
                  + ", ".join(n for n in columns if not n.startswith(ROOT)))
        column = columns[name]
        desc = direction == "desc"
        first_desc = desc if first_desc is None else first_desc
        clauses.append(column.desc().nulls_last() if desc else column.asc().nulls_first())
    if stable is not None:
        clauses.append(stable.desc() if first_desc else stable.asc())
    return clauses


def _parts(text):
    at = 0
    for part in text.split(","):
        yield at, part
        at += len(part) + 1


# The columns ----------------------------------------------------------------------------------

def submission_columns(root_aliases=True):
    """{OData field: column} for submissions (Central's lib/data/submission.js), with the
    `$root/Submissions/…` names a repeat table's filter uses."""
    from app.submissions.models import Submission   # noqa: PLC0415 - keep this module light
    columns = {"__id": Submission.instance_id,
               "__system/submissionDate": Submission.created_at,
               "__system/updatedAt": Submission.updated_at,
               "__system/submitterId": Submission.submitter_id,
               "__system/reviewState": Submission.review_state,
               "__system/deletedAt": Submission.deleted_at}
    if root_aliases:
        columns.update({ROOT + name: column for name, column in list(columns.items())})
    return columns


def entity_columns():
    """{OData field: column} for entities (Central's lib/data/entity.js, and version)."""
    from app.register.models import Entity, EntityVersion   # noqa: PLC0415
    creator = (select(EntityVersion.actor_id)
               .where(EntityVersion.entity_id == Entity.id, EntityVersion.version == 1)
               .correlate(Entity).scalar_subquery())
    return {"__id": Entity.uuid,
            "__system/createdAt": Entity.created_at,
            "__system/updatedAt": Entity.updated_at,
            "__system/deletedAt": Entity.deleted_at,
            "__system/creatorId": creator,
            "__system/conflict": Entity.conflict,
            "__system/version": Entity.version}
