"""Importing outside lists and reconciling them (app/quality/outside.py) on a real database:
both kinds in both formats with Chinese and English headers, the same file twice, the same
records in another file, bad rows, limits and village scope."""
import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.problems import Problem
from app.quality import outside
from app.quality.outside_models import OutsideImport, OutsideRecord, OutsideResult
from tests.quality.test_outside_support import (HOSPITAL_EN, HOSPITAL_ZH, MOTHERS, REGISTRY_EN,
                                                REGISTRY_ZH, births, seed_people,  # noqa: F401
                                                write)
from tests.reports.locks_helpers import actor


def hospital_rows():
    wang, li, zhao, chen = (MOTHERS[k] for k in ("wang", "li", "zhao", "chen"))
    return [
        ["H001", wang[1], wang[2], "男", "2026-03-05", "县医院", "dongwan", "张三"],
        ["H002", li[1], li[2], "女", "2026/3/9", "县医院", "东湾村", ""],       # a day off below
        ["H003", zhao[1], zhao[2], "female", "20260312", "", "xishan", ""],
        ["H004", chen[1], "", "男", "2026-03-20", "", "dongwan", ""],          # never reported
    ]


def by_status(db, imported):
    rows = db.session.execute(select(OutsideResult.status, OutsideRecord.key,
                                      OutsideResult.register_uuid, OutsideResult.exact)
                              .outerjoin(OutsideRecord,
                                         OutsideRecord.id == OutsideResult.record_id)
                              .where(OutsideResult.import_id == imported.id)).all()
    out = {}
    for status, key, uuid, exact in rows:
        out.setdefault(status, []).append((key, uuid, exact))
    return {k: sorted(v, key=str) for k, v in out.items()}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("header", [HOSPITAL_ZH, HOSPITAL_EN])
def test_hospital_births_match_omit_and_extra(db, personas, births, fmt, header):  # noqa: F811
    seed_people(db.session)
    one = births("wang", "2026-03-05", "male")
    two = births("li", "2026-03-10", "female")
    three = births("zhao", "2026-03-12", "female", certificate="H003")
    extra = births("wang", "2026-03-15", "female")     # not in the hospital list
    births("li", "2026-03-25", "male")        # after the last date the file covers: not extra
    admin = actor(db, personas["admin"])
    imported, created = outside.import_file(db.session, admin, 1, "hospital_births",
                                            f"births.{fmt}", write(fmt, header, hospital_rows()))
    db.session.commit()
    assert created and imported.rows_kept == 4 and imported.rows_rejected == 0
    found = by_status(db, imported)
    assert found["matched"] == [("H001", one, True), ("H002", two, False),
                                ("H003", three, True)]
    assert found["omitted"] == [("H004", None, None)]
    assert found["extra"] == [(None, extra, None)]
    figures = outside.accuracy(db.session, admin, 1, imported.id)
    assert figures["all"]["accuracy"] == 75.0
    assert {v["village"]: v["accuracy"] for v in figures["villages"]} == {
        "dongwan": 66.67, "xishan": 100.0}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("header", [REGISTRY_ZH, REGISTRY_EN])
def test_household_registry_matches_people_of_the_village(db, personas, fmt, header):
    unregistered = ("d0000000-0000-4000-8000-000000000009", "钱多", "610425198001010011",
                    "male", "1980-01-01", "dongwan")
    migrant = ("d0000000-0000-4000-8000-000000000010", "孙来", "", "male", "1985-05-05",
               "dongwan", {"residence_status": "moved_in"})
    seed_people(db.session, [unregistered, migrant])
    wang, li, chen = MOTHERS["wang"], MOTHERS["li"], MOTHERS["chen"]
    rows = [[wang[2], wang[1], "女", wang[4], "dongwan", "001", "户主"],
            [li[2], li[1], "女", li[4], "东湾村", "002", "户主"],
            ["", chen[1], "女", chen[4], "dongwan", "003", "妻"],
            ["610425200001010015", "周新", "男", "2000-01-01", "dongwan", "004", "户主"]]
    admin = actor(db, personas["admin"])
    imported, _ = outside.import_file(db.session, admin, 1, "household_registry",
                                      f"registry.{fmt}", write(fmt, header, rows))
    db.session.commit()
    found = by_status(db, imported)
    assert [k for k, _u, _e in found["matched"]] == sorted(
        [wang[2], li[2], f"003|{chen[1]}|{chen[4]}"])
    assert found["omitted"] == [("610425200001010015", None, None)]
    # the in-migrant is not expected in the 户籍 registry; the unregistered man is an extra
    assert found["extra"] == [(None, unregistered[0], None)]



