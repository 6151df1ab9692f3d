"""A streamed XLSX writer: sheets of typed rows in, the workbook's bytes out, chunk by chunk.

An XLSX file is a zip of XML parts. This module writes those parts itself instead of going
through openpyxl: each sheet's XML is produced row by row with inline strings (no shared
strings table, which would have to be held whole in memory and written last), straight into
a zip that is drained after every batch of rows, so the memory used does not grow with the
number of rows. The first sheet (a form's root table) is written into the zip as its rows
arrive; the other sheets (repeat tables, whose rows arrive interleaved with the root's) are
written into `tempfile.SpooledTemporaryFile`s and copied into the zip after the first sheet,
so they too spill to disk instead of memory. (openpyxl's write_only mode is much slower for
the same rows, docs/console.md, "Exports", and it gives nothing out until `save`, which a
streamed body cannot wait for.)

Cells are typed from the Python values given: str → inline string (never a formula: an
inline string is text whatever it starts with), int/float/Decimal → number, bool →
boolean, datetime.date → Excel date (yyyy-mm-dd), datetime.datetime → Excel date-time
(naive: already in the wanted time zone), None → empty cell. Characters XML 1.0 cannot hold
(control characters, lone surrogates) are dropped, and a text longer than a cell holds
(32,767 characters) is cut. Sheet names are made legal (≤ 31 characters, none of
[]:*?/\\, no leading or trailing apostrophe, unique ignoring case).

Plain module, no Flask. Usage:

    sheets = [Sheet("Visits", ["Name", "Date"]), Sheet("Members", ["Name"])]
    for chunk in stream(sheets, rows):   # rows: iterable of (sheet index, [values])
        ...
"""
import datetime as dt
import math
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from xml.sax.saxutils import escape

from app.exports.cooperative import pause
from app.exports.zipping import Sink

#: a cell holds at most this many characters (Excel's limit)
CELL_MAX = 32767
#: bytes of XML gathered before they go to the zip (and the zip's output is handed on)
CHUNK = 64 * 1024
#: bytes a repeat sheet keeps in memory before its spool moves to a temporary file
SPOOL = 1024 * 1024
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: what sends a text off the fast path: a character to escape or drop
_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: a text starting or ending with one of these keeps it only with xml:space="preserve"
_SPACES = frozenset(" \t\n\r\u3000\xa0")
_BAD_NAME = re.compile(r"[\[\]:*?/\\]")
_EPOCH = dt.datetime(1899, 12, 30)
#: style indexes in styles.xml's cellXfs
_DATE, _DATETIME, _HEAD = 1, 2, 3


@dataclass
class Sheet:
    """One sheet: its title (made legal by `stream`) and its header row."""
    title: str
    headers: list
    widths: list = field(default_factory=list)   # characters per column (optional)


def clean(text):
    """A text as a cell may hold it: without XML-illegal characters, cut to CELL_MAX."""
    text = _ILLEGAL.sub("", text)
    return text[:CELL_MAX] if len(text) > CELL_MAX else text


def sheet_titles(titles):
    """Legal, unique sheet titles for `titles`, in order (Excel: ≤ 31 characters, none of
    []:*?/\\, no apostrophe at either end, unique ignoring case; 'History' is reserved)."""
    taken, out = set(), []
    for title in titles:
        base = _BAD_NAME.sub(" ", clean(str(title or ""))).strip().strip("'").strip()[:31]
        base = base or "Sheet"
        if base.lower() == "history":
            base = "History 1"
        found, n = base, 2
        while found.lower() in taken:
            suffix = f" ({n})"
            found, n = base[:31 - len(suffix)].rstrip() + suffix, n + 1
        taken.add(found.lower())
        out.append(found)
    return out


def column_letter(index):
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _serial(value):
    """Excel's serial day number of a date or naive datetime (1900 date system)."""
    if isinstance(value, dt.datetime):
        delta = value.replace(tzinfo=None) - _EPOCH
        return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    return (value - _EPOCH.date()).days


def _text(ref, value):
    # the fast path: most texts need neither escaping, cleaning nor preserved spaces
    if len(value) > CELL_MAX or _SPECIAL.search(value) is not None:
        value = escape(clean(value))
    if value[:1] in _SPACES or value[-1:] in _SPACES:
        return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{value}</t></is></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def _number(ref, value):
    return f'<c r="{ref}"><v>{value}</v></c>'


def _float(ref, value):
    return f'<c r="{ref}"><v>{value!r}</v></c>' if math.isfinite(value) else ""


def _bool(ref, value):
    return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'


def _datetime(ref, value):
    return f'<c r="{ref}" s="{_DATETIME}"><v>{_serial(value)!r}</v></c>'


def _date(ref, value):
    return f'<c r="{ref}" s="{_DATE}"><v>{_serial(value)}</v></c>'


def _other(ref, value):
    """A value of a subclass of the types below (numpy, pendulum …), or any other: text."""
    for base in (dt.datetime, dt.date, bool, int, float, Decimal):
        if isinstance(value, base):
            if base is dt.datetime:
                value = dt.datetime.combine(value.date(), value.time())
            elif base is dt.date:
                value = dt.date(value.year, value.month, value.day)
            else:
                value = base(value)
            return _WRITERS[base](ref, value)
    return _text(ref, str(value))


