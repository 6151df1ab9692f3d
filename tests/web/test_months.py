"""Reports reachable from the console: the months page lists each recent month's reports a
person may open (the town's for town-wide staff, her villages' for a supervisor) with their
locks, and the report pages open with the console's cookie alone, their village rules
still app.reports.service's."""
import re

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.db.columns import utcnow
from app.reports import service
from app.reports.periods import Month
from app.web.session import COOKIE


def this_month(app):
    with app.test_request_context():
        from app.web import i18n
        return str(Month.of(i18n.local(utcnow()).date()))


def links(body):
    return re.findall(r'<a href="(/reports/[^"]+)"', body)


def test_a_supervisor_sees_her_villages_months_and_an_admin_the_towns_too(app, console, db):
    month = this_month(app)
    mine = links(console("supervisor").get("/months").get_data(as_text=True))
    assert f"/reports/1/{month}?village=dongwan" in mine
    assert f"/reports/1/{month}" not in mine
    assert not [u for u in mine if "xishan" in u]
    assert len(mine) == 12                              # twelve months, one village
    town = links(console("admin").get("/months").get_data(as_text=True))
    assert f"/reports/1/{month}" in town and f"/reports/1/{month}?village=xishan" in town
    one = links(console("admin").get("/months?village=xishan&lang=en").get_data(as_text=True))
    assert one[0] == f"/reports/1/{month}?village=xishan&amp;lang=en"
    assert len(one) == 12
    assert console("supervisor").get("/months?village=xishan").status_code == 403


def test_a_locked_month_shows_its_lock(app, console, db):
    month = this_month(app)
    service.lock(db.session, 1, month, "dongwan", None)
    db.session.commit()
    body = console("supervisor").get("/months?lang=en").get_data(as_text=True)
    assert body.count("Locked (version 1)") == 1


def test_a_report_page_opens_with_the_console_cookie_alone(app, console, db, personas):
    supervisor = console("supervisor")
    page = supervisor.get("/reports/1/2026-05?village=dongwan")
    assert page.status_code == 200 and "WWW-Authenticate" not in page.headers
    db.session.rollback()
    row = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report.view")).one()
    assert (row.actor_type, row.actor_id) == ("user", personas["supervisor"].id)
    assert row.target == "report:2026-05:dongwan"
    # the service's rules, not the console's: her village only, not the town nor xishan
    assert supervisor.get("/reports/1/2026-05").status_code == 403
    assert supervisor.get("/reports/1/2026-05?village=xishan").status_code == 403
    assert supervisor.get("/reports/1/2026-05/print?village=dongwan").status_code == 200
    assert console("admin").get("/reports/1/2026-05").status_code == 200


def test_without_a_live_console_session_the_report_asks_for_a_password(app, console, db):
    supervisor = console("supervisor")
    assert supervisor.post("/logout").status_code == 303
    anonymous = app.test_client()
    anonymous.set_cookie(COOKIE, "a" * 43)
    for client in (supervisor.client, anonymous):
        refused = client.get("/reports/1/2026-05?village=dongwan")
        assert refused.status_code == 401 and "Digest" in refused.headers["WWW-Authenticate"]
