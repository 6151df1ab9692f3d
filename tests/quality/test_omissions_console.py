"""The console's overdue pregnancies page (/overdue): in Chinese by default and English on
asking; a supervisor sees her villages' rows only, another village is refused; the village
filter narrows an admin's list; each row links to the woman's page; pages follow by a cursor;
the read is audited; and the menu leads to it."""
import datetime as dt

from sqlalchemy import select

from app.audit.models import AuditEvent
from tests.quality.test_omissions import _pregnancy, _today, _uuid
from tests.samples import register as sample
from tests.web.conftest import console  # noqa: F401 - the fixture


def _seed(db):
    edd = _today() - dt.timedelta(days=45)
    _pregnancy(db, _uuid(1), edd)
    _pregnancy(db, _uuid(2), edd - dt.timedelta(days=1), village="xishan",
               woman=sample.ZHAO_YAN, name="赵燕")
    _pregnancy(db, _uuid(3), _today() - dt.timedelta(days=10), woman=sample.ZHANG_LI,
               name="张丽")                     # not yet four weeks past its date


def test_a_supervisor_sees_her_villages_overdue_pregnancies_in_chinese(town, db, console):
    _seed(db)
    body = console("supervisor").get("/overdue").get_data(as_text=True)
    assert "<h1>孕情去向不明</h1>" in body
    assert f'href="/people/{sample.LIU_MEI}">刘梅</a>' in body
    assert "赵燕" not in body and "张丽" not in body
    assert ">45<" in body and "妇女小组长" in body
    assert 'href="/overdue" aria-current="page">孕情去向</a>' in body
    assert console("supervisor").get("/overdue?village=xishan").status_code == 403


def test_an_admin_filters_by_village_and_reads_it_in_english(town, db, console):
    _seed(db)
    admin = console("admin")
    both = admin.get("/overdue").get_data(as_text=True)
    assert both.index("赵燕") < both.index("刘梅")          # the earlier expected date first
    one = admin.get("/overdue?village=xishan&lang=en").get_data(as_text=True)
    assert "<h1>Overdue pregnancies</h1>" in one and "赵燕" in one and "刘梅" not in one
    assert "Xishan" in one and "Days overdue" in one
    assert admin.get("/overdue?village=nowhere").status_code == 404
    assert admin.get("/overdue?after=forged").status_code == 400


def test_the_next_page_follows_the_first(town, db, console):
    from app.console.overdue import PAGE
    for n in range(1, PAGE + 2):        # one more than a page, the last one the latest
        _pregnancy(db, _uuid(n), _today() - dt.timedelta(days=200 - n))
    admin = console("admin")
    first = admin.get("/overdue").get_data(as_text=True)
    assert first.count('<td class="name">') == PAGE
    link = first.split('<p class="more"><a href="')[1].split('"')[0].replace("&amp;", "&")
    second = admin.get(link).get_data(as_text=True)
    assert second.count('<td class="name">') == 1 and 'class="more"' not in second
    assert f">{200 - PAGE - 1}<" in second


def test_the_page_read_is_audited(town, db, console):
    _seed(db)
    console("supervisor").get("/overdue?village=dongwan")
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "pregnancy.overdue.list")).one()
    assert event.details == {"village": "dongwan", "shown": 1}
