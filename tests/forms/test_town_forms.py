"""The town's ten forms (forms/*.xlsx): they publish cleanly, speak both languages, fill in
ODK's own form engine, and every sample instance they produce is accepted over OpenRosa."""
import glob
import os

import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app.cli import forms as forms_cli
from app.forms import dictionary
from app.forms.models import Form
from app.register.models import Dataset, DatasetProperty
from app.submissions.models import SubmissionDef
from tests.conftest import FORMS_DIR
from tests.samples import INSTANCES, SAMPLES, instance
from tests.samples.phone import fill_form, fill_sample
from tests.samples.register import (CHEN_HONG, HE_JING, LIU_MEI, P1, SUN_MIN, WANG_JIANGUO,
                                    ZHANG_LI, ZHAO_YAN, ZHOU_FANG)

TOWN_FORMS = ["benefit_payment", "contraception_service", "double_check", "home_visit", "migrant",
              "person", "pregnancy_outcome", "pregnancy_report", "prepregnancy_check",
              "three_checks"]
XLSFORMS = sorted(glob.glob(os.path.join(FORMS_DIR, "*.xlsx")))
LANGUAGES = ("Chinese (zh)", "English (en)")
TRANSLATED = ("label", "hint", "constraint_message", "required_message")


def test_flask_forms_publish_publishes_all_ten_without_pyxform_errors(app, db):
    result = CliRunner().invoke(forms_cli, ["publish", *XLSFORMS], obj=app.extensions)
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output and "REFUSED" not in result.output
    assert "missing media" not in result.output
    assert sorted(db.session.scalars(select(Form.xml_form_id))) == TOWN_FORMS


def _sheet_rows(path, title):
    book = openpyxl.load_workbook(path, read_only=True)
    if title not in book.sheetnames:
        return []
    rows = list(book[title].iter_rows(values_only=True))
    header = [str(h).strip() if h else "" for h in rows[0]]
    return [dict(zip(header, r)) for r in rows[1:] if any(r)]


@pytest.mark.parametrize("path", XLSFORMS, ids=os.path.basename)
def test_every_label_hint_choice_and_message_exists_in_both_languages(path):
    settings = _sheet_rows(path, "settings")[0]
    assert settings["default_language"] == "Chinese (zh)"
    missing = []
    for sheet in ("survey", "choices"):
        for n, row in enumerate(_sheet_rows(path, sheet), 2):
            assert not (row.get("label") or row.get("hint")), f"{sheet} row {n}: untranslated column"
            for column in TRANSLATED:
                present = [bool(row.get(f"{column}::{lang}")) for lang in LANGUAGES]
                if any(present) and not all(present):
                    missing.append(f"{sheet} row {n} ({row.get('name')}): {column}")
            needs_label = sheet == "choices" or (row["type"] not in (
                "calculate", "csv-external", "start", "end", "today", "deviceid", "end_group",
                "end_repeat")
                and not str(row["type"]).startswith("begin_group"))
            if needs_label and not row.get(f"label::{LANGUAGES[0]}"):
                missing.append(f"{sheet} row {n} ({row.get('name')}): label")
            if row.get("constraint") and not row.get(f"constraint_message::{LANGUAGES[0]}"):
                missing.append(f"{sheet} row {n} ({row.get('name')}): constraint message")
    assert missing == []


DOCS = os.path.join(os.path.dirname(FORMS_DIR), "docs", "forms.md")


def test_docs_forms_md_is_the_data_dictionary_of_the_forms():
    with open(DOCS, encoding="utf-8") as f:
        committed = f.read()
    assert dictionary.render(XLSFORMS) == committed, f"docs/forms.md is out of date: run {dictionary.COMMAND}"


