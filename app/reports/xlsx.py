"""A report as an XLSX workbook (openpyxl): a cover sheet (where, month, lock state, basis,
alerts), then one sheet for the indicators, the sex ratio, each section A–J, each list, the
amendments and the late records. Headers in Chinese or English; numbers stay numbers (counts
with format 0, rates and amounts 0.00, dates as dates) so the town office can sum and chart
them; header row frozen, columns sized to their text. Every text (names and details come from
phones) is written as text, never as a formula, without the characters XLSX cannot hold.
Plain module, no Flask.
"""
import datetime as dt
import re

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from app.reports import text

#: Excel number format of each unit (rates are already ‰ or % numbers, not fractions)
FORMATS = {"count": "0", "weeks": "0", "permille": "0.00", "percent": "0.00",
           "yuan": "#,##0.00", "ratio": "0.00", "date": "yyyy-mm-dd"}
_BOLD = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="E8E8E8")
_BAD = re.compile(r"[\[\]:*?/\\]")
#: a text starting with one of these is a formula to a spreadsheet that someone edits
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write(document, target, lang="zh"):
    """Write the workbook to `target` (a path or a binary file object)."""
    lang = "en" if lang == "en" else "zh"
    book = Workbook()
    names = set()
    _cover(book.active, document, lang, names)
    if document.get("indicators"):
        _indicators(_sheet(book, text.label("indicators", lang), names), document, lang)
    if document.get("village_table"):
        _table(_sheet(book, text.label("village_table", lang), names),
               document["village_table"], lang)
    if text.srb_rows(document, lang):
        _sex_ratio(_sheet(book, text.label("sex_ratio", lang), names), document, lang)
    for section in document.get("sections") or []:
        sheet = _sheet(book, f"{section.get('id', '')} {text.name(section, lang)}", names)
        _table(sheet, section, lang)
    for table in document.get("lists") or []:
        _table(_sheet(book, text.name(table, lang), names), table, lang, listed=True)
    for key in ("amendments", "late_records"):
        _amendments(_sheet(book, text.label("sheet_" + key, lang), names), document, key, lang)
    book.save(target)


def write_county(result, heads, rows, target, lang="zh"):
    """The county roll-up (app.reports.county) as a workbook: the summary table (a row per
    town and the county total), then the county's indicators and sections A–E."""
    lang = "en" if lang == "en" else "zh"
    book = Workbook()
    names = {"summary"}
    sheet = book.active
    sheet.title = "汇总" if lang == "zh" else "Summary"
    _header(sheet, 1, [text.label("county_town", lang)]
            + [en if lang == "en" else zh for zh, en, _unit in heads])
    for row, (name, values) in enumerate(rows, start=2):
        _cell(sheet, row, 1, name or text.label("county_total", lang))
        for col, (value, head) in enumerate(zip(values, heads), start=2):
            _put(sheet, row, col, value, head[2])
    _widths(sheet)
    total = result["county"]
    _indicators(_sheet(book, text.label("indicators", lang), names), total, lang)
    for section in total["sections"]:
        _table(_sheet(book, f"{section['id']} {text.name(section, lang)}", names), section, lang)
    book.save(target)


def _sheet(book, title, names):
    """A new sheet with a legal, unique title (Excel: 31 characters, none of []:*?/\\)."""
    base = _BAD.sub(" ", ILLEGAL_CHARACTERS_RE.sub("", title)).strip()[:31] or "Sheet"
    found, n = base, 2
    while found.lower() in names:
        suffix = f" ({n})"
        found, n = base[:31 - len(suffix)] + suffix, n + 1
    names.add(found.lower())
    return book.create_sheet(found)


def _number(value, unit):
    """A cell's value and number format: numbers as numbers, ISO dates as dates."""
    if isinstance(value, bool):
        return value, None
    if isinstance(value, (int, float)):
        if unit in ("count", "weeks") and not float(value).is_integer():
            return value, "0.00"             # an amount among counts keeps its decimals
        return value, FORMATS.get(unit, "General" if unit == "text" else "0.00")
    if unit == "date" and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10]), FORMATS["date"]
        except ValueError:
            return value, None
    return value, None


def _cell(sheet, row, col, value):
    """Write `value` at (row, col): a text as a string even when it starts with = + - @ (a
    phone's '=HYPERLINK(...)' must not become a live formula), without the control characters
    XLSX cannot hold (openpyxl refuses them)."""
    cell = sheet.cell(row=row, column=col)
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if cell.data_type != "s" or cell.value[:1] in _FORMULA_START:
            cell.data_type = "s"             # openpyxl took '=...' for a formula, '#N/A' an error
            cell.quotePrefix = True          # and Excel keeps it text when it is edited
    else:
        cell.value = value
    return cell


def _put(sheet, row, col, value, unit="text"):
    found, fmt = _number(value, unit)
    cell = _cell(sheet, row, col, found)
    if fmt:
        cell.number_format = fmt
    return cell


def _header(sheet, row, labels):
    for col, label in enumerate(labels, start=1):
        cell = _cell(sheet, row, col, label)
        cell.font, cell.fill = _BOLD, _HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = sheet.cell(row=row + 1, column=2)


