"""A small fictional register the sample answer sets are filled against: two villages, four
households, twelve people (two of them migrant women, one who left and one who moved in) and
one open pregnancy. Resident ID numbers follow GB 11643 (region
610425, a valid date of birth, a sex digit, an ISO 7064 MOD 11-2 check digit) but belong to
nobody. UUIDs are fixed so answers can name them."""
from app.projects.models import Area
from app.register import entities
from app.register.lists import dataset_named
from sqlalchemy import select


def _uuid(kind, n):
    return f"{kind}0000000-0000-4000-8000-{n:012d}"


H1, H2, H3, H4 = (_uuid("a", n) for n in range(1, 5))
(WANG_JIANGUO, LI_XIUYING, WANG_QIANG, ZHANG_LI, WANG_XIAOBAO, SUN_WEI, CHEN_HONG, SUN_MIN,
 LIU_MEI, ZHAO_YAN, ZHOU_FANG, HE_JING) = (_uuid("b", n) for n in range(1, 13))
P1 = _uuid("c", 1)

HOUSEHOLDS = [
    (H1, "王建国 · 东湾村一组12号", {"village": "dongwan", "address": "东湾村一组12号",
     "head_name": "王建国", "phone": "13912345678", "family_card_no": "DW-0012",
     "member_count": "5", "last_visit_date": "2026-05-10"}),
    (H2, "孙伟 · 东湾村三组5号", {"village": "dongwan", "address": "东湾村三组5号",
     "head_name": "孙伟", "phone": "13787654321", "family_card_no": "DW-0031",
     "member_count": "3", "last_visit_date": "2026-05-12"}),
    (H3, "赵燕 · 西山村二组8号", {"village": "xishan", "address": "西山村二组8号",
     "head_name": "赵燕", "phone": "13611112222", "family_card_no": "XS-0008",
     "member_count": "1", "last_visit_date": "2026-04-02"}),
    (H4, "刘梅 · 东湾村二组3号", {"village": "dongwan", "address": "东湾村二组3号",
     "head_name": "刘梅", "phone": "13500001111", "family_card_no": "DW-0020",
     "member_count": "1", "last_visit_date": "2026-06-01"}),
]


def _person(name, sex, dob, id_number, household, relation, marital, village="dongwan", **more):
    data = {"full_name": name, "sex": sex, "dob": dob, "id_number": id_number,
            "household": household, "relation": relation, "village": village,
            "marital_status": marital, "residence_status": "resident", "phone": "",
            "contraception": "", "iud_status": "", "last_checks_date": "", "pregnant": "no",
            "children_count": "0", "deceased": "no", "prepregnancy_check_date": ""}
    data.update(more)
    return data


PEOPLE = [
    (WANG_JIANGUO, _person("王建国", "male", "1968-04-12", "610425196804120316", H1, "head",
                           "first_marriage", children_count="1", spouse=LI_XIUYING)),
    (LI_XIUYING, _person("李秀英", "female", "1971-09-30", "610425197109300424", H1, "spouse",
                         "first_marriage", children_count="1",
                         contraception="female_sterilisation", iud_status="none_fitted",
                         spouse=WANG_JIANGUO)),
    (WANG_QIANG, _person("王强", "male", "1994-02-17", "610425199402170517", H1, "son",
                         "first_marriage", phone="13800000003", children_count="1",
                         spouse=ZHANG_LI)),
    (ZHANG_LI, _person("张丽", "female", "1996-06-08", "610425199606080628", H1, "child_in_law",
                       "first_marriage", phone="13800000004", contraception="iud",
                       iud_status="in_place", last_checks_date="2026-05-10", children_count="1",
                       spouse=WANG_QIANG)),
    (WANG_XIAOBAO, _person("王小宝", "male", "2021-03-03", "", H1, "grandchild", "unmarried")),
    (SUN_WEI, _person("孙伟", "male", "1990-07-07", "610425199007071017", H2, "head",
                      "first_marriage", phone="13787654321", children_count="1",
                      spouse=CHEN_HONG)),
    (CHEN_HONG, _person("陈红", "female", "1989-03-15", "610425198903150827", H2, "spouse",
                        "first_marriage", phone="13787650000", contraception="iud",
                        iud_status="in_place", last_checks_date="2026-05-12",
                        children_count="1", spouse=SUN_WEI)),
    (SUN_MIN, _person("孙敏", "female", "1999-12-01", "610425199912010927", H2, "sibling",
                      "first_marriage", phone="13600006666",
                      prepregnancy_check_date="2026-09-10")),
    (LIU_MEI, _person("刘梅", "female", "1991-11-23", "610425199111230727", H4, "head",
                      "first_marriage", phone="13500001111", contraception="none",
                      pregnant="yes")),
    (ZHAO_YAN, _person("赵燕", "female", "1993-05-20", "610425199305201123", H3, "head",
                       "first_marriage", village="xishan", contraception="condom")),
    # Left to work in Guangdong in March; her household stays in the village.
    (ZHOU_FANG, _person("周芳", "female", "1995-03-02", "610425199503021027", H2, "sibling",
                        "first_marriage", residence_status="moved_out", contraception="iud",
                        iud_status="in_place", children_count="1", sons="1", daughters="0")),
    # Came from Henan to work at the brick factory; no household in the town.
    (HE_JING, _person("何静", "female", "1996-11-18", "410122199611180647", "", "other",
                      "first_marriage", residence_status="moved_in", contraception="iud",
                      iud_status="in_place", children_count="2", sons="0", daughters="2")),
]

PREGNANCIES = [
    (P1, "刘梅 2026-03-01", {"woman": LIU_MEI, "woman_name": "刘梅", "village": "dongwan",
     "lmp": "2026-03-01", "edd": "2026-12-06", "reported_by": "group_leader",
     "status": "confirmed", "outcome": "", "outcome_date": "", "birth_order": "1",
     "phone": "13500001111"}),
]


def seed_register(session, project_id=1):
    """Create the sample register in datasets the town's forms have declared."""
    areas = dict(session.execute(select(Area.code, Area.id).where(Area.project_id == project_id)).all())
    for list_name, rows in (("households", HOUSEHOLDS),
                            ("people", [(u, d["full_name"], d) for u, d in PEOPLE]),
                            ("pregnancies", PREGNANCIES)):
        dataset = dataset_named(session, project_id, list_name)
        for uuid, label, data in rows:
            entities.create(session, dataset, label, data, uuid=uuid, area_id=areas[data["village"]])
    session.flush()