def test_the_dictionary_command_writes_every_field(app, tmp_path):
    out = tmp_path / "forms.md"
    result = CliRunner().invoke(forms_cli, ["dictionary", os.path.join(FORMS_DIR, "person.xlsx"),
                                            "--output", str(out)], obj=app.extensions)
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "| `id_number` | `text` | 身份证号 (18位，末位可为X；新生儿可暂空) | Resident ID number" in text
    assert "`people.id_number`" in text and "## 人员登记与变动 Person registration and change" in text


REGISTER_LISTS = {
    "households": {"village", "address", "head_name", "phone", "family_card_no", "member_count",
                   "last_visit_date"},
    "people": {"full_name", "sex", "dob", "id_number", "household", "relation", "village",
               "marital_status", "residence_status", "phone", "contraception", "iud_status",
               "last_checks_date", "pregnant", "children_count", "deceased", "mother",
               "father", "pregnancy", "death_date", "sons", "daughters",
               "last_double_check_date", "certificate_no", "certificate_valid_until"},
    "pregnancies": {"woman", "village", "lmp", "edd", "reported_by", "status", "outcome",
                    "outcome_date", "birth_order", "reported_on", "confirmed_on", "ended_on",
                    "prepregnancy_check_date", "ultrasound_date"},
}


def test_publishing_the_forms_declares_the_register_lists(town, db):
    declared = {}
    for dataset in db.session.scalars(select(Dataset)):
        declared[dataset.name] = set(db.session.scalars(
            select(DatasetProperty.name).where(DatasetProperty.dataset_id == dataset.id)))
    for name, properties in REGISTER_LISTS.items():
        assert properties <= declared[name], (name, properties - declared[name])


REGENERATE = os.environ.get("DOORSTEP_REGENERATE_SAMPLES") == "1"


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_sample_fills_in_odks_engine_and_is_accepted(town, db, name):
    sample = SAMPLES[name]
    phone = town.phone(sample.persona)
    filled = fill_sample(phone, name, sample)
    assert (filled.status, filled.violations) == ("ready", [])
    path = os.path.join(INSTANCES, f"{name}.xml")
    if REGENERATE:
        with open(path, "wb") as f:
            f.write(filled.xml)
    assert filled.xml == instance(name), "the form changed: rerun with DOORSTEP_REGENERATE_SAMPLES=1"
    response = phone.submit(filled.xml)
    assert response.status_code == 201, response.data
    stored = db.session.scalar(select(SubmissionDef))
    assert stored.xml.encode("utf-8") == filled.xml


@pytest.mark.parametrize("form_id", TOWN_FORMS)
def test_every_list_a_form_looks_up_is_attached_to_it(town, form_id):
    """pyxform declares a CSV only for selects and csv-external rows; a lookup into a list the
    form does not declare silently finds nothing on the phone."""
    import re
    xform = town.phone().get(f"/v1/key/{town.personas['worker_a'].token}/projects/1/forms/{form_id}.xml").data.decode()
    used = set(re.findall(r"instance\('([A-Za-z_][\w.-]*)'\)", xform))
    declared = set(re.findall(r'<instance id="([^"]+)"', xform))
    assert used <= declared


# What the forms refuse, as ODK's engine shows it on the phone (in the default language, zh).

def _violations(town, form_id, answers, **kw):
    filled = fill_form(town.phone(), form_id, answers, **kw)
    assert filled.status == "pending"
    return {v["reference"]: v["message"] for v in filled.violations}


NEW_PERSON = {"/data/village": "dongwan", "/data/mode": "new", "/data/change_reason": "moved_in",
              "/data/moved_from": "西山村", "/data/within_town": "yes",
              "/data/sons": "0", "/data/daughters": "0", "/data/planning_pregnancy": "no",
              "/data/contraception": "none", "/data/full_name": "吴倩",
              "/data/household": "a0000000-0000-4000-8000-000000000002",
              "/data/relation": "child_in_law", "/data/marital_status": "first_marriage",
              "/data/residence_status": "resident"}


