"""Today: each village's counts are its own (received today and this month in the town's time,
waiting for review and with issues, conflicts, duplicates, held offline updates), a supervisor
sees only hers, each count links to its filtered list, and silent phones stand out."""
import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.auth import accounts
from app.auth.models import AppUser
from app.console import dashboard
from app.db.columns import utcnow
from app.projects.models import Area
from app.quality.models import DuplicatePair
from app.register.models import Dataset, Entity, EntityBacklog
from app.submissions.models import Submission, SubmissionDef
from tests.factories import make_instance

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _areas(db):
    return dict(db.session.execute(select(Area.code, Area.id)).all())


def _submission(db, form_id, area_id, created_at, review_state=None, in_register=True,
                deleted=False):
    s = Submission(form_id=form_id, instance_id=f"uuid:{uuid.uuid4()}", area_id=area_id,
                   submitter_kind="app_user", review_state=review_state,
                   in_register=in_register, created_at=created_at,
                   deleted_at=created_at if deleted else None)
    db.session.add(s)
    db.session.flush()
    return s


def _entity(db, dataset_id, area_id, conflict=None, deleted=False):
    e = Entity(dataset_id=dataset_id, uuid=str(uuid.uuid4()), label="x", data={},
               area_id=area_id, conflict=conflict, deleted_at=utcnow() if deleted else None)
    db.session.add(e)
    db.session.flush()
    return e


def _town_day(db, simple_form):
    """A register of two villages, at 2026-06-15 10:00 in the town (02:00 UTC)."""
    areas = _areas(db)
    dw, xs = areas["dongwan"], areas["xishan"]
    form_id = simple_form.form.id
    now = datetime(2026, 6, 15, 2, 0)
    # today in the town began at 2026-06-14 16:00 UTC; the month at 2026-05-31 16:00 UTC
    _submission(db, form_id, dw, datetime(2026, 6, 14, 16, 30))          # today (00:30 local)
    _submission(db, form_id, dw, datetime(2026, 6, 14, 15, 30))          # yesterday 23:30
    _submission(db, form_id, dw, datetime(2026, 5, 31, 16, 5))           # June 1st, 00:05
    _submission(db, form_id, dw, datetime(2026, 5, 31, 15, 55))          # May 31st
    _submission(db, form_id, xs, datetime(2026, 6, 15, 1, 0))            # today, xishan
    # held: waiting (received, hasIssues, edited), not rejected or deleted
    _submission(db, form_id, dw, datetime(2026, 1, 1), None, in_register=False)
    _submission(db, form_id, dw, datetime(2026, 1, 1), "hasIssues", in_register=False)
    _submission(db, form_id, dw, datetime(2026, 1, 1), "edited", in_register=False)
    _submission(db, form_id, dw, datetime(2026, 1, 1), "rejected", in_register=False)
    _submission(db, form_id, dw, datetime(2026, 1, 1), "hasIssues", in_register=False,
                deleted=True)
    _submission(db, form_id, xs, datetime(2026, 1, 1), "hasIssues", in_register=False)
    dataset = Dataset(project_id=1, name="people")
    db.session.add(dataset)
    db.session.flush()
    _entity(db, dataset.id, dw, "soft")
    _entity(db, dataset.id, dw, "hard")
    _entity(db, dataset.id, dw, "hard", deleted=True)
    _entity(db, dataset.id, dw)
    _entity(db, dataset.id, xs, "soft")
    a, b = _entity(db, dataset.id, dw), _entity(db, dataset.id, dw)
    db.session.add(DuplicatePair(project_id=1, dataset_id=dataset.id, a_id=a.id, b_id=b.id,
                                 a_uuid=a.uuid, b_uuid=b.uuid, a_area_id=dw, b_area_id=dw,
                                 score=40.0, band="likely", evidence={}, status="open"))
    held = _submission(db, form_id, xs, datetime(2026, 6, 1), in_register=False)  # this month
    version = simple_form.version.id
    d = SubmissionDef(submission_id=held.id, form_id=form_id, form_version_id=version,
                      instance_id=held.instance_id, xml=make_instance().decode(),
                      xml_sha256="0" * 64, submitter_kind="app_user")
    db.session.add(d)
    db.session.flush()
    db.session.add(EntityBacklog(submission_id=held.id, submission_def_id=d.id,
                                 entity_uuid=str(uuid.uuid4()), branch_id=str(uuid.uuid4()),
                                 base_version=2))
    db.session.commit()
    return now


def _as_dict(counts):
    return {name: getattr(counts, name) for name in dashboard.NUMBERS}


