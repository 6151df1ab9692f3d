"""How a report reads in words: the faces' fixed bilingual labels, the printing of one value by
its unit, and the whole report as aligned plain-text tables for the CLI (`render`). The HTML,
print and XLSX faces take their labels and number printing from here, so every face says the
same thing the same way. Plain module, no Flask.
"""
import unicodedata

#: the faces' own words, Chinese first (the tables' labels come with the document)
LABELS = {
    "village_report": ("村级月报", "Village monthly report"),
    "town_report": ("镇级月报", "Town monthly report"),
    "town": ("全镇", "Whole town"),
    "month": ("月份", "Month"),
    "village": ("村", "Village"),
    "villages": ("各村报表", "Village reports"),
    "generated_at": ("生成时间", "Generated at"),
    "audit_head": ("审计日志链头", "Audit log head"),
    "audit_head_at": ("共 {n} 条，取于 {at}", "{n} entries, taken at {at}"),
    "basis": ("人口口径：现居住（以事件发生日期和所在村统计）",
              "Population basis: residence (events counted by the date and village where "
              "they happened)"),
    "lock": ("锁定状态", "Lock state"),
    "open": ("未锁定（数据可能变化）", "Open (figures may still change)"),
    "locked": ("已锁定", "Locked"),
    "version": ("第{n}版", "version {n}"),
    "locked_at": ("锁定于", "locked at"),
    "locked_by": ("锁定人", "by"),
    "item": ("项目", "Item"),
    "serial": ("序号", "No."),
    "unit": ("单位", "Unit"),
    "none": ("—", "—"),
    "none_note": ("“—”表示无法计算（如分母为零）或未测量。",
                  "“—” means not computable (such as a rate on a zero denominator) or not "
                  "measured."),
    "indicators": ("指标", "Indicators"),
    "county_town": ("镇", "Town"),
    "county_total": ("全县合计", "County total"),
    "indicator": ("指标", "Indicator"),
    "target": ("目标", "Target"),
    "value": ("数值", "Value"),
    "met": ("是否达标", "Met"),
    "met_yes": ("达标", "met"),
    "met_no": ("未达标", "not met"),
    "met_none": ("无法判断", "not computable"),
    "period_month": ("本月", "This month"),
    "period_ytd": ("本年累计", "Year to date"),
    "period_ytd_annualised": ("本年累计（年化）", "Year to date, annualised"),
    "period_stat_ytd": ("统计年度累计", "Statistical year to date"),
    "period_rolling_12": ("近12个月", "Rolling 12 months"),
    "period_last_year": ("去年同期", "Same period last year"),
    "period_start": ("期初", "Start of month"),
    "period_end": ("期末", "End of month"),
    "period_round": ("本轮", "This round"),
    "period_rate": ("率", "Rate"),
    "period_value": ("数值", "Value"),
    "village_table": ("分村汇总", "By village"),
    "basis_col": ("口径", "Basis"),
    "sex_ratio": ("出生性别比", "Sex ratio at birth"),
    "window": ("时段", "Window"),
    "window_month": ("本月", "This month"),
    "window_rolling_12": ("近12个月", "Rolling 12 months"),
    "window_year": ("本年累计", "Year to date"),
    "window_stat_year": ("统计年度累计", "Statistical year to date"),
    "boys": ("男", "Boys"),
    "girls": ("女", "Girls"),
    "births": ("出生数", "Births"),
    "ratio": ("性别比", "Ratio"),
    "interval": ("95%置信区间", "95% interval"),
    "flag": ("提示", "Flag"),
    "flag_few": ("出生数不足20，不计算", "fewer than 20 births: not computed"),
    "flag_high": ("偏高", "high"),
    "flag_watch": ("关注", "watch"),
    "flag_low": ("偏低（请核查数据）", "low (check the data)"),
    "flag_none": ("正常范围内", "within range"),
    "srb_note": ("正常范围为103–107（男婴数/每100名女婴）；仅当置信区间完全在此范围之外时提示。",
                 "The normal range is 103–107 boys per 100 girls; a flag is raised only when "
                 "the interval lies wholly outside it."),
    "alerts": ("提示事项", "Alerts"),
    "count": ("数量", "Count"),
    "no_alerts": ("本月无提示事项。", "No alerts this month."),
    "sections": ("报表", "Tables"),
    "lists": ("名单", "Lists"),
    "no_rows": ("（无）", "(none)"),
    "amendments": ("锁定后的修正", "Amendments since the lock"),
    "late_records": ("补报（以前月份的迟到记录）", "Late records (about earlier months)"),
    "no_amendments": ("无修正。", "No amendments."),
    "no_late_records": ("无补报。", "No late records."),
    "original_month": ("原月份", "Month"),
    "kind": ("事件", "Event"),
    "cell": ("统计项", "Cell"),
    "delta": ("变动", "Change"),
    "submission": ("来源提交", "Submission"),
    "recorded_at": ("记录时间", "Recorded at"),
    "change": ("类型", "Type"),
    "change_late": ("补报", "late"),
    "change_corrected": ("更正", "corrected"),
    "change_removed": ("撤销", "removed"),
    "sheet_amendments": ("修正", "Amendments"),
    "sheet_late_records": ("补报", "Late records"),
    "charts": ("图表", "Charts"),
    "print": ("打印版", "Print view"),
    "xlsx": ("下载 Excel（XLSX）", "Download Excel (XLSX)"),
    "language": ("English", "中文"),
    "contents": ("目录", "Contents"),
    "page": ("第 {page} 页，共 {pages} 页", "page {page} of {pages}"),
    "report": ("报告", "Report"),
    "error": ("无法显示报表", "The report cannot be shown"),
    "bad_month": ("月份格式应为 YYYY-MM，例如 2025-03。",
                  "The month must be written YYYY-MM, for example 2025-03."),
    "bad_village": ("本项目中没有这个村：{code}。", "This project has no village {code}."),
    "bad_project": ("没有这个项目。", "There is no such project."),
    "back": ("返回", "Back"),
}