def test_the_resident_id_number_must_be_18_characters(town):
    found = _violations(town, "person", {**NEW_PERSON, "/data/id_number": "61042519981010142",
                                         "/data/sex": "female", "/data/dob": "1998-10-10"})
    assert found == {"/data/id_number": "身份证号须为18位：17位数字加一位数字或X"}


def test_sex_and_date_of_birth_must_match_the_id_number(town):
    found = _violations(town, "person", {**NEW_PERSON, "/data/id_number": "610425199810101422",
                                         "/data/sex": "male", "/data/dob": "1998-10-11"})
    assert found == {
        "/data/sex": "性别与身份证号第17位不一致（奇数为男，偶数为女）",
        "/data/dob": "出生日期不能晚于今天，且须与身份证号中的日期一致"}


def test_three_checks_offers_only_the_villages_women_aged_15_to_49(town):
    filled = fill_form(town.phone(), "three_checks", {"/data/village": "dongwan"},
                       options=["/data/woman"])
    # Not Li Xiuying (55), not the men, not Zhao Yan of xishan; migrant women too.
    assert set(filled.options["/data/woman"]) == {ZHANG_LI, CHEN_HONG, SUN_MIN, LIU_MEI,
                                                  ZHOU_FANG, HE_JING}


def test_a_phone_gets_only_its_own_villages_rows(town):
    phone = town.phone("worker_b")            # xishan
    offered = {village: set(fill_form(phone, "three_checks", {"/data/village": village},
                                      options=["/data/woman"]).options["/data/woman"])
               for village in ("xishan", "dongwan")}
    assert offered == {"xishan": {ZHAO_YAN}, "dongwan": set()}


def test_an_iud_found_in_place_means_the_method_is_iud(town):
    found = _violations(town, "three_checks", {
        "/data/village": "dongwan", "/data/woman": CHEN_HONG, "/data/iud/iud_result": "in_place",
        "/data/preg/pregnancy_result": "not_pregnant", "/data/gyn/findings": ["none", "fibroids"],
        "/data/gyn/referral": "no", "/data/contraception": "pills"})
    assert found == {"/data/gyn/findings": "「未见异常」不能与其他结果同时选择",
                     "/data/contraception": "查环发现节育环，避孕方法应为宫内节育器"}


def test_a_pregnancy_already_in_the_register_is_not_reported_twice(town):
    found = _violations(town, "pregnancy_report", {
        "/data/village": "dongwan", "/data/woman_update/woman": LIU_MEI, "/data/date_basis": "lmp",
        "/data/lmp_given": "2025-12-01", "/data/first_pregnancy": "yes"})
    assert found == {"/data/woman_update/woman": "她已有在册的孕情，无需重复报告",
                     "/data/lmp_given": "末次月经须在今天之前的10个月内"}


def test_an_outcome_is_recorded_for_open_pregnancies_and_needs_reason_facility_and_attendant(town):
    filled = fill_form(town.phone(), "pregnancy_outcome", {
        "/data/village": "dongwan", "/data/pregnancy_mode": "registered", "/data/pregnancy": P1,
        "/data/outcome": "medical_termination", "/data/outcome_date": "2026-06-20",
        "/data/gestational_weeks": "3", "/data/place": "hospital"},
        options=["/data/pregnancy"])
    assert filled.options["/data/pregnancy"] == [P1]
    assert {v["reference"]: v["message"] for v in filled.violations} == {
        "/data/gestational_weeks": "孕周应在4到45之间", "/data/loss_reason": "此项必填",
        "/data/facility": "此项必填", "/data/attendant": "此项必填"}


def test_a_woman_with_a_pregnancy_in_the_register_is_not_recorded_as_unregistered(town):
    found = _violations(town, "pregnancy_outcome", {
        "/data/village": "dongwan", "/data/pregnancy_mode": "unregistered", "/data/woman": LIU_MEI,
        "/data/outcome": "miscarriage", "/data/outcome_date": "2026-06-20",
        "/data/gestational_weeks": "8", "/data/loss_reason": "spontaneous", "/data/place": "home"})
    assert found == {"/data/woman": "她已有在册的孕情，请选择「在册孕情」"}


