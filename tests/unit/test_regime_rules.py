"""The rules the real regimes need: a refilling allowance, a free first proposal on a
post, and Connects for client interviews with a weekly cap."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simulator.config.loading import load_scenario
from simulator.config.scenario import Scenario
from simulator.engine.market import Market

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _overall(market: Market) -> pd.Series:
    m = market.run().metrics
    return m[m["segment_kind"] == "overall"].set_index("metric")["value"]


def _scenario(path: Path, overrides: list[str], extra: list[str]) -> Scenario:
    return load_scenario(path, [*overrides, *extra])


def test_first_proposal_on_a_post_is_free(small_overrides: list[str]) -> None:
    path = SCENARIOS / "regimes" / "peopleperhour.yaml"
    with_rule = _overall(Market(_scenario(path, small_overrides, []), "pph_credits", 0))
    without = _overall(
        Market(
            _scenario(path, small_overrides, ["arms.pph_credits.first_proposal_free=false"]),
            "pph_credits",
            0,
        )
    )
    # one credit a proposal: without the rule every proposal spends one
    assert (
        without["connects_spent_per_freelancer_month"]
        == (without["proposals_per_freelancer_month"])
    )
    assert (
        with_rule["connects_spent_per_freelancer_month"]
        < (with_rule["proposals_per_freelancer_month"])
    )


def test_daily_refill_stops_at_its_cap(small_overrides: list[str]) -> None:
    path = SCENARIOS / "regimes" / "freelancer_com.yaml"
    market = Market(_scenario(path, small_overrides, []), "bid_allowance", 0)
    result = _overall(market)
    cap = market.policy.refill_cap
    n = market.pop.size
    assert result["connects_granted_per_freelancer_month"] > 0
    # refunds may lift a balance above the cap; the refill itself never does
    assert int(market.ledger.free_balance[:n].max()) <= cap + int(market.ledger.refunded[:n].max())
    granted = market.ledger.granted[:n]
    days = market.end_day
    assert int(granted.max()) <= days * market.policy.daily_refill


def test_interview_rewards_respect_the_weekly_cap(small_overrides: list[str]) -> None:
    path = SCENARIOS / "upwork_history.yaml"
    market = Market(_scenario(path, small_overrides, []), "upwork_2020", 0)
    result = _overall(market)
    assert result["connects_earned_per_freelancer_month"] > 0
    weeks = np.ceil(market.end_day / 7.0)
    cap = market.policy.interview_cap_per_week
    assert int(market.ledger.earned[: market.pop.size].max()) <= cap * weeks
    # switched off, nothing is earned
    off = _overall(
        Market(
            _scenario(path, small_overrides, ["arms.upwork_2020.earning.per_interview=0"]),
            "upwork_2020",
            0,
        )
    )
    assert off["connects_earned_per_freelancer_month"] == 0
