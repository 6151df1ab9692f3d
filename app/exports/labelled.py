"""Tables for people rather than programs: the same columns an export has, headed by their
labels (a question's label, a property's) in Chinese or English, and each value shown the
way a person reads it — a choice's label instead of its code (a select_multiple's labels
joined), numbers as numbers, dates and times as dates (times in the town's zone), the rest
as text. Then written as an XLSX workbook (app/exports/workbook.py) or as "CSV for Excel":
UTF-8 with a byte-order mark (without one, Excel on Chinese Windows reads the file as GBK
and garbles every Chinese character), one file, or a zip of one file per table.

A `Column` says what one column is; `Table` names a sheet and its columns. The caller gives
rows of raw values (the strings a submission or an entity holds, or typed values already);
`converters` turns each raw value into the typed, labelled one once per column, so the hot
loop is one call per cell. Plain module, no Flask.
"""
import csv
import datetime as dt
import io
import tempfile
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from app.exports import central_csv, reading, workbook
from app.exports.cooperative import pause
from app.exports.zipping import Sink
from app.forms.schema import message

#: what joins a select_multiple's labels, per language
JOINERS = {"zh": "、", "en": ", "}
#: a CSV cell that starts with one of these is a formula to Excel (CSV injection): it is
#: written with a leading apostrophe, as OWASP advises, unless it is a plain number
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_CHARS = frozenset(_FORMULA_START)
_UTC = dt.timezone.utc


@dataclass(frozen=True)
class Column:
    """key: the column's name where the rows come from; labels: {language: text} (languages
    as the form names them, "Chinese (zh)", or plain "zh"/"en"); kind: text, int, decimal,
    date, datetime, bool, select1 or select (select_multiple); choices: {code: {language:
    text}} for a select (None: codes shown as they are)."""
    key: str
    labels: dict = field(default_factory=dict)
    kind: str = "text"
    choices: dict | None = None


@dataclass(frozen=True)
class Table:
    """A sheet (or a CSV file) of a document: its title {language: text} and columns."""
    name: str
    titles: dict
    columns: tuple


def header(column, lang):
    """A column's header in `lang` ("zh" or "en"): its label, else its key."""
    return message(column.labels, lang) or column.key


def title(table, lang):
    return message(table.titles, lang) or table.name


# ----------------------------------------------------------------------------- converters

def _int(raw):
    if raw is None or raw == "":
        return None
    if isinstance(raw, (int, float, Decimal)):
        return raw
    try:
        return int(raw)
    except ValueError:
        return _decimal(raw)


def _decimal(raw):
    if raw is None or raw == "":
        return None
    if isinstance(raw, (int, float, Decimal)):
        return raw
    try:
        found = Decimal(raw.strip())
    except (InvalidOperation, AttributeError):
        return str(raw)
    # Excel holds doubles: a value past one is shown as the text it was sent as
    return float(found) if found.is_finite() and abs(found) < 1e15 else str(raw)


def _date(raw):
    if raw is None or raw == "":
        return None
    if isinstance(raw, dt.date):
        return raw.date() if isinstance(raw, dt.datetime) else raw
    try:
        return dt.date.fromisoformat(str(raw)[:10])
    except ValueError:
        return str(raw)


def _datetime(zone):
    def convert(raw):
        if raw is None or raw == "":
            return None
        if isinstance(raw, dt.datetime):
            found = raw
        else:
            try:
                found = dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
            except ValueError:
                return str(raw)
        if found.tzinfo is None:        # stored naive: UTC (app.db.columns.utcnow)
            found = found.replace(tzinfo=_UTC)
        return found.astimezone(zone).replace(tzinfo=None, microsecond=0)
    return convert


def _bool(raw):
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    return True if text in ("true", "1") else False if text in ("false", "0") else str(raw)


def _text(raw):
    # a text column's values are strings (or None) already: written as they are
    return raw


def _select1(labels):
    def convert(raw):
        if raw is None or raw == "":
            return None
        return labels.get(raw, raw) if isinstance(raw, str) else _text(raw)
    return convert


def _select(labels, joiner):
    def convert(raw):
        if raw is None or raw == "":
            return None
        codes = raw if isinstance(raw, (list, tuple)) else str(raw).split()
        return joiner.join(labels.get(c, c) for c in codes)
    return convert


