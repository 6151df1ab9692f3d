"""Properties, with hypothesis: random instances of every bundled form never make validation
raise; instances ODK's own engine produces from valid answers are never flagged."""
import datetime as dt
import os

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree

from app import safexml
from app.forms.schema import build_schema
from app.validation.check import CompiledForm, _Check, validate
from app.validation.issues import MESSAGES
from app.validation.rules import id_number_check_character
from tests.conftest import FORMS_DIR
from tests.samples.phone import download, fill_form
from tests.validation.test_rules import VILLAGES, town_form

FORMS = sorted(f[:-5] for f in os.listdir(FORMS_DIR) if f.endswith(".xlsx"))
NOW = dt.datetime(2026, 11, 20, 10, 0)

texts = st.one_of(
    st.just(""), st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=30),
    st.integers(-10**12, 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.dates(dt.date(1800, 1, 1), dt.date(2200, 1, 1)).map(str),
    st.sampled_from(["yes", "no", "male", "female", "dongwan", "none birth", "1e309", "NaN",
                     "2026-02-30", "25:61", "610425199606080628", "X" * 500, " ", "&<>"]))


@st.composite
def random_instance(draw, form):
    """A submission shaped like the form (leaves filled, dropped or doubled at random, repeats
    0–3 times, an unknown element now and then)."""
    def build(template, path):
        out = etree.Element(template.tag)
        seen = set()
        for child in template:
            if not isinstance(child.tag, str) or child.tag in seen:
                continue
            seen.add(child.tag)
            child_path = f"{path}/{child.tag}"
            kind = form.nodes.get(child_path, {}).get("kind")
            copies = draw(st.integers(0, 3)) if kind == "repeat" else draw(
                st.sampled_from([1, 1, 1, 1, 0, 2]))
            for _ in range(copies):
                if len(child):
                    out.append(build(child, child_path))
                else:
                    leaf = etree.SubElement(out, child.tag)
                    leaf.text = draw(texts)
        if draw(st.integers(0, 9)) == 0:
            etree.SubElement(out, "unexpected").text = draw(texts)
        return out
    root = build(form.template, "/" + form.template.tag)
    root.set("id", form.form_id)
    return root


@pytest.mark.parametrize("form_id", FORMS)
def test_random_instances_never_make_validation_raise(form_id):
    form = town_form(form_id)
    secondary = {k: (VILLAGES if v == "villages.csv" else None)
                 for k, v in form.schema["external"].items()}

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(random_instance(form), st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2100, 1, 1)))
    def check(root, now):
        found = _Check(form, root, now, secondary).run()     # the real thing, no safety net
        assert all(i.code in MESSAGES for i in found)
        # an expression that fails on odd values is reported; a Python error inside the
        # evaluator (TypeError, KeyError, …) would be our defect
        assert not [i for i in found if i.code == "evaluator" and "Error:" in i.message_en]
    check()


@st.composite
def valid_person(draw):
    sex = draw(st.sampled_from(["male", "female"]))
    born = draw(st.dates(dt.date(1950, 1, 1), dt.date(2010, 12, 31)))
    # region, date of birth, two digits of sequence, then the sex digit (odd for men)
    sex_digit = draw(st.integers(0, 4)) * 2 + (1 if sex == "male" else 0)
    first17 = f"610425{born:%Y%m%d}{draw(st.integers(0, 99)):02d}{sex_digit}"
    return {"/data/village": "dongwan", "/data/mode": "new",
            "/data/change_date": str(draw(st.dates(dt.date(2026, 1, 1), dt.date(2026, 11, 20)))),
            "/data/full_name": draw(st.text("王李张刘陈杨赵黄周吴芳伟敏静丽强磊军洋勇艳", min_size=2, max_size=4)),
            "/data/id_number": first17 + id_number_check_character(first17),
            "/data/sex": sex, "/data/dob": str(born),
            "/data/household": "a0000000-0000-4000-8000-000000000001",
            "/data/relation": draw(st.sampled_from(["head", "spouse", "son", "daughter", "other"])),
            "/data/marital_status": draw(st.sampled_from(["unmarried", "first_marriage", "divorced"])),
            "/data/residence_status": draw(st.sampled_from(["resident", "moved_in", "away"])),
            "/data/phone": draw(st.sampled_from(["", "13912345678", "0917-3201234"])),
            "/data/change_reason": "other", "/data/sons": str(draw(st.integers(0, 3))),
            "/data/daughters": str(draw(st.integers(0, 3))),
            "/data/planning_pregnancy": draw(st.sampled_from(["yes", "no", "undecided"])),
            "/data/planning_from": "2027-05"}


def test_what_odks_engine_accepts_validation_accepts(town):
    phone = town.phone()
    xform, _media = download(phone, "person")
    form = CompiledForm(build_schema(xform), "person")
    secondary = {"villages": VILLAGES, "people": None, "households": None}

    @settings(max_examples=8, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(valid_person())
    def engine_and_server_agree(answers):
        filled = fill_form(phone, "person", answers, seed="hypothesis")
        assume(filled.status == "ready")
        root = safexml.parse(filled.xml)
        assert validate(form, root, NOW, secondary) == []
    engine_and_server_agree()
