"""The report as plain text for the CLI (app/reports/text.py): aligned tables where a Chinese
character takes two columns, "—" for what cannot be computed, both languages."""
from app.reports import text
from tests.reports.sample_document import document


def _block(out, heading):
    lines = out.split("\n")
    start = lines.index(heading)
    end = lines.index("", start)
    return lines[start:end]


def test_sections_align_with_wide_characters():
    out = text.render(document("village"), "zh")
    block = _block(out, "B 人口变动")
    assert block[1].split() == ["项目", "本月", "补报", "本年累计", "统计年度累计", "去年同期"]
    widths = {text.width(line) for line in block[1:]}
    assert len(widths) == 1           # every line as wide as the rule: columns line up
    assert block[8].split() == ["自然增长率", "(‰)", "7.17", "—", "6.40", "4.39", "3.20"]
    assert out.startswith("东湾村 2025-03 村级月报\n")
    assert "锁定状态: 已锁定（第2版" in out
    assert "统计准确率：未测量" in out


def test_english_lists_amendments_and_sex_ratio():
    out = text.render(document("town"), "en")
    assert out.startswith("Whole town, 2025-03: town monthly report\n")
    ended = _block(out, "Pregnancies ended")
    assert ended[1].split()[:3] == ["No.", "Woman", "Village"]
    assert ended[3].split()[:4] == ["1", "李秀英", "东湾村", "2025-03-04"]
    assert _block(out, "Overdue pregnancies")[1] == "(none)"
    late = _block(out, "Late records (about earlier months)")
    assert "uuid:11aa-corr" in late[3] and "removed" in late[3] and "-1" in late[3]
    srb = _block(out, "Sex ratio at birth")
    assert any("108.4–180.8" in line and "high" in line for line in srb)


def test_values():
    assert text.value(None) == "—"
    assert text.value(1234) == "1,234"
    assert text.value(12.345, "permille") == "12.35" or text.value(12.345, "permille") == "12.34"
    assert text.value(3.5, "percent", with_sign=True) == "3.50%"
    assert text.value(2, "weeks", "zh", True) == "2周"
    assert text.width("东湾a") == 5
