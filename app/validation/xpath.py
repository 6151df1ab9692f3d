"""XPath with ODK's semantics: the expressions of XForms binds, evaluated on the server.

elementpath supplies the parser and the path machinery (steps, axes, predicates, unions); this
module's own parser class (ODKParser) carries the ODK XForms function library and replaces the
operators, leaving elementpath's parsers as they were, so values behave as they do in JavaRosa
and ODK's web forms rather than as in XPath 2:

- Values are strings, numbers (float), booleans, node-sets and dates (`ODKDate`: a day count
  since 1970-01-01 plus its text). A node bound as `date`/`dateTime`/`time` reads as a date,
  so `. <= today()` compares days, not text.
- number("") and number("abc") are NaN; NaN compares false; arithmetic on NaN stays NaN.
- `=` and `!=` compare booleans if either side is boolean, else numbers if either is a number
  or a date, else strings; `<`… compare numbers. A node-set compares true if any node does.
- substr() is 0-based with an exclusive end (JavaRosa), selected() works on space-separated
  lists, if() / coalesce() / once() / jr:choice-name() / instance('x') / current() as in the
  ODK XForms spec (https://getodk.github.io/xforms-spec/#xpath-functions).

compile(expression) returns a cached Expression; Expression.evaluate(env, node) evaluates it
with `node` (an lxml element of the instance) as context and current(). Errors are raised as
XPathError with a readable reason; callers record them, never let them escape.
"""
import datetime as dt
import math
import random
import re
import uuid as uuidlib
from copy import copy
from functools import lru_cache

import elementpath
from elementpath import XPath1Parser, XPathContext
from elementpath.datatypes import AbstractDateTime, UntypedAtomic
from elementpath.exceptions import MissingContextError
from elementpath.xpath_nodes import AttributeNode, ElementNode, TextNode
from lxml import etree

JR = "http://openrosa.org/javarosa"
EPOCH = dt.date(1970, 1, 1)
NAN = float("nan")


class XPathError(Exception):
    """An expression that cannot be compiled or evaluated."""


class ODKDate:
    """A date or dateTime value: days since the epoch (fractional for a time of day)."""
    __slots__ = ("days", "text")

    def __init__(self, days, text):
        self.days, self.text = days, text

    def __repr__(self):
        return f"ODKDate({self.text})"


_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DATETIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?"
                       r"(Z|[+-]\d{2}:?\d{2})?$")
_TIME = re.compile(r"^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?$")
_NUMBER = re.compile(r"^\s*-?(\d+(\.\d*)?|\.\d+)\s*$")


def parse_date(text):
    """ODKDate for a date or dateTime string, else None. A dateTime counts in its own local
    day, as a phone shows it (2026-11-20T23:00+08:00 is day 2026-11-20 plus 23/24)."""
    text = (text or "").strip()
    m = _DATE.match(text)
    if m:
        try:
            d = dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
        return ODKDate(float((d - EPOCH).days), text)
    m = _DATETIME.match(text)
    if m:
        try:
            d = dt.date(int(m[1]), int(m[2]), int(m[3]))
            seconds = int(m[4]) * 3600 + int(m[5]) * 60 + int(m[6] or 0)
            if int(m[4]) > 23 or int(m[5]) > 59 or int(m[6] or 0) > 59:
                return None
        except ValueError:
            return None
        return ODKDate((d - EPOCH).days + seconds / 86400, text)
    return None


def parse_time(text):
    m = _TIME.match((text or "").strip())
    if not m or int(m[1]) > 23 or int(m[2]) > 59 or int(m[3] or 0) > 59:
        return None
    return ODKDate((int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3] or 0)) / 86400, text)


# Conversions -----------------------------------------------------------------------------------

def _node_value(node, env):
    """A node's value: its text, or a date when the form binds it as one."""
    if isinstance(node, ElementNode):
        elem = node.elem
        text = elem.text or "" if len(elem) == 0 else "".join(elem.itertext())
        kind = env.types.get(elem) if env is not None else None
        if kind in ("date", "dateTime"):
            return parse_date(text) or text
        if kind == "time":
            return parse_time(text) or text
        return text
    if isinstance(node, AttributeNode):
        return str(node.value)
    if isinstance(node, TextNode):
        return str(node.value)
    return str(getattr(node, "string_value", node))