def converter(column, lang, zone):
    """A function from one raw value of `column` to what a person reads in `lang`."""
    if column.kind in ("select1", "select"):
        labels = {code: message(texts, lang) or code
                  for code, texts in (column.choices or {}).items()}
        if column.kind == "select":
            return _select(labels, JOINERS.get(lang, ", "))
        return _select1(labels)
    if column.kind in ("int", "integer"):
        return _int
    if column.kind == "decimal":
        return _decimal
    if column.kind == "date":
        return _date
    if column.kind in ("datetime", "dateTime"):
        return _datetime(zone)
    if column.kind in ("bool", "boolean"):
        return _bool
    return _text


def converters(columns, lang, zone):
    return [converter(c, lang, zone) for c in columns]


def convert_row(convert, values):
    return [f(v) for f, v in zip(convert, values)]


# -------------------------------------------------------------------------------- writers

def xlsx(tables, rows, lang, zone):
    """The workbook's chunks: a sheet per table, rows as (table index, raw values)."""
    convert = [converters(t.columns, lang, zone) for t in tables]
    sheets = [workbook.Sheet(title(t, lang), [header(c, lang) for c in t.columns])
              for t in tables]
    return workbook.stream(sheets, ((i, convert_row(convert[i], values))
                                    for i, values in rows))


def _csv_cell(value):
    if value is None:
        return ""
    if type(value) is str:              # the hot case: test before doing anything
        if len(value) > workbook.CELL_MAX or workbook._ILLEGAL.search(value) is not None:  # noqa: SLF001
            value = workbook.clean(value)
        if value[:1] in _FORMULA_CHARS and not _number(value):
            return "'" + value
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value) if value != int(value) else str(int(value))
    return str(value)


def _number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


class _Lines:
    """csv.writer's target: lines gathered until taken."""

    def __init__(self):
        self.buffer = io.StringIO()

    def write(self, text):
        return self.buffer.write(text)

    def take(self):
        out = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return out


BOM = "\ufeff"


def csv_bom(table, rows, lang, zone):
    """One table as CSV for Excel, in chunks of UTF-8 bytes starting with the byte-order
    mark; `rows` are raw values of its columns. CRLF line ends, as Excel writes them."""
    convert = converters(table.columns, lang, zone)
    lines = _Lines()
    out = csv.writer(lines, lineterminator="\r\n")
    out.writerow([_csv_cell(header(c, lang)) for c in table.columns])
    yield (BOM + lines.take()).encode("utf-8")
    pending = 0
    for values in rows:
        out.writerow([_csv_cell(v) for v in convert_row(convert, values)])
        pending += 1
        if pending >= 500:
            pending = 0
            yield lines.take().encode("utf-8")
            pause()
    yield lines.take().encode("utf-8")


