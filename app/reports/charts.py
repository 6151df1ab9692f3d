"""The report's charts as server-side SVG: monthly trends, the sex ratio at birth per village
with its 95 % interval against the normal band 103–107, and coverage against target.

Hand-written rather than a charting library: three small chart types need some 250 lines,
and the SVG then carries no script, no inline <style> and no font or CDN reference (pygal's
output needs its own script from a CDN for tooltips and an inline <style>, which the pages'
Content-Security-Policy refuses), prints as vectors, works on a LAN with no internet, and
says what it shows to a screen reader (role="img", <title> and a <desc> that states the
numbers). Colours come with dash patterns and markers, so lines are told apart in
black-and-white print too. Plain module, no Flask.

Series come from the document: `document["charts"]["trend"]` as app.reports.figures fills it,
{"months": ["2024-04", ...], "births": [...], "deaths": [...], "population": [...]} (a
number or None per month), or in the general form {"months", "series": [{"id", "zh", "en",
"unit", "values"}]}; births and deaths share one chart, the population (month end) has its
own axis that does not start at zero. The sex ratio comes from `document["sex_ratio"]`,
coverage from the indicators whose unit is percent (the value each is judged on) and their
targets.
"""
from html import escape

from app.reports import text

FONT = "system-ui, -apple-system, 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif"
INK, GRID, MUTED = "#1a1a1a", "#c8c8c8", "#555555"
#: line colours (all above 4.5:1 on white) with a dash pattern and a marker each
STYLES = [("#1f5fa8", "", "circle"), ("#b3261e", "6 3", "square"),
          ("#2e6b30", "2 3", "diamond"), ("#6a1b9a", "8 3 2 3", "circle")]
WIDTH = 340             # near a phone's width in CSS pixels, so 12-unit text stays readable
BAND = (103.0, 107.0)
MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _e(value):
    return escape(str(value), quote=True)


def _svg(chart_id, height, title, desc, body):
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
            f'viewBox="0 0 {WIDTH} {height}" width="100%" '
            f'aria-labelledby="{chart_id}-title {chart_id}-desc" font-family="{_e(FONT)}" '
            f'font-size="12" fill="{INK}">'
            f'<title id="{chart_id}-title">{_e(title)}</title>'
            f'<desc id="{chart_id}-desc">{_e(desc)}</desc>{"".join(body)}</svg>')


def _nice_max(top):
    """A round upper end of the axis at or above `top` (1, 2, 2.5, 5 times a power of ten)."""
    if top <= 0:
        return 1
    power = 1
    while power * 10 <= top:
        power *= 10
    while power > top:
        power /= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= top:
            return step * power
    return 10 * power


def _num(v):
    return f"{v:g}" if isinstance(v, (int, float)) else str(v)


def _month_label(month, lang):
    number = int(month[5:7])
    return MONTHS_EN[number - 1] if lang == "en" else f"{number}月"


def _marker(shape, x, y, colour):
    if shape == "square":
        return (f'<rect x="{x - 3:.1f}" y="{y - 3:.1f}" width="6" height="6" fill="{colour}"/>')
    if shape == "diamond":
        return (f'<path d="M{x:.1f} {y - 4:.1f} L{x + 4:.1f} {y:.1f} L{x:.1f} {y + 4:.1f} '
                f'L{x - 4:.1f} {y:.1f} Z" fill="{colour}"/>')
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>'


#: The trend series of app.reports.figures: which chart each goes on, its names and unit
TREND_SERIES = {"births": ("flows", "出生", "Births", "count"),
                "deaths": ("flows", "死亡", "Deaths", "count"),
                "population": ("population", "期末人口", "Population at month end", "count")}


def trend_series(chart, which="flows"):
    """The series of one trend chart in the general form: `which` 'flows' (births, deaths
    and any general series) or 'population'."""
    chart = chart or {}
    out = [s for s in chart.get("series") or [] if which == "flows"]
    for key, (group, zh, en, unit) in TREND_SERIES.items():
        if group == which and isinstance(chart.get(key), list):
            out.append({"id": key, "zh": zh, "en": en, "unit": unit, "values": chart[key]})
    return [s for s in out if any(isinstance(v, (int, float)) for v in s.get("values") or [])]