def label(key, lang="zh", **params):
    """One of the faces' words in `lang` ('zh' unless 'en'), its {placeholders} filled."""
    zh, en = LABELS[key]
    return (en if lang == "en" else zh).format(**params)


def name(item, lang="zh"):
    """The zh/en name of anything the document names (a table, row, column, village)."""
    if not item:
        return ""
    return item.get("en" if lang == "en" else "zh") or item.get("zh") or item.get("en") or ""


def note(table, lang="zh"):
    found = table.get("note") or {}
    return found.get("en" if lang == "en" else "zh") or ""


#: the unit's sign after a number; counts and text have none
SIGNS = {"permille": "‰", "percent": "%", "yuan": ("元", "yuan"), "weeks": ("周", "wk")}


def sign(unit, lang="zh"):
    found = SIGNS.get(unit, "")
    if isinstance(found, tuple):
        found = found[1] if lang == "en" else found[0]
    return found


def cell_unit(row, column):
    """A value's unit: its column's when the column has one (lists), else its row's."""
    return (column or {}).get("unit") or (row or {}).get("unit") or "count"


def value(v, unit="count", lang="zh", with_sign=False):
    """One value as people read it: None is "—" (not computable), counts whole with thousands
    separators, rates and amounts with two decimals, text as it is."""
    if v is None or v == "":
        return "—" if v is None else ""
    if isinstance(v, bool):
        return label("met_yes" if v else "met_no", lang)
    if isinstance(v, (int, float)):
        if unit in ("count", "weeks") and float(v).is_integer():
            out = f"{int(v):,}"
        elif unit in ("count", "weeks", "text", "date"):
            out = f"{v:,}"
        elif unit == "ratio":
            out = f"{v:.2f}"
        else:
            out = f"{v:,.2f}"
        if not with_sign:
            return out
        found = sign(unit, lang)
        return out + (" " if found.isascii() and found.isalpha() else "") + found
    return str(v)


def interval(srb):
    if not srb or srb.get("low") is None or srb.get("high") is None:
        return "—"
    return f"{srb['low']:.1f}–{srb['high']:.1f}"


