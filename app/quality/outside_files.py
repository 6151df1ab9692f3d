"""Reading an outside list's file (FORMATS.md): CSV (UTF-8 with or without BOM, or GB18030)
or XLSX (first sheet, first row headers), Chinese or English headers, each row checked and
normalised into the values the reconciliation reads. Bounded: the caller gives the byte limit,
the rows are counted as they are read, an XLSX's unpacked size is checked before openpyxl
opens it. Nothing here touches the database but the villages given in.

A row that fails a check is not kept: it is returned as a bad row naming its row number (the
file's, headers are row 1), its column and why, in both languages; the good rows are kept.
"""
import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field

from app.problems import Problem

HOSPITAL = "hospital_births"
REGISTRY = "household_registry"
KINDS = (HOSPITAL, REGISTRY)

#: a town's file is thousands of rows; a county's a few hundred thousand at most
MAX_ROWS = 50_000
#: an XLSX is a zip: what it unpacks to is bounded before openpyxl reads it
MAX_UNPACKED = 100_000_000
#: columns read of each row (the formats have eight; more are ignored)
MAX_COLUMNS = 60
#: a value longer than this is a bad value, not a name or a number
MAX_VALUE = 200

# field: (Chinese header, English header, required)
COLUMNS = {
    HOSPITAL: {
        "certificate_no": ("出生医学证明编号", "certificate_no", True),
        "mother_name": ("母亲姓名", "mother_name", True),
        "mother_id_number": ("母亲身份证号", "mother_id_number", False),
        "sex": ("婴儿性别", "sex", True),
        "birth_date": ("出生日期", "birth_date", True),
        "hospital": ("分娩医院", "hospital", False),
        "village": ("村", "village", True),
        "father_name": ("父亲姓名", "father_name", False),
    },
    REGISTRY: {
        "id_number": ("公民身份号码", "id_number", False),
        "name": ("姓名", "name", True),
        "sex": ("性别", "sex", True),
        "dob": ("出生日期", "dob", True),
        "village": ("村", "village", True),
        "household_no": ("户号", "household_no", False),
        "relation": ("与户主关系", "relation", False),
    },
}
DATE_FIELDS = {"birth_date", "dob"}
ID_FIELDS = {"mother_id_number", "id_number"}
SEXES = {"男": "male", "女": "female", "male": "male", "female": "female", "m": "male",
         "f": "female"}
ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
_DATE_PATTERNS = (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
                  re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
                  re.compile(r"^(\d{4})(\d{2})(\d{2})$"))


@dataclass
class Read:
    """A file read: the good rows ({row, key, area_id, data}), the bad ones
    ({row, column, value, zh, en}) and the rows of villages the reader may not import."""
    rows: list = field(default_factory=list)
    bad: list = field(default_factory=list)
    skipped: int = 0
    read: int = 0


def kind_name(kind):
    return {"hospital_births": ("医院出生登记", "hospital births"),
            "household_registry": ("户籍登记", "household registry")}[kind]


def read(data, kind, villages, allowed=None, max_bytes=None):
    """Read `data` (bytes) as a file of `kind`. `villages`: {code or Chinese name: (area id,
    code)};
    `allowed`: the area ids the importer may import (None: all). Raises a Problem for a file
    that cannot be read at all; bad rows are listed in the result."""
    if kind not in KINDS:
        raise Problem("400.293", {"kind": kind, "allowed": ", ".join(KINDS)})
    if max_bytes is not None and len(data) > max_bytes:
        raise Problem("413.291", {"size": len(data), "limit": max_bytes})
    table = _xlsx(data) if data[:4] == b"PK\x03\x04" else _csv(data)
    header = next(table, None)
    if header is None:
        raise Problem("400.294", {"zh": "文件是空的", "en": "the file is empty"})
    positions = _positions(kind, header)
    out = Read()
    seen = {}
    for row_no, values in table:
        if not any(v not in (None, "") for v in values):
            continue
        out.read += 1
        if out.read > MAX_ROWS:
            raise Problem("413.292", {"limit": MAX_ROWS})
        _row(kind, row_no, values, positions, villages, allowed, seen, out)
    return out


def _row(kind, row_no, values, positions, villages, allowed, seen, out):
    data, errors = {}, []
    for name, (zh, en, required) in COLUMNS[kind].items():
        at = positions.get(name)
        raw = values[at] if at is not None and at < len(values) else None
        value, error = _value(name, raw, required, villages)
        if error:
            errors.append(_bad(row_no, zh, en, raw, *error))
        data[name] = value
    if errors:
        out.bad.extend(errors)
        return
    area_id, data["village"] = villages[data["village"]]
    if allowed is not None and area_id not in allowed:
        out.skipped += 1
        return
    key = key_of(kind, data)
    if key in seen:
        zh, en, _ = COLUMNS[kind]["certificate_no" if kind == HOSPITAL else "name"]
        out.bad.append(_bad(row_no, zh, en, key, f"与第 {seen[key]} 行重复（同一记录）",
                            f"repeats row {seen[key]} (the same record)"))
        return
    seen[key] = row_no
    out.rows.append({"row": row_no, "key": key, "area_id": area_id, "data": data})


def key_of(kind, data):
    """A record's key (FORMATS.md): the certificate number; the ID number, else household
    number, name and birth date."""
    if kind == HOSPITAL:
        return data["certificate_no"]
    return data["id_number"] or "|".join((data["household_no"], data["name"], data["dob"]))