#: the cell writer of each exact type (a dict lookup per cell: this is the hot loop)
_WRITERS = {str: _text, int: _number, Decimal: _number, float: _float, bool: _bool,
            dt.datetime: _datetime, dt.date: _date}


def _cell(ref, value):
    if value is None or value == "":
        return ""
    return _WRITERS.get(type(value), _other)(ref, value)


def _row(number, letters, values):
    """A row's XML; empty cells are left out (each cell says where it is)."""
    if len(values) > len(letters):
        letters.extend(column_letter(i) for i in range(len(letters), len(values)))
    get = _WRITERS.get
    cells = "".join([get(type(v), _other)(f"{letters[i]}{number}", v)
                     for i, v in enumerate(values) if v is not None and v != ""])
    return f'<row r="{number}">{cells}</row>'


def _head(sheet):
    widths = sheet.widths or [min(60, max(10, len(str(h)) * 2 + 2)) for h in sheet.headers]
    cols = "".join(f'<col min="{i + 1}" max="{i + 1}" width="{w}" customWidth="1"/>'
                   for i, w in enumerate(widths))
    letters = [column_letter(i) for i in range(len(sheet.headers))]
    header = "".join(f'<c r="{letters[i]}1" s="{_HEAD}" t="inlineStr"><is><t xml:space="preserve">'
                     f'{escape(clean(str(h)))}</t></is></c>' for i, h in enumerate(sheet.headers))
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
        'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/>'
        + (f"<cols>{cols}</cols>" if cols else "")
        + f'<sheetData><row r="1">{header}</row>'), letters


_TAIL = "</sheetData></worksheet>"

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.styles+xml"/>'
    '{sheets}</Types>')
_SHEET_TYPE = ('<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
               'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_BOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '{sheets}<Relationship Id="rIdStyles" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>')
_BOOK_REL = ('<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/'
             'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>')
_BOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<bookViews><workbookView/></bookViews><sheets>{sheets}</sheets></workbook>')
_BOOK_SHEET = '<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>'
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy\\-mm\\-dd\\ hh:mm:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '</styleSheet>')


def stream(sheets, rows, compresslevel=1):
    """The workbook's bytes, in chunks, for `sheets` (Sheet) and `rows`: an iterable of
    (sheet index, values) in any interleaving; sheet 0's rows are written as they come, the
    others' spooled and appended after it. Level 1 deflate: the XML compresses about tenfold
    at it, and level 6 costs twice the time for a few percent."""
    titles = sheet_titles(s.title for s in sheets)
    drain = Sink()
    book = zipfile.ZipFile(drain, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
    n = len(sheets)
    book.writestr("[Content_Types].xml", _CONTENT_TYPES.format(
        sheets="".join(_SHEET_TYPE.format(n=i + 1) for i in range(n))))
    book.writestr("_rels/.rels", _RELS)
    book.writestr("xl/workbook.xml", _BOOK.format(sheets="".join(
        _BOOK_SHEET.format(name=escape(t, {'"': "&quot;"}), n=i + 1)
        for i, t in enumerate(titles))))
    book.writestr("xl/_rels/workbook.xml.rels", _BOOK_RELS.format(
        sheets="".join(_BOOK_REL.format(n=i + 1) for i in range(n))))
    book.writestr("xl/styles.xml", _STYLES)
    yield drain.take()

    first = book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
    spools, letters, numbers, pending = [None] * n, [], [1] * n, [[] for _ in range(n)]
    sizes = [0] * n
    for i, sheet in enumerate(sheets):
        head, cols = _head(sheet)
        letters.append(cols)
        if i == 0:
            first.write(head.encode("utf-8"))
        else:
            spools[i] = tempfile.SpooledTemporaryFile(SPOOL)
            spools[i].write(head.encode("utf-8"))

    def flush(i):
        data = "".join(pending[i]).encode("utf-8")
        pending[i], sizes[i] = [], 0
        (first if i == 0 else spools[i]).write(data)

    for index, values in rows:
        numbers[index] += 1
        text = _row(numbers[index], letters[index], values)
        pending[index].append(text)
        sizes[index] += len(text)
        if sizes[index] >= CHUNK:
            flush(index)
            if drain.size:
                drain.size = 0
                yield drain.take()
            pause()          # every CHUNK of XML (a few ms of work), whichever sheet
    for i in range(n):
        flush(i)
    first.write(_TAIL.encode("utf-8"))
    first.close()
    yield drain.take()
    for i in range(1, n):
        spool = spools[i]
        spool.write(_TAIL.encode("utf-8"))
        spool.seek(0)
        with book.open(f"xl/worksheets/sheet{i + 1}.xml", "w", force_zip64=True) as part:
            while True:
                data = spool.read(CHUNK)
                if not data:
                    break
                part.write(data)
                if drain.size >= CHUNK:
                    drain.size = 0
                    yield drain.take()
                    pause()
        spool.close()
    book.close()
    yield drain.take()


def write(sheets, rows, target):
    """The whole workbook into `target` (a binary file object); for tests and the CLI."""
    for chunk in stream(sheets, rows):
        target.write(chunk)