def flag(srb, lang="zh"):
    found = (srb or {}).get("flag")
    if found in ("few", "high", "watch", "low"):
        return label("flag_" + found, lang)
    return label("flag_none", lang) if srb and srb.get("ratio") is not None else "—"


def met(found, lang="zh"):
    return label({True: "met_yes", False: "met_no"}.get(found, "met_none"), lang)


def change(found, lang="zh"):
    return label("change_" + found, lang) if found in ("late", "corrected", "removed") else found


#: the indicators' periods in the order their columns print
PERIODS = ("month", "ytd", "ytd_annualised", "stat_ytd", "rolling_12", "last_year", "start",
           "end", "round", "rate")


def indicator_periods(document):
    """The periods any indicator has a value for, in PERIODS' order (others after, sorted)."""
    found = {p for i in document.get("indicators") or [] for p in (i.get("values") or {})}
    return [p for p in PERIODS if p in found] + sorted(found - set(PERIODS))


def period_label(period, lang="zh"):
    return label("period_" + period, lang) if "period_" + period in LABELS else period


def judged_on(indicator):
    """The period an indicator is judged on against its target (its basis' period), or None."""
    basis = indicator.get("basis")
    return basis.get("period") if isinstance(basis, dict) else None


def headline(indicator):
    """The value an indicator is judged on: its basis' period, else the year to date, else
    this month, else the first it has."""
    values = indicator.get("values") or {}
    for period in (judged_on(indicator), "ytd", "month"):
        if period and values.get(period) is not None:
            return values[period]
    return next((v for v in values.values() if v is not None), None)


def basis_name(indicator, lang="zh"):
    basis = indicator.get("basis")
    if isinstance(basis, dict):
        return name(basis, lang) or period_label(basis.get("period") or "", lang)
    return str(basis or "")


def section_heading(table, lang="zh"):
    """'B 人口变动' for a lettered section, the name alone for any other table."""
    found = str(table.get("id") or "")
    return f"{found} {name(table, lang)}" if len(found) == 1 else name(table, lang)


def header_cells(table, lang="zh", listed=False):
    """A table's column headers: lists print their columns only (the first names the row);
    tables of figures put the row's label first."""
    columns = table.get("columns") or []
    head = [] if listed else [label("item", lang)]
    return head + [column_label(c, lang) for c in columns]


def body_cells(table, lang="zh", listed=False):
    """A table's rows as printed text, the row's label first unless a list."""
    columns = table.get("columns") or []
    out = []
    for r in table.get("rows") or []:
        first = [] if listed else [row_label(r, columns, lang)]
        out.append(first + [value(r["values"].get(c["id"]), cell_unit(r, c), lang)
                            for c in columns])
    return out


def title(document, lang="zh"):
    """'东湾村 2025-03 村级月报' / 'Dongwan, 2025-03: village monthly report'."""
    where = name(document.get("village"), lang) or label("town", lang)
    kind = label("village_report" if document.get("kind") == "village" else "town_report",
                 lang)
    if lang == "en":
        return f"{where}, {document.get('month')}: {kind.lower()}"
    return f"{where} {document.get('month')} {kind}"


def lock_state(document, lang="zh"):
    """'已锁定（第2版，锁定于 2025-04-01 16:00 UTC）' or the open state's words."""
    lock = document.get("lock") or {}
    if lock.get("state") != "locked":
        return label("open", lang)
    parts = []
    if lock.get("version"):
        parts.append(label("version", lang, n=lock["version"]))
    if lock.get("locked_at"):
        parts.append(f"{label('locked_at', lang)} {when(lock['locked_at'])}")
    if lock.get("locked_by"):
        parts.append(f"{label('locked_by', lang)} {lock['locked_by']}")
    inner = ("，" if lang != "en" else ", ").join(parts)
    if not inner:
        return label("locked", lang)
    return f"{label('locked', lang)}（{inner}）" if lang != "en" else \
        f"{label('locked', lang)} ({inner})"


def when(iso):
    """'2025-04-01T16:00:00Z' as '2025-04-01 16:00 UTC' (the stored times are UTC)."""
    if not iso:
        return ""
    text = str(iso).replace("T", " ")
    if text.endswith("Z"):
        text = text[:-1]
    return text[:16] + " UTC" if len(text) >= 16 else text