def _widths(sheet):
    """Each column as wide as its longest text (CJK characters count twice), 8 to 60."""
    widths = {}
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is None:
                continue
            shown = (cell.value.isoformat() if isinstance(cell.value, dt.date)
                     else f"{cell.value:,.2f}" if isinstance(cell.value, float) else cell.value)
            size = max(text.width(line) for line in str(shown).split("\n"))
            widths[cell.column] = max(widths.get(cell.column, 0), size)
    for col, size in widths.items():
        sheet.column_dimensions[get_column_letter(col)].width = min(60, max(8, size + 2))


def _cover(sheet, document, lang, names):
    sheet.title = text.label("report", lang)
    names.add(sheet.title.lower())
    _cell(sheet, 1, 1, text.title(document, lang)).font = Font(bold=True, size=14)
    facts = [(text.label("month", lang), document.get("month")),
             (text.label("village", lang), text.name(document.get("village"), lang) or
              text.label("town", lang)),
             (text.label("lock", lang), text.lock_state(document, lang)),
             (text.label("generated_at", lang), text.when(document.get("generated_at"))),
             ("", text.label("basis", lang)), ("", text.label("none_note", lang))]
    if document.get("audit"):
        facts.append((text.label("audit_head", lang), text.audit_foot(document, lang)
                      .partition(": ")[2]))
    row = 3
    for key, found in facts:
        _cell(sheet, row, 1, key or None).font = _BOLD
        _cell(sheet, row, 2, found)
        row += 1
    row += 1
    _cell(sheet, row, 1, text.label("alerts", lang)).font = _BOLD
    row += 1
    alerts = document.get("alerts") or []
    if not alerts:
        _cell(sheet, row, 1, text.label("no_alerts", lang))
    for alert in alerts:
        _cell(sheet, row, 1, text.name(alert, lang))
        _cell(sheet, row, 2, text.village_name(document, alert.get("village"),
                                                              lang))
        _put(sheet, row, 3, alert.get("count"), "count")
        row += 1
    sheet.column_dimensions["A"].width = 20
    sheet.column_dimensions["B"].width = 60


def _table(sheet, table, lang, listed=False):
    """A table of figures (a label per row, then its values) or a name list (its columns
    only: the list numbers its rows itself)."""
    columns = table.get("columns") or []
    _header(sheet, 1, text.header_cells(table, lang, listed))
    first = 1 if listed else 2
    row = 2
    for r in table.get("rows") or []:
        if not listed:
            _cell(sheet, row, 1, text.row_label(r, columns, lang))
        for col, c in enumerate(columns, start=first):
            _put(sheet, row, col, r["values"].get(c["id"]), text.cell_unit(r, c))
        row += 1
    if not table.get("rows"):
        _cell(sheet, row, 1, text.label("no_rows", lang))
        row += 1
    if text.note(table, lang):
        _cell(sheet, row + 1, 1, text.note(table, lang))
    _widths(sheet)


def _indicators(sheet, document, lang):
    """Name, unit, the value judged, target, met, its basis, then every period's value."""
    periods = text.indicator_periods(document)
    header = text.indicator_header(document, lang)
    _header(sheet, 1, header[:1] + [text.label("unit", lang)] + header[1:])
    for row, i in enumerate(document.get("indicators") or [], start=2):
        unit = i.get("unit") or "count"
        values = i.get("values") or {}
        _cell(sheet, row, 1, text.name(i, lang))
        _cell(sheet, row, 2, text.sign(unit, lang) or None)
        _put(sheet, row, 3, text.headline(i), unit)
        _put(sheet, row, 4, i.get("target"), unit)
        _cell(sheet, row, 5, text.met(i.get("met"), lang))
        _cell(sheet, row, 6, text.basis_name(i, lang) or None)
        for col, p in enumerate(periods, start=7):
            _put(sheet, row, col, values.get(p), unit)
    _widths(sheet)


def _sex_ratio(sheet, document, lang):
    _header(sheet, 1, [text.label(k, lang) for k in text.SRB_HEADER[:-2]] +
            [text.label("interval", lang) + (" 下限" if lang == "zh" else " low"),
             text.label("interval", lang) + (" 上限" if lang == "zh" else " high"),
             text.label("flag", lang)])
    for row, (where, window, s) in enumerate(text.srb_rows(document, lang), start=2):
        _cell(sheet, row, 1, where)
        _cell(sheet, row, 2, text.label("window_" + window, lang))
        for col, key, unit in ((3, "boys", "count"), (4, "girls", "count"), (5, "n", "count"),
                               (6, "ratio", "ratio"), (7, "low", "ratio"), (8, "high", "ratio")):
            _put(sheet, row, col, s.get(key), unit)
        _cell(sheet, row, 9, text.flag(s, lang))
    last = len(text.srb_rows(document, lang)) + 3
    _cell(sheet, last, 1, text.label("srb_note", lang))
    _widths(sheet)
    sheet.column_dimensions["A"].width = 14


def _amendments(sheet, document, key, lang):
    _header(sheet, 1, [text.label(k, lang) for k in text.AMENDMENT_HEADER])
    items = document.get(key) or []
    for row, (a, shown) in enumerate(zip(items, text.amendment_rows(document, key, lang)),
                                     start=2):
        for col, found in enumerate(shown, start=1):
            if col == 5:                     # the change as a signed number, not text
                _put(sheet, row, col, a.get("delta"), "count")
            else:
                _cell(sheet, row, col, found)
    if not items:
        _cell(sheet, 2, 1, text.label("no_" + key, lang))
    _widths(sheet)
