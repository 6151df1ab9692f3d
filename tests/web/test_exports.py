"""The console's Exports page and downloads (app/web/exports.py): the page in Chinese and
English, a form as an XLSX workbook with labels and a sheet per repeat, as CSV for Excel
(a BOM; a zip with repeats), as Central's CSV zip, the register's lists, village scope,
the audit row of every download (committed before the body), and refusals."""
import csv
import datetime as dt
import io
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.audit.models import AuditEvent
from tests.samples import instance


@pytest.fixture
def visits(town):
    """A home visit in dongwan (with its members repeat) and an IUD insertion in xishan."""
    assert town.phone("worker_a").submit(instance("home_visit_birth")).status_code == 201
    assert town.phone("worker_b").submit(
        instance("contraception_iud_insertion")).status_code == 201
    return town


def _audits(db, action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.id)).all()


def _book(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return load_workbook(io.BytesIO(response.get_data()))


def _table(sheet):
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_the_page_lists_each_forms_downloads_the_lists_and_the_reports(visits, console):
    body = console("admin").get("/exports").get_data(as_text=True)
    assert "<h1>导出</h1>" in body
    assert "/exports/forms/home_visit.xlsx" in body
    assert "/exports/forms/home_visit.excel.csv" in body
    assert "/exports/forms/home_visit.csv.zip" in body
    assert "/v1/projects/1/forms/home_visit.svc" in body
    assert "/v1/projects/1/datasets/people.svc" in body
    assert "/exports/lists/people.xlsx" in body and "/exports/lists/people.excel.csv" in body
    assert "/reports/1/" in body and ".xlsx" in body
    english = console("admin").get("/exports?lang=en").get_data(as_text=True)
    assert "<h1>Exports</h1>" in english and "Excel workbook (XLSX)" in english
    assert "/exports/forms/home_visit.xlsx?lang=en" in english


def test_the_menu_links_the_page(visits, console):
    assert 'href="/exports"' in console("viewer").get("/").get_data(as_text=True)


def test_filters_ride_on_the_download_links(visits, console):
    body = console("admin").get("/exports?since=2026-01-01&until=2026-12-31&state=approved")\
        .get_data(as_text=True)
    assert "/exports/forms/home_visit.xlsx?since=2026-01-01&amp;until=2026-12-31&amp;state=approved" \
        in body


def test_a_form_as_xlsx_has_labels_choice_labels_dates_and_a_sheet_per_repeat(visits,
                                                                             console, db):
    book = _book(console("admin").get("/exports/forms/home_visit.xlsx"))
    assert len(book.sheetnames) >= 2 and all(len(n) <= 31 for n in book.sheetnames)
    root = _table(book.worksheets[0])
    assert len(root) == 1
    visit = root[0]
    assert visit["提交时间"].date() == dt.date.today() or isinstance(visit["提交时间"], dt.datetime)
    assert any(isinstance(v, dt.datetime) and v == dt.datetime(2026, 11, 19)
               for v in visit.values())                                 # visit_date
    assert "agricultural" not in visit.values()                        # a choice's label
    assert visit["村（社区）"] == "东湾村"                               # a village's name
    members = next(_table(s) for s in book.worksheets[1:] if s.max_row == 7)
    names = {v for m in members for v in m.values() if v in ("王建国", "王小妹")}
    assert names == {"王建国", "王小妹"}
    assert {"男", "女"} <= {v for m in members for v in m.values()}       # sex as labels
    assert all(m["上级记录键"] == visit["记录键"] for m in members)         # PARENT_KEY → KEY
    english = _book(console("admin").get("/exports/forms/home_visit.xlsx?lang=en"))
    visit = _table(english.worksheets[0])[0]
    assert "Submitted" in visit and "Review state" in visit
    [row] = _audits(db, "submission.export")[:1]
    assert row.details["format"] == "xlsx" and row.details["rows"] == 1


def test_csv_for_excel_is_a_zip_of_bom_files_for_a_form_with_repeats(visits, console):
    response = console("admin").get("/exports/forms/home_visit.excel.csv")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    files = zipfile.ZipFile(io.BytesIO(response.get_data()))
    assert files.namelist()[0] == "home_visit.csv"
    for name in files.namelist():
        assert files.read(name).startswith(b"\xef\xbb\xbf"), name
    members = [n for n in files.namelist() if "member" in n]
    rows = list(csv.reader(io.StringIO(files.read(members[0]).decode("utf-8-sig"))))
    assert len(rows) == 7 and "性别" in rows[0]


def test_csv_for_excel_of_a_form_without_repeats_is_one_file(visits, console):
    response = console("admin").get("/exports/forms/contraception_service.excel.csv")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/csv" and response.get_data().startswith(b"\xef\xbb\xbf")
    assert 'filename="contraception_service-' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert len(rows) == 2


def test_centrals_csv_zip_from_the_console(visits, console, db):
    response = console("admin").get("/exports/forms/home_visit.csv.zip")
    assert response.status_code == 200
    files = zipfile.ZipFile(io.BytesIO(response.get_data()))
    assert files.namelist()[0] == "home_visit.csv"
    header = files.read("home_visit.csv").decode("utf-8").splitlines()[0]
    assert header.startswith("SubmissionDate,")
    assert _audits(db, "submission.export")[-1].details["format"] == "csv.zip (no attachments)"


def test_a_village_supervisor_exports_only_her_villages(visits, console, db, app):
    from app.auth import accounts
    from tests.conftest import REALM
    from tests.web.conftest import Console, sign_in
    accounts.create_user(db.session, "supervisor_x", "x-password", "supervisor", REALM,
                         ["xishan"], hash_method="scrypt:1024:8:1")
    db.session.commit()
    mine = console("supervisor")                                         # dongwan
    assert len(_table(_book(mine.get("/exports/forms/home_visit.xlsx")).worksheets[0])) == 1
    people = _table(_book(mine.get("/exports/lists/people.xlsx")).worksheets[0])
    assert people and {p["所属村"] for p in people} == {"东湾村"}
    assert _audits(db, "entity.export")[-1].details["rows"] == len(people)
    client = app.test_client()
    assert sign_in(app, client, "supervisor_x", "x-password").status_code == 303
    outsider = Console(app, client)                                      # xishan
    assert _table(_book(outsider.get("/exports/forms/home_visit.xlsx")).worksheets[0]) == []
    theirs = _table(_book(outsider.get("/exports/lists/people.xlsx")).worksheets[0])
    assert theirs and {p["所属村"] for p in theirs} == {"西山村"}
    page = outsider.get("/exports?lang=en").get_data(as_text=True)
    assert "You get your villages&#39; records only." in page or "villages' records only" in page


def test_a_list_as_csv_for_excel_has_a_bom_labels_and_an_audit_row(visits, console, db):
    response = console("admin").get("/exports/lists/people.excel.csv?lang=en")
    assert response.status_code == 200 and response.get_data().startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    wang = next(r for r in rows if r["Full name"] == "王建国")
    assert wang["Sex"] == "Male" and wang["Date of birth"] == "1968-04-12"
    [audit] = _audits(db, "entity.export")
    assert audit.details["format"] == "csv-bom" and audit.details["rows"] == len(rows)
    assert audit.target.startswith("dataset:")


def test_the_audit_row_is_committed_before_the_body_streams(visits, console, db, app):
    response = console("admin").get("/exports/lists/people.xlsx", buffered=False)
    with app.app_context():
        from app.db import db as fresh
        seen = fresh.session.scalars(select(AuditEvent.action)
                                     .where(AuditEvent.action == "entity.export")).all()
    assert seen == ["entity.export"]
    response.get_data()
    response.close()


@pytest.mark.parametrize("query", ["state=maybe", "since=2026-13-01", "color=red",
                                   "since=1000-01-01"])
def test_a_bad_query_is_a_400_and_nothing_is_exported(visits, console, db, query):
    response = console("admin").get(f"/exports/forms/home_visit.xlsx?{query}")
    assert response.status_code == 400
    assert _audits(db, "submission.export") == []


def test_dates_the_wrong_way_round_are_400_201(visits, console, db):
    response = console("admin").get("/exports/forms/home_visit.xlsx?since=2026-05-02&until=2026-05-01")
    assert response.status_code == 400 and "日期前后颠倒" in response.get_data(as_text=True)
    assert console("admin").get("/exports?since=2026-05-02&until=2026-05-01").status_code == 400
    assert _audits(db, "submission.export") == []


def test_the_filters_cut_the_download(visits, console):
    admin = console("admin")
    assert len(_table(_book(admin.get("/exports/forms/home_visit.xlsx?state=received"))
                      .worksheets[0])) == 1
    assert _table(_book(admin.get("/exports/forms/home_visit.xlsx?state=approved"))
                  .worksheets[0]) == []
    assert _table(_book(admin.get("/exports/forms/home_visit.xlsx?until=2000-01-01"))
                  .worksheets[0]) == []


def test_an_unknown_form_or_list_is_404_and_phones_never_get_in(visits, console, personas):
    assert console("admin").get("/exports/forms/nope.xlsx").status_code == 404
    assert console("admin").get("/exports/lists/nope.xlsx").status_code == 404
    phone = visits.client.get("/exports/forms/home_visit.xlsx",
                              query_string={"st": personas["worker_a"].token})
    assert phone.status_code in (302, 400)
    bearer = visits.client.get("/exports/lists/people.xlsx",
                               headers={"Authorization": f"Bearer {personas['worker_a'].token}"})
    assert bearer.status_code == 302 and "/login" in bearer.headers["Location"]


def test_blank_filters_from_the_pages_form_mean_any(visits, console):
    admin = console("admin")
    assert admin.get("/exports?since=&until=&state=").status_code == 200
    book = _book(admin.get("/exports/forms/home_visit.xlsx?since=&until=&state="))
    assert len(_table(book.worksheets[0])) == 1


def test_the_audit_log_names_and_filters_the_exports(visits, console):
    admin = console("admin")
    assert admin.get("/exports/forms/home_visit.xlsx").status_code == 200
    assert admin.get("/exports/lists/people.xlsx").status_code == 200
    log = admin.get("/audit?action=submission.export&lang=en").get_data(as_text=True)
    assert "Exported a form&#39;s submissions" in log or "Exported a form's submissions" in log
    assert "Exported a register list" not in log.split("</select>")[-1]
    log = admin.get("/audit?action=entity.export&lang=zh").get_data(as_text=True)
    assert "导出了名册清单" in log