def village_name(document, code, lang="zh"):
    """A village's name from the document's list of villages, its code when not listed."""
    if not code:
        return label("town", lang)
    for found in document.get("villages") or []:
        if found.get("code") == code:
            return name(found, lang) or code
    return code


# ---- the CLI's plain text ---------------------------------------------------------------

def width(text):
    """Columns a string takes in a terminal: CJK wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def _pad(text, size, right):
    gap = " " * max(0, size - width(text))
    return gap + text if right else text + gap


def grid(header, rows, right=None):
    """Aligned columns: text left, numbers right (right[i] True), a rule under the header."""
    right = right or [False] * len(header)
    sizes = [max([width(h)] + [width(r[i]) for r in rows]) for i, h in enumerate(header)]
    lines = ["  ".join(_pad(h, sizes[i], right[i]) for i, h in enumerate(header)).rstrip(),
             "  ".join("-" * s for s in sizes)]
    for r in rows:
        lines.append("  ".join(_pad(c, sizes[i], right[i]) for i, c in enumerate(r)).rstrip())
    return "\n".join(lines)


def column_label(column, lang="zh"):
    """A column's name with its unit's sign: '率 (%)'."""
    found = sign(column.get("unit"), lang)
    return name(column, lang) + (f" ({found})" if found else "")


def row_label(row, columns, lang="zh"):
    """A row's name, with its unit's sign when its columns carry none: '出生率 (‰)'."""
    found = sign(row.get("unit"), lang)
    if found and not any(c.get("unit") for c in columns):
        return f"{name(row, lang)} ({found})"
    return name(row, lang)


def numeric(column):
    """Whether a column's values align right as numbers."""
    return column.get("unit") not in ("text", "date")


def _table_text(table, lang, listed=False):
    columns = table.get("columns") or []
    header = header_cells(table, lang, listed)
    rows = body_cells(table, lang, listed)
    aligned = ([] if listed else [False]) + [numeric(c) for c in columns]
    heading = section_heading(table, lang)
    out = [heading.strip(),
           grid(header, rows, aligned) if rows else label("no_rows", lang)]
    if note(table, lang):
        out.append(note(table, lang))
    return "\n".join(out)


def indicator_rows(document, lang="zh"):
    """The indicator sheet as rows of text: name (unit), the value it is judged on, target,
    met, that value's basis, then a value per period of indicator_periods (every face prints
    these columns; the first four are what a meeting reads)."""
    periods = indicator_periods(document)
    rows = []
    for i in document.get("indicators") or []:
        unit = i.get("unit") or "count"
        values = i.get("values") or {}
        rows.append([f"{name(i, lang)} ({sign(unit, lang)})" if sign(unit, lang) else
                     name(i, lang), value(headline(i), unit, lang),
                     value(i.get("target"), unit, lang), met(i.get("met"), lang),
                     basis_name(i, lang)] +
                    [value(values.get(p), unit, lang) if p in values else "" for p in periods])
    return rows


def indicator_header(document, lang="zh"):
    return ([label("indicator", lang), label("value", lang), label("target", lang),
             label("met", lang), label("basis_col", lang)] +
            [period_label(p, lang) for p in indicator_periods(document)])


def _indicators_text(document, lang):
    periods = indicator_periods(document)
    return "\n".join([label("indicators", lang),
                      grid(indicator_header(document, lang), indicator_rows(document, lang),
                           [False, True, True, False, False] + [True] * len(periods))])


#: the sex ratio's windows in print order
WINDOWS = ("month", "rolling_12", "year", "stat_year")


def srb_rows(document, lang="zh"):
    """The sex-ratio table as rows of text: [where, window, boys, girls, n, ratio, interval,
    flag] (HTML, XLSX and text print the same rows)."""
    found = document.get("sex_ratio") or {}
    out = []
    where = name(document.get("village"), lang) or label("town", lang)
    for window in WINDOWS:
        if found.get(window):
            out.append((where, window, found[window]))
    if document.get("kind") != "village":
        for v in found.get("villages") or []:       # a village's month alone is noise
            if v.get("rolling_12"):
                out.append((name(v, lang) or village_name(document, v.get("village"), lang),
                            "rolling_12", v["rolling_12"]))
    return out


