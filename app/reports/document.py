"""The report document: one plain dict (JSON as it is) that every face renders (HTML, print,
XLSX, JSON, CLI) and a lock stores. Built only through these helpers so its shape stays one.

    {"kind": "village" | "town", "project_id": 1, "month": "2025-03",
     "village": {"code", "zh", "en"} | None,          # None: the town report
     "villages": [{"code", "zh", "en"}, ...],         # what it covers
     "generated_at": "2025-04-01T08:00:00Z",
     "lock": {"state": "open" | "locked", "version": 1, "locked_at", "locked_by"},
     "sections": [section, ...],                      # A..J, in order
     "indicators": [indicator, ...],                  # value, target, met
     "sex_ratio": {"month": srb, "rolling_12": srb, "year": srb,
                   "villages": [{"village": code, "month": srb, "rolling_12": srb}]},
     "lists": [table, ...],
     "alerts": [{"id", "zh", "en", "village", "count"}],
     "amendments": [amendment, ...],                  # changes since this month's lock
     "late_records": [amendment, ...],                # records about locked earlier months
     "charts": {...},                                 # series for the charts (app.reports.charts)
     "audit": {"hash", "length", "taken_at"}}         # the audit chain's head (docs/audit.md)

A section or list is a table: {"id", "zh", "en", "columns": [{"id", "zh", "en", "unit"}],
"rows": [{"id", "zh", "en", "unit", "values": {column id: value}}]}; a value is a number,
text, or None (printed "—": not computable, such as a rate on a zero denominator).
"""

#: how a value is printed: counts as integers, rates with two decimals and their sign
UNITS = ("count", "permille", "percent", "yuan", "ratio", "text", "date", "weeks")


def column(id, zh, en, unit=None):
    return {"id": id, "zh": zh, "en": en, "unit": unit}


def row(id, zh, en, values, unit="count"):
    assert unit in UNITS, unit
    return {"id": id, "zh": zh, "en": en, "unit": unit, "values": dict(values)}


def table(id, zh, en, columns, rows, note=None):
    out = {"id": id, "zh": zh, "en": en, "columns": list(columns), "rows": list(rows)}
    if note:
        out["note"] = note          # {"zh": ..., "en": ...}
    return out


def indicator(id, zh, en, unit, values, target=None, met=None, basis=None):
    """One row of the indicator sheet: values by period ('month', 'ytd', 'stat_ytd',
    'last_year'), the year's target (None when none is set) and whether it is met (True,
    False, or None when either side is missing)."""
    return {"id": id, "zh": zh, "en": en, "unit": unit, "values": dict(values),
            "target": target, "met": met, "basis": basis}


def srb(boys, girls, ratio=None, low=None, high=None, flag=None):
    """Sex ratio at birth of one window (app.reports.srb fills ratio, interval and flag)."""
    return {"boys": boys, "girls": girls, "n": boys + girls, "ratio": ratio, "low": low,
            "high": high, "flag": flag}


def amendment(month, village, kind, cell, delta, instance_id, recorded_at, change):
    """One line of the amendments or late-records block: `delta` +1/-1 (or an amount) in
    `cell` of `month` for `village`, from the submission `instance_id`; change is 'late'
    (补报: recorded after the month's lock), 'corrected' (更正: a counted event changed) or
    'removed' (a counted event no longer counts)."""
    return {"month": month, "village": village, "kind": kind, "cell": cell, "delta": delta,
            "instance_id": instance_id, "recorded_at": recorded_at, "change": change}


def find(document, section_id, row_id, column_id):
    """A value of a section's table (tests and charts read figures through this)."""
    for section in document["sections"]:
        if section["id"] == section_id:
            for r in section["rows"]:
                if r["id"] == row_id:
                    return r["values"].get(column_id)
    raise KeyError((section_id, row_id, column_id))