def csv_bom_zip(tables, rows, lang, zone, names):
    """Several tables as a zip of CSV-for-Excel files (`names`: each table's file name);
    the first table's file streams, the others are spooled to temporary files and added
    after it (their rows arrive interleaved with the first's)."""
    convert = [converters(t.columns, lang, zone) for t in tables]
    drain = Sink()
    book = zipfile.ZipFile(drain, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
    first = io.TextIOWrapper(book.open(names[0], "w", force_zip64=True), encoding="utf-8",
                             newline="")
    spools = [None] + [io.TextIOWrapper(tempfile.SpooledTemporaryFile(workbook.SPOOL),
                                        encoding="utf-8", newline="") for _ in tables[1:]]
    writers = []
    for i, table in enumerate(tables):
        target = first if i == 0 else spools[i]
        target.write(BOM)
        writer = csv.writer(target, lineterminator="\r\n")
        writer.writerow([_csv_cell(header(c, lang)) for c in table.columns])
        writers.append(writer)
    count = 0
    for index, values in rows:
        writers[index].writerow([_csv_cell(v) for v in convert_row(convert[index], values)])
        count += 1
        if count % 500 == 0:
            if drain.size >= workbook.CHUNK:
                drain.size = 0
                yield drain.take()
            pause()          # every 500 rows, whether or not the zip had bytes to hand on
    first.close()
    yield drain.take()
    for i in range(1, len(tables)):
        spool = spools[i]
        spool.flush()
        raw = spool.detach()
        raw.seek(0)
        with book.open(names[i], "w", force_zip64=True) as part:
            while data := raw.read(workbook.CHUNK):
                part.write(data)
                if drain.size >= workbook.CHUNK:
                    drain.size = 0
                    yield drain.take()
                    pause()
        raw.close()
    book.close()
    yield drain.take()


# ---------------------------------------------------------------------- a form's tables

#: Central's metadata columns (app.exports.instances) as people read them
META = {
    "SubmissionDate": ({"zh": "提交时间", "en": "Submitted"}, "datetime"),
    "KEY": ({"zh": "记录键", "en": "KEY"}, "text"),
    "PARENT_KEY": ({"zh": "上级记录键", "en": "PARENT_KEY"}, "text"),
    "SubmitterID": ({"zh": "提交人编号", "en": "Submitter ID"}, "int"),
    "SubmitterName": ({"zh": "提交人", "en": "Submitter"}, "text"),
    "AttachmentsPresent": ({"zh": "已收附件", "en": "Attachments received"}, "int"),
    "AttachmentsExpected": ({"zh": "应有附件", "en": "Attachments expected"}, "int"),
    "Status": ({"zh": "状态", "en": "Status"}, "text"),
    "ReviewState": ({"zh": "审核状态", "en": "Review state"}, "select1"),
    "DeviceID": ({"zh": "设备号", "en": "Device ID"}, "text"),
    "Edits": ({"zh": "修改次数", "en": "Edits"}, "int"),
    "FormVersion": ({"zh": "表单版本", "en": "Form version"}, "text"),
}
REVIEW_STATES = {"hasIssues": {"zh": "有问题", "en": "Has issues"},
                 "edited": {"zh": "已修改", "en": "Edited"},
                 "approved": {"zh": "已通过", "en": "Approved"},
                 "rejected": {"zh": "已退回", "en": "Rejected"}}
GEO_PARTS = {"Latitude": {"zh": "纬度", "en": "latitude"},
             "Longitude": {"zh": "经度", "en": "longitude"},
             "Altitude": {"zh": "海拔", "en": "altitude"},
             "Accuracy": {"zh": "精度", "en": "accuracy"}}
_FIELD_KINDS = {"int": "int", "decimal": "decimal", "date": "date", "dateTime": "datetime"}


def _field_column(key, f, part, lookups):
    if not part and not f.choices and f.name in lookups:
        # codes from an attached list (the villages' CSV), which the form itself does not
        # label: the caller's labels for them
        return Column(key, f.labels, "select" if f.select_multiple else "select1",
                      lookups[f.name])
    if part:                         # a geopoint's part: a number
        labels = {lang: f"{text} ({GEO_PARTS[part]['zh' if 'zh' in lang else 'en']})"
                  for lang, text in (f.labels or {"": f.name}).items()}
        return Column(key, labels, "decimal")
    if f.control in ("select1", "select", "rank") and f.choices:
        return Column(key, f.labels, "select" if f.select_multiple else "select1", f.choices)
    return Column(key, f.labels, _FIELD_KINDS.get(f.type, "text"))


def form_tables(layout, form_titles, lookups=None):
    """Labelled Tables of an export layout (app.exports.instances.Layout, built without
    split select columns): the same columns as Central's CSV, headed by question labels;
    `form_titles` {lang: text} names the root sheet, a repeat's sheet is its label;
    `lookups` {field name: {code: {lang: text}}} labels fields whose codes come from an
    attached list."""
    lookups = lookups or {}
    out = []
    for t in layout.tables:
        columns = []
        for key, (f, part) in zip(t.header, t.columns):
            if f is None:
                labels, kind = META[part]
                columns.append(Column(key, labels, kind,
                                      REVIEW_STATES if part == "ReviewState" else None))
            else:
                columns.append(_field_column(key, f, part, lookups))
        if t.index == 0:
            titles = form_titles
        else:
            titles = t.table.repeat.labels if t.table.repeat and t.table.repeat.labels \
                else {"": t.name}
        out.append(Table(t.name or "root", titles, tuple(columns)))
    return out


def form_rows(engine, selection, layout):
    """(table index, raw values) of every selected submission (app.exports.reading: keyset
    batches on a connection of its own), each submission's root row then its repeats'."""
    for batch in reading.batches(engine, selection):
        for row in batch:
            values, subrows = central_csv._root_row(layout, row)   # noqa: SLF001 - its row
            yield 0, values
            for i, rows in enumerate(subrows or ()):
                for sub in rows:
                    yield i + 1, sub