def test_a_late_termination_without_its_approval_number_can_still_be_sent(town):
    """The approval number is asked at 15 weeks or later but not required: the server flags
    it missing (approval_missing) so the record is kept for the supervisor."""
    answers = {"/data/village": "dongwan", "/data/pregnancy_mode": "registered",
               "/data/pregnancy": P1, "/data/outcome": "induced_abortion",
               "/data/outcome_date": "2026-06-20", "/data/gestational_weeks": "15",
               "/data/loss_reason": "unplanned", "/data/place": "hospital",
               "/data/facility": "县人民医院", "/data/attendant": "吴建平"}
    filled = fill_form(town.phone(), "pregnancy_outcome", answers)
    assert (filled.status, filled.violations) == ("ready", [])
    assert b"<approval_no/>" in filled.xml
    early = fill_form(town.phone(), "pregnancy_outcome", {**answers, "/data/gestational_weeks": "14"})
    assert b"approval_no" not in early.xml


def test_twins_are_two_newborns_each_registered_as_a_person(town):
    filled = fill_form(town.phone(), "pregnancy_outcome", {
        "/data/village": "dongwan", "/data/pregnancy_mode": "registered", "/data/pregnancy": P1,
        "/data/outcome": "live_birth", "/data/outcome_date": "2026-11-03",
        "/data/gestational_weeks": "35", "/data/place": "home", "/data/children_born": "2",
        "/data/child/newborn[1]/child_sex": "male", "/data/child/newborn[1]/child_weight": "2.4",
        "/data/child/newborn[1]/child_name": "刘大宝",
        "/data/child/newborn[1]/newborn_death": "outside_hospital"})
    assert {v["reference"]: v["message"] for v in filled.violations} == {
        "/data/child/newborn[1]/newborn_death_date": "此项必填",
        "/data/child/newborn[1]/newborn_death_cause": "此项必填",
        "/data/child/newborn[1]/newborn_death_checked": "此项必填",
        "/data/child/newborn[2]/child_sex": "此项必填",
        "/data/child/newborn[2]/child_weight": "此项必填",
        "/data/child/newborn[2]/child_name": "此项必填",
        "/data/child/newborn[2]/newborn_death": "此项必填"}


def test_a_three_checks_round_is_the_year_and_half_year_of_the_check_date(town):
    for check_date, round_ in (("2025-06-30", "2025-H1"), ("2025-07-01", "2025-H2"),
                               ("2026-01-02", "2026-H1")):
        filled = fill_form(town.phone(), "three_checks", {
            "/data/village": "dongwan", "/data/check_date": check_date})
        assert f"<check_round>{round_}</check_round>".encode() in filled.xml


def test_no_change_cannot_be_chosen_with_a_change(town):
    found = _violations(town, "home_visit", {
        "/data/village": "dongwan", "/data/hh_mode": "existing",
        "/data/household": "a0000000-0000-4000-8000-000000000001",
        "/data/member[1]/member_mode": "existing", "/data/member[1]/person": WANG_JIANGUO,
        "/data/hh/registration_type": "agricultural", "/data/hh/family_status": ["none"],
        "/data/member[1]/changes": ["none", "death"], "/data/member[1]/change_date": "2026-11-01",
        "/data/member[1]/death_cause": "illness", "/data/member[1]/death_place": "home",
        "/data/member[1]/sons": "1", "/data/member[1]/daughters": "0"})
    assert found == {"/data/member[1]/changes": "「无变动」不能与其他变动同时选择"}


def test_the_double_check_offers_only_the_villages_women_who_left_or_moved_in(town):
    filled = fill_form(town.phone(), "double_check", {"/data/village": "dongwan",
                                                      "/data/woman": HE_JING},
                       options=["/data/woman"])
    assert set(filled.options["/data/woman"]) == {ZHOU_FANG, HE_JING}
    # the direction follows her residence status; results and the date sent home are asked
    assert {v["reference"] for v in filled.violations} == {
        "/data/check_place", "/data/iud_result", "/data/pregnancy_result", "/data/sent_on"}