def _scalar(value, env):
    if isinstance(value, list):
        return _node_value(value[0], env) if value else ""
    if isinstance(value, UntypedAtomic):
        return str(value)
    if isinstance(value, (ElementNode, AttributeNode, TextNode)):
        return _node_value(value, env)
    if isinstance(value, bool) or isinstance(value, (str, ODKDate)):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, AbstractDateTime):
        return parse_date(str(value)) or str(value)
    try:
        return float(value)          # Decimal and friends
    except (TypeError, ValueError):
        return str(value)


def to_string(value, env=None):
    v = _scalar(value, env)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return str(int(v)) if v == int(v) and abs(v) < 1e15 else repr(v)
    if isinstance(v, ODKDate):
        return v.text
    return v


def to_number(value, env=None):
    v = _scalar(value, env)
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, float):
        return v
    if isinstance(v, ODKDate):
        return v.days
    return float(v) if _NUMBER.match(v) else NAN


def to_bool(value, env=None):
    # JavaRosa reads a single node by its value (relevant="${answered}" is false when blank);
    # an empty node-set is false and a longer one true, as in XPath 1.0.
    if isinstance(value, list) and len(value) != 1:
        return bool(value)
    v = _scalar(value, env)
    if isinstance(v, bool):
        return v
    if isinstance(v, float):
        return not (v == 0 or math.isnan(v))
    if isinstance(v, ODKDate):
        return True
    return v != ""


def to_date(value, env=None):
    v = _scalar(value, env)
    if isinstance(v, ODKDate):
        return v
    if isinstance(v, float):
        if math.isnan(v):
            return None
        return _date_from_days(v)
    if isinstance(v, str):
        return parse_date(v)
    return None


def _date_from_days(days):
    whole = math.floor(days)
    try:
        d = EPOCH + dt.timedelta(days=whole)
    except OverflowError:
        return None
    if days == whole:
        return ODKDate(float(days), d.isoformat())
    seconds = round((days - whole) * 86400)
    moment = dt.datetime.combine(d, dt.time()) + dt.timedelta(seconds=seconds)
    return ODKDate(days, moment.isoformat(timespec="milliseconds"))


def _items(value, env):
    """Atomised operands of a comparison: every node of a node-set, else the value."""
    if isinstance(value, list):
        return [_node_value(n, env) for n in value]
    return [_scalar(value, env)]


def _compare_pair(op, a, b):
    if op in ("=", "!="):
        if isinstance(a, bool) or isinstance(b, bool):
            a, b = to_bool(a), to_bool(b)
        elif isinstance(a, (float, ODKDate)) or isinstance(b, (float, ODKDate)):
            a, b = _as_number_for(a, b), _as_number_for(b, a)
        result = a == b
        return result if op == "=" else not result
    x, y = _as_number_for(a, b), _as_number_for(b, a)
    return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]


def _as_number_for(v, other):
    """A string compared with a date is read as a date when it is one."""
    if isinstance(v, str) and isinstance(other, ODKDate):
        d = parse_date(v)
        if d is not None:
            return d.days
    return to_number(v)


def compare(op, left, right, env):
    lefts, rights = _items(left, env), _items(right, env)
    if isinstance(left, list) and not left or isinstance(right, list) and not right:
        return op == "!=" and False   # an empty node-set compares false, both ways
    return any(_compare_pair(op, a, b) for a in lefts for b in rights)


# The parser ------------------------------------------------------------------------------------

class ODKParser(XPath1Parser):
    """XPath 1.0 grammar with ODK's operators and functions.

    Its symbol table is elementpath's copy (made when the class is defined), but the token
    classes in it are shared with elementpath's own parsers: every change below goes to a
    subclass owned by ODKParser (`_own`) so that elementpath.select() keeps XPath's semantics."""


