"""The streamed XLSX writer (app/exports/workbook.py), read back with openpyxl: typed cells,
text that stays text, illegal characters dropped, legal sheet titles, repeat sheets after the
root, and memory that does not follow the number of rows."""
import datetime as dt
import io
import tracemalloc
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.exports import workbook

pytestmark = pytest.mark.database_independent


def _read(sheets, rows):
    out = io.BytesIO()
    workbook.write(sheets, rows, out)
    return load_workbook(io.BytesIO(out.getvalue()))


def _values(sheet):
    return [[c.value for c in row] for row in sheet.iter_rows()]


def test_cells_keep_their_types_dates_are_dates_numbers_numbers():
    book = _read([workbook.Sheet("t", ["text", "int", "dec", "day", "when", "yes"])], [
        (0, ["张三", 7, Decimal("2.50"), dt.date(2026, 3, 5), dt.datetime(2026, 3, 5, 14, 7, 30),
             True]),
        (0, [None, 0, -1.25, None, None, False])])
    rows = list(book.active.iter_rows(min_row=2))
    assert [c.value for c in rows[0]] == ["张三", 7, 2.5, dt.datetime(2026, 3, 5),
                                          dt.datetime(2026, 3, 5, 14, 7, 30), True]
    assert rows[0][3].is_date and rows[0][3].number_format == "yyyy\\-mm\\-dd"
    assert rows[0][4].is_date
    assert [c.value for c in rows[1]] == [None, 0, -1.25, None, None, False]


def test_formula_looking_text_is_kept_as_text():
    book = _read([workbook.Sheet("t", ["a"])],
                 [(0, ["=HYPERLINK(\"http://x\",\"y\")"]), (0, ["+1"]), (0, ["@SUM(A1)"]),
                  (0, ["-3"])])
    cells = [row[0] for row in book.active.iter_rows(min_row=2)]
    assert [c.value for c in cells] == ['=HYPERLINK("http://x","y")', "+1", "@SUM(A1)", "-3"]
    assert {c.data_type for c in cells} == {"s"}


def test_characters_xml_cannot_hold_are_dropped_and_long_text_cut():
    book = _read([workbook.Sheet("t\x07", ["a\x00b"])],
                 [(0, ["x\x01y\x0bz\ud800"]), (0, ["长" * 40000])])
    assert _values(book.active)[:2] == [["ab"], ["xyz"]]
    assert len(book.active["A3"].value) == workbook.CELL_MAX
    assert book.sheetnames == ["t"]


def test_sheet_titles_are_legal_and_unique():
    titles = workbook.sheet_titles(["访视/家庭成员[1]: 名字*?", "a" * 40, "A" * 40, "'q'", "",
                                    "History", "x" * 31, "X" * 31])
    assert all(len(t) <= 31 for t in titles)
    assert not any(set(t) & set("[]:*?/\\") for t in titles)
    assert len({t.lower() for t in titles}) == len(titles)
    assert titles[3] == "q" and titles[4] == "Sheet" and titles[5] != "History"
    book = _read([workbook.Sheet(t, ["a"]) for t in ["访视/家庭成员[1]", "访视/家庭成员[1]"]], [])
    assert book.sheetnames == ["访视 家庭成员 1", "访视 家庭成员 1 (2)"]


def test_repeat_rows_interleaved_with_the_root_land_on_their_own_sheet_in_order():
    rows = []
    for i in range(1, 2001):
        rows.append((0, [f"uuid:{i}", i]))
        rows += [(1, [f"uuid:{i}/m[{k}]", f"uuid:{i}", k]) for k in (1, 2)]
    book = _read([workbook.Sheet("visits", ["KEY", "n"]),
                  workbook.Sheet("members", ["KEY", "PARENT_KEY", "k"])], rows)
    root, members = book["visits"], book["members"]
    assert root.max_row == 2001 and members.max_row == 4001
    assert _values(members)[1:3] == [["uuid:1/m[1]", "uuid:1", 1], ["uuid:1/m[2]", "uuid:1", 2]]
    assert _values(members)[-1] == ["uuid:2000/m[2]", "uuid:2000", 2]
    assert root.freeze_panes == "A2"


def test_the_body_streams_in_chunks_and_memory_does_not_follow_rows():
    def peak(n):
        rows = ((i % 2, [f"name {i}", i, dt.date(2026, 1, 1), "选项一 选项二"]) for i in range(n))
        tracemalloc.start()
        chunks = 0
        for chunk in workbook.stream([workbook.Sheet("a", list("abcd")),
                                      workbook.Sheet("b", list("abcd"))], rows):
            chunks += 1
            assert len(chunk) < 4 * workbook.CHUNK + 1024 * 1024
        top = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return top, chunks
    small, _ = peak(20_000)
    big, chunks = peak(200_000)
    assert chunks > 10
    # the repeat sheet's spool holds SPOOL bytes at most in memory; the rest is constant
    assert big < small + 2 * workbook.SPOOL


def test_the_file_is_a_zip_excel_opens_parts_in_package_order():
    out = io.BytesIO()
    workbook.write([workbook.Sheet("a", ["x"]), workbook.Sheet("b", ["y"])], [(1, ["z"])], out)
    names = zipfile.ZipFile(io.BytesIO(out.getvalue())).namelist()
    assert names[0] == "[Content_Types].xml"
    assert names[-2:] == ["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"]


def test_spaces_at_either_end_of_a_text_are_kept():
    book = _read([workbook.Sheet("t", ["a"])],
                 [(0, [" lead"]), (0, ["trail "]), (0, ["　全角"]), (0, ["a & <b>"])])
    assert [row[0].value for row in book.active.iter_rows(min_row=2)] == [
        " lead", "trail ", "　全角", "a & <b>"]
