"""Sex ratio at birth (出生人口性别比) of a window: boys per 100 girls with the Wilson 95 %
interval mapped to the ratio scale, and the review flag (docs ../shared/REPORTS.md §4). A flag
fires only when the interval lies outside the normal band 103–107, so a village with a dozen
births never cries wolf."""
import math
from decimal import ROUND_HALF_UP, Decimal

from app.reports import document

#: the 95 % normal quantile the Wilson interval uses
Z = 1.96
#: fewer live births than this: counts only, no ratio (REPORTS.md §4)
MIN_BIRTHS = 20
#: the normal band of boys per 100 girls
NORMAL_LOW, NORMAL_HIGH = 103.0, 107.0

#: flag -> (zh, en)
FLAGS = {
    "high": ("偏高", "High"),
    "watch": ("关注", "Watch"),
    "low": ("偏低（核查数据）", "Low (check the data)"),
    "few": ("例数不足", "Too few births"),
}


def wilson(successes, n, z=Z):
    """(low, high) of the Wilson score interval for a binomial share; None for n == 0."""
    if n <= 0:
        return None
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def to_ratio(share):
    """Boys per 100 girls for a share of boys; None when there are no girls (share 1)."""
    return None if share >= 1 else 100 * share / (1 - share)


def flag(ratio, low, high):
    """'high' when the whole interval is above 107, 'watch' when only the ratio is, 'low' when
    the whole interval is below 103, else None."""
    if low is not None and low > NORMAL_HIGH:
        return "high"
    if high is not None and high < NORMAL_LOW:
        return "low"
    if ratio is None or ratio > NORMAL_HIGH:
        # ratio None here means no girls among >= 20 births, whose interval is always high
        return "watch"
    return None


def srb(boys, girls):
    """The document's sex-ratio dict (app.reports.document.srb) for `boys` and `girls` live
    births: ratio to two decimals, interval ends to one, as REPORTS.md prints them."""
    n = boys + girls
    if n < MIN_BIRTHS:
        return document.srb(boys, girls, flag="few")
    p_low, p_high = wilson(boys, n)
    ratio = None if girls == 0 else 100 * boys / girls
    low, high = to_ratio(p_low), to_ratio(p_high)
    return document.srb(boys, girls, ratio=half_up(ratio, 2), low=half_up(low, 1),
                        high=half_up(high, 1), flag=flag(ratio, low, high))


def half_up(value, digits):
    """`value` rounded half up on its shortest decimal form, as printed reports round (53.125
    -> 53.13, where round() gives 53.12); None stays None."""
    if value is None:
        return None
    exponent = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(float(value))).quantize(exponent, rounding=ROUND_HALF_UP))
