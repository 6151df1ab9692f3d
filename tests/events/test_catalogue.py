"""docs/register.md's table of which form yields which events is the one the derivers declare
(app.events.derive.YIELDS), and one command regenerates it."""
import os

from app.events import catalogue
from app.events.derive import YIELDS
from app.events.kinds import KINDS
from tests.conftest import ROOT

DOC = os.path.join(ROOT, "docs", "register.md")


def test_docs_register_md_holds_exactly_the_table_the_derivers_declare():
    with open(DOC, encoding="utf-8") as f:
        committed = f.read()
    assert catalogue.table_in(committed) == catalogue.render(), (
        f"docs/register.md's table is out of date: run {catalogue.COMMAND}")


def test_every_kind_a_deriver_declares_is_in_the_catalogue():
    catalogue.yields()
    assert {form: sorted(set(kinds) - set(KINDS)) for form, kinds in YIELDS.items()
            if set(kinds) - set(KINDS)} == {}


def test_the_table_names_each_forms_kinds_in_both_languages_in_catalogue_order():
    table = catalogue.render({"person": ("death", "birth"), "benefit_payment": ("reward_paid",)})
    assert table.splitlines()[2:4] == [
        "| `benefit_payment` | `reward_paid` 奖励优惠兑现 / Reward paid |",
        "| `person` | `birth` 出生 / Birth; `death` 死亡 / Death |"]
    assert "`marriage`" in table.splitlines()[-1]          # yielded by no form in this table


def test_the_command_rewrites_only_the_table(tmp_path):
    stale = tmp_path / "register.md"
    stale.write_text(f"# Before\n\n{catalogue.START}\n| old |\n{catalogue.END}\nAfter\n",
                     encoding="utf-8")
    catalogue.main(str(stale))
    text = stale.read_text(encoding="utf-8")
    assert text.startswith("# Before\n\n") and text.endswith(f"{catalogue.END}\nAfter\n")
    assert catalogue.table_in(text) == catalogue.render()