def test_the_same_file_twice_is_one_import_and_changes_nothing(db, personas):
    seed_people(db.session)
    admin = actor(db, personas["admin"])
    data = write("csv", HOSPITAL_ZH, hospital_rows())
    first, created = outside.import_file(db.session, admin, 1, "hospital_births", "a.csv", data)
    db.session.commit()
    results = db.session.scalars(select(OutsideResult.id).order_by(OutsideResult.id)).all()
    again, created_again = outside.import_file(db.session, admin, 1, "hospital_births",
                                               "again.csv", data)
    db.session.commit()
    assert created and not created_again and again.id == first.id
    assert db.session.scalar(select(func.count()).select_from(OutsideImport)) == 1
    assert db.session.scalar(select(func.count()).select_from(OutsideRecord)) == 4
    assert db.session.scalars(select(OutsideResult.id).order_by(OutsideResult.id)).all() \
        == results
    # the same records in another file (one more row, another format) are not doubled
    more = hospital_rows() + [["H005", "王芳", "", "女", "2026-03-21", "", "dongwan", ""]]
    other, created = outside.import_file(db.session, admin, 1, "hospital_births", "b.xlsx",
                                         write("xlsx", HOSPITAL_EN, more))
    db.session.commit()
    assert created and other.id != first.id
    assert db.session.scalar(select(func.count()).select_from(OutsideRecord)) == 5
    assert [a.details["repeated"] for a in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "outside.import")
        .order_by(AuditEvent.id))] == [False, True, False]


def test_bad_rows_are_listed_by_row_and_column_and_the_good_ones_kept(db, personas):
    seed_people(db.session)
    rows = hospital_rows() + [
        ["H010", "某人", "12345", "男", "2026-03-01", "", "dongwan", ""],      # row 6: ID
        ["H011", "某人", "", "男", "2026-02-30", "", "dongwan", ""],           # row 7: date
        ["H012", "某人", "", "男", "2026-03-01", "", "nowhere", ""],           # row 8: village
        ["H013", "某人", "", "x", "2026-03-01", "", "dongwan", ""],            # row 9: sex
        ["H001", "王芳", "", "男", "2026-03-05", "", "dongwan", ""],           # row 10: repeat
    ]
    imported, _ = outside.import_file(db.session, actor(db, personas["admin"]), 1,
                                      "hospital_births", "bad.csv",
                                      write("csv", HOSPITAL_ZH, rows))
    assert imported.rows_kept == 4 and imported.rows_rejected == 5
    assert [(b["row"], b["column"]) for b in imported.rejected] == [
        (6, "母亲身份证号 / mother_id_number"), (7, "出生日期 / birth_date"), (8, "村 / village"),
        (9, "婴儿性别 / sex"), (10, "出生医学证明编号 / certificate_no")]
    assert imported.rejected[1]["zh"].startswith("第 7 行「出生日期」")
    assert imported.rejected[1]["en"].startswith("row 7, birth_date")


@pytest.mark.parametrize("data, code", [
    (b"\x00\x01\x02\xff\xfe", "400.291"),
    ("姓名,性别\n王芳,女\n".encode(), "400.292"),
    (b"PK\x03\x04not really a zip", "400.291"),
])
def test_a_file_that_cannot_be_read_is_refused_bilingually(db, personas, data, code):
    with pytest.raises(Problem) as refused:
        outside.import_file(db.session, actor(db, personas["admin"]), 1, "hospital_births",
                            "x.csv", data)
    assert refused.value.code == code
    assert refused.value.message_zh and refused.value.message_en


def test_too_big_and_too_many_rows_are_413(db, personas, monkeypatch):
    admin = actor(db, personas["admin"])
    data = write("csv", HOSPITAL_EN, hospital_rows())
    with pytest.raises(Problem) as big:
        outside.import_file(db.session, admin, 1, "hospital_births", "x.csv", data,
                            max_bytes=len(data) - 1)
    assert big.value.code == "413.291"
    monkeypatch.setattr("app.quality.outside_files.MAX_ROWS", 3)
    with pytest.raises(Problem) as many:
        outside.import_file(db.session, admin, 1, "hospital_births", "x.csv", data)
    assert many.value.code == "413.292"


def test_a_supervisor_imports_and_sees_only_her_villages(db, personas, births):  # noqa: F811
    seed_people(db.session)
    births("zhao", "2026-03-12", "female")
    supervisor = actor(db, personas["supervisor"])          # dongwan
    imported, _ = outside.import_file(db.session, supervisor, 1, "hospital_births", "s.csv",
                                      write("csv", HOSPITAL_ZH, hospital_rows()))
    db.session.commit()
    assert (imported.rows_kept, imported.rows_skipped) == (3, 1)   # xishan's row skipped
    assert db.session.scalar(select(func.count()).select_from(OutsideRecord)) == 3
    # the admin's import of the same file is another (it holds xishan's row)
    town, created = outside.import_file(db.session, actor(db, personas["admin"]), 1,
                                        "hospital_births", "s.csv",
                                        write("csv", HOSPITAL_ZH, hospital_rows()))
    db.session.commit()
    assert created and town.rows_kept == 4
    _i, lines, _n = outside.results(db.session, supervisor, 1, town.id)
    assert {line["village"] for line in lines} == {"dongwan"}
    with pytest.raises(Problem) as other:
        outside.results(db.session, supervisor, 1, town.id, village="xishan")
    assert other.value.code == "404.292"
    assert [v["village"] for v in outside.accuracy(db.session, supervisor, 1,
                                                    town.id)["villages"]] == ["dongwan"]


