"""The console's possible duplicates page (/duplicates): the pairs of her villages with the
evidence in Chinese (English on asking), "not a duplicate" remembered, a link to compare and
merge, the menu's entry and the dashboard's count leading to it."""
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.quality.models import DuplicatePair
from tests.quality.test_duplicates import ZHANG_LI, _key, _register
from tests.web.conftest import console  # noqa: F401 - the fixture


def test_a_supervisor_sees_her_villages_pairs_with_the_evidence_in_words(
        town, db, console):  # noqa: F811
    again = _register(town, db)
    _register(town, db, name="赵艳", id_number="610425199305201123", dob="1993-05-20",
              village="xishan", household="a0000000-0000-4000-8000-000000000003",
              phone="worker_b")
    a, b = _key(ZHANG_LI, again)
    supervisor = console("supervisor")                         # dongwan's
    page = supervisor.get("/duplicates").get_data(as_text=True)
    assert "疑似重复人员" in page and "姓名读音相同（同音字）" in page and "身份证号相同" in page
    assert f'href="/duplicates/{a}/{b}"' in page and "不是重复" in page
    assert "赵艳" not in page                                 # xishan's pair is not hers
    english = supervisor.get("/duplicates?lang=en").get_data(as_text=True)
    assert "names sound the same (homophone)" in english and "Not a duplicate" in english
    assert 'href="/duplicates"' in english                     # the menu
    db.session.rollback()
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "person.list",
                                                      AuditEvent.target == "duplicates"))
    assert supervisor.get("/duplicates?village=xishan").status_code == 403


def test_not_a_duplicate_takes_the_pair_off_the_list(town, db, console):  # noqa: F811
    again = _register(town, db)
    a, b = _key(ZHANG_LI, again)
    supervisor = console("supervisor")
    done = supervisor.post(f"/duplicates/{a}/{b}/dismiss", data={"band": "likely"})
    assert done.status_code == 303 and done.headers["Location"].endswith("/duplicates?band=likely")
    db.session.rollback()
    assert db.session.scalar(select(DuplicatePair.status)) == "dismissed"
    assert "没有待处理的可能重复人员" in supervisor.get("/duplicates").get_data(as_text=True)
    assert console("viewer").post(f"/duplicates/{a}/{b}/dismiss").status_code == 403


def test_the_dashboard_counts_open_pairs_and_links_to_them(town, db, console):  # noqa: F811
    _register(town, db)
    page = console("supervisor").get("/").get_data(as_text=True)
    assert '<a class="count" href="/duplicates?village=dongwan"><strong>1</strong>' in page
