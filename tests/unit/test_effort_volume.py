"""Quality answers to volume: proposals beyond the weekly time budget get less effort,
and the share of them is measured."""

from __future__ import annotations

import pytest

from simulator.config.loading import scenario_from_dict
from simulator.config.scenario import Scenario
from simulator.engine.market import run_replication


def _overall(scenario: Scenario, arm: str) -> dict[str, float]:
    frame = run_replication(scenario, arm, 0).metrics
    overall = frame[frame["segment_kind"] == "overall"].set_index("metric")["value"]
    return {str(k): float(v) for k, v in overall.items()}


def _with_weekly_hours(base: Scenario, hours: float) -> Scenario:
    data = base.model_dump(mode="json")
    data["world"]["behaviour"]["weekly_proposal_hours"] = hours
    return scenario_from_dict(data, "test")


def test_reduced_effort_share_follows_the_weekly_budget(small_scenario: Scenario) -> None:
    roomy = _overall(_with_weekly_hours(small_scenario, 168.0), "paid")
    # one careful proposal a week: nearly every other proposal is rushed
    tight = _overall(_with_weekly_hours(small_scenario, 0.25), "paid")
    assert roomy["reduced_effort_share_of_proposals"] == 0.0
    assert tight["reduced_effort_share_of_proposals"] > 0.5
    # rushed proposals are worse proposals: the hired ones are worse too
    assert tight["hired_proposal_quality"] < roomy["hired_proposal_quality"]


@pytest.mark.parametrize("grant", [10, 120])
def test_the_share_is_a_share(small_scenario: Scenario, grant: int) -> None:
    data = small_scenario.model_dump(mode="json")
    data["arms"]["free"]["monthly_grant"]["basic"] = grant
    values = _overall(scenario_from_dict(data, "test"), "free")
    assert 0.0 <= values["reduced_effort_share_of_proposals"] <= 1.0
