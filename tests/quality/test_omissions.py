"""Overdue pregnancies (app.quality.omissions and GET /v1/projects/1/overdue-pregnancies): an
open pregnancy is listed from the 28th day after its expected date, not the 27th; an outcome
recorded takes it off; a supervisor sees only her villages' (another village is not found);
pages follow one another by a cursor and a forged cursor is refused; every read is audited."""
import datetime as dt
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.projects.models import Area
from app.quality import omissions
from app.register import entities
from app.register.lists import dataset_named
from tests.samples import register as sample

URL = "/v1/projects/1/overdue-pregnancies"


def _today():
    """The town's today, as the API counts it."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def _pregnancy(db, uuid, edd, village="dongwan", woman=sample.LIU_MEI, status="confirmed",
               name="刘梅"):
    areas = dict(db.session.execute(select(Area.code, Area.id)).all())
    dataset = dataset_named(db.session, 1, "pregnancies")
    lmp = (edd - dt.timedelta(days=280)).isoformat()
    entities.create(db.session, dataset, f"{name} {lmp}", {
        "woman": woman, "woman_name": name, "village": village, "lmp": lmp,
        "edd": edd.isoformat(), "status": status, "reported_by": "group_leader"},
        uuid=uuid, area_id=areas[village])
    db.session.commit()


def _uuid(n):
    return f"d0000000-0000-4000-8000-{n:012d}"


def test_a_pregnancy_is_overdue_from_the_28th_day_after_its_expected_date(town, db):
    today = dt.date(2026, 7, 1)
    _pregnancy(db, _uuid(1), today - dt.timedelta(days=28))
    _pregnancy(db, _uuid(2), today - dt.timedelta(days=27))
    _pregnancy(db, _uuid(3), today - dt.timedelta(days=90), status="reported")
    page = omissions.overdue_pregnancies(db.session, 1, None, today)
    assert [(r.pregnancy, r.days_overdue) for r in page.rows] == [(_uuid(3), 90), (_uuid(1), 28)]
    row = page.rows[1]
    assert (row.woman, row.woman_name, row.village, row.reported_by, row.last_check) == (
        sample.LIU_MEI, "刘梅", "dongwan", "group_leader", "")
    assert page.after is None
    assert omissions.count(db.session, 1, None, today) == 2
    # the sample's own pregnancy (edd 2026-12-06) is overdue four weeks later, not before
    assert sample.P1 not in [r.pregnancy for r in page.rows]
    later = omissions.overdue_pregnancies(db.session, 1, None, dt.date(2027, 1, 3)).rows
    assert sample.P1 in [r.pregnancy for r in later]


def test_the_last_three_checks_of_the_woman_is_shown(town, db):
    _pregnancy(db, _uuid(1), dt.date(2026, 1, 1), woman=sample.ZHANG_LI, name="张丽")
    row, = omissions.overdue_pregnancies(db.session, 1, None, dt.date(2026, 3, 1)).rows
    assert row.last_check == "2026-05-10"


def test_an_outcome_recorded_takes_the_pregnancy_off_the_list(town, db, client, login):
    edd = _today() - dt.timedelta(days=40)
    _pregnancy(db, _uuid(1), edd)
    headers = login("supervisor")
    assert [r["pregnancy"] for r in client.get(URL, headers=headers).json["value"]] == [_uuid(1)]
    response = client.patch(f"/v1/projects/1/datasets/pregnancies/entities/{_uuid(1)}?force=true",
                            json={"data": {"status": "delivered", "outcome": "live_birth"}},
                            headers=headers)
    assert response.status_code == 200, response.json
    assert client.get(URL, headers=headers).json["value"] == []


def test_a_supervisor_sees_only_her_villages_and_another_is_not_found(town, db, client, login):
    edd = _today() - dt.timedelta(days=60)
    _pregnancy(db, _uuid(1), edd)
    _pregnancy(db, _uuid(2), edd, village="xishan", woman=sample.ZHAO_YAN, name="赵燕")
    admin, supervisor = login("admin"), login("supervisor")
    assert {r["pregnancy"] for r in client.get(URL, headers=admin).json["value"]} == {
        _uuid(1), _uuid(2)}
    body = client.get(URL, headers=supervisor).json
    assert [r["pregnancy"] for r in body["value"]] == [_uuid(1)]
    assert body["value"][0]["village"] == {"code": "dongwan", "nameZh": "东湾村",
                                           "nameEn": "Dongwan"}
    assert body["value"][0]["daysOverdue"] == 60 and body["asOf"] == _today().isoformat()
    refused = client.get(f"{URL}?village=xishan", headers=supervisor)
    assert refused.status_code == 404 and refused.json["code"] == "404.301"
    unknown = client.get(f"{URL}?village=nowhere", headers=admin)
    assert unknown.status_code == 404 and unknown.json["code"] == "404.301"
    only = client.get(f"{URL}?village=xishan", headers=admin).json["value"]
    assert [r["pregnancy"] for r in only] == [_uuid(2)]


def test_pages_follow_one_another_and_a_forged_cursor_is_refused(town, db, client, login):
    for n in range(1, 6):
        _pregnancy(db, _uuid(n), _today() - dt.timedelta(days=100 - n % 2))
    headers = login("viewer")
    seen, url = [], f"{URL}?limit=2"
    while url:
        body = client.get(url, headers=headers).json
        assert len(body["value"]) <= 2
        seen += [r["pregnancy"] for r in body["value"]]
        url = f"{URL}?limit=2&cursor={body['next']}" if body["next"] else None
    assert sorted(seen) == [_uuid(n) for n in range(1, 6)] and len(seen) == 5
    assert seen == [_uuid(n) for n in (2, 4, 1, 3, 5)]        # by expected date, then entity
    for forged in ("x", "2026-01-01_abc", "2026-13-01_5", "2026-01-01_-1"):
        response = client.get(f"{URL}?cursor={forged}", headers=headers)
        assert response.status_code == 400 and response.json["code"] == "400.301", forged
    response = client.get(f"{URL}?limit=0", headers=headers)
    assert response.status_code == 400 and response.json["code"] == "400.79"


def test_every_read_is_audited_with_what_it_showed(town, db, client, login):
    _pregnancy(db, _uuid(1), _today() - dt.timedelta(days=30))
    client.get(f"{URL}?village=dongwan", headers=login("supervisor"))
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "pregnancy.overdue.list")).one()
    assert event.target == "project:1"
    assert event.details["village"] == "dongwan" and event.details["shown"] == 1


def test_a_phone_cannot_read_the_list(town, client, personas):
    response = client.get(f"{URL}?st={personas['worker_a'].token}")
    assert response.status_code == 403
