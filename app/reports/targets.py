"""Yearly targets per indicator, for the town (area 0) or one village: what the reports compare
each indicator with. A village's own target wins over the town's; the town's over the plan's
default (DEFAULTS: the figures the town's plan states). Setting them is audited
(`report.targets.set`) in the caller's transaction; nothing is committed here.
"""
import math

from sqlalchemy import delete, select

from app.audit.record import record
from app.db.columns import isoformat, utcnow
from app.reports.models import ReportTarget

#: indicator id -> (zh, en, unit, direction): "max" is met when value <= target, "min" when
#: value >= target (SPEC.md)
INDICATORS = {
    "birth_rate": ("出生率", "Birth rate", "permille", "max"),
    "natural_growth_rate": ("自然增长率", "Natural growth rate", "permille", "max"),
    "prepregnancy_coverage": ("孕前优生健康检查覆盖率", "Pre-pregnancy check-up coverage",
                              "percent", "min"),
    "three_checks_coverage": ("三查覆盖率", "Three checks coverage", "percent", "min"),
    "certificate_rate": ("流动人口持证率", "Migrants' certificate rate", "percent", "min"),
    "double_check_rate": ("双查到位率", "Double check completion", "percent", "min"),
    "statistics_accuracy": ("统计准确率", "Statistics accuracy", "percent", "min"),
    "rewards_paid_rate": ("奖励扶助兑现率", "Rewards paid rate", "percent", "min"),
}
#: `rewards_due.{benefit}`: beneficiaries of one programme due in the year (a count the town
#: enters; the rewards paid rate's denominator), not a target met or missed
REWARDS_DUE = "rewards_due."
#: the targets the town's plan states (2014 plan, REPORTS.md §2.4): pre-pregnancy check-ups
#: ≥ 80 %, statistics accuracy ≥ 95 %, rewards paid 100 %, natural growth ≤ 8 ‰
DEFAULTS = {"prepregnancy_coverage": 80.0, "statistics_accuracy": 95.0,
            "rewards_paid_rate": 100.0, "natural_growth_rate": 8.0}
#: the longest indicator id the table holds
MAX_ID = ReportTarget.__table__.c.indicator.type.length
TOWN = 0


def known(indicator):
    """Whether `indicator` names a target (an INDICATORS id or rewards_due.<benefit>)."""
    if not isinstance(indicator, str):
        return False
    if indicator.startswith(REWARDS_DUE):
        benefit = indicator[len(REWARDS_DUE):]
        return (0 < len(benefit) and len(indicator) <= MAX_ID
                and all(c.isalnum() or c in "_-" for c in benefit) and benefit.isascii())
    return indicator in INDICATORS


def unit(indicator):
    return "count" if indicator.startswith(REWARDS_DUE) else INDICATORS[indicator][2]


def problem(indicator, value):
    """Why `value` cannot be the target of `indicator` as (zh, en), or None when it can. None
    as a value clears the target."""
    if not known(indicator):
        return ("未知的指标：%r（可选：%s 或 rewards_due.<项目>）" % (indicator, "、".join(INDICATORS)),
                "unknown indicator %r (use one of %s, or rewards_due.<benefit>)"
                % (indicator, ", ".join(INDICATORS)))
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value):
        return (f"{indicator} 的目标应为数字", f"the target of {indicator} must be a number")
    kind = unit(indicator)
    if kind == "percent" and not 0 <= value <= 100:
        return (f"{indicator} 的目标应在 0 到 100 之间（%）",
                f"the target of {indicator} must be between 0 and 100 (%)")
    if kind == "permille" and not -1000 <= value <= 1000:
        return (f"{indicator} 的目标应在 -1000 到 1000 之间（‰）",
                f"the target of {indicator} must be between -1000 and 1000 (‰)")
    if kind == "count" and (value < 0 or value != int(value) or value > 2 ** 31):
        return (f"{indicator} 应为非负整数", f"{indicator} must be a whole number, 0 or more")
    return None


