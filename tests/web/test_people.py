"""People and households in the console: the search (Han substring, toneless pinyin and its
initials, ID and phone tails, filters, keyset pages), a person's life course with links and
provenance, a household's members, village scope and the audit rows of each read."""
import re

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from tests.samples import instance
from tests.samples import register as sample


def _names(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    body = response.get_data(as_text=True)
    return re.findall(r'<td class="name"><a href="/people/[^"]+">([^<]+)</a>', body)


@pytest.fixture
def admin(town, console):
    return console("admin")


def test_a_han_substring_finds_the_people_whose_name_holds_it(admin):
    assert _names(admin.get("/people?q=秀")) == ["李秀英"]
    assert _names(admin.get("/people?q=秀英")) == ["李秀英"]
    assert _names(admin.get("/people?q=李秀英")) == ["李秀英"]
    assert _names(admin.get("/people?q=秀英&sex=male")) == []
    assert sorted(_names(admin.get("/people?q=王"))) == ["王小宝", "王建国", "王强"]


def test_toneless_pinyin_full_spaced_or_initials_finds_her(admin):
    for q in ("lixiuying", "li xiu ying", "LiXiu", "lxy"):
        assert _names(admin.get(f"/people?q={q}")) == ["李秀英"], q


def test_the_tail_of_an_id_number_or_a_phone_finds_her(admin):
    assert _names(admin.get("/people?q=0424")) == ["李秀英"]           # ID 610425197109300424
    assert _names(admin.get("/people?q=610425197109300424")) == ["李秀英"]
    assert _names(admin.get("/people?q=6666")) == ["孙敏"]             # phone 13600006666
    body = admin.get("/people?q=6666").get_data(as_text=True)
    assert "610425********0927" in body and "610425199912010927" not in body   # masked
    assert "至少" in admin.get("/people?q=27").get_data(as_text=True)  # too few digits


def test_filters_narrow_the_list(admin):
    women = _names(admin.get("/people?wra=1&village=dongwan"))
    assert "李秀英" not in women                      # 55 years old
    assert {"张丽", "陈红", "孙敏", "刘梅"} <= set(women) and "王强" not in women
    assert _names(admin.get("/people?pregnant=1")) == ["刘梅"]
    assert _names(admin.get("/people?migrant=1")) == ["何静"]
    assert "王小宝" in _names(admin.get("/people?age=0-14"))


def test_a_village_supervisor_never_finds_another_villages_people(town, console):
    supervisor = console("supervisor")              # dongwan
    assert _names(supervisor.get("/people?q=zhaoyan")) == []     # 赵燕 lives in xishan
    assert _names(supervisor.get("/people?q=赵")) == []
    assert supervisor.get("/people?village=xishan").status_code == 403
    assert console("admin").get("/people?q=zhaoyan").status_code == 200
    assert _names(console("admin").get("/people?q=zhaoyan")) == ["赵燕"]


def test_the_list_is_keyset_paged_by_25(town, console, db):
    from app.register import entities
    from app.register.lists import dataset_named
    people = dataset_named(db.session, 1, "people")
    for n in range(30):
        entities.create(db.session, people, f"测试{n}", {"full_name": f"测试{n:02d}",
                                                         "village": "dongwan"}, area_id=1)
    db.session.commit()
    admin = console("admin")
    first = admin.get("/people?q=ceshi")
    names = _names(first)
    assert len(names) == 25
    more = re.search(r'<p class="more"><a href="([^"]+)"', first.get_data(as_text=True))
    rest = _names(admin.get(more.group(1).replace("&amp;", "&")))
    assert len(rest) == 5 and not set(rest) & set(names)
    assert sorted(names + rest) == [f"测试{n:02d}" for n in range(30)]


def test_a_search_is_audited_once_with_its_query(admin, db):
    admin.get("/people?q=wxm&wra=1")
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "person.search")).all()
    assert len(rows) == 1 and rows[0].details["q"] == "wxm" and rows[0].details["wra"] is True