def _bad(row_no, zh, en, raw, reason_zh, reason_en):
    value = "" if raw is None else str(raw)[:MAX_VALUE]
    return {"row": row_no, "column": f"{zh} / {en}", "value": value,
            "zh": f"第 {row_no} 行「{zh}」：{reason_zh}",
            "en": f"row {row_no}, {en}: {reason_en}"}


def _value(name, raw, required, villages):
    """(normalised value, None) or (None, (reason zh, reason en))."""
    if name in DATE_FIELDS:
        if raw is None or raw == "":
            return None, ("必填，不能为空", "required, blank")
        day = parse_date(raw)
        if day is None:
            return None, ("不是日期（应为 YYYY-MM-DD）", "not a date (use YYYY-MM-DD)")
        if not dt.date(1900, 1, 1) <= day <= dt.date.today() + dt.timedelta(days=1):
            return None, ("日期不在合理范围内", "a date out of range")
        return day.isoformat(), None
    text = _text(raw)
    if len(text) > MAX_VALUE:
        return None, (f"过长（超过 {MAX_VALUE} 个字符）", f"too long (over {MAX_VALUE} characters)")
    if not text:
        return ("", None) if not required else (None, ("必填，不能为空", "required, blank"))
    if name == "sex":
        sex = SEXES.get(text.lower())
        return (sex, None) if sex else (None, ("应为 男/女 或 male/female", "use 男/女 or male/female"))
    if name == "village":
        found = villages.get(text) or villages.get(text.lower())
        return (text if text in villages else text.lower(), None) if found else (
            None, ("不是本镇的村（村代码或村名）", "not a village of the town (code or name)"))
    if name in ID_FIELDS:
        text = text.upper()
        if not ID_SHAPE.match(text):
            return None, ("身份证号应为 18 位（17 位数字加数字或 X）",
                          "an ID number is 18 characters (17 digits, then a digit or X)")
    return text, None


def _text(raw):
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)            # a number column in Excel: 12345.0 is 12345
    return " ".join(str(raw).split())


def parse_date(raw):
    """A date from YYYY-MM-DD, YYYY/M/D, YYYYMMDD or a real Excel date; None otherwise."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = _text(raw)
    for pattern in _DATE_PATTERNS:
        found = pattern.match(text)
        if found:
            try:
                return dt.date(*(int(g) for g in found.groups()))
            except ValueError:
                return None
    return None


def _header(value):
    return "".join(_text(value).split()).rstrip("*").strip().lower().lstrip("\ufeff")


def _positions(kind, header):
    """{field: column index} from the header row; a required column missing is 400.292."""
    names = [_header(h) for h in header]
    positions, missing = {}, []
    for name, (zh, en, required) in COLUMNS[kind].items():
        at = next((i for i, h in enumerate(names) if h in (zh, en.lower())), None)
        if at is None and required:
            missing.append(f"{zh} / {en}")
        elif at is not None:
            positions[name] = at
    if missing:
        zh, en = kind_name(kind)
        raise Problem("400.292", {"columns": ", ".join(missing), "kind_zh": zh, "kind_en": en})
    return positions


def _csv(data):
    """The rows of a CSV as (row number, values), the header first (numbered 1)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Problem("400.291", {"zh": "不是 UTF-8 或 GB18030 编码的 CSV，也不是 XLSX",
                                  "en": "neither a UTF-8 or GB18030 CSV nor an XLSX"})
    if "\x00" in text:
        raise Problem("400.291", {"zh": "不是文本文件（含 NUL 字符）",
                                  "en": "not a text file (it holds NUL characters)"})
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            return
        yield header[:MAX_COLUMNS]
        for values in reader:
            yield reader.line_num, values[:MAX_COLUMNS]
    except csv.Error as e:
        raise Problem("400.291", {"zh": f"CSV 格式错误：{e}", "en": f"a malformed CSV: {e}"}) \
            from None


def _xlsx(data):
    """The first sheet's rows as (row number, values), the header first."""
    import openpyxl                # noqa: PLC0415 - only imports of XLSX need it
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            unpacked = sum(i.file_size for i in z.infolist())
        if unpacked > MAX_UNPACKED:
            raise Problem("413.291", {"size": unpacked, "limit": MAX_UNPACKED})
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Problem:
        raise
    except Exception as e:       # noqa: BLE001 - openpyxl raises many kinds on a bad file
        raise _unreadable(e) from None
    try:
        # read-only openpyxl parses the sheet's XML only as its rows are read: a broken sheet
        # (or a book without one) fails here, and is the client's bad file, not a 500
        try:
            rows = book.worksheets[0].iter_rows(values_only=True, max_col=MAX_COLUMNS)
            header = next(rows, None)
        except Exception as e:   # noqa: BLE001 - as above
            raise _unreadable(e) from None
        if header is None:
            return
        yield list(header)
        n = 1
        while True:
            try:
                values = next(rows)
            except StopIteration:
                return
            except Exception as e:   # noqa: BLE001 - as above
                raise _unreadable(e) from None
            n += 1
            yield n, list(values)
    finally:
        book.close()


def _unreadable(error):
    return Problem("400.291", {"zh": f"无法读取 XLSX：{type(error).__name__}",
                               "en": f"the XLSX cannot be read: {type(error).__name__}"})