SRB_HEADER = ("village", "window", "boys", "girls", "births", "ratio", "interval", "flag")


def _srb_text(document, lang):
    rows = [[where, label("window_" + window, lang), value(s.get("boys"), "count", lang),
             value(s.get("girls"), "count", lang), value(s.get("n"), "count", lang),
             value(s.get("ratio"), "ratio", lang), interval(s), flag(s, lang)]
            for where, window, s in srb_rows(document, lang)]
    if not rows:
        return ""
    header = [label(k, lang) for k in SRB_HEADER]
    return "\n".join([label("sex_ratio", lang),
                      grid(header, rows, [False, False, True, True, True, True, False, False]),
                      label("srb_note", lang)])


def amendment_rows(document, key, lang="zh"):
    """The amendments or late records as rows of text (every face prints these columns)."""
    return [[a.get("month") or "", village_name(document, a.get("village"), lang),
             a.get("kind") or "", a.get("cell") or "",
             f"{a['delta']:+g}" if isinstance(a.get("delta"), (int, float)) else "",
             change(a.get("change"), lang), a.get("instance_id") or "",
             when(a.get("recorded_at"))]
            for a in document.get(key) or []]


AMENDMENT_HEADER = ("original_month", "village", "kind", "cell", "delta", "change",
                    "submission", "recorded_at")


def _amendments_text(document, key, lang):
    rows = amendment_rows(document, key, lang)
    body = (grid([label(k, lang) for k in AMENDMENT_HEADER], rows,
                 [False, False, False, False, True, False, False, False])
            if rows else label("no_" + key, lang))
    return "\n".join([label(key, lang), body])


def _alerts_text(document, lang):
    alerts = document.get("alerts") or []
    if not alerts:
        return "\n".join([label("alerts", lang), label("no_alerts", lang)])
    rows = [[name(a, lang), village_name(document, a.get("village"), lang),
             value(a.get("count"), "count", lang)] for a in alerts]
    return "\n".join([label("alerts", lang),
                      grid([label("alerts", lang), label("village", lang), label("count", lang)],
                           rows, [False, False, True])])


def render(document, lang="zh"):
    """The whole report as plain text: a heading (where, month, lock state, basis), alerts,
    indicators, sex ratio, sections A–J, lists, amendments and late records, each an aligned
    table (wide characters count twice), "—" where a value is not computable."""
    lang = "en" if lang == "en" else "zh"
    head = [title(document, lang), "=" * width(title(document, lang)),
            f"{label('lock', lang)}: {lock_state(document, lang)}",
            f"{label('generated_at', lang)}: {when(document.get('generated_at'))}",
            label("basis", lang), label("none_note", lang)]
    blocks = ["\n".join(head), _alerts_text(document, lang)]
    if document.get("indicators"):
        blocks.append(_indicators_text(document, lang))
    srb_text = _srb_text(document, lang)
    if srb_text:
        blocks.append(srb_text)
    if document.get("village_table"):
        blocks.append(_table_text(document["village_table"], lang))
    blocks += [_table_text(t, lang) for t in document.get("sections") or []]
    blocks += [_table_text(t, lang, listed=True) for t in document.get("lists") or []]
    blocks += [_amendments_text(document, "amendments", lang),
               _amendments_text(document, "late_records", lang)]
    if document.get("audit"):
        blocks.append(audit_foot(document, lang))
    return "\n\n".join(blocks) + "\n"


def audit_foot(document, lang="zh"):
    """The foot's line for the meeting's minutes: the project's audit chain head, its length
    and when it was taken (docs/audit.md); '' for a document without it (locked before)."""
    audit = document.get("audit")
    if not audit:
        return ""
    return (f"{label('audit_head', lang)}: {audit['hash']} "
            f"({label('audit_head_at', lang, n=audit['length'], at=when(audit['taken_at']))})")
