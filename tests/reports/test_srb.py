"""Sex ratio at birth: the Wilson interval and flags against REPORTS.md §4's worked examples."""
import pytest

from app.reports import srb


def test_village_example_has_no_ratio_under_twenty_births():
    # Example 1: 9 boys, 4 girls; the interval is [73.5, 688.6] but n = 13 < 20 shows counts only
    low, high = srb.wilson(9, 13)
    assert round(low, 4) == 0.4237 and round(high, 4) == 0.8732
    assert round(srb.to_ratio(low), 1) == 73.5 and round(srb.to_ratio(high), 1) == 688.6
    assert srb.srb(9, 4) == {"boys": 9, "girls": 4, "n": 13, "ratio": None, "low": None,
                             "high": None, "flag": "few"}


def test_town_year_high():
    # Example 2: 140 boys, 100 girls -> p in [0.5201, 0.6439], SRB in [108.4, 180.8] -> 偏高
    low, high = srb.wilson(140, 240)
    assert round(low, 4) == 0.5201 and round(high, 4) == 0.6439
    assert srb.srb(140, 100) == {"boys": 140, "girls": 100, "n": 240, "ratio": 140.0,
                                 "low": 108.4, "high": 180.8, "flag": "high"}


def test_town_year_watch():
    # 120 boys, 90 girls (SRB 133.33): [101.5, 175.1] -> 关注 only
    assert srb.srb(120, 90) == {"boys": 120, "girls": 90, "n": 210, "ratio": 133.33,
                                "low": 101.5, "high": 175.1, "flag": "watch"}


@pytest.mark.parametrize("boys, girls, expected", [
    (105, 100, None),          # the middle of the band: no flag
    (10, 10, None),            # exactly 20 births: a ratio (100.0), interval wide, no flag
    (80, 120, "low"),          # 66.67, interval wholly below 103
    (20, 0, "high"),           # no girls: ratio None, interval above 107
])
def test_flags(boys, girls, expected):
    assert srb.srb(boys, girls)["flag"] == expected


def test_edges():
    assert srb.srb(0, 0)["flag"] == "few"
    assert srb.srb(10, 10)["ratio"] == 100.0
    none = srb.srb(20, 0)
    assert none["ratio"] is None and none["high"] is None and none["low"] > 107
    zero = srb.srb(0, 25)
    assert zero["ratio"] == 0.0 and zero["low"] == 0.0 and zero["flag"] == "low"
    assert srb.wilson(0, 0) is None
    assert set(srb.FLAGS) == {"high", "watch", "low", "few"}