ODKParser.DEFAULT_NAMESPACES = {**XPath1Parser.DEFAULT_NAMESPACES, "jr": JR}


def _own(symbol):
    """ODKParser's own token class for `symbol`: a subclass of the shared one, made once."""
    shared = ODKParser.symbol_table[symbol]
    if shared.__dict__.get("_odk_own"):
        return shared
    own = type(shared)(shared.__name__, (shared,), {"_odk_own": True, "__module__": __name__,
                                                     "__qualname__": shared.__qualname__})
    ODKParser.symbol_table[symbol] = own
    return own


def _set(symbol, method, func):
    """Make `func` the `method` (nud, led, evaluate…) of ODKParser's token for `symbol`."""
    setattr(_own(symbol), method, func)
_OPERATORS = ("=", "!=", "<", "<=", ">", ">=")


def _env(context):
    env = getattr(context, "odk", None)
    if env is None:   # elementpath's static pass at parse time: nothing to evaluate against
        raise MissingContextError("evaluated without a submission")
    return env


def _install_comparisons():
    for symbol in _OPERATORS:
        def evaluate_comparison(self, context=None, _op=symbol):
            env = _env(context)
            return compare(_op, self[0].evaluate(copy(context)), self[1].evaluate(copy(context)),
                           env)
        _set(symbol, "evaluate", evaluate_comparison)


def _install_arithmetic():
    def binary(symbol, fn):
        def evaluate_arithmetic(self, context=None):
            env = _env(context)
            if len(self) == 1:
                value = to_number(self[0].evaluate(copy(context)), env)
                return -value if symbol == "-" else value
            a = to_number(self[0].evaluate(copy(context)), env)
            b = to_number(self[1].evaluate(copy(context)), env)
            try:
                return fn(a, b)
            except ZeroDivisionError:
                if symbol == "mod" or math.isnan(a) or a == 0:
                    return NAN
                return math.copysign(math.inf, a) * (math.copysign(1, b))
        _set(symbol, "evaluate", evaluate_arithmetic)
    binary("+", lambda a, b: a + b)
    binary("-", lambda a, b: a - b)
    binary("*", lambda a, b: a * b)
    binary("div", lambda a, b: a / b)
    binary("mod", lambda a, b: math.fmod(a, b))

    def evaluate_or(self, context=None):
        env = _env(context)
        return to_bool(self[0].evaluate(copy(context)), env) or \
            to_bool(self[1].evaluate(copy(context)), env)

    def evaluate_and(self, context=None):
        env = _env(context)
        return to_bool(self[0].evaluate(copy(context)), env) and \
            to_bool(self[1].evaluate(copy(context)), env)
    _set("or", "evaluate", evaluate_or)
    _set("and", "evaluate", evaluate_and)


def _install_paths():
    """XPath 1.0 allows a path after any node-set expression (FilterExpr '/' RelativePath):
    ODK forms write instance('people')/root/item[…]/name. elementpath's XPath 1 parser only
    takes a path after a step, so its led for '/' and '//' is replaced by one that does."""
    for symbol in ("/", "//"):
        def led_path(self, left):
            if self.parser.next_token.label not in self.parser.PATH_STEP_LABELS:
                self.parser.expected_next(*self.parser.PATH_STEP_SYMBOLS)
            self[:] = left, self.parser.expression(75)
            return self
        _set(symbol, "led", led_path)


_install_comparisons()
_install_arithmetic()
_install_paths()


class Call:
    """What a function implementation sees: its arguments, lazily evaluated, and the env."""
    __slots__ = ("token", "context", "env")

    def __init__(self, token, context):
        self.token, self.context, self.env = token, context, _env(context)

    def __len__(self):
        return len(self.token)

    def raw(self, i):
        return self.token[i].evaluate(copy(self.context))

    def str(self, i):
        return to_string(self.raw(i), self.env)

    def num(self, i):
        return to_number(self.raw(i), self.env)

    def bool(self, i):
        return to_bool(self.raw(i), self.env)

    def nodes(self, i):
        value = self.raw(i)
        if not isinstance(value, list):
            raise XPathError(f"{self.token.symbol}() needs a node-set")
        return value


