"""The county roll-up (GET /v1/reports/county/<month>, its .xlsx, the console's /county):
each town's row is its own town report's figures, the county's counts are the towns' summed,
and its rates are recomputed from the summed numerator and denominator, not averaged."""
import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.projects.models import Area
from app.reports import cells
from app.reports.document import find
from app.reports.figures import rate
from tests.web.conftest import sign_in

MONTH = "2025-03"


def _event(project_id, kind, day, area_id, **details):
    return {"project_id": project_id, "kind": kind, "occurred_on": dt.date.fromisoformat(day),
            "area_id": area_id, "details": details}


def _woman(project_id, area_id, contraception="iud"):
    return _event(project_id, "registered", "2025-01-10", area_id, sex="female",
                  dob="1990-06-15", marital_status="first_marriage",
                  contraception=contraception, residence_status="")


@pytest.fixture
def events(db, towns):
    """Town A: two married women (one using a method) and a birth in March; town B, larger:
    five married women (all using a method), no birth."""
    s = db.session
    dongwan = {p: s.scalar(select(Area.id).where(Area.project_id == p, Area.code == "dongwan"))
               for p in (1, 2)}
    cells.apply(s, [_woman(1, dongwan[1]), _woman(1, dongwan[1], contraception=""),
                    _event(1, "birth", "2025-03-05", dongwan[1], sex="female", birth_order=1,
                           place="hospital")], 1)
    cells.apply(s, [_woman(2, dongwan[2]) for _ in range(5)], 2)
    s.commit()


def _bearer(client, username):
    token = client.post("/v1/sessions", json={"email": username,
                                               "password": f"{username}-password"}).json
    return {"Authorization": f"Bearer {token['token']}"}


def _indicator(row, name, column):
    return next(i for i in row["indicators"] if i["id"] == name)["values"][column]


def test_the_roll_up_is_each_towns_report_and_their_sum(client, towns, events):
    county = _bearer(client, "county")
    found = client.get(f"/v1/reports/county/{MONTH}", headers=county)
    assert found.status_code == 200, found.json
    rows, total = found.json["towns"], found.json["county"]
    assert [(r["project_id"], r["name"]) for r in rows] == [(1, "Test town"), (2, "乙镇")]
    for row in rows:
        report = client.get(f"/v1/projects/{row['project_id']}/reports/months/{MONTH}",
                            headers=county).json
        assert row["sections"] == report["sections"][:5]
        assert [i["values"] for i in row["indicators"]] == \
            [i["values"] for i in report["indicators"][:len(row["indicators"])]]
    a, b = rows
    for section in total["sections"]:
        for r in section["rows"]:
            for column, value in r["values"].items():
                if r.get("unit") in (None, "count", "people") and isinstance(value, int):
                    assert value == find(a, section["id"], r["id"], column) + \
                        find(b, section["id"], r["id"], column), (section["id"], r["id"])
    assert find(total, "B", "births", "month") == 1
    # rates from the summed counts: births over the summed mean population; users over the
    # summed married women (not the mean of the towns' rates)
    mean = sum(find(t, "A", "population", c) for t in rows for c in ("start", "end")) / 2
    assert _indicator(total, "birth_rate", "month") == rate(1, mean)
    assert _indicator(total, "birth_rate", "month") != \
        (_indicator(a, "birth_rate", "month") + _indicator(b, "birth_rate", "month")) / 2
    users, women = (sum(find(t, "E", r, "end") for t in rows)
                    for r in ("contraceptive_users", "married_women_15_49"))
    assert _indicator(total, "contraceptive_prevalence", "end") == rate(users, women, 100)
    assert _indicator(total, "contraceptive_prevalence", "end") != \
        (_indicator(a, "contraceptive_prevalence", "end")
         + _indicator(b, "contraceptive_prevalence", "end")) / 2