def trend(chart, lang="zh", chart_id="chart-trend", which="flows"):
    """Lines of monthly values (up to four series), or None when there is nothing to draw.
    The population's axis spans its own range (it moves by a few in thousands); counts of
    events start at zero."""
    months = list((chart or {}).get("months") or [])
    series = trend_series(chart, which)[:len(STYLES)]
    if not months or not series:
        return None
    left, right, top, bottom = 40, 16, 14 + 16 * ((len(series) + 1) // 2), 30
    height = top + 150 + bottom
    plot_w, plot_h = WIDTH - left - right, 150
    numbers = [v for s in series for v in s["values"] if isinstance(v, (int, float))]
    y_min = 0
    if which == "population":
        low, high = min(numbers), max(numbers)
        step = max(1, -(-int(high - low) // 4) or 1)
        y_min = max(0, int(low) - int(low) % step - step)
        y_max = y_min + step * (-(-int(high - y_min) // step) or 1)
        if (y_max - y_min) % 4:
            y_max = y_min + 4 * -(-(y_max - y_min) // 4)
    else:
        y_max = _nice_max(max(numbers, default=0))
        if all((s.get("unit") or "count") == "count" for s in series) and y_max % 4:
            y_max = max(4, -(-int(y_max) // 4) * 4)      # whole numbers on the grid lines
    left = max(left, 14 + 7 * len(_num(y_max)))
    plot_w = WIDTH - left - right
    x_step = plot_w / max(1, len(months) - 1) if len(months) > 1 else 0

    def x_at(i):
        return left + (i * x_step if len(months) > 1 else plot_w / 2)

    def y_at(v):
        return top + plot_h - ((v - y_min) / ((y_max - y_min) or 1)) * plot_h

    body = []
    for k in range(5):                       # grid lines and the y axis' numbers
        v = y_min + (y_max - y_min) * k / 4
        y = y_at(v)
        body.append(f'<line x1="{left}" x2="{WIDTH - right}" y1="{y:.1f}" y2="{y:.1f}" '
                    f'stroke="{GRID}" stroke-width="1"/>')
        body.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" '
                    f'fill="{MUTED}">{_e(_num(round(v, 2)))}</text>')
    every = 1 if len(months) <= 12 else (len(months) + 11) // 12
    for i, m in enumerate(months):
        if i % every == 0 or i == len(months) - 1:
            body.append(f'<text x="{x_at(i):.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                        f'font-size="11" fill="{MUTED}">{_e(_month_label(m, lang))}</text>')
    if months:
        body.append(f'<text x="{left}" y="{height - 2}" font-size="11" fill="{MUTED}">'
                    f'{_e(months[0])} – {_e(months[-1])}</text>')
    described = []
    for n, s in enumerate(series):
        colour, dash, shape = STYLES[n]
        points = [(x_at(i), y_at(v)) for i, v in enumerate(s["values"][:len(months)])
                  if isinstance(v, (int, float))]
        runs, current = [], []
        for i, v in enumerate(s["values"][:len(months)]):   # a gap where a month is missing
            if isinstance(v, (int, float)):
                current.append(f"{x_at(i):.1f},{y_at(v):.1f}")
            elif current:
                runs.append(current)
                current = []
        if current:
            runs.append(current)
        for run in runs:
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            body.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                        f'stroke-width="2"{dash_attr}/>')
        body += [_marker(shape, x, y, colour) for x, y in points]
        lx = left + (n % 2) * (plot_w / 2)
        ly = 12 + 16 * (n // 2)
        body.append(f'<line x1="{lx}" x2="{lx + 22}" y1="{ly - 4}" y2="{ly - 4}" '
                    f'stroke="{colour}" stroke-width="2"'
                    f'{f" stroke-dasharray={chr(34)}{dash}{chr(34)}" if dash else ""}/>')
        body.append(_marker(shape, lx + 11, ly - 4, colour))
        body.append(f'<text x="{lx + 27}" y="{ly}">{_e(text.name(s, lang))}</text>')
        values = ", ".join(f"{m} {text.value(v, s.get('unit') or 'count', lang)}"
                           for m, v in zip(months, s["values"]))
        described.append(f"{text.name(s, lang)}: {values}")
    names = [text.name(s, lang) for s in series]
    title = ("Monthly trend: " + ", ".join(names) if lang == "en"
             else "按月趋势：" + "、".join(names))
    if y_min:
        described.insert(0, "纵轴不从零开始" if lang != "en" else "The axis does not start at 0")
    return _svg(chart_id, height, title, "; ".join(described) + ".", body)


def _srb_rows(document, lang):
    """(label, srb) rows: a village report shows its windows; the town its rolling 12 months
    and each village's."""
    found = document.get("sex_ratio") or {}
    rows = []
    if document.get("kind") == "village":
        for window in text.WINDOWS:
            if found.get(window):
                rows.append((text.label("window_" + window, lang), found[window]))
    else:
        if found.get("rolling_12"):
            rows.append((text.label("town", lang), found["rolling_12"]))
        for v in found.get("villages") or []:
            if v.get("rolling_12"):
                rows.append((text.name(v, lang) or
                             text.village_name(document, v.get("village"), lang),
                             v["rolling_12"]))
    return rows


def srb(document, lang="zh", chart_id="chart-srb"):
    """Each row's ratio as a point with its interval as an error bar, over the shaded band
    103–107; a row with fewer than 20 births says so instead. None when there are no rows."""
    rows = _srb_rows(document, lang)
    if not rows:
        return None
    left, right, top, row_h = 92, 12, 30, 26
    low_end, high_end = 50.0, 250.0
    height = top + row_h * len(rows) + 26
    plot_w = WIDTH - left - right

    def x_at(v):
        return left + (min(max(v, low_end), high_end) - low_end) / (high_end - low_end) * plot_w

    body = [f'<rect x="{x_at(BAND[0]):.1f}" y="{top - 4}" width="{x_at(BAND[1]) - x_at(BAND[0]):.1f}" '
            f'height="{row_h * len(rows) + 4}" fill="#bfe0c1"/>',
            f'<text x="{x_at(105):.1f}" y="{top - 8}" text-anchor="middle" font-size="11">'
            f'103–107</text>']
    for v in (50, 100, 150, 200, 250):
        x = x_at(v)
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 4}" '
                    f'y2="{top + row_h * len(rows)}" stroke="{GRID}" stroke-width="1"/>')
        body.append(f'<text x="{x:.1f}" y="{top + row_h * len(rows) + 16}" text-anchor="middle" '
                    f'font-size="11" fill="{MUTED}">{v}</text>')
    described = []
    for n, (name, s) in enumerate(rows):
        y = top + row_h * n + row_h / 2
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_e(name)}</text>')
        births = f"{s.get('boys', 0)}/{s.get('girls', 0)}"
        if s.get("ratio") is None or s.get("flag") == "few":
            body.append(f'<text x="{left + 4}" y="{y + 4:.1f}" font-size="11" fill="{MUTED}">'
                        f'{_e(text.label("flag_few", lang))} ({_e(births)})</text>')
            described.append(f"{name}: {text.label('flag_few', lang)}")
            continue
        colour = "#b3261e" if s.get("flag") in ("high", "low") else "#1f5fa8"
        if s.get("low") is not None and s.get("high") is not None:
            x1, x2 = x_at(s["low"]), x_at(s["high"])
            body.append(f'<line x1="{x1:.1f}" x2="{x2:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
                        f'stroke="{colour}" stroke-width="2"/>')
            for x in (x1, x2):
                body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y - 5:.1f}" y2="{y + 5:.1f}" '
                            f'stroke="{colour}" stroke-width="2"/>')
        body.append(_marker("diamond" if s.get("flag") else "circle", x_at(s["ratio"]), y,
                            colour))
        described.append(f"{name}: {text.value(s['ratio'], 'ratio', lang)} "
                         f"({text.label('interval', lang)} {text.interval(s)}; "
                         f"{text.label('boys', lang)}/{text.label('girls', lang)} {births}; "
                         f"{text.flag(s, lang)})")
    title = (f"{text.label('sex_ratio', lang)}" +
             ("（男婴/每100名女婴，95%置信区间）" if lang != "en"
              else " (boys per 100 girls, 95% interval)"))
    return _svg(chart_id, height, title, text.label("srb_note", lang) + " " +
                "; ".join(described) + ".", body)


def _coverage_rows(document):
    rows = []
    for i in document.get("indicators") or []:
        if i.get("unit") != "percent":
            continue
        found = text.headline(i)
        if found is None and i.get("target") is None:
            continue
        rows.append((i, found))
    return rows


def coverage(document, lang="zh", chart_id="chart-coverage"):
    """A bar per percent indicator (year to date, else this month) with its target as a
    mark; None when no indicator is a percentage."""
    rows = _coverage_rows(document)
    if not rows:
        return None
    left, right, top, row_h = 120, 44, 10, 28
    height = top + row_h * len(rows) + 22
    plot_w = WIDTH - left - right

    def x_at(v):
        return left + min(max(v, 0.0), 100.0) / 100.0 * plot_w

    body = []
    for v in (0, 50, 100):
        x = x_at(v)
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + row_h * len(rows)}" '
                    f'stroke="{GRID}" stroke-width="1"/>')
        body.append(f'<text x="{x:.1f}" y="{top + row_h * len(rows) + 16}" text-anchor="middle" '
                    f'font-size="11" fill="{MUTED}">{v}%</text>')
    described = []
    for n, (indicator, found) in enumerate(rows):
        y = top + row_h * n
        name = text.name(indicator, lang)
        body.append(f'<text x="{left - 6}" y="{y + row_h / 2 + 4:.1f}" text-anchor="end" '
                    f'font-size="11">{_e(name)}</text>')
        met = indicator.get("met")
        colour = {True: "#2e6b30", False: "#b3261e"}.get(met, "#707070")
        if found is not None:
            body.append(f'<rect x="{left}" y="{y + 6}" width="{x_at(found) - left:.1f}" '
                        f'height="{row_h - 12}" fill="{colour}"/>')
        body.append(f'<text x="{WIDTH - right + 4}" y="{y + row_h / 2 + 4:.1f}" font-size="11">'
                    f'{_e(text.value(found, "percent", lang))}</text>')
        target = indicator.get("target")
        if target is not None:
            x = x_at(target)
            body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y + 2}" y2="{y + row_h - 2}" '
                        f'stroke="{INK}" stroke-width="3"/>')
        described.append(f"{name}: {text.value(found, 'percent', lang, with_sign=True)}, "
                         f"{text.label('target', lang)} "
                         f"{text.value(target, 'percent', lang, with_sign=True)}, "
                         f"{text.met(met, lang)}")
    title = "覆盖率与目标" if lang != "en" else "Coverage against target"
    desc = ("条形为各指标据以考核的数值，黑色竖线为目标。" if lang != "en" else
            "Bars show the value each indicator is judged on; the black mark is the target. ")
    return _svg(chart_id, height, title, desc + "; ".join(described) + ".", body)


def render(document, lang="zh"):
    """The charts a document has data for: [{"id", "title", "svg"}] in page order."""
    out = []
    found = (document.get("charts") or {}).get("trend")
    for chart_id, make, zh, en in (
            ("chart-trend", lambda: trend(found, lang), "按月趋势", "Monthly trend"),
            ("chart-population", lambda: trend(found, lang, "chart-population", "population"),
             "期末人口", "Population"),
            ("chart-srb", lambda: srb(document, lang), "出生性别比", "Sex ratio at birth"),
            ("chart-coverage", lambda: coverage(document, lang), "覆盖率与目标",
             "Coverage against target")):
        svg = make()
        if svg:
            out.append({"id": chart_id, "title": en if lang == "en" else zh, "svg": svg})
    return out
