"""The wallet budget rule: outside cash that differs between freelancers, earnings kept,
fees and Connects paid from it and never beyond it, savings carried up to a cap."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from simulator.config.loading import scenario_from_dict
from simulator.config.scenario import Scenario
from simulator.engine.market import Market

PURCHASE_SLACK_USD = 1e-9
"""The engine's float slack when it checks that a purchase fits the money left
(bidding.py), so the most a balance can read below zero."""


def _with_budget(base: Scenario, budget: dict[str, Any], **population: Any) -> Scenario:
    data = base.model_dump(mode="json")
    data["world"]["population"]["budget"] = budget
    data["world"]["population"].update(population)
    return scenario_from_dict(data, "test")


def _balance(market: Market) -> np.ndarray:
    pop = market.pop
    return pop.month_cash_usd[: pop.size] - pop.month_spend_usd[: pop.size]


@pytest.mark.parametrize("arm", ["paid", "free"])
def test_a_wallet_never_goes_negative(small_scenario: Scenario, arm: str) -> None:
    # tight wallets, so that money binds: purchases and fees meet the limit often
    scenario = _with_budget(
        small_scenario,
        {"rule": "wallet", "outside_cash_share_median": 0.005, "earnings_kept_share": 0.1},
    )
    market = Market(scenario, arm, 0)
    lowest = np.inf
    binding = 0
    for day in np.arange(1.0, scenario.run.warmup_days + scenario.run.horizon_days, 1.0):
        market.env.run(until=day)
        balance = _balance(market)
        lowest = min(lowest, float(balance.min()))
        binding += int((balance < 0.9).sum())
    assert lowest >= -PURCHASE_SLACK_USD
    # the check means something only if some wallets ran nearly dry
    assert binding > 0


def test_savings_carry_over_up_to_the_cap(small_scenario: Scenario) -> None:
    # nobody can spend (no purchases under the free arm, nobody wants Plus) and no
    # earnings are kept, so a wallet is pure savings: o, 2o, 3o, then capped at 3o + o
    scenario = _with_budget(
        small_scenario,
        {
            "rule": "wallet",
            "outside_cash_share_median": 0.01,
            "outside_cash_share_sigma": 0.0,
            "earnings_kept_share": 0.0,
            "savings_cap_months": 3.0,
        },
        entrants_per_month_share=0.0,
        churn_per_month=0.0,
    )
    data = scenario.model_dump(mode="json")
    for region in data["world"]["regions"].values():
        region["plus_share"] = 0.0
    scenario = scenario_from_dict(data, "test")
    market = Market(scenario, "free", 0)
    pop = market.pop
    outside = pop.outside_cash_usd[: pop.size].copy()
    income = market.pop.region_income_usd[pop.region[: pop.size]]
    assert np.allclose(outside, 0.01 * income)
    seen = []
    for month in range(1, 6):
        # just after each month's start
        market.env.run(until=30.0 * month + 0.01)
        stayed = pop.in_market[: pop.size]
        seen.append((pop.month_cash_usd[: pop.size] / outside)[stayed])
    for got, expected in zip(seen, [2.0, 3.0, 4.0, 4.0, 4.0], strict=True):
        assert got.size > 0
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_earnings_kept_enter_the_wallet(small_scenario: Scenario) -> None:
    kept = _with_budget(small_scenario, {"rule": "wallet", "earnings_kept_share": 0.3})
    market = Market(kept, "paid", 0)
    market.env.run(until=29.0)
    pop = market.pop
    n = pop.size
    earned = pop.month_earnings_usd[:n]
    assert (earned > 0).any()
    np.testing.assert_allclose(pop.month_kept_usd[:n], 0.3 * earned, rtol=1e-9, atol=1e-9)


def test_the_outside_cash_share_is_lognormal_and_capped(small_scenario: Scenario) -> None:
    scenario = _with_budget(
        small_scenario,
        {
            "rule": "wallet",
            "outside_cash_share_median": 0.02,
            "outside_cash_share_sigma": 1.0,
            "outside_cash_share_cap": 0.05,
        },
        freelancers=4000,
    )
    pop = Market(scenario, "paid", 0).pop
    share = pop.outside_cash_usd[: pop.size] / pop.region_income_usd[pop.region[: pop.size]]
    assert share.max() <= 0.05 + 1e-15
    # the cap takes P(Z > ln 2.5) = 18% of freelancers; the median is below it
    assert np.median(share) == pytest.approx(0.02, rel=0.08)
    assert np.mean(share == 0.05) == pytest.approx(0.18, abs=0.03)


def test_plus_is_held_only_when_the_wallet_pays_its_fee(small_scenario: Scenario) -> None:
    for median in (0.01, 0.1):
        scenario = _with_budget(
            small_scenario,
            {
                "rule": "wallet",
                "outside_cash_share_median": median,
                "outside_cash_share_sigma": 0.0,
                "outside_cash_share_cap": 1.0,
            },
        )
        data = scenario.model_dump(mode="json")
        for region in data["world"]["regions"].values():
            region["plus_share"] = 1.0
        market = Market(scenario_from_dict(data, "test"), "paid", 0)
        pop = market.pop
        n = pop.size
        affordable = median * pop.region_income_usd[pop.region[:n]] >= market.fee_usd[1]
        # everyone wants Plus; exactly those whose first month's wallet covers the fee hold it
        assert (pop.membership_intent[:n] == 1).all()
        np.testing.assert_array_equal(pop.membership[:n] == 1, affordable)
        assert 0 < affordable.sum() < n
        np.testing.assert_array_equal(pop.month_spend_usd[:n][affordable], market.fee_usd[1])


def test_the_income_share_rule_is_version_1s(small_scenario: Scenario) -> None:
    scenario = _with_budget(small_scenario, {"rule": "income_share", "share_of_income": 0.05})
    pop = Market(scenario, "paid", 0).pop
    n = pop.size
    np.testing.assert_array_equal(
        pop.month_cash_usd[:n], pop.region_income_usd[pop.region[:n]] * 0.05
    )
    assert not pop.outside_cash_usd[:n].any()