def test_each_village_counts_its_own_in_the_town_s_day_and_month(db, personas, simple_form):
    now = _town_day(db, simple_form)
    admin = _actor(db, personas, "admin")
    today = dashboard.today(db.session, admin, 1, None, SHANGHAI, now=now)
    assert str(today.day) == "2026-06-15" and str(today.month_start) == "2026-06-01"
    found = {v.code: _as_dict(v) for v in today.villages}
    assert found["dongwan"] == {"received_today": 1, "received_month": 3, "waiting": 3,
                                "issues": 1, "conflicts": 2, "duplicates": 1, "held": 0}
    assert found["xishan"] == {"received_today": 1, "received_month": 2, "waiting": 2,
                               "issues": 1, "conflicts": 1, "duplicates": 0, "held": 1}
    assert _as_dict(today.total)["waiting"] == 5 and _as_dict(today.total)["conflicts"] == 3


def test_a_supervisor_counts_only_her_villages(db, personas, simple_form):
    now = _town_day(db, simple_form)
    supervisor = _actor(db, personas, "supervisor")
    today = dashboard.today(db.session, supervisor, 1, None, SHANGHAI, now=now)
    assert [v.code for v in today.villages] == ["dongwan"]
    assert today.total.waiting == 3 and today.total.held == 0
    assert {p.name for p in today.phones} == {"worker_a", "leader"}


def test_the_page_links_each_count_to_its_filtered_list(console, db, personas, simple_form):
    _town_day(db, simple_form)
    supervisor = console("supervisor")
    assert supervisor.get("/?village=xishan").status_code == 403
    body = supervisor.get("/").get_data(as_text=True)
    assert "/review?village=dongwan&amp;state=hasIssues" in body
    assert "/conflicts?village=dongwan" in body
    assert "/phones?village=dongwan" in body
    admin = console("admin")
    body = admin.get("/").get_data(as_text=True)
    assert "/review?state=hasIssues" in body                  # the town: all villages
    assert "/review?village=xishan&amp;state=hasIssues" in body   # and each village's row
    body = admin.get("/?village=xishan").get_data(as_text=True)
    assert "/conflicts?village=xishan&amp;kind=held" in body
    assert "/review?village=dongwan" not in body


def test_phones_silent_for_a_week_stand_out_first(console, db, personas):
    db.session.get(AppUser, personas["worker_a"].id).last_seen_at = utcnow() - timedelta(hours=2)
    db.session.get(AppUser, personas["leader"].id).last_seen_at = utcnow() - timedelta(days=9)
    db.session.commit()
    body = console("supervisor").get("/?lang=en").get_data(as_text=True)
    rows = re.findall(r'<tr( class="silent")?>\s*<th scope="row"><a [^>]*>([^<]+)</a>', body)
    assert rows == [(' class="silent"', "leader"), ("", "worker_a")]
    assert "1 silent for 7 days or more" in body
    for n in range(30):                                     # more than a page of them
        accounts.create_app_user(db.session, 1, f"quiet {n}", ["dongwan"])
    db.session.commit()
    body = console("supervisor").get("/?lang=en").get_data(as_text=True)
    assert "31 silent for 7 days or more" in body


def test_a_viewer_sees_the_counts_but_no_phones(console, db, personas):
    body = console("viewer").get("/?lang=en").get_data(as_text=True)
    assert "waiting for review" in body and "worker_a" not in body


def _actor(db, personas, name):
    from app.auth.actors import from_user
    from app.auth.models import User
    return from_user(db.session.get(User, personas[name].id))


def test_the_counts_read_their_indexes_on_sqlite(db, personas):
    """The planner's choice on SQLite (statistics-free, as a fresh database is): each count
    reads the index it was written for, not a scan of submissions or entities."""
    import pytest
    from sqlalchemy import text
    if db.engine.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL's plans are measured in bench")
    ids = list(_areas(db).values())
    day = datetime(2026, 6, 15)
    expected = {"ix_submissions_area_received": dashboard._received(ids, day, day),
                "ix_submissions_held": dashboard._waiting(),
                "ix_entities_conflict": dashboard._conflicts(ids)}
    for index, query in expected.items():
        sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
        plan = " ".join(row[3] for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql)))
        assert index in plan, (index, plan)
    sql = str(dashboard._held().compile(db.engine, compile_kwargs={"literal_binds": True}))
    plan = " ".join(row[3] for row in db.session.execute(text("EXPLAIN QUERY PLAN " + sql)))
    assert "SCAN submissions" not in plan, plan
