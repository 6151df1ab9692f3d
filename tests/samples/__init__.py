"""Named sample submissions of the town's forms, for the whole suite to reuse.

Each sample is an answer set (what a field worker taps, by node reference) for one form in
forms/, filled against the sample register (tests/samples/register.py) by ODK's own form engine
at a fixed moment with seeded uuids. The instance the engine produced is kept beside it in
tests/samples/instances/<name>.xml; tests/forms/test_town_forms.py proves the engine still
produces exactly that instance from those answers (DOORSTEP_REGENERATE_SAMPLES=1 rewrites them
after a form changes) and that Doorstep accepts it.

    from tests.samples import SAMPLES, instance
    xml = instance("three_checks_finds_pregnancy")

Instances of earlier form versions (what phones that have not updated still send) are kept in
tests/samples/earlier/ with the XLSForm of that version, and those of the version before the
current one where it differs in tests/samples/earlier/<version>/ (home_visit, person and
three_checks 2026120301, before the method questions): see old_instance() and earlier_form().
"""
import os
from dataclasses import dataclass, field

from tests.samples.register import (CHEN_HONG, H1, H2, H4, HE_JING, LI_XIUYING, LIU_MEI, P1,
                                     SUN_MIN, SUN_WEI, WANG_JIANGUO, WANG_QIANG, WANG_XIAOBAO,
                                     ZHANG_LI, ZHAO_YAN, ZHOU_FANG)

HERE = os.path.dirname(os.path.abspath(__file__))
INSTANCES = os.path.join(HERE, "instances")
FILLED_AT = "2026-11-20T10:00:00+08:00"   # when the engine filled them (Asia/Shanghai)


@dataclass(frozen=True)
class Sample:
    form: str                 # xmlFormId, and forms/<form>.xlsx
    persona: str              # who fills it (tests/conftest.py personas)
    story: str                # what happened, in a sentence
    answers: dict             # node reference → value (a list for select_multiple)
    repeats: dict = field(default_factory=dict)


def _member(i, **answers):
    return {f"/data/member[{i}]/{k}": v for k, v in answers.items()}


ONE_SON = {"sons": "1", "daughters": "0"}
NO_CHILD = {"sons": "0", "daughters": "0"}
WANG_HOUSEHOLD = {"/data/hh/registration_type": "agricultural", "/data/hh/family_status": ["none"]}