def test_her_timeline_shows_her_events_in_date_order_with_links(town, console, db):
    phone = town.phone("worker_a")
    for name in ("three_checks_confirms_with_ultrasound", "birth"):
        assert phone.submit(instance(name)).status_code == 201
    body = console("admin").get(f"/people/{sample.LIU_MEI}?lang=en").get_data(as_text=True)
    timeline = body.split('<ol class="timeline"')[1].split("</ol>")[0]
    dates = re.findall(r"<strong>(\d{4}-\d\d-\d\d)</strong>", timeline)
    assert dates == sorted(dates) and len(dates) >= 4
    for kind in ("Ultrasound", "Three checks", "Pregnancy confirmed", "Birth"):
        assert kind in timeline
    assert re.search(r'href="/submissions/\d+"', timeline)
    assert "(as the other person)" in timeline                # her child's birth


def test_each_current_value_names_the_version_and_submission_that_set_it(town, console, db):
    phone = town.phone("worker_a")
    assert phone.submit(instance("three_checks_confirms_with_ultrasound")).status_code == 201
    from app.register.models import Entity, EntityVersion
    entity = db.session.scalar(select(Entity).where(Entity.uuid == sample.LIU_MEI))
    latest = db.session.scalar(select(EntityVersion).where(
        EntityVersion.entity_id == entity.id).order_by(EntityVersion.version.desc()))
    assert latest.submission_id is not None
    body = console("admin").get(f"/people/{sample.LIU_MEI}?lang=en").get_data(as_text=True)
    values = body.split('<table class="list values">')[1].split("</table>")[0]
    for key in latest.received:
        row = values.split(f"<code>{key}</code>")[1].split("</tr>")[0]
        assert f">v{latest.version}<" in row and f"/submissions/{latest.submission_id}" in row
    row = values.split("<code>full_name</code>")[1].split("</tr>")[0]
    assert ">v1<" in row and "a person (API)" in row           # set when she was registered
    assert f"v{latest.version}" in body.split('<table class="list versions">')[1]


def test_her_page_masks_the_id_number_until_asked_and_audits_each_read(town, console, db):
    admin = console("admin")
    body = admin.get(f"/people/{sample.LI_XIUYING}").get_data(as_text=True)
    assert "610425197109300424" not in body and "610425********0424" in body
    assert "王建国" in body                                      # spouse, household member
    body = admin.get(f"/people/{sample.LI_XIUYING}?reveal=id").get_data(as_text=True)
    assert "610425197109300424" in body
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "person.read")
                              .order_by(AuditEvent.id)).all()
    assert [r.target for r in rows] == [f"entity:{sample.LI_XIUYING}"] * 2
    assert [r.details["id_number_shown"] for r in rows] == [False, True]


def test_a_household_lists_its_members_and_is_audited(town, console, db):
    body = console("admin").get(f"/households/{sample.H2}?lang=en").get_data(as_text=True)
    for name in ("孙伟", "陈红", "孙敏", "周芳"):
        assert name in body
    members = body.split('<table class="list members">')[1].split("</table>")[0]
    assert "Moved out" in members.split("周芳")[1].split("</tr>")[0]
    assert "东湾村三组5号" in body
    assert db.session.scalar(select(AuditEvent.target).where(
        AuditEvent.action == "household.read")) == f"entity:{sample.H2}"


def test_another_villages_person_or_household_is_not_found(town, console, db):
    supervisor = console("supervisor")
    assert supervisor.get(f"/people/{sample.ZHAO_YAN}").status_code == 404
    assert supervisor.get(f"/households/{sample.H3}").status_code == 404
    assert supervisor.get(f"/people/{sample.H1}").status_code == 404     # not a person
    assert supervisor.get(f"/people/{sample.LI_XIUYING}").status_code == 200
    assert db.session.scalar(select(AuditEvent.target).where(
        AuditEvent.action == "person.read")) == f"entity:{sample.LI_XIUYING}"


def test_a_relative_in_another_village_is_not_named(town, console, db):
    from app.register import entities
    from app.projects.models import Area
    from app.register.models import Entity
    wang = db.session.scalar(select(Entity).where(Entity.uuid == sample.WANG_JIANGUO))
    xishan = db.session.scalar(select(Area.id).where(Area.code == "xishan"))
    entities.update(db.session, wang, data={"village": "xishan"}, area_id=xishan)  # moved away
    db.session.commit()
    body = console("supervisor").get(f"/people/{sample.LI_XIUYING}").get_data(as_text=True)
    assert "王建国" not in body.split("<h2>")[2]                # relatives
    assert "王强" in body
    assert "王建国" in console("admin").get(f"/people/{sample.LI_XIUYING}").get_data(as_text=True)
