"""The report pages on a synthetic town made through the real forms and intake (`flask demo
town`): the town's and a village's report, page, print view, XLSX and CLI text, in both
languages, whatever the figures are; once a month is locked, the page says so."""
import io

import openpyxl
import pytest
from click.testing import CliRunner

from app.cli import demo
from app.reports import text
from tests.conftest import FORMS_DIR
from tests.reports.present_app import bearer, serving_reports


@pytest.fixture
def town(app, db, personas, tmp_path):
    result = CliRunner().invoke(demo, [
        "town", "--people", "400", "--villages", "2", "--months", "12", "--seed", "5",
        "--forms-dir", FORMS_DIR, "--truth", str(tmp_path / "truth.json")], obj=app.extensions)
    assert result.exit_code == 0, result.output
    db.session.commit()       # let go of SQLite's write lock before the app's requests
    return serving_reports(app).test_client()


def test_every_face_of_a_real_month(town, db):
    admin = bearer(town, "admin", "admin-password")
    for query in ("", "?village=dongwan", "?lang=en", "?village=dongwan&lang=en"):
        for path in ("/reports/1/2025-10", "/reports/1/2025-10/print"):
            response = town.get(path + query, headers=admin)
            assert response.status_code == 200, (path, query, response.get_data(as_text=True))
            body = response.get_data(as_text=True)
            assert "<table" in body and "<script" not in body
        book = town.get("/reports/1/2025-10.xlsx" + query, headers=admin)
        assert book.status_code == 200
        sheets = openpyxl.load_workbook(io.BytesIO(book.data)).sheetnames
        assert len(sheets) >= 4
    # the CLI's text of the same document
    from app.reports import service
    from app.reports.periods import Month
    document = service.report(db.session, 1, Month.parse("2025-10"), None, None, "zh")
    db.session.rollback()
    out = text.render(document, "zh")
    assert out.startswith("全镇 2025-10 镇级月报")
    for section in document["sections"]:
        assert f"{section['id']} {section['zh']}" in out
