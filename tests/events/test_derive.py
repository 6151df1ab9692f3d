"""The Answers view derivers read submissions through: paths relative to the form root, blank
for what an older version lacks, repeats as their own views; `derive` never raises."""
import datetime as dt

from app import safexml
from app.events import derive
from app.events.derive import Answers, Event

XML = b"""<data xmlns:orx="http://openrosa.org/xforms" id="f" version="7">
  <outcome>live_birth</outcome><outcome>second</outcome>
  <when>2026-11-02</when><weeks>38</weeks><weight> 3.25 </weight><bad>x</bad>
  <findings>pain fever</findings>
  <child><newborn><child_sex>female</child_sex><meta><entity id="UUID:AB-1"/></meta></newborn>
         <newborn><child_sex>male</child_sex></newborn></child>
  <orx:meta><orx:instanceID>uuid:1</orx:instanceID><orx:entity id="uuid:CD-2"/></orx:meta>
</data>"""


def test_answers_read_values_dates_numbers_choices_and_repeats():
    a = Answers(safexml.parse(XML), "f")
    assert (a.get("outcome"), a.get("absent"), a.get("child/newborn/child_sex")) == (
        "live_birth", "", "female")
    assert (a.date("when"), a.date("bad"), a.date("absent")) == (dt.date(2026, 11, 2), None, None)
    assert (a.int("weeks"), a.int("bad"), a.decimal("weight"), a.decimal("absent")) == (
        38, None, 3.25, None)
    assert a.selected("findings") == ["pain", "fever"] and a.selected("absent") == []
    newborns = a.repeat("child/newborn")
    assert [n.get("child_sex") for n in newborns] == ["female", "male"]
    assert [n.entity_id() for n in newborns] == ["ab-1", None]
    assert (a.entity_id(), a.version, a.form_id) == ("cd-2", "7", "f")
    assert a.repeat("absent/newborn") == []


def test_derive_gives_no_events_for_a_form_without_a_deriver_or_one_that_raises():
    root = safexml.parse(XML)
    assert derive.derive("no_such_form", root) == []

    def broken(a):
        yield Event("birth", a.date("when"))
        raise ValueError("odd input")
    derive.deriver("broken_probe", yields=("birth",))(broken)
    try:
        assert derive.derive("broken_probe", root) == []
    finally:
        derive.DERIVERS.pop("broken_probe")
        derive.YIELDS.pop("broken_probe")
