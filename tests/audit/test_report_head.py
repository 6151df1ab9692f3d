"""The monthly report's foot shows the project's audit chain head and when it was taken, for
the meeting's minutes; a locked month keeps the head it was locked with."""
import io

import openpyxl

from app.audit import verify as chains
from app.reports import service, text
from tests.reports.locks_helpers import actor
from tests.reports.present_app import bearer, serving_reports


def test_the_report_page_print_and_xlsx_show_the_head_and_a_lock_keeps_its_own(app, db,
                                                                               personas):
    web = serving_reports(app).test_client()
    admin = bearer(web, "admin", "admin-password")
    db.session.rollback()
    head = chains.head(db.session, 1)
    db.session.rollback()
    assert head.length > 0                      # the personas' app users are project 1's
    page = web.get("/reports/1/2025-03?lang=en", headers=admin).get_data(as_text=True)
    assert f"<code>{head.hash}</code> ({head.length} entries, taken at" in page
    head = chains.head(db.session, 1)            # the page's report.view moved it
    db.session.rollback()
    printed = web.get("/reports/1/2025-03/print", headers=admin).get_data(as_text=True)
    assert head.hash in printed and "审计日志链头" in printed
    now = chains.head(db.session, 1)
    db.session.rollback()
    book = openpyxl.load_workbook(io.BytesIO(web.get("/reports/1/2025-03.xlsx",
                                                     headers=admin).data))
    cells = [c.value for row in book.worksheets[0].iter_rows() for c in row]
    assert any(isinstance(v, str) and now.hash in v for v in cells)

    locked = service.lock(db.session, 1, "2025-03", None, actor(db, personas["admin"]))
    db.session.commit()
    at_lock = locked["audit"]["hash"]
    for _ in range(2):                          # reads after the lock move the head
        web.get("/reports/1/2025-03", headers=admin)
    db.session.rollback()
    assert chains.head(db.session, 1).hash != at_lock
    db.session.rollback()
    shown = web.get("/reports/1/2025-03?lang=en", headers=admin).get_data(as_text=True)
    assert f"<code>{at_lock}</code>" in shown
    assert at_lock in text.render(service.report(db.session, 1, "2025-03", None,
                                                 actor(db, personas["admin"])), "en")
