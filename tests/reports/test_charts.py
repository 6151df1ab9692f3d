"""The report's SVG charts (app/reports/charts.py): well-formed SVG with a title and a
description that states the numbers, no script or inline style, and the shapes where the
numbers put them."""
import xml.etree.ElementTree as ET

from app.reports import charts
from tests.reports.sample_document import MONTHS, document

NS = {"s": "http://www.w3.org/2000/svg"}


def _parse(svg):
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    title, desc = root.find("s:title", NS), root.find("s:desc", NS)
    assert title is not None and desc is not None and title.text and desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert "<script" not in svg and "style=" not in svg and "<style" not in svg
    assert "http://" not in svg.replace("http://www.w3.org/2000/svg", "")
    return root, title.text, desc.text


def test_all_three_charts_of_a_town_report():
    found = charts.render(document("town"), "zh")
    assert [c["id"] for c in found] == ["chart-trend", "chart-population", "chart-srb",
                                        "chart-coverage"]
    for c in found:
        _parse(c["svg"])


def test_trend_lines_with_gaps_and_legend():
    root, title, desc = _parse(charts.trend(document()["charts"]["trend"], "en"))
    assert title == "Monthly trend: Births, Deaths"
    assert "Births: 2024-04 3, 2024-05 5" in desc and "2024-12 —" in desc
    lines = root.findall("s:polyline", NS)
    assert len(lines) == 3            # births in one run, deaths broken where December is None
    labels = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Apr" in labels and "Mar" in labels and "Births" in labels
    assert "12" in labels and "2.5" not in labels   # counts on whole-number grid lines
    zh = charts.trend(document()["charts"]["trend"], "zh")
    assert "4月" in zh and "按月趋势：出生、死亡" in zh


def test_population_has_its_own_axis():
    root, title, desc = _parse(charts.trend(document()["charts"]["trend"], "en",
                                            "chart-population", "population"))
    assert title == "Monthly trend: Population at month end"
    assert desc.startswith("The axis does not start at 0")
    labels = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    numbers = sorted(float(t) for t in labels if t.replace(".", "").isdigit())
    assert numbers[0] <= 4990 and numbers[-1] >= 5020 and numbers[0] > 4000


def test_general_series_form():
    chart = {"months": MONTHS[:2], "series": [{"id": "x", "zh": "甲", "en": "X",
                                               "unit": "count", "values": [1, 2]}]}
    _, title, _ = _parse(charts.trend(chart, "zh"))
    assert title == "按月趋势：甲"


def test_no_trend_without_series():
    assert charts.trend(None) is None
    assert charts.trend({"months": MONTHS, "series": []}) is None
    assert charts.trend({"months": MONTHS, "births": [None] * 12}) is None
    assert [c["id"] for c in charts.render({"kind": "town", "charts": {}})] == []


def test_srb_points_intervals_and_band():
    root, title, desc = _parse(charts.srb(document("town"), "en"))
    assert title == "Sex ratio at birth (boys per 100 girls, 95% interval)"
    assert "Whole town: 140.00 (95% interval 108.4–180.8" in desc
    assert "Xishan: fewer than 20 births: not computed" in desc
    band = root.find("s:rect", NS)
    # the band 103–107 on an axis of 50..250 over 236 units from x=92
    assert abs(float(band.get("x")) - (92 + 53 / 200 * 236)) < 0.1
    assert abs(float(band.get("width")) - 4 / 200 * 236) < 0.1
    village = charts.srb(document("village"), "zh")
    assert "本月" in village and "近12个月" in village and "统计年度" in village


def test_coverage_bars_against_targets():
    root, title, desc = _parse(charts.coverage(document(), "en"))
    assert title == "Coverage against target"
    assert "Pre-pregnancy coverage: 83.33%, Target 83.33%" not in desc
    assert "Pre-pregnancy coverage: 83.33%, Target 80.00%, met" in desc
    assert "Three-checks coverage: 62.50%, Target 95.00%, not met" in desc   # on its round
    assert "Contraceptive prevalence: 78.11%, Target —, not computable" in desc
    assert "Statistics accuracy: —, Target 95.00%, not computable" in desc
    bars = [r for r in root.findall("s:rect", NS)]
    assert len(bars) == 3             # no bar where there is no value
    assert abs(float(bars[1].get("width")) - 0.8333 * (340 - 120 - 44)) < 0.1
