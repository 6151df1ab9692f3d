"""The XPath evaluator against the ODK XForms spec's function definitions
(https://getodk.github.io/xforms-spec/#xpath-functions): dates as days since the epoch,
selected() on space-separated lists, empty-string semantics, JavaRosa's substr()."""
import datetime as dt
import json
import math
import pathlib
import subprocess
import sys

import pytest
from lxml import etree

from app.validation import xpath

INSTANCE = b"""<data>
  <name>Wang Fang</name><age>34</age><empty/><fruits>apple banana cherry</fruits>
  <dob>1992-05-01</dob><when>2026-11-20T23:30:00.000+08:00</when><weight>3.45</weight>
  <member><n>A</n><age>40</age></member>
  <member><n>B</n><age>12</age></member>
  <member><n>C</n><age>7</age></member>
  <code>ab12</code>
</data>"""
NOW = dt.datetime(2026, 11, 20, 10, 0)
PEOPLE = etree.fromstring(b"<root><item><name>u1</name><label>Li</label><age>31</age></item>"
                          b"<item><name>u2</name><label>Zhao</label><age>52</age></item></root>")


def env(types=None):
    root = etree.fromstring(INSTANCE)
    typed = {}
    for path, kind in (types or {"/data/dob": "date", "/data/when": "dateTime"}).items():
        for elem in root.getroottree().xpath(path):
            typed[elem] = kind
    return xpath.Env(root, typed, {"people": PEOPLE}, NOW,
                     {"/data/fruits": {"apple": "苹果", "banana": "香蕉"}}), root


def ev(expression, context="/data"):
    e, root = env()
    node = root.getroottree().xpath(context)[0] if context else None
    return xpath.compile(expression).evaluate(e, node)


def s(expression, context="/data"):
    return xpath.to_string(ev(expression, context), env()[0])


def b(expression, context="/data"):
    return xpath.to_bool(ev(expression, context), env()[0])


def n(expression, context="/data"):
    return xpath.to_number(ev(expression, context), env()[0])


@pytest.mark.parametrize("expression, expected", [
    ("/data/name", "Wang Fang"), ("name", "Wang Fang"), ("./name", "Wang Fang"),
    ("member[2]/n", "B"), ("member[age > 10][last()]/n", "B"), ("count(member)", "3"),
    ("member[n = 'C']/age", "7"), ("/data/member[position() = 1]/n", "A"),
])
def test_paths_absolute_relative_and_predicates(expression, expected):
    assert s(expression) == expected


def test_parent_and_current_in_a_predicate():
    assert s("../name", "/data/age") == "Wang Fang"
    # current() is the node the expression belongs to, also inside a predicate
    assert s("/data/member[age = current()/../../member[3]/age]/n", "/data/member[1]/n") == "C"
    assert s("current()/../n", "/data/member[2]/age") == "B"


def test_dates_are_days_since_the_epoch():
    assert n("date('1970-01-02')") == 1
    assert n("date('2026-11-20')") == (dt.date(2026, 11, 20) - dt.date(1970, 1, 1)).days
    assert n("decimal-date-time('1970-01-01T12:00:00')") == 0.5
    assert s("date(20777)") == "2026-11-20"
    assert s("today()") == "2026-11-20"                    # the moment the form was filled
    assert s("now()") == "2026-11-20T10:00:00.000"
    assert n("decimal-date-time(now())") == pytest.approx(20777 + 10 / 24)
    assert b("/data/dob < today()") and b("today() > /data/dob")
    assert b("/data/dob = '1992-05-01'") and b("/data/dob = date('1992-05-01')")
    assert n("today() - /data/dob") == (dt.date(2026, 11, 20) - dt.date(1992, 5, 1)).days
    assert s("format-date(date(decimal-date-time(/data/dob) + 280), '%Y-%m-%d')") == "1993-02-05"
    assert s("format-date('2026-03-09', '%Y/%n/%e %b')") == "2026/3/9 Mar"
    assert n("int((decimal-date-time(today()) - decimal-date-time(/data/dob)) div 365.25)") == 34


def test_a_date_time_is_read_in_its_own_local_day():
    assert s("format-date(/data/when, '%Y-%m-%d')") == "2026-11-20"
    assert n("decimal-time('12:00:00')") == 0.5


def test_selected_works_on_space_separated_lists():
    assert b("selected(/data/fruits, 'banana')")
    assert not b("selected(/data/fruits, 'ban')")
    assert not b("selected(/data/empty, '')")
    assert n("count-selected(/data/fruits)") == 3 and n("count-selected(/data/empty)") == 0
    assert s("selected-at(/data/fruits, 1)") == "banana"
    assert s("selected-at(/data/fruits, 9)") == ""
    assert s("jr:choice-name(selected-at(/data/fruits, 0), '/data/fruits')") == "苹果"