def function(name, nargs, prefix=None):
    """Register `impl(call)` as the XPath function `name` (replacing XPath 1.0's own)."""
    def register(impl):
        if name in ODKParser.symbol_table and prefix is None:
            ODKParser.unregister(name)
        token_class = ODKParser.function(name, prefix=prefix, nargs=nargs)

        def evaluate_function(self, context=None):
            return impl(Call(self, context))
        ODKParser.method(token_class)(evaluate_function)
        return impl
    return register


def _text_or_context(call, i=0):
    if len(call) > i:
        return call.str(i)
    item = call.context.item if call.context is not None else None
    return to_string([item] if item is not None else "", call.env)


# Core XPath 1.0, with ODK's conversions
function("string", (0, 1))(lambda c: _text_or_context(c))
function("number", (0, 1))(lambda c: c.num(0) if len(c) else to_number(_text_or_context(c)))
function("boolean", 1)(lambda c: c.bool(0))
function("not", 1)(lambda c: not c.bool(0))
function("true", 0)(lambda c: True)
function("false", 0)(lambda c: False)
function("concat", (0, None))(lambda c: "".join(c.str(i) for i in range(len(c))))
function("contains", 2)(lambda c: c.str(1) in c.str(0))
function("starts-with", 2)(lambda c: c.str(0).startswith(c.str(1)))
function("ends-with", 2)(lambda c: c.str(0).endswith(c.str(1)))
function("string-length", (0, 1))(lambda c: float(len(_text_or_context(c))))
function("normalize-space", (0, 1))(lambda c: " ".join(_text_or_context(c).split()))
function("substring-before", 2)(lambda c: c.str(0).partition(c.str(1))[0] if c.str(1) in c.str(0) else "")
function("substring-after", 2)(lambda c: c.str(0).partition(c.str(1))[2] if c.str(1) in c.str(0) else "")
function("translate", 3)(lambda c: _translate(c.str(0), c.str(1), c.str(2)))
function("count", 1)(lambda c: float(len(c.nodes(0))))
function("sum", 1)(lambda c: float(sum(to_number([n], c.env) for n in c.nodes(0))))
function("floor", 1)(lambda c: float(math.floor(c.num(0))) if math.isfinite(c.num(0)) else c.num(0))
function("ceiling", 1)(lambda c: float(math.ceil(c.num(0))) if math.isfinite(c.num(0)) else c.num(0))
function("last", 0)(lambda c: float(c.context.size or 0))


def _translate(s, frm, to):
    table = {}
    for i, ch in enumerate(frm):
        if ch not in table:
            table[ch] = to[i] if i < len(to) else None
    return "".join(table.get(ch, ch) or "" for ch in s if table.get(ch, ch) is not None)


def _substring(c):
    s, start = c.str(0), c.num(1)
    if math.isnan(start):
        return ""
    first = round(start)
    last = math.inf if len(c) < 3 else first + round(c.num(2))
    return "".join(ch for i, ch in enumerate(s, 1) if first <= i < last)


function("substring", (2, 3))(_substring)


@function("position", (0, 1))
def _position(c):
    if len(c) == 0:
        return float(c.context.position or 0)
    nodes = c.nodes(0)
    if not nodes:
        return NAN
    elem = nodes[0].elem
    return float(1 + sum(1 for sib in elem.itersiblings(preceding=True) if sib.tag == elem.tag))


@function("round", (1, 2))
def _round(c):
    x = c.num(0)
    digits = int(c.num(1)) if len(c) > 1 else 0
    if not math.isfinite(x):
        return x
    scale = 10.0 ** digits
    return math.floor(x * scale + 0.5) / scale


# ODK's additions (https://getodk.github.io/xforms-spec/#xpath-functions)

@function("if", 3)
def _if(c):
    return c.raw(1) if c.bool(0) else c.raw(2)


@function("coalesce", 2)
def _coalesce(c):
    first = c.str(0)
    return first if first != "" else c.str(1)


