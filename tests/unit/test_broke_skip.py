"""The browsing kernel skips the views of a freelancer who can send nothing (fewer Connects
in hand than the cheapest proposal costs, and the purchase that would cover the rest out
of reach): every wave ends exactly as it does when each of those views is looked at."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from simulator.config.compiled_policy import bundle_purchase
from simulator.config.scenario import Scenario
from simulator.engine import market as market_module
from simulator.engine.bidding import browse_wave


def _clone(group: Any, copies: dict[int, np.ndarray]) -> Any:
    """The named tuple with a copy of each array (an array in two groups copied once)."""
    if not isinstance(group, tuple):
        return group
    fields = []
    for value in group:
        if isinstance(value, np.ndarray):
            value = copies.setdefault(id(value), value.copy())
        fields.append(value)
    return type(group)(*fields)


def _arrays(groups: tuple[Any, ...]) -> list[np.ndarray]:
    return [v for g in groups if isinstance(g, tuple) for v in g if isinstance(v, np.ndarray)]


@pytest.mark.parametrize("arm", ["paid", "free"])
def test_skipping_views_of_freelancers_who_cannot_bid_changes_nothing(
    small_scenario: Scenario, arm: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    waves = {"compared": 0, "skipped_freelancers": 0}

    def both_ways(*groups: Any) -> tuple[int, int]:
        wave, pop, _board, ledger, _counters, prices, p, _out = groups
        assert p.min_connects_per_proposal >= 1
        a = wave.agents
        price = prices.price_usd_by_region[pop.region[a]]
        money_left = pop.month_cash_usd[a] - pop.month_spend_usd[a]
        shortfall = p.min_connects_per_proposal - ledger.free_balance[a] - ledger.paid_balance[a]
        cannot = shortfall >= 1
        if p.purchase_allowed:
            bought = np.array([bundle_purchase(s, prices.bundle_sizes) for s in shortfall])
            cannot &= bought * price > money_left + 1e-9
        waves["skipped_freelancers"] += int(np.count_nonzero(cannot))

        copies: dict[int, np.ndarray] = {}
        cloned = [_clone(g, copies) for g in groups]
        # min_connects_per_proposal 0 turns the skip off: every view is looked at
        cloned[6] = p._replace(min_connects_per_proposal=0)
        expected = browse_wave(*cloned)
        got = browse_wave(*groups)
        assert got == expected
        for after, reference in zip(_arrays(groups), _arrays(tuple(cloned)), strict=True):
            np.testing.assert_array_equal(after, reference)
        waves["compared"] += 1
        return got

    monkeypatch.setattr(market_module, "browse_wave", both_ways)
    market_module.Market(small_scenario, arm, replication=1).run()
    assert waves["compared"] > 100
    assert waves["skipped_freelancers"] > 0