def test_empty_string_semantics():
    assert math.isnan(n("number(/data/empty)")) and math.isnan(n("/data/empty + 1"))
    assert b("/data/empty = ''") and not b("/data/empty = 0")
    assert not b("/data/empty < 5") and not b("/data/empty >= 5")
    assert not b("/data/nothing = 'x'") and not b("/data/nothing != 'x'")   # empty node-set
    assert s("coalesce(/data/empty, 'fallback')") == "fallback"
    assert s("coalesce(/data/name, 'fallback')") == "Wang Fang"
    # As JavaRosa: one node is read by its value, so a blank answer is false
    assert s("string(/data/empty)") == "" and not b("boolean(/data/empty)")
    assert b("boolean(/data/name)") and not b("boolean(/data/nothing)")
    assert s("if(/data/empty = '', 'blank', 'filled')") == "blank"


def test_strings():
    assert s("concat(/data/name, ' (', /data/age, ')')") == "Wang Fang (34)"
    assert b("contains(/data/name, 'Fang')") and b("starts-with(/data/name, 'Wang')")
    assert n("string-length(/data/name)") == 9 and n("string-length()", "/data/code") == 4
    assert s("substr('610425199606080628', 6, 14)") == "19960608"      # 0-based, end exclusive
    assert s("substr('abcdef', 3)") == "def"
    assert s("substring('abcdef', 2, 3)") == "bcd"                     # XPath 1.0, 1-based
    assert b("regex(/data/code, '^[a-z]+[0-9]{2}$')") and not b("regex(/data/code, '^[0-9]')")
    assert s("normalize-space('  a   b ')") == "a b"
    assert s("translate('abc', 'abc', 'AB')") == "AB"
    assert s("join(', ', /data/member/n)") == "A, B, C"


def test_numbers_and_operators():
    assert n("1 + 2 * 3") == 7 and n("7 div 2") == 3.5 and n("7 mod 3") == 1
    assert n("-/data/age") == -34 and n("/data/age * 2") == 68
    assert n("int(-3.7)") == -3 and n("int('12.9')") == 12
    assert n("round(2.5)") == 3 and n("round(3.14159, 2)") == 3.14
    assert n("number('12')") == 12 and math.isnan(n("number('12a')"))
    assert n("sum(/data/member/age)") == 59 and n("max(/data/member/age)") == 40
    assert n("position(/data/member[n = 'C'])") == 3
    assert b("/data/age > 30 and /data/age < 40") and b("/data/age = 34 or 1 div 0")
    assert b("/data/weight = 3.45") and b("'34' = /data/age")
    assert b("true() = 'x'") and not b("false() = 'x'")      # a boolean makes both booleans
    assert b("/data/member/age = 12")                         # any node of a node-set
    assert n("1 div 0") == math.inf and math.isnan(n("0 div 0"))


def test_instance_lookups():
    assert s("instance('people')/root/item[name = 'u2']/label") == "Zhao"
    assert n("count(instance('people')/root/item[age < 50])") == 1
    assert s("instance('people')/root/item[age > /data/age]/label") == "Zhao"
    with pytest.raises(xpath.XPathError, match="no secondary instance"):
        ev("instance('nope')/root/item")


def test_once_uuid_and_if():
    assert s("once('a')") == "a"
    assert len(s("uuid()")) == 36
    assert s("if(/data/age > 18, 'adult', 'child')") == "adult"


def test_what_cannot_be_read_is_an_xpath_error():
    with pytest.raises(xpath.XPathError):
        xpath.compile("no-such-function(1)")
    with pytest.raises(xpath.XPathError):
        xpath.compile("/data/name = ")
    with pytest.raises(xpath.XPathError, match="regular expression"):
        ev("regex(/data/name, '[')")


# Stock elementpath, evaluated in a fresh interpreter before and after importing ours: ODK's
# operators and functions must live on ODKParser alone (a shared token class changed in place
# once made elementpath.select(root, "1 = 1 and 2 = 2") raise for the whole process).
_STOCK = r"""
import json, elementpath
from elementpath import XPath1Parser, XPath2Parser
from lxml import etree
root = etree.XML("<a><b>3</b><b>4</b><c x='1'>text</c></a>")
EXPRESSIONS = ["1 = 1 and 2 = 2", "1 < 2 or 0", "1 + 2 * 3 - 4 div 2", "7 mod 3", "-(2)",
               "'' = 0", "b != 3", "count(b)", "sum(b)", "string(c)", "substring('abcd', 2, 2)",
               "number('x') = number('x')", "concat('a', 'b')", "string-length('abc')",
               "round(2.5)", "boolean('')", "not(1)", "b[2]/text()", "//c/@x", "/a/b[. > 3]"]

def run():
    out = []
    for parser in (XPath1Parser, XPath2Parser):
        for e in EXPRESSIONS:
            try:
                value = elementpath.select(root, e, parser=parser)
                out.append(repr([getattr(v, "text", v) for v in value]
                                if isinstance(value, list) else value))
            except Exception as exc:
                out.append(type(exc).__name__)
    return out

before = run()
import app.validation.xpath as odk
after = run()
odk_and = odk.to_string(odk.compile("1 = 1 and 2 = 2").evaluate(odk.Env(root), root))
print(json.dumps({"before": before, "after": after, "odk": odk_and}))
"""


def test_importing_odk_xpath_leaves_stock_elementpath_alone():
    repo = pathlib.Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", _STOCK], cwd=repo, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert "MissingContextError" not in found["before"]
    assert found["after"] == found["before"]
    assert found["odk"] == "true"