def test_the_prepregnancy_check_asks_the_mans_id_number_and_result(town):
    found = _violations(town, "prepregnancy_check", {
        "/data/village": "dongwan", "/data/woman": SUN_MIN, "/data/husband_name": "郑浩",
        "/data/husband_id_number": "610425199503021027", "/data/result": "normal"})
    assert found == {
        "/data/husband_id_number": "身份证号须为18位（17位数字加一位数字或X），且第17位为奇数（男）",
        "/data/husband_result": "此项必填"}


def test_a_benefit_is_paid_to_a_household_or_a_person_with_an_amount_over_zero(town):
    found = _violations(town, "benefit_payment", {
        "/data/village": "dongwan", "/data/payee": "person", "/data/benefit": "other",
        "/data/amount": "0", "/data/period": "2026-13", "/data/paid_by": "刘会芳"})
    assert found == {"/data/person": "此项必填", "/data/benefit_other": "此项必填",
                     "/data/amount": "金额应大于0且小于100万元",
                     "/data/period": "请填写年份（2026）、半年（2026-H1）或月份（2026-11）"}


def test_a_divorce_leaves_her_divorced_and_a_plan_names_its_month(town):
    found = _violations(town, "person", {
        "/data/village": "dongwan", "/data/mode": "existing", "/data/person": ZHANG_LI,
        "/data/change_reason": "divorce", "/data/change_date": "2026-11-10",
        "/data/spouse_name": "王强", "/data/marital_status": "first_marriage",
        "/data/sons": "1", "/data/daughters": "0", "/data/planning_pregnancy": "yes",
        "/data/planning_from": "2027-3"})
    assert found == {
        "/data/marital_status": "记录了结婚，婚姻状况应为初婚或再婚；记录了离婚，应为离婚",
        "/data/planning_from": "请按「年-月」填写，如2027-03"}


def test_a_death_needs_its_cause_and_place_and_a_household_its_status(town):
    found = _violations(town, "home_visit", {
        "/data/village": "dongwan", "/data/hh_mode": "existing",
        "/data/household": "a0000000-0000-4000-8000-000000000001",
        "/data/hh/registration_type": "agricultural",
        "/data/hh/family_status": ["none", "one_child"],
        "/data/member[1]/member_mode": "existing", "/data/member[1]/person": WANG_JIANGUO,
        "/data/member[1]/changes": ["death"], "/data/member[1]/change_date": "2026-11-01",
        "/data/member[1]/sons": "1", "/data/member[1]/daughters": "0"})
    assert found == {"/data/hh/family_status": "「以上都不是」不能与其他类别同时选择",
                     "/data/member[1]/death_cause": "此项必填",
                     "/data/member[1]/death_place": "此项必填"}


def test_a_person_needs_no_household_and_a_member_may_come_from_another_household(town):
    filled = fill_form(town.phone(), "person", {
        **NEW_PERSON, "/data/household": "", "/data/id_number": "610425199810101422",
        "/data/sex": "female", "/data/dob": "1998-10-10"})
    assert (filled.status, filled.violations) == ("ready", [])
    offered = fill_form(town.phone(), "home_visit", {
        "/data/village": "dongwan", "/data/hh_mode": "existing",
        "/data/household": "a0000000-0000-4000-8000-000000000004",
        "/data/member[1]/member_mode": "moved_here"}, options=["/data/member[1]/person"])
    # Everyone of the worker's villages not already in Liu Mei's household.
    assert LIU_MEI not in offered.options["/data/member[1]/person"]
    assert {WANG_JIANGUO, CHEN_HONG, SUN_MIN} <= set(offered.options["/data/member[1]/person"])