def _rows(session, project_id, year, area_ids):
    return session.execute(select(ReportTarget).where(
        ReportTarget.project_id == project_id, ReportTarget.year == year,
        ReportTarget.area_id.in_(area_ids))).scalars().all()


def get(session, project_id, year, area_id=None):
    """{indicator: value} set for exactly this area (None or 0: the town), no fallback."""
    return {t.indicator: t.value for t in _rows(session, project_id, year, [area_id or TOWN])}


def effective(session, project_id, year, area_id=None):
    """{indicator: (value, source)} the reports use: the village's own ('village'), else the
    town's ('town'), else the plan's default ('default')."""
    out = {k: (v, "default") for k, v in DEFAULTS.items()}
    rows = _rows(session, project_id, year, {TOWN, area_id or TOWN})
    for t in sorted(rows, key=lambda t: t.area_id != TOWN):     # the town's first
        out[t.indicator] = (t.value, "town" if t.area_id == TOWN else "village")
    return out


def for_year(session, project_id, year, area_id=None):
    """{indicator: value} for the year: the village's own, else the town's (area 0), else the
    plan's default."""
    return {k: v for k, (v, _source) in effective(session, project_id, year, area_id).items()}


def set_targets(session, project_id, year, values, area_id=None, actor=None):
    """Set (or, with None, clear) targets of one year for the town or a village; audited.
    `values` {indicator: number | None} must pass problem() (the API and CLI check first)."""
    for indicator, value in values.items():
        found = problem(indicator, value)
        if found:
            raise ValueError(found[1])
    area = area_id or TOWN
    by = f"{actor.kind}:{actor.id}" if actor else "system"
    now = utcnow()
    existing = {t.indicator: t for t in _rows(session, project_id, year, [area])}
    for indicator, value in values.items():
        row = existing.get(indicator)
        if value is None:
            if row is not None:
                session.execute(delete(ReportTarget).where(
                    ReportTarget.project_id == project_id, ReportTarget.year == year,
                    ReportTarget.area_id == area, ReportTarget.indicator == indicator))
            continue
        if row is None:
            session.add(ReportTarget(project_id=project_id, year=year, indicator=indicator,
                                     area_id=area, value=float(value), set_by=by, set_at=now))
        else:
            row.value, row.set_by, row.set_at = float(value), by, now
    session.flush()
    record(session, actor, "report.targets.set", f"project:{project_id}", year=year,
           area_id=area, targets={k: (None if v is None else float(v))
                                  for k, v in values.items()})


def met(indicator, value, target):
    """Whether `value` meets `target` (True/False), None when either is missing or the
    indicator is not one that is met (rewards_due.*)."""
    if value is None or target is None or indicator not in INDICATORS:
        return None
    return value <= target if INDICATORS[indicator][3] == "max" else value >= target


def describe(session, project_id, year, area_id=None):
    """The year's targets as the API and CLI show them: one entry per indicator (every
    INDICATORS id, then any rewards_due.*), with its labels, unit, direction, value and where
    the value comes from (village, town, default, or None when unset)."""
    found = effective(session, project_id, year, area_id)
    setters = {(t.indicator, t.area_id): t for t in
               _rows(session, project_id, year, {TOWN, area_id or TOWN})}
    out = []
    names = list(INDICATORS) + sorted(k for k in found if k not in INDICATORS)
    for indicator in names:
        value, source = found.get(indicator, (None, None))
        zh, en, kind, direction = INDICATORS.get(
            indicator, ("应兑现人数：" + indicator[len(REWARDS_DUE):],
                        "Beneficiaries due: " + indicator[len(REWARDS_DUE):], "count", None))
        row = setters.get((indicator, TOWN if source == "town" else area_id or TOWN))
        out.append({"indicator": indicator, "zh": zh, "en": en, "unit": kind,
                    "direction": direction, "value": value, "source": source,
                    "default": DEFAULTS.get(indicator),
                    "set_by": row.set_by if row is not None and source != "default" else None,
                    "set_at": isoformat(row.set_at) if row is not None
                    and source != "default" else None})
    return out