function("once", 1)(lambda c: c.raw(0))
function("selected", 2)(lambda c: c.str(1).strip() in c.str(0).split())
function("count-selected", 1)(lambda c: float(len(c.str(0).split())))


@function("selected-at", 2)
def _selected_at(c):
    values, i = c.str(0).split(), c.num(1)
    return values[int(i)] if math.isfinite(i) and 0 <= int(i) < len(values) else ""


@function("join", (1, None))
def _join(c):
    sep = c.str(0)
    parts = []
    for i in range(1, len(c)):
        value = c.raw(i)
        parts += [to_string([n], c.env) for n in value] if isinstance(value, list) else [to_string(value, c.env)]
    return sep.join(parts)


@function("regex", 2)
def _regex(c):
    try:
        return re.search(_java_regex(c.str(1)), c.str(0)) is not None
    except re.error as e:
        raise XPathError(f"bad regular expression {c.str(1)!r}: {e}") from None


@lru_cache(maxsize=256)
def _java_regex(pattern):
    return re.compile(pattern)


@function("substr", (2, 3))
def _substr(c):
    s = c.str(0)
    start = int(c.num(1))
    end = int(c.num(2)) if len(c) > 2 else len(s)
    return s[max(start, 0):max(end, 0)]


function("string-length", (0, 1))(lambda c: float(len(_text_or_context(c))))


@function("int", 1)
def _int(c):
    x = c.num(0)
    return float(math.trunc(x)) if math.isfinite(x) else x


function("abs", 1)(lambda c: abs(c.num(0)))
function("pow", 2)(lambda c: _safe(lambda: math.pow(c.num(0), c.num(1))))
function("sqrt", 1)(lambda c: _safe(lambda: math.sqrt(c.num(0))))
function("exp", 1)(lambda c: _safe(lambda: math.exp(c.num(0))))
function("log", 1)(lambda c: _safe(lambda: math.log(c.num(0))))
function("log10", 1)(lambda c: _safe(lambda: math.log10(c.num(0))))
function("pi", 0)(lambda c: math.pi)


def _safe(fn):
    try:
        return float(fn())
    except (ValueError, OverflowError):
        return NAN


def _numbers(c):
    out = []
    for i in range(len(c)):
        value = c.raw(i)
        out += [to_number([n], c.env) for n in value] if isinstance(value, list) else [to_number(value, c.env)]
    return out


function("max", (1, None))(lambda c: max(_numbers(c)) if _numbers(c) else NAN)
function("min", (1, None))(lambda c: min(_numbers(c)) if _numbers(c) else NAN)
function("boolean-from-string", 1)(lambda c: c.str(0).strip().lower() in ("true", "1"))
function("uuid", (0, 1))(lambda c: str(uuidlib.uuid4()))
function("random", 0)(lambda c: random.random())


# Dates

@function("today", 0)
def _today(c):
    today = c.env.today
    return ODKDate(float((today - EPOCH).days), today.isoformat())


@function("now", 0)
def _now(c):
    now = c.env.now
    day = (now.date() - EPOCH).days
    seconds = now.hour * 3600 + now.minute * 60 + now.second
    return ODKDate(day + seconds / 86400, now.isoformat(timespec="milliseconds"))


function("date", 1)(lambda c: to_date(c.raw(0), c.env) or "")
function("date-time", 1)(lambda c: to_date(c.raw(0), c.env) or "")


@function("decimal-date-time", 1)
def _decimal_date_time(c):
    d = to_date(c.raw(0), c.env)
    return d.days if d is not None else NAN


@function("decimal-time", 1)
def _decimal_time(c):
    v = _scalar(c.raw(0), c.env)
    t = v if isinstance(v, ODKDate) and "T" not in v.text else parse_time(to_string(v))
    return t.days % 1 if t is not None else NAN


_FORMATS = {"%Y": "%Y", "%y": "%y", "%m": "%m", "%d": "%d", "%H": "%H", "%M": "%M",
            "%S": "%S", "%b": "%b", "%a": "%a"}