def test_rerun_gives_the_same_results_and_follows_the_register(db, personas, births):  # noqa: F811
    seed_people(db.session)
    births("wang", "2026-03-05", "male")
    admin = actor(db, personas["admin"])
    imported, _ = outside.import_file(db.session, admin, 1, "hospital_births", "r.csv",
                                      write("csv", HOSPITAL_ZH, hospital_rows()))
    db.session.commit()
    before = by_status(db, imported)
    outside.rerun(db.session, admin, 1, imported.id)
    db.session.commit()
    assert by_status(db, imported) == before
    late = births("chen", "2026-03-20", "male")           # the omitted birth is reported
    outside.rerun(db.session, admin, 1, imported.id)
    db.session.commit()
    assert ("H004", late, True) in by_status(db, imported)["matched"]


def test_the_registers_rebuild_finds_no_difference_and_keeps_the_reconciliation(
        db, personas, births):  # noqa: F811
    from app.register import rebuild
    seed_people(db.session)
    births("wang", "2026-03-05", "male")
    births("li", "2026-03-10", "female")
    admin = actor(db, personas["admin"])
    imported, _ = outside.import_file(db.session, admin, 1, "hospital_births", "r.csv",
                                      write("csv", HOSPITAL_ZH, hospital_rows()))
    db.session.commit()
    before = by_status(db, imported)
    assert rebuild.check(db.session, 1).differences == []
    rebuild.replace(db.session, 1)
    db.session.commit()
    outside.rerun(db.session, admin, 1, imported.id)
    db.session.commit()
    assert by_status(db, imported) == before


def _with_sheet(data, change):
    """The XLSX `data` with its first sheet's XML changed by `change`."""
    import io
    import zipfile
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in source.infolist():
            body = source.read(info.filename)
            z.writestr(info, change(body) if info.filename == "xl/worksheets/sheet1.xml"
                       else body)
    return out.getvalue()


@pytest.mark.parametrize("change", [lambda xml: xml[:-30],                     # cut short
                                    lambda xml: xml.replace(b"<sheetData>", b"<sheetData><x")])
def test_an_xlsx_whose_sheet_is_broken_is_refused_bilingually_not_a_server_error(
        db, personas, change):
    data = _with_sheet(write("xlsx", HOSPITAL_ZH, hospital_rows()), change)
    with pytest.raises(Problem) as refused:
        outside.import_file(db.session, actor(db, personas["admin"]), 1, "hospital_births",
                            "x.xlsx", data)
    assert refused.value.code == "400.291"
    assert "XLSX" in refused.value.message_zh and "XLSX" in refused.value.message_en


def test_a_supervisor_cannot_take_over_another_villages_record_by_its_key(db, personas,
                                                                          births):  # noqa: F811
    seed_people(db.session)
    births("zhao", "2026-03-12", "female", certificate="H003")
    admin = actor(db, personas["admin"])
    town, _ = outside.import_file(db.session, admin, 1, "hospital_births", "town.csv",
                                  write("csv", HOSPITAL_ZH, hospital_rows()))
    db.session.commit()
    before = outside.accuracy(db.session, admin, 1, town.id)
    # dongwan's supervisor sends xishan's certificate H003 as a dongwan birth of her own
    forged = [["H003", "某某", "", "男", "2026-03-01", "", "dongwan", ""],
              ["H005", "某某", "", "女", "2026-03-02", "", "dongwan", ""]]
    mine, _ = outside.import_file(db.session, actor(db, personas["supervisor"]), 1,
                                  "hospital_births", "mine.csv",
                                  write("csv", HOSPITAL_ZH, forged))
    db.session.commit()
    assert (mine.rows_kept, mine.rows_skipped) == (1, 1)
    h003 = db.session.scalar(select(OutsideRecord).where(OutsideRecord.key == "H003"))
    assert (h003.data["village"], h003.data["mother_name"]) == ("xishan", MOTHERS["zhao"][1])
    outside.rerun(db.session, admin, 1, town.id)
    db.session.commit()
    assert outside.accuracy(db.session, admin, 1, town.id) == before


def test_a_file_of_headers_alone_says_so(db, personas):
    with pytest.raises(Problem) as refused:
        outside.import_file(db.session, actor(db, personas["admin"]), 1, "hospital_births",
                            "empty.csv", write("csv", HOSPITAL_ZH, []))
    assert refused.value.code == "400.294"
    assert "没有数据行" in refused.value.message_zh
    assert "no data rows" in refused.value.message_en and "not yours" not in refused.value.message_en
