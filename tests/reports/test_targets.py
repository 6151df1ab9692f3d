"""Targets: the plan's defaults, the town's over them, a village's own over the town's; what
is met is a maximum for birth and natural growth rates and a minimum for the rest."""
import pytest

from app.reports import targets
from tests.reports.locks_helpers import actor, audit


def test_the_plans_defaults_the_towns_and_a_villages_own(db, personas):
    s = db.session
    assert targets.for_year(s, 1, 2025) == {"prepregnancy_coverage": 80.0,
                                            "statistics_accuracy": 95.0,
                                            "rewards_paid_rate": 100.0,
                                            "natural_growth_rate": 8.0}
    admin = actor(db, personas["admin"])
    targets.set_targets(s, 1, 2025, {"birth_rate": 12, "natural_growth_rate": 6}, None, admin)
    targets.set_targets(s, 1, 2025, {"birth_rate": 10}, 1, admin)
    targets.set_targets(s, 1, 2026, {"birth_rate": 99}, None, admin)
    s.commit()
    town = targets.for_year(s, 1, 2025)
    assert (town["birth_rate"], town["natural_growth_rate"]) == (12.0, 6.0)
    village = targets.for_year(s, 1, 2025, 1)
    assert (village["birth_rate"], village["natural_growth_rate"]) == (10.0, 6.0)
    assert targets.for_year(s, 1, 2025, 2)["birth_rate"] == 12.0      # no own: the town's
    assert targets.get(s, 1, 2025, 1) == {"birth_rate": 10.0}
    assert targets.get(s, 1, 2025) == {"birth_rate": 12.0, "natural_growth_rate": 6.0}
    # set again: one row, the new value; None clears
    targets.set_targets(s, 1, 2025, {"birth_rate": 11, "natural_growth_rate": None}, None)
    s.commit()
    assert targets.get(s, 1, 2025) == {"birth_rate": 11.0}
    assert targets.for_year(s, 1, 2025)["natural_growth_rate"] == 8.0   # the plan's again
    assert [e.details["area_id"] for e in audit(db, "report.targets.set")] == [0, 1, 0, 0]
    assert audit(db, "report.targets.set")[-1].actor_type == "system"


def test_what_is_met():
    assert targets.met("birth_rate", 11.5, 12) is True
    assert targets.met("natural_growth_rate", 8.01, 8) is False
    assert targets.met("prepregnancy_coverage", 80, 80) is True
    assert targets.met("statistics_accuracy", 94.99, 95) is False
    assert targets.met("rewards_paid_rate", None, 100) is None
    assert targets.met("three_checks_coverage", 90, None) is None
    assert targets.met("rewards_due.elderly", 3, 3) is None


@pytest.mark.parametrize("indicator, value", [
    ("happiness", 1), ("birth_rate", "12"), ("birth_rate", True), ("birth_rate", float("nan")),
    ("birth_rate", float("inf")), ("certificate_rate", -1), ("certificate_rate", 100.5),
    ("rewards_due.elderly", 1.5), ("rewards_due.", 1), ("rewards_due.老人", 1),
    ("rewards_due." + "x" * 60, 1), ("natural_growth_rate", 1001), (None, 1)])
def test_what_cannot_be_a_target(indicator, value):
    found = targets.problem(indicator, value)
    assert found and all(found)           # (zh, en)
    with pytest.raises(ValueError):
        targets.set_targets(None, 1, 2025, {indicator: value})


def test_what_can_be_one():
    for indicator, value in (("natural_growth_rate", -2.5), ("rewards_due.elderly", 14),
                             ("certificate_rate", 0), ("rewards_paid_rate", 100),
                             ("birth_rate", None)):
        assert targets.problem(indicator, value) is None