def _format(d, pattern):
    if d is None:
        return ""
    days = math.floor(d.days)
    moment = dt.datetime.combine(EPOCH + dt.timedelta(days=days), dt.time()) + \
        dt.timedelta(seconds=round((d.days - days) * 86400))
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "%" and i + 1 < len(pattern):
            code = pattern[i + 1]
            i += 2
            if code == "n":
                out.append(str(moment.month))
            elif code == "e":
                out.append(str(moment.day))
            elif code == "h":
                out.append(str(moment.hour))
            elif code == "3":
                out.append(f"{moment.microsecond // 1000:03d}")
            elif f"%{code}" in _FORMATS:
                out.append(moment.strftime(_FORMATS[f"%{code}"]))
            else:
                out.append(code)
            continue
        out.append(ch)
        i += 1
    return "".join(out)


function("format-date", 2)(lambda c: _format(to_date(c.raw(0), c.env), c.str(1)))
function("format-date-time", 2)(lambda c: _format(to_date(c.raw(0), c.env), c.str(1)))


# Instances, current(), choice names

@function("instance", 1)
def _instance(c):
    return c.env.instance_nodes(c.str(0), c.context)


@function("current", 0)
def _current(c):
    return [c.env.current] if c.env.current is not None else []


@function("choice-name", 2, prefix="jr")
def _choice_name(c):
    return c.env.choice_label(c.str(1), c.str(0))


# Compiling and evaluating ----------------------------------------------------------------------

class Expression:
    __slots__ = ("source", "token", "constant")

    def __init__(self, source, token):
        self.source, self.token = source, token
        self.constant = None
        text = source.strip()
        if text in ("true()", "false()"):
            self.constant = text == "true()"

    def evaluate(self, env, elem):
        """The expression's value with `elem` (an lxml element or None) as context item."""
        if self.constant is not None:
            return self.constant
        context = env.context(elem)
        try:
            return self.token.evaluate(context)
        except XPathError:
            raise
        except MissingContextError as e:
            raise XPathError(str(e)) from None
        except (elementpath.ElementPathError, ArithmeticError, ValueError, TypeError,
                KeyError, IndexError, AttributeError, RecursionError) as e:
            raise XPathError(f"{type(e).__name__}: {e}") from None

    def boolean(self, env, elem):
        return to_bool(self.evaluate(env, elem), env)

    def string(self, env, elem):
        return to_string(self.evaluate(env, elem), env)


_PARSER = ODKParser(namespaces={"jr": JR})


@lru_cache(maxsize=4096)
def compile(source):  # noqa: A001 - the word is the right one
    try:
        return Expression(source, _PARSER.parse(source))
    except elementpath.ElementPathError as e:
        raise XPathError(str(e)) from None


class Env:
    """Everything an evaluation may read: the instance (as a document), the bind type of each
    element, the secondary instances, the moment taken as today()/now(), and the choices of
    each select (for jr:choice-name)."""

    def __init__(self, root, types=None, instances=None, now=None, choices=None):
        self.document = etree.ElementTree(root) if root is not None else None
        self.types = types or {}
        self._instances = instances or {}      # id -> lxml root of a secondary instance
        self._trees = {}
        self.now = now or dt.datetime.now()
        self.today = self.now.date()
        self.choices = choices or {}           # path -> {value: label}
        self.current = None
        self._root_context = None

    def context(self, elem):
        if self._root_context is None:
            self._root_context = XPathContext(self.document, namespaces={"jr": JR})
            self._root_context.odk = self
        context = copy(self._root_context)
        if elem is not None:
            node = self._root_context.root.elements[elem] if self._root_context.root.elements is not None else None
            context.item = node
            self.current = node
        else:
            context.item = self._root_context.root
            self.current = None
        return context

    def instance_nodes(self, name, context):
        if name not in self._trees:
            root = self._instances.get(name)
            if root is None:
                raise XPathError(f"no secondary instance {name!r}")
            self._trees[name] = elementpath.get_node_tree(etree.ElementTree(root))
        return [self._trees[name]]

    def choice_label(self, path, value):
        return self.choices.get(_generic(path), {}).get(value, value)


def _generic(path):
    return re.sub(r"\[\d+\]", "", path.strip())