SAMPLES = {s_name: s for s_name, s in {
    "home_visit_birth": Sample(
        "home_visit", "worker_a",
        "The worker visits the Wang household, checks its five members and registers a baby girl.",
        {"/data/village": "dongwan", "/data/visit_date": "2026-11-19", "/data/hh_mode": "existing",
         "/data/household": H1, **WANG_HOUSEHOLD,
         **_member(1, member_mode="existing", person=WANG_JIANGUO, changes=["none"], **ONE_SON),
         **_member(2, member_mode="existing", person=LI_XIUYING, changes=["none"], **ONE_SON),
         **_member(3, member_mode="existing", person=WANG_QIANG, changes=["none"], sons="1",
                   daughters="1"),
         **_member(4, member_mode="existing", person=ZHANG_LI, changes=["none"], sons="1",
                   daughters="1", planning_pregnancy="no"),
         **_member(5, member_mode="existing", person=WANG_XIAOBAO, changes=["none"]),
         **_member(6, member_mode="new", full_name="王小妹", sex="female", dob="2026-10-02",
                   relation="grandchild", changes=["birth"], change_date="2026-10-02",
                   marital_status="unmarried", residence_status="resident")},
        {"/data/member": 6}),
    "home_visit_new_household": Sample(
        "home_visit", "worker_a",
        "A couple who moved into the village for work is visited and registered as a new household"
        " (agricultural registration, one child left with grandparents).",
        {"/data/village": "dongwan", "/data/visit_date": "2026-11-18", "/data/hh_mode": "new",
         "/data/hh/head_name": "马军", "/data/hh/address": "东湾村四组21号",
         "/data/hh/hh_phone": "13955556666", "/data/hh/family_card_no": "DW-0107",
         "/data/hh/registration_type": "agricultural", "/data/hh/family_status": ["one_child"],
         **_member(1, member_mode="new", full_name="马军", id_number="61042519920115123X",
                   sex="male", dob="1992-01-15", relation="head", changes=["moved_in"],
                   change_date="2026-11-01", moved_from="陕西省安康市汉滨区", within_town="no",
                   marital_status="first_marriage", residence_status="moved_in",
                   member_phone="13955556666", **ONE_SON),
         **_member(2, member_mode="new", full_name="杨静", id_number="610425199404041348",
                   sex="female", dob="1994-04-04", relation="spouse", changes=["moved_in"],
                   change_date="2026-11-01", moved_from="陕西省安康市汉滨区", within_town="no",
                   marital_status="first_marriage", residence_status="moved_in", **ONE_SON,
                   planning_pregnancy="no", contraception="iud")},
        {"/data/member": 2}),
    "home_visit_marriage": Sample(
        "home_visit", "worker_a",
        "Liu Mei marries Zhou Tao from Xishan, who moves into her household; both rows record the"
        " marriage, she names him, he is chosen from the register's women.",
        {"/data/village": "dongwan", "/data/visit_date": "2026-11-19", "/data/hh_mode": "existing",
         "/data/household": H4, "/data/hh/registration_type": "agricultural",
         "/data/hh/family_status": ["none"],
         **_member(1, member_mode="existing", person=LIU_MEI, changes=["marriage"],
                   change_date="2026-10-01", spouse_name="周涛",
                   marriage_registered_at="东湾镇民政办", **NO_CHILD, planning_pregnancy="no"),
         **_member(2, member_mode="new", full_name="周涛", sex="male", dob="1990-05-05",
                   relation="spouse", changes=["marriage", "moved_in"], change_date="2026-10-01",
                   spouse=LIU_MEI, marriage_registered_at="东湾镇民政办", moved_from="西山村",
                   within_town="yes", marital_status="first_marriage",
                   residence_status="resident", **NO_CHILD)},
        {"/data/member": 2}),
    "home_visit_bride_marries_out": Sample(
        "home_visit", "worker_a",
        "Sun Min marries Zheng Hao in the county town and moves out to live with him.",
        {"/data/village": "dongwan", "/data/visit_date": "2026-11-19", "/data/hh_mode": "existing",
         "/data/household": H2, "/data/hh/registration_type": "agricultural",
         "/data/hh/family_status": ["one_child"],
         **_member(1, member_mode="existing", person=SUN_WEI, changes=["none"], **ONE_SON),
         **_member(2, member_mode="existing", person=CHEN_HONG, changes=["none"], **ONE_SON,
                   planning_pregnancy="no"),
         **_member(3, member_mode="existing", person=SUN_MIN, changes=["marriage", "moved_out"],
                   change_date="2026-10-18", spouse_name="郑浩",
                   marriage_registered_at="县民政局婚姻登记处", moved_to="县城城关镇",
                   within_town="no", residence_status="moved_out", **NO_CHILD,
                   planning_pregnancy="undecided")},
        {"/data/member": 3}),
    "home_visit_death": Sample(
        "home_visit", "worker_a",
        "Wang Jianguo died of illness at home; Li Xiuying is now widowed.",
        {"/data/village": "dongwan", "/data/visit_date": "2026-11-19", "/data/hh_mode": "existing",
         "/data/household": H1, **WANG_HOUSEHOLD,
         **_member(1, member_mode="existing", person=WANG_JIANGUO, changes=["death"],
                   change_date="2026-11-03", death_cause="illness", death_place="home",
                   **ONE_SON),
         **_member(2, member_mode="existing", person=LI_XIUYING, changes=["none"],
                   marital_status="widowed", **ONE_SON),
         **_member(3, member_mode="existing", person=WANG_QIANG, changes=["none"], **ONE_SON),
         **_member(4, member_mode="existing", person=ZHANG_LI, changes=["none"], **ONE_SON,
                   planning_pregnancy="no"),
         **_member(5, member_mode="existing", person=WANG_XIAOBAO, changes=["none"])},
        {"/data/member": 5}),
    "home_visit_moves_within_town": Sample(
        "home_visit", "worker_a",
        "Li Xiuying moves from the Wang household to Liu Mei's to help before the birth.",
        {"/data/village": "dongwan", "/data/visit_date": "2026-11-19", "/data/hh_mode": "existing",
         "/data/household": H4, "/data/hh/registration_type": "agricultural",
         "/data/hh/family_status": ["none"],
         **_member(1, member_mode="existing", person=LIU_MEI, changes=["none"], **NO_CHILD,
                   planning_pregnancy="no"),
         **_member(2, member_mode="moved_here", person=LI_XIUYING, relation="parent",
                   changes=["moved_in"], change_date="2026-11-08",
                   moved_from="东湾村一组12号王建国户", **ONE_SON)},
        {"/data/member": 2}),
    "home_visit_method_stated": Sample(
        "home_visit", "worker_a",
        "Zhang Li tells the worker she has had her IUD taken out and now takes the pill.",
        {"/data/village": "dongwan", "/data/visit_date": "2026-11-19", "/data/hh_mode": "existing",
         "/data/household": H1, **WANG_HOUSEHOLD,
         **_member(1, member_mode="existing", person=WANG_JIANGUO, changes=["none"], **ONE_SON),
         **_member(2, member_mode="existing", person=LI_XIUYING, changes=["none"], **ONE_SON),
         **_member(3, member_mode="existing", person=WANG_QIANG, changes=["none"], **ONE_SON),
         **_member(4, member_mode="existing", person=ZHANG_LI, changes=["none"], **ONE_SON,
                   planning_pregnancy="no", contraception="pills"),
         **_member(5, member_mode="existing", person=WANG_XIAOBAO, changes=["none"])},
        {"/data/member": 5}),
    "home_visit_planning": Sample(
        "home_visit", "worker_a",
        "Zhang Li and Wang Qiang plan a second child from March 2027.",
        {"/data/village": "dongwan", "/data/visit_date": "2026-11-19", "/data/hh_mode": "existing",
         "/data/household": H1, **WANG_HOUSEHOLD,
         **_member(1, member_mode="existing", person=WANG_JIANGUO, changes=["none"], **ONE_SON),
         **_member(2, member_mode="existing", person=LI_XIUYING, changes=["none"], **ONE_SON),
         **_member(3, member_mode="existing", person=WANG_QIANG, changes=["none"], **ONE_SON),
         **_member(4, member_mode="existing", person=ZHANG_LI, changes=["none"], **ONE_SON,
                   planning_pregnancy="yes", planning_from="2027-03"),
         **_member(5, member_mode="existing", person=WANG_XIAOBAO, changes=["none"])},
        {"/data/member": 5}),
    "person_registered": Sample(
        "person", "worker_a", "A woman who married into the Sun household is registered.",
        {"/data/village": "dongwan", "/data/mode": "new", "/data/change_reason": "marriage",
         "/data/change_date": "2026-11-16",
         "/data/full_name": "吴倩", "/data/id_number": "610425199810101422",
         "/data/sex": "female", "/data/dob": "1998-10-10", "/data/household": H2,
         "/data/relation": "child_in_law", "/data/marital_status": "first_marriage",
         "/data/residence_status": "moved_in", "/data/phone": "13712340000",
         "/data/spouse_name": "孙涛", "/data/marriage_registered_at": "东湾镇民政办",
         "/data/sons": "0", "/data/daughters": "0", "/data/deceased": "no",
         "/data/planning_pregnancy": "undecided", "/data/contraception": "none"}),
    "person_away": Sample(
        "person", "worker_a", "Wang Qiang has gone to work in the city for the winter.",
        {"/data/village": "dongwan", "/data/mode": "existing", "/data/person": WANG_QIANG,
         "/data/change_reason": "other", "/data/change_date": "2026-11-15",
         "/data/residence_status": "away", "/data/phone": "13800000033",
         "/data/sons": "1", "/data/daughters": "0"}),
    "person_birth": Sample(
        "person", "worker_a", "Chen Hong's baby boy, born at home, is registered on the person form.",
        {"/data/village": "dongwan", "/data/mode": "new", "/data/change_reason": "birth",
         "/data/change_date": "2026-11-05", "/data/full_name": "孙小虎", "/data/sex": "male",
         "/data/dob": "2026-11-05", "/data/household": H2, "/data/relation": "son",
         "/data/marital_status": "unmarried", "/data/residence_status": "resident",
         "/data/deceased": "no"}),
    "person_method_stated": Sample(
        "person", "worker_a",
        "Sun Min, married this year, says she uses condoms: the register had no method for her.",
        {"/data/village": "dongwan", "/data/mode": "existing", "/data/person": SUN_MIN,
         "/data/change_reason": "other", "/data/change_date": "2026-11-15",
         "/data/sons": "0", "/data/daughters": "0", "/data/planning_pregnancy": "no",
         "/data/contraception": "condom"}),
    "person_divorce": Sample(
        "person", "worker_a", "Zhang Li and Wang Qiang divorce; she keeps their son.",
        {"/data/village": "dongwan", "/data/mode": "existing", "/data/person": ZHANG_LI,
         "/data/change_reason": "divorce", "/data/change_date": "2026-11-10",
         "/data/spouse": WANG_QIANG, "/data/marital_status": "divorced",
         "/data/sons": "1", "/data/daughters": "0"}),
    "three_checks_finds_pregnancy": Sample(
        "three_checks", "worker_a",
        "Zhang Li's IUD has been expelled and she is six weeks pregnant: a pregnancy is created.",
        {"/data/village": "dongwan", "/data/check_date": "2026-11-20",
         "/data/woman": ZHANG_LI, "/data/iud/iud_result": "expelled",
         "/data/preg/pregnancy_result": "pregnant", "/data/preg/preg_weeks": "6",
         "/data/gyn/findings": ["none"], "/data/gyn/referral": "no",
         "/data/contraception": "none"}),
    "three_checks_routine": Sample(
        "three_checks", "worker_a",
        "Chen Hong's IUD is in place, she is not pregnant, and vaginitis is found and referred.",
        {"/data/village": "dongwan", "/data/check_date": "2026-11-20",
         "/data/woman": CHEN_HONG, "/data/iud/iud_result": "in_place",
         "/data/preg/pregnancy_result": "not_pregnant", "/data/gyn/findings": ["vaginitis"],
         "/data/gyn/referral": "yes", "/data/gyn/referral_to": "镇卫生院妇科"}),
    "pregnancy_reported_by_leader": Sample(
        "pregnancy_report", "leader",
        "The women's group leader reports that Sun Min, recently married, is pregnant.",
        {"/data/village": "dongwan", "/data/report_date": "2026-11-19",
         "/data/woman_update/woman": SUN_MIN, "/data/date_basis": "lmp",
         "/data/lmp_given": "2026-09-28", "/data/first_pregnancy": "yes"}),
    "three_checks_confirms_with_ultrasound": Sample(
        "three_checks", "worker_a",
        "Liu Mei, 16 weeks pregnant, is checked: her pregnancy is confirmed and the county "
        "hospital's ultrasound two days before is registered by the operator's real name.",
        {"/data/village": "dongwan", "/data/check_date": "2026-06-20", "/data/woman": LIU_MEI,
         "/data/iud/iud_result": "none_fitted", "/data/preg/pregnancy_result": "pregnant",
         "/data/preg/preg_weeks": "16", "/data/preg/ultrasound_done": "yes",
         "/data/preg/ultrasound_date": "2026-06-18", "/data/preg/ultrasound_facility": "county_mch",
         "/data/preg/ultrasound_operator": "赵丽华", "/data/gyn/findings": ["none"],
         "/data/gyn/referral": "no", "/data/contraception": "none"}),
    "three_checks_iud_removed": Sample(
        "three_checks", "worker_a",
        "Chen Hong's IUD was removed since the last round; she now uses condoms.",
        {"/data/village": "dongwan", "/data/check_date": "2026-11-18", "/data/woman": CHEN_HONG,
         "/data/iud/iud_result": "removed", "/data/preg/pregnancy_result": "not_pregnant",
         "/data/gyn/findings": ["none"], "/data/gyn/referral": "no",
         "/data/contraception": "condom"}),
    "birth": Sample(
        "pregnancy_outcome", "worker_a",
        "Liu Mei gives birth to a boy in the county hospital: the child is registered.",
        {"/data/village": "dongwan", "/data/pregnancy_mode": "registered", "/data/pregnancy": P1,
         "/data/outcome": "live_birth", "/data/outcome_date": "2026-11-17",
         "/data/gestational_weeks": "37", "/data/place": "hospital",
         "/data/facility": "县人民医院", "/data/attendant": "周慧", "/data/children_born": "1",
         "/data/child/newborn[1]/child_sex": "male", "/data/child/newborn[1]/child_weight": "3.4",
         "/data/child/newborn[1]/child_name": "刘小龙",
         "/data/child/newborn[1]/birth_certificate_no": "Q610012345",
         "/data/child/newborn[1]/newborn_death": "no"}),
    "birth_twins_newborn_death": Sample(
        "pregnancy_outcome", "worker_a",
        "Liu Mei has twins in the county hospital; the boy dies at home a week later, and the "
        "worker has checked the death.",
        {"/data/village": "dongwan", "/data/pregnancy_mode": "registered", "/data/pregnancy": P1,
         "/data/outcome": "live_birth", "/data/outcome_date": "2026-11-03",
         "/data/gestational_weeks": "35", "/data/place": "hospital",
         "/data/facility": "县人民医院", "/data/attendant": "周慧", "/data/children_born": "2",
         "/data/child/newborn[1]/child_sex": "male", "/data/child/newborn[1]/child_weight": "2.4",
         "/data/child/newborn[1]/child_name": "刘大宝",
         "/data/child/newborn[1]/birth_certificate_no": "Q610012346",
         "/data/child/newborn[1]/newborn_death": "outside_hospital",
         "/data/child/newborn[1]/newborn_death_date": "2026-11-10",
         "/data/child/newborn[1]/newborn_death_cause": "新生儿肺炎",
         "/data/child/newborn[1]/newborn_death_checked": "yes",
         "/data/child/newborn[2]/child_sex": "female", "/data/child/newborn[2]/child_weight": "2.2",
         "/data/child/newborn[2]/child_name": "刘二妹",
         "/data/child/newborn[2]/birth_certificate_no": "Q610012347",
         "/data/child/newborn[2]/newborn_death": "no"}),
    "stillbirth": Sample(
        "pregnancy_outcome", "worker_a",
        "Liu Mei's baby is stillborn at 29 weeks in the county maternal and child health hospital.",
        {"/data/village": "dongwan", "/data/pregnancy_mode": "registered", "/data/pregnancy": P1,
         "/data/outcome": "stillbirth", "/data/outcome_date": "2026-09-20",
         "/data/gestational_weeks": "29", "/data/place": "hospital",
         "/data/facility": "县妇幼保健院", "/data/attendant": "周慧"}),
    "pregnancy_loss": Sample(
        "pregnancy_outcome", "worker_a", "Liu Mei's pregnancy ends in a miscarriage at home.",
        {"/data/village": "dongwan", "/data/pregnancy_mode": "registered", "/data/pregnancy": P1,
         "/data/outcome": "miscarriage", "/data/outcome_date": "2026-05-02",
         "/data/gestational_weeks": "9", "/data/loss_reason": "spontaneous",
         "/data/place": "home"}),
    "miscarriage_unregistered": Sample(
        "pregnancy_outcome", "worker_a",
        "Zhang Li miscarries at seven weeks, before anyone reported her pregnancy: the outcome "
        "form registers the pregnancy as it ends it.",
        {"/data/village": "dongwan", "/data/pregnancy_mode": "unregistered",
         "/data/woman": ZHANG_LI, "/data/outcome": "miscarriage",
         "/data/outcome_date": "2026-10-15", "/data/gestational_weeks": "7",
         "/data/loss_reason": "spontaneous", "/data/place": "home"}),
    "termination_approved": Sample(
        "pregnancy_outcome", "worker_a",
        "Sun Min's pregnancy, never reported, is terminated at 18 weeks in the county hospital "
        "for a fetal anomaly, with the approval the town gave.",
        {"/data/village": "dongwan", "/data/pregnancy_mode": "unregistered",
         "/data/woman": SUN_MIN, "/data/outcome": "medical_termination",
         "/data/outcome_date": "2026-11-10", "/data/gestational_weeks": "18",
         "/data/approval_no": "DW-2026-031", "/data/loss_reason": "fetal_anomaly",
         "/data/place": "hospital", "/data/facility": "县人民医院", "/data/attendant": "吴建平"}),
    "termination_without_approval": Sample(
        "pregnancy_outcome", "worker_a",
        "Liu Mei's pregnancy is terminated at 18 weeks in a private clinic with no approval "
        "number: the record is kept and flagged for the supervisor.",
        {"/data/village": "dongwan", "/data/pregnancy_mode": "registered", "/data/pregnancy": P1,
         "/data/outcome": "medical_termination", "/data/outcome_date": "2026-07-08",
         "/data/gestational_weeks": "18", "/data/loss_reason": "other",
         "/data/loss_reason_other": "家庭经济困难", "/data/place": "clinic",
         "/data/facility": "城关私立诊所", "/data/attendant": "钱某某"}),
    "migrant_moving_in": Sample(
        "migrant", "worker_a",
        "Huang Li, married with two daughters, arrives from Sichuan to work at the brick factory "
        "with her certificate; she has no household in the town.",
        {"/data/village": "dongwan", "/data/direction": "in", "/data/mode": "new",
         "/data/full_name": "黄丽", "/data/id_number": "610425199708181227", "/data/sex": "female",
         "/data/dob": "1997-08-18", "/data/phone": "15012345678",
         "/data/marital_status": "first_marriage", "/data/sons": "0", "/data/daughters": "2",
         "/data/place/province": "四川省", "/data/place/county": "南充市仪陇县",
         "/data/place/town": "新政镇", "/data/move_date": "2026-11-02",
         "/data/expected_until": "2027-06-30", "/data/reason": "work",
         "/data/employer_or_landlord": "东湾砖厂",
         "/data/certificate/has_certificate": "yes",
         "/data/certificate/certificate_no": "SC2026-0451",
         "/data/certificate/certificate_issued_by": "新政镇人民政府",
         "/data/certificate/certificate_valid_until": "2029-11-01",
         "/data/contraception": "iud"}),
    "migrant_moving_out": Sample(
        "migrant", "worker_a",
        "Chen Hong leaves to work in Shenzhen with her certificate; her household stays.",
        {"/data/village": "dongwan", "/data/direction": "out", "/data/mode": "existing",
         "/data/person": CHEN_HONG, "/data/sons": "1", "/data/daughters": "0",
         "/data/place/province": "广东省",
         "/data/place/county": "深圳市宝安区", "/data/place/town": "西乡街道",
         "/data/move_date": "2026-08-15", "/data/reason": "work",
         "/data/employer_or_landlord": "宝安电子厂",
         "/data/certificate/has_certificate": "yes",
         "/data/certificate/certificate_no": "DW2026-0118",
         "/data/certificate/certificate_issued_by": "东湾镇人民政府",
         "/data/certificate/certificate_valid_until": "2029-08-14"}),
    "migrant_leaving_without_household": Sample(
        "migrant", "worker_a",
        "He Jing, who came from Henan with no household here, goes back home to her family.",
        {"/data/village": "dongwan", "/data/direction": "out", "/data/mode": "existing",
         "/data/person": HE_JING, "/data/place/province": "河南省", "/data/place/county": "郑州市中牟县",
         "/data/place/town": "城关镇", "/data/move_date": "2026-11-10", "/data/reason": "family",
         "/data/certificate/has_certificate": "no"}),
    "double_check_results_received": Sample(
        "double_check", "worker_a",
        "Zhou Fang, who left to work in Dongguan, had her double check there; the results came back.",
        {"/data/village": "dongwan", "/data/woman": ZHOU_FANG, "/data/direction": "left",
         "/data/check_date": "2026-10-20", "/data/check_place": "东莞市长安镇计生服务站",
         "/data/received": "yes", "/data/iud_result": "in_place",
         "/data/pregnancy_result": "not_pregnant"}),
    "double_check_results_sent_home": Sample(
        "double_check", "worker_a",
        "He Jing, who moved in from Henan, has her double check at the health centre; the results "
        "are sent to her home town.",
        {"/data/village": "dongwan", "/data/woman": HE_JING, "/data/direction": "arrived",
         "/data/check_date": "2026-09-15", "/data/check_place": "东湾镇卫生院",
         "/data/iud_result": "in_place", "/data/pregnancy_result": "not_pregnant",
         "/data/sent_on": "2026-09-18"}),
    "contraception_implant": Sample(
        "contraception_service", "worker_a",
        "Chen Hong changes from an IUD to an implant at the town health centre.",
        {"/data/village": "dongwan", "/data/person": CHEN_HONG, "/data/action": "change",
         "/data/method": "implant", "/data/procedure": "implant_insertion",
         "/data/service_date": "2026-11-12", "/data/facility": "town_health_centre",
         "/data/provider": "李医生"}),
    "prepregnancy_check_risk": Sample(
        "prepregnancy_check", "worker_a",
        "Sun Min and her husband have their free check-up; a nutrition risk is found in her.",
        {"/data/village": "dongwan", "/data/woman": SUN_MIN, "/data/husband_name": "郑浩",
         "/data/husband_id_number": "610425199008121012",
         "/data/check_date": "2026-09-10", "/data/result": "risk", "/data/risks": ["nutrition"],
         "/data/husband_result": "normal",
         "/data/referral": "yes", "/data/referral_to": "县妇幼保健院营养门诊"}),
    "prepregnancy_check_man_at_risk": Sample(
        "prepregnancy_check", "worker_a",
        "Zhang Li and Wang Qiang plan a second child; at the check-up he is found to smoke and to "
        "carry hepatitis B, and they are counselled.",
        {"/data/village": "dongwan", "/data/woman": ZHANG_LI, "/data/husband": WANG_QIANG,
         "/data/check_date": "2026-11-03", "/data/result": "normal",
         "/data/husband_result": "risk", "/data/husband_risks": ["infectious", "lifestyle"],
         "/data/referral": "yes", "/data/referral_to": "县医院感染科"}),
    "contraception_iud_insertion": Sample(
        "contraception_service", "worker_b",
        "Zhao Yan changes from condoms to an IUD, fitted at the town health centre.",
        {"/data/village": "xishan", "/data/person": ZHAO_YAN, "/data/action": "change",
         "/data/method": "iud", "/data/procedure": "iud_insertion",
         "/data/service_date": "2026-11-06", "/data/facility": "town_health_centre",
         "/data/provider": "王桂兰"}),
    "benefit_one_child_household": Sample(
        "benefit_payment", "worker_a",
        "The Sun household, parents of one child, is paid this year's one-child parents' award.",
        {"/data/village": "dongwan", "/data/payee": "household", "/data/household": H2,
         "/data/benefit": "one_child_parents", "/data/amount": "1200", "/data/period": "2026",
         "/data/paid_on": "2026-11-05", "/data/paid_by": "刘会芳"}),
    "benefit_pension_person": Sample(
        "benefit_payment", "worker_a",
        "Li Xiuying is paid November's rural pension top-up.",
        {"/data/village": "dongwan", "/data/payee": "person", "/data/person": LI_XIUYING,
         "/data/benefit": "rural_pension", "/data/amount": "85.5", "/data/period": "2026-11",
         "/data/paid_on": "2026-11-18", "/data/paid_by": "刘会芳"}),
}.items()}


def instance(name):
    """The instance ODK's engine produced for sample `name`, as bytes."""
    with open(os.path.join(INSTANCES, f"{name}.xml"), "rb") as f:
        return f.read()


#: Earlier versions of the town's forms (<form>_<version>.xlsx) and instances they produced,
#: kept as phones that have not updated still send them
EARLIER = os.path.join(HERE, "earlier")


def old_instance(name, version=None):
    """Sample `name` as an earlier version of its form produced it (tests/samples/earlier/, or
    tests/samples/earlier/<version>/ for a later earlier version)."""
    with open(os.path.join(EARLIER, version or "", f"{name}.xml"), "rb") as f:
        return f.read()


def earlier_form(form, version=None):
    """The path of the earlier version's XLSForm of `form` (one per form in
    tests/samples/earlier/, one in tests/samples/earlier/<version>/)."""
    import glob
    found = glob.glob(os.path.join(EARLIER, version or "", f"{form}_*.xlsx"))
    assert len(found) == 1, found
    return found[0]
