"""The audit log page: newest first, 25 at a time with a "More" link that neither repeats nor
skips a row, filtered by actor, record, action, dates (in town time) and village (resolved
through the rows' targets), each row's record a link where the console shows it; admins only."""
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from app.audit.record import event_row, write
from app.console import audit
from app.auth.actors import Actor
from app.submissions.models import Submission
from tests.factories import make_instance
from tests.samples import register as sample


def log(db, actor, action, target, at, **details):
    write(db.session, event_row(actor, action, target, details, logged_at=at))


def person(personas, name="supervisor", role="supervisor"):
    return Actor("user", personas[name].id, name, role, None, None, None)


def phone(personas, name="worker_a"):
    return Actor("app_user", personas[name].id, name, "app_user", 1, None, None)


def targets(body):
    """The Record cell of each row, in order."""
    return re.findall(r'<td data-label="(?:记录|Record)">(?:<a href="[^"]*">)?([^<]*)', body)


def test_the_log_pages_newest_first_25_at_a_time_without_repeating_a_row(console, db,
                                                                         personas):
    start = datetime(2026, 11, 1, 8, 0)
    who = person(personas)
    for n in range(40):      # pairs logged at the same instant: the id breaks the tie
        log(db, who, "entity.read", f"entity:{n:08d}-0000-4000-8000-000000000000",
            start + timedelta(minutes=n // 2))
    db.session.commit()
    admin = console("admin")
    first = admin.get("/audit?action=entity.read").get_data(as_text=True)
    seen = targets(first)
    assert len(seen) == 25
    assert seen[0].startswith("entity:00000039") and seen[1].startswith("entity:00000038")
    more = re.search(r'<p class="more"><a href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert "action=entity.read" in more and "after=" in more
    second = admin.get(more).get_data(as_text=True)
    seen += targets(second)
    assert '<p class="more">' not in second
    assert seen == [f"entity:{n:08d}-0000-4000-8000-000000000000" for n in range(39, -1, -1)]
    assert admin.get("/audit?after=nonsense").status_code == 400


def test_the_log_filters_by_actor_record_action_and_town_dates(console, db, personas):
    sup, worker = person(personas), phone(personas)
    # 2026-11-30 23:30 UTC is 2026-12-01 07:30 in the town (Asia/Shanghai)
    log(db, sup, "submission.read", "submission:7", datetime(2026, 11, 30, 23, 30))
    log(db, sup, "person.read", f"entity:{sample.LI_XIUYING}", datetime(2026, 11, 30, 15, 0))
    log(db, worker, "entity.list", "dataset:1", datetime(2026, 11, 29, 9, 0), count=12)
    db.session.commit()
    admin = console("admin")
    by_actor = admin.get(f"/audit?actor=app_user:{personas['worker_a'].id}").get_data(
        as_text=True)
    assert targets(by_actor) == ["dataset:1"] and "count=12" in by_actor
    assert "worker_a" in by_actor
    body = admin.get(f"/audit?target={sample.LI_XIUYING}").get_data(as_text=True)
    assert targets(body) == [f"entity:{sample.LI_XIUYING}"]
    assert targets(admin.get("/audit?target=7").get_data(as_text=True)) == ["submission:7"]
    day = admin.get("/audit?since=2026-12-01&until=2026-12-01").get_data(as_text=True)
    assert targets(day) == ["submission:7"]
    assert "2026-12-01 07:30" in day
    november = admin.get("/audit?since=2026-11-29&until=2026-11-30&actor=user:"
                         f"{personas['supervisor'].id}").get_data(as_text=True)
    assert targets(november) == [f"entity:{sample.LI_XIUYING}"]
    en = admin.get("/audit?action=person.read&lang=en").get_data(as_text=True)
    assert "Read a person's or household's page" in en
    assert targets(en) == [f"entity:{sample.LI_XIUYING}"]
    assert admin.get("/audit?since=2026-13-01").status_code == 400
    assert admin.get("/audit?actor=someone").status_code == 400


def test_the_village_filter_follows_submissions_register_records_and_reports(console, db,
                                                                             town, personas,
                                                                             simple_form):
    assert town.phone("worker_a").submit(make_instance(
        "simple", "1", values={"name": "王小梅", "village": "dongwan"})).status_code == 201
    sup = person(personas)
    at = datetime(2026, 12, 1, 1, 0)
    submission = db.session.scalar(select(Submission.id).order_by(Submission.id.desc()))
    rows = [f"entity:{sample.LI_XIUYING}", f"entity:{sample.ZHAO_YAN}", "report:2026-05:xishan",
            "report:2026-05:town", "form:1", f"submission:{submission}"]
    for n, target in enumerate(rows):
        log(db, sup, "person.read", target, at + timedelta(seconds=n))
    db.session.commit()
    admin = console("admin")
    dongwan = targets(admin.get("/audit?village=dongwan&action=person.read").get_data(
        as_text=True))
    assert dongwan == [f"submission:{submission}", f"entity:{sample.LI_XIUYING}"]
    xishan = targets(admin.get("/audit?village=xishan&action=person.read").get_data(
        as_text=True))
    assert xishan == ["report:2026-05:xishan", f"entity:{sample.ZHAO_YAN}"]
    assert admin.get("/audit?village=nowhere").status_code == 404


def test_a_rows_record_links_to_its_page_where_the_console_has_one(console, db, personas,
                                                                   simple_form):
    sup = person(personas)
    at = datetime(2026, 12, 1, 1, 0)
    log(db, sup, "form.publish", f"form:{simple_form.form.id}", at)
    log(db, sup, "report.view", "report:2026-05:xishan", at + timedelta(seconds=1))
    db.session.commit()
    body = console("admin").get("/audit").get_data(as_text=True)
    assert '<a href="/forms/simple">form:' in body
    assert '<a href="/reports/1/2026-05?village=xishan">report:2026-05:xishan</a>' in body


def test_only_an_admin_reads_the_audit_log(console):
    for persona in ("supervisor", "viewer"):
        assert console(persona).get("/audit").status_code == 403
    body = console("admin").get("/audit").get_data(as_text=True)
    assert "登录管理台" in body          # the admin's own sign-in, in words


def test_each_filter_reads_the_log_newest_first_from_an_index(app, db):
    """No page sorts the whole log: each filter walks an index in (logged_at, id) order."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plan is read here; PostgreSQL's timing is in docs/console.md")
    zone = ZoneInfo("Asia/Shanghai")
    cases = {"ix_audit_events_time": {}, "ix_audit_events_actor_time": {"who": "user:1"},
             "ix_audit_events_target_time": {"target": "7"},
             "ix_audit_events_action_time": {"action": "person.read"}}
    for index, filters in cases.items():
        query = audit._query(filters.get("who"), None, filters.get("target"),
                             filters.get("action"), None, None, "20261201000000000000-5", zone)
        compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = " | ".join(r[-1] for r in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
        assert index in plan and "TEMP B-TREE" not in plan, (filters, plan)