def test_the_roll_up_as_a_workbook_has_each_town_and_the_county(client, towns, events):
    county = _bearer(client, "county")
    found = client.get(f"/v1/reports/county/{MONTH}.xlsx", headers=county)
    assert found.status_code == 200 and found.mimetype.endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(found.data))
    summary = [[c.value for c in row] for row in book.worksheets[0].iter_rows()]
    assert [r[0] for r in summary] == ["镇", "Test town", "乙镇", "全县合计"]
    assert summary[0][1:3] == ["总人口", "出生"] and [r[2] for r in summary[1:]] == [1, 0, 1]
    rolled = client.get(f"/v1/reports/county/{MONTH}", headers=county).json
    assert summary[3][-2] == _indicator(rolled["county"], "contraceptive_prevalence", "end")
    assert {"指标", "A 人口"} <= set(book.sheetnames)
    english = client.get(f"/v1/reports/county/{MONTH}.xlsx?lang=en", headers=county)
    sheet = openpyxl.load_workbook(io.BytesIO(english.data)).worksheets[0]
    assert sheet["A4"].value == "County total"


def test_an_admin_rolls_up_every_town_and_a_town_person_only_hers(client, towns, events):
    admin = client.get(f"/v1/reports/county/{MONTH}", headers=_bearer(client, "admin")).json
    assert [r["project_id"] for r in admin["towns"]] == [1, 2]
    viewer_b = client.get(f"/v1/reports/county/{MONTH}", headers=_bearer(client, "viewer_b"))
    assert [r["project_id"] for r in viewer_b.json["towns"]] == [2]
    assert viewer_b.json["county"]["sections"] == viewer_b.json["towns"][0]["sections"]


def test_village_staff_phones_and_bad_months_are_refused(client, towns, personas):
    refused = client.get(f"/v1/reports/county/{MONTH}", headers=_bearer(client, "supervisor"))
    assert (refused.status_code, refused.json["code"]) == (403, "403.341")
    phone = client.get(f"/v1/reports/county/{MONTH}?st={personas['worker_a'].token}")
    assert phone.status_code == 403
    assert client.get("/v1/reports/county/2025-13", headers=_bearer(client, "county")
                      ).status_code == 400
    assert client.get(f"/v1/reports/county/{MONTH}").status_code == 401


def test_the_console_page_shows_the_towns_and_the_county_total(app, towns, events):
    browser = app.test_client()
    assert sign_in(app, browser, "county", "county-password").status_code == 303
    assert "/county" in browser.get("/").get_data(as_text=True)        # in her menu
    page = browser.get(f"/county?month={MONTH}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Test town" in text and "乙镇" in text and "全县合计" in text
    rolled = app.test_client().get(f"/v1/reports/county/{MONTH}",
                                   headers=_bearer(browser, "county")).json
    assert str(_indicator(rolled["county"], "contraceptive_prevalence", "end")) in text
    supervisor = app.test_client()
    assert sign_in(app, supervisor, "supervisor", "supervisor-password").status_code == 303
    assert "/county" not in supervisor.get("/").get_data(as_text=True)
    assert supervisor.get("/county").status_code == 403


def test_the_console_page_links_its_workbook_and_the_browser_downloads_it(app, db, towns,
                                                                         events):
    browser = app.test_client()
    assert sign_in(app, browser, "county", "county-password").status_code == 303
    page = browser.get(f"/county?month={MONTH}&lang=en").get_data(as_text=True)
    assert f'href="/county/{MONTH}.xlsx?lang=en"' in page
    found = browser.get(f"/county/{MONTH}.xlsx?lang=en")
    assert found.status_code == 200 and found.mimetype.endswith("spreadsheetml.sheet")
    assert f"county-{MONTH}.xlsx" in found.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(found.data)).worksheets[0]
    assert [sheet.cell(row=r, column=1).value for r in range(1, 5)] == \
        ["Town", "Test town", "乙镇", "County total"]
    chinese = browser.get(f"/county/{MONTH}.xlsx?lang=zh")     # (the language is kept)
    assert openpyxl.load_workbook(io.BytesIO(chinese.data)).worksheets[0]["A4"].value == \
        "全县合计"
    db.session.rollback()
    downloads = db.session.scalars(select(AuditEvent.details).where(
        AuditEvent.action == "report.county.download")).all()
    assert len(downloads) == 2 and downloads[0]["projects"] == [1, 2]
    supervisor = app.test_client()
    assert sign_in(app, supervisor, "supervisor", "supervisor-password").status_code == 303
    assert supervisor.get(f"/county/{MONTH}.xlsx").status_code == 403
    assert browser.get("/county/2025-13.xlsx").status_code == 400
