"""Tables for people (app/exports/labelled.py) and the register's lists as such tables
(app/exports/register_tables.py): labels instead of codes in Chinese or English, typed
values, CSV for Excel with its byte-order mark, and a village's staff getting only her
villages' rows."""
import csv
import datetime as dt
import io
import zipfile
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from types import SimpleNamespace

from app.exports import labelled, register_tables
from app.projects.models import Area

ZONE = ZoneInfo("Asia/Shanghai")
EVERY = SimpleNamespace(area_ids=None)
SEX = labelled.Column("sex", {"Chinese (zh)": "性别", "English (en)": "Sex"}, "select1",
                      {"female": {"Chinese (zh)": "女", "English (en)": "Female"},
                       "male": {"Chinese (zh)": "男", "English (en)": "Male"}})
STATUS = labelled.Column("status", {"zh": "家庭类别", "en": "Family status"}, "select",
                         {"low": {"zh": "低保户", "en": "Low income"},
                          "army": {"zh": "军属", "en": "Army family"}})
TABLE = labelled.Table("t", {"zh": "表", "en": "Table"}, (
    SEX, STATUS,
    labelled.Column("dob", {"zh": "出生日期"}, "date"),
    labelled.Column("at", {}, "datetime"),
    labelled.Column("n", {"zh": "人数"}, "int"),
    labelled.Column("x", {"zh": "金额"}, "decimal"),
    labelled.Column("note", {"zh": "备注"})))
ROW = ["female", "low army other", "1990-02-03", "2026-03-05T02:00:00.000Z", "4", "12.50",
       "=cmd|' /C calc'!A0"]


def _chunks(parts):
    return b"".join(parts)


def test_choice_labels_replace_codes_in_the_chosen_language():
    zh = labelled.convert_row(labelled.converters(TABLE.columns, "zh", ZONE), ROW)
    en = labelled.convert_row(labelled.converters(TABLE.columns, "en", ZONE), ROW)
    assert zh[:2] == ["女", "低保户、军属、other"]         # an unknown code stays as it is
    assert en[:2] == ["Female", "Low income, Army family, other"]
    assert [labelled.header(c, "zh") for c in TABLE.columns][:3] == ["性别", "家庭类别", "出生日期"]
    assert [labelled.header(c, "en") for c in TABLE.columns][:4] == ["Sex", "Family status",
                                                                    "出生日期", "at"]


def test_values_are_typed_and_times_are_the_towns():
    values = labelled.convert_row(labelled.converters(TABLE.columns, "zh", ZONE), ROW)
    assert values[2:6] == [dt.date(1990, 2, 3), dt.datetime(2026, 3, 5, 10, 0), 4, 12.5]
    broken = labelled.convert_row(labelled.converters(TABLE.columns, "zh", ZONE),
                                  ["", None, "not a date", "nope", "4.5", "abc", None])
    assert broken == [None, None, "not a date", "nope", 4.5, "abc", None]


def test_csv_for_excel_starts_with_a_bom_and_formulas_are_defused():
    body = _chunks(labelled.csv_bom(TABLE, [ROW, ["male", "", "", "", "-3", "-1.5", "+x"]],
                                    "zh", ZONE))
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["性别", "家庭类别", "出生日期", "at", "人数", "金额", "备注"]
    assert rows[1] == ["女", "低保户、军属、other", "1990-02-03", "2026-03-05 10:00:00", "4",
                       "12.5", "'=cmd|' /C calc'!A0"]
    assert rows[2] == ["男", "", "", "", "-3", "-1.5", "'+x"]      # numbers stay numbers


def test_csv_for_excel_of_several_tables_is_a_zip_of_bom_files():
    child = labelled.Table("m", {"zh": "成员"}, (labelled.Column("k", {"zh": "键"}),))
    rows = [(0, ROW), (1, ["a"]), (1, ["b"]), (0, ROW)]
    body = _chunks(labelled.csv_bom_zip([TABLE, child], rows, "zh", ZONE, ["t.csv", "m.csv"]))
    files = zipfile.ZipFile(io.BytesIO(body))
    assert files.namelist() == ["t.csv", "m.csv"]
    assert files.read("m.csv") == "\ufeff键\r\na\r\nb\r\n".encode("utf-8")
    assert len(list(csv.reader(io.StringIO(files.read("t.csv").decode("utf-8-sig"))))) == 3


def test_xlsx_headers_are_labels_and_values_typed():
    out = _chunks(labelled.xlsx([TABLE], [(0, ROW)], "en", ZONE))
    sheet = load_workbook(io.BytesIO(out)).active
    assert sheet.title == "Table"
    assert [c.value for c in sheet[1]][:2] == ["Sex", "Family status"]
    assert [c.value for c in sheet[2]] == ["Female", "Low income, Army family, other",
                                           dt.datetime(1990, 2, 3), dt.datetime(2026, 3, 5, 10),
                                           4, 12.5, "=cmd|' /C calc'!A0"]
    assert sheet["G2"].data_type == "s"


def _people(db, actor, lang):
    s = db.session
    ds = register_tables.dataset(s, 1, "people")
    table = register_tables.table(s, 1, ds)
    rows = register_tables.rows(db.engine, ds.id, [p.name for p in ds.properties],
                                actor.area_ids)
    out = _chunks(labelled.xlsx([table], ((0, r) for r in rows), lang, ZONE))
    sheet = load_workbook(io.BytesIO(out)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    return sheet, [dict(zip(values[0], r)) for r in values[1:]]


def _actor(db, code):
    area = db.session.query(Area).filter_by(code=code).one()
    return SimpleNamespace(area_ids=frozenset([area.id]))


def test_the_people_list_is_labelled_in_chinese_and_english(town, db):
    sheet, rows = _people(db, EVERY, "zh")
    assert sheet.title == "人员"
    wang = next(r for r in rows if r["姓名"] == "王建国")
    assert wang["性别"] == "男" and wang["与户主关系"] == "户主"
    assert wang["出生日期"] == dt.datetime(1968, 4, 12)
    assert wang["所属村"] == "东湾村" and wang["village"] == "东湾村"    # codes → names
    assert isinstance(wang["建立时间"], dt.datetime)
    sheet, rows = _people(db, EVERY, "en")
    assert sheet.title == "People"
    wang = next(r for r in rows if r["Full name"] == "王建国")
    assert wang["Sex"] == "Male" and wang["Village"] != "dongwan"


def test_a_village_supervisor_gets_only_her_villages_rows(town, db):
    _, everyone = _people(db, EVERY, "zh")
    _, dongwan = _people(db, _actor(db, "dongwan"), "zh")
    _, xishan = _people(db, _actor(db, "xishan"), "zh")
    assert dongwan and xishan
    assert {r["所属村"] for r in dongwan} == {"东湾村"}
    assert len(dongwan) + len(xishan) <= len(everyone)
    assert not {r["记录编号"] for r in dongwan} & {r["记录编号"] for r in xishan}
    nobody = SimpleNamespace(area_ids=frozenset())
    assert _people(db, nobody, "zh")[1] == []
