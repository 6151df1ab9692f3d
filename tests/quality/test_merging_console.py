"""The console's compare-and-merge page and the unmerge on a person's page, through Flask's
test client: both cards, the rule's default picks, the preview, the merge with the picks
previewed, A's page listing B with its unmerge button, B's page linking to A, the unmerge;
another village's supervisor is refused, a bad pick is a 400."""
import re

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.register import rebuild
from app.register.models import Entity
from tests.quality.test_merging import A, B_DATA, PEOPLE
from tests.web.conftest import Console, sign_in


@pytest.fixture
def console(app, db, personas, town):
    def _console(name="supervisor", password=None):
        client = app.test_client()
        response = sign_in(app, client, name, password or personas[name].password)
        assert response.status_code == 303
        return Console(app, client)
    return _console


@pytest.fixture
def b(client, login, town):
    made = client.post(PEOPLE, headers=login("admin"), json={"label": "刘梅", "data": B_DATA})
    assert made.status_code == 200
    return made.json["uuid"]


def _entity(db, uuid_):
    db.session.rollback()
    return db.session.scalar(select(Entity).where(Entity.uuid == uuid_))


def _radio(html, name):
    checked = re.search(rf'name="pick\.{re.escape(name)}" value="(\w+)" checked', html)
    return checked.group(1) if checked else None


def test_compare_preview_merge_and_unmerge_in_the_console(console, b, db):
    page = console("supervisor")
    compare = page.get(f"/duplicates/{A}/{b}")
    assert compare.status_code == 200
    html = compare.get_data(as_text=True)
    assert "合并重复记录" in html and "刘梅" in html
    # the rule: A's non-blank phone is kept, B fills A's blank iud_status
    assert (_radio(html, "phone"), _radio(html, "iud_status")) == ("kept", "merged")
    assert "将 B 合并到 A" not in html                                  # no confirm yet
    preview = page.get(f"/duplicates/{A}/{b}?preview=1&pick.phone=merged&pick.iud_status=merged")
    shown = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "将 B 合并到 A" in shown
    assert "13700002222" in shown.split("合并后的 A")[1]
    assert 'name="pick.phone" value="merged"' in shown
    reads = db.session.scalars(select(AuditEvent.target).where(
        AuditEvent.action == "person.read")).all()
    assert {f"entity:{A}", f"entity:{b}"} <= set(reads)
    done = page.post(f"/duplicates/{A}/{b}", {"pick.phone": "merged", "pick.iud_status": "merged"})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/people/{A}")
    a = _entity(db, A)
    assert (a.data["phone"], a.data["iud_status"]) == ("13700002222", "in_place")
    assert _entity(db, b).merged_into_id == a.id
    a_page = page.get(f"/people/{A}").get_data(as_text=True)
    assert "已合并到本记录的重复记录" in a_page and f"/people/{b}/unmerge" in a_page
    b_page = page.get(f"/people/{b}").get_data(as_text=True)
    assert "已合并" in b_page and f'href="/people/{A}"' in b_page
    again = page.get(f"/duplicates/{A}/{b}")
    assert again.status_code == 409
    undone = page.post(f"/people/{b}/unmerge")
    assert undone.status_code == 303 and undone.headers["Location"].endswith(f"/people/{b}")
    assert _entity(db, b).merged_into_id is None
    assert _entity(db, A).data["phone"] == "13500001111"
    db.session.rollback()
    assert rebuild.check(db.session, 1).differences == []


def test_another_villages_supervisor_and_a_bad_pick_are_refused(console, b, db):
    from app.auth import accounts
    from tests import conftest as top
    accounts.create_user(db.session, "supervisor_x", "x-password", "supervisor", top.REALM,
                         ["xishan"], hash_method="scrypt:1024:8:1")
    db.session.commit()
    outsider = console("supervisor_x", "x-password")
    assert outsider.get(f"/duplicates/{A}/{b}").status_code == 404
    assert outsider.post(f"/duplicates/{A}/{b}").status_code == 404
    assert _entity(db, b).merged_into_id is None
    page = console("supervisor")
    assert page.get(f"/duplicates/{A}/{b}?pick.phone=both").status_code == 400
    assert page.get(f"/duplicates/{A}/{b}?other=1").status_code == 400
    assert page.post(f"/duplicates/{A}/{b}", {"pick.nope": "kept"}).status_code == 400
    assert page.get(f"/duplicates/{A}/{A}").status_code == 409
    assert console("viewer").get(f"/duplicates/{A}/{b}").status_code == 403


def test_the_kept_persons_page_shows_the_life_events_of_the_one_merged_into_her(
        console, town, client, login, db):
    from tests.quality.test_merging import _merge
    from tests.samples import instance
    assert town.phone("worker_a").submit(
        instance("three_checks_confirms_with_ultrasound")).status_code == 201   # 刘梅's (A)
    admin = login("admin")
    kept = client.post(PEOPLE, headers=admin, json={"label": "刘梅", "data": B_DATA}).json["uuid"]
    page = console("supervisor")
    assert "三查" not in page.get(f"/people/{kept}").get_data(as_text=True)
    assert _merge(client, admin, kept, A).status_code == 200       # the sample's 刘梅 into it
    shown = page.get(f"/people/{kept}").get_data(as_text=True)
    assert "三查" in shown.split('class="timeline"')[1].split("</ol>")[0]
    db.session.rollback()
    assert rebuild.check(db.session, 1).differences == []


def test_two_console_merges_of_one_pair_at_once_are_one_merge_and_one_409(console, b, db):
    """A into B and B into A from two browsers at the same moment: the console locks both rows
    in id order as the API does (without it both merged, each person into the other)."""
    import threading
    pages = [console("supervisor"), console("supervisor")]
    barrier = threading.Barrier(2)
    answers = []

    def send(page, kept, merged):
        barrier.wait()
        answers.append(page.post(f"/duplicates/{kept}/{merged}").status_code)

    db.session.rollback()
    threads = [threading.Thread(target=send, args=(pages[0], A, b)),
               threading.Thread(target=send, args=(pages[1], b, A))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(answers) == [303, 409]
    db.session.rollback()
    assert rebuild.check(db.session, 1).differences == []
    db.session.rollback()
