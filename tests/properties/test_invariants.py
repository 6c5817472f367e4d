"""Invariants of one replication, over random valid scenarios (Hypothesis).

Each example draws a policy (price, purchase, grants, rollover, expiry,
refunds, proposal cost) and a small world (freelancers, posts a day, ghost
share, a short horizon spanning at least one month boundary), runs one
replication with the ledger's log on, and checks the books and the market.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.config.loading import deep_merge, scenario_from_dict
from simulator.config.scenario import Scenario
from simulator.engine.market import Market
from simulator.engine.recorder import ReplicationResult

ADDITIONS = ("grant", "earn", "buy", "refund")
REMOVALS = ("spend", "expire")


# ---------------------------------------------------------------- strategies
def proposal_costs() -> st.SearchStrategy[dict[str, Any]]:
    connects = st.integers(0, 8)
    flat = st.builds(lambda c: {"rule": "flat", "connects": c}, connects)
    by_tier = st.builds(
        lambda e, i, x: {"rule": "by_tier", "entry": e, "intermediate": i, "expert": x},
        connects,
        connects,
        st.integers(0, 12),
    )
    by_budget = st.builds(
        lambda cs, m: {
            "rule": "by_budget",
            "thresholds_usd": [50.0, 600.0],
            "connects": cs,
            "multiplier": m,
        },
        st.lists(connects, min_size=3, max_size=3),
        st.integers(1, 3),
    )
    return st.one_of(flat, by_tier, by_budget)


def rollover_caps() -> st.SearchStrategy[int | None]:
    return st.one_of(st.none(), st.integers(0, 200))


@st.composite
def scenarios(draw: st.DrawFn, base: dict[str, Any]) -> Scenario:
    policy = {
        "kind": draw(st.sampled_from(["paid", "free"])),
        "price_usd_per_connect": draw(st.floats(0.0, 1.0, allow_nan=False)),
        "purchase_allowed": draw(st.booleans()),
        "monthly_grant": {"basic": draw(st.integers(0, 100)), "plus": draw(st.integers(0, 100))},
        "new_account_grant": draw(st.integers(0, 40)),
        "rollover_cap": {"basic": draw(rollover_caps()), "plus": draw(rollover_caps())},
        "free_expiry_months": draw(st.one_of(st.none(), st.integers(1, 12))),
        "purchased_expiry_months": draw(st.one_of(st.none(), st.integers(1, 12))),
        "refunds": {
            "on_cancel": draw(st.booleans()),
            "on_removed": draw(st.booleans()),
            "on_expired": draw(st.booleans()),
        },
        "proposal_cost": draw(proposal_costs()),
        "boosts": {
            "enabled": (boosted := draw(st.booleans())),
            "slots": draw(st.integers(1, 6)),
            "max_bid_connects": draw(st.integers(1, 30)),
        },
    }
    patch = {
        "world": {
            "population": {"freelancers": draw(st.integers(50, 300))},
            "jobs": {
                "jobs_per_day": draw(st.floats(5.0, 30.0)),
                "ghost_share": draw(st.floats(0.0, 0.5)),
            },
            # with boosts, short reading lists, so that boosting pays in a small market
            "clients": {"max_reviewed": draw(st.integers(2, 20)) if boosted else 20},
        },
        "run": {
            "warmup_days": draw(st.sampled_from([0.0, 5.0, 15.0])),
            # at least one month boundary (grants, expiry, rollover) inside the run
            "horizon_days": draw(st.sampled_from([31.0, 45.0, 65.0])),
        },
    }
    data = deep_merge(base, patch)
    data["arms"] = {"x": policy}
    data["baseline"] = "x"
    return scenario_from_dict(data, "<hypothesis>")


@dataclass
class Run:
    market: Market
    result: ReplicationResult
    genuine_posted: int
    n: int


def run_one(scenario: Scenario, replication: int) -> Run:
    """One replication with the ledger log, counting the non-ghost posts as they appear."""
    market = Market(scenario, "x", replication, keep_log=True)
    counter = {"genuine": 0}
    post = market.board.post

    def counting_post(*args: Any, **kwargs: Any) -> Any:
        slots = post(*args, **kwargs)
        counter["genuine"] += int(np.count_nonzero(~market.board.ghost[slots]))
        return slots

    market.board.post = counting_post  # type: ignore[method-assign]
    result = market.run()
    return Run(market, result, counter["genuine"], market.pop.size)


def balance_paths(log: pd.DataFrame) -> pd.DataFrame:
    """Each (freelancer, book)'s balance after every logged operation, in log order."""
    kinds = set(log["kind"])
    assert kinds <= {*ADDITIONS, *REMOVALS}, f"unexpected log kinds {kinds}"
    assert (log["connects"] >= 0).all(), "log amounts are magnitudes"
    sign = np.where(log["kind"].isin(REMOVALS), -1, 1)
    signed = log.assign(delta=sign * log["connects"].astype(np.int64))
    signed["balance"] = signed.groupby(["freelancer", "book"])["delta"].cumsum()
    return signed


# ---------------------------------------------------------------- the check
@pytest.fixture(scope="module")
def base_data(small_scenario: Scenario) -> dict[str, Any]:
    data: dict[str, Any] = small_scenario.model_dump(mode="json")
    return data


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_replication_invariants(base_data: dict[str, Any], data: st.DataObject) -> None:
    scenario = data.draw(scenarios(base_data), label="scenario")
    replication = data.draw(st.integers(0, 3), label="replication")
    run = run_one(scenario, replication)
    m, n = run.market, run.n
    ledger, pop, jobs = m.ledger, m.pop, m.metrics.jobs
    capacity = scenario.world.population.capacity_contracts

    # --- the books: balances never negative, the identity holds
    assert (ledger.free_balance[:n] >= 0).all()
    assert (ledger.paid_balance[:n] >= 0).all()
    assert (ledger.free_lots[:n] >= 0).all()
    assert (ledger.paid_lots[:n] >= 0).all()
    assert (ledger.identity_gap(n) == 0).all()
    np.testing.assert_array_equal(ledger.free_balance[:n], ledger.free_lots[:n].sum(axis=1))
    np.testing.assert_array_equal(ledger.paid_balance[:n], ledger.paid_lots[:n].sum(axis=1))
    inflow = ledger.granted + ledger.earned + ledger.bought + ledger.refunded
    assert (ledger.spent[:n] <= inflow[:n]).all(), "spent more Connects than ever received"
    assert (ledger.expired[:n] >= 0).all()

    # --- the log, replayed in order: no balance ever dips below zero
    paths = balance_paths(m.ledger.log_frame())
    assert (paths["balance"] >= 0).all(), paths[paths["balance"] < 0].head()
    final = paths.groupby(["freelancer", "book"])["delta"].sum()
    for book, balance in (("free", ledger.free_balance), ("paid", ledger.paid_balance)):
        replayed = (
            final.xs(book, level="book").reindex(range(n), fill_value=0)
            if book in set(paths["book"])
            else pd.Series(0, index=range(n))
        )
        np.testing.assert_array_equal(replayed.to_numpy(), balance[:n])
    spends = paths[paths["kind"] == "spend"]
    assert spends["connects"].sum() == ledger.spent[:n].sum()

    # --- money: what freelancers paid for Connects is the platform's revenue
    spent_usd = float(pop.rec_connects_spend_usd[:n].sum())
    assert spent_usd == pytest.approx(jobs["connects_revenue_usd"], rel=1e-6, abs=1e-9)
    if not scenario.arms["x"].purchase_allowed:
        assert ledger.bought[:n].sum() == 0
        assert spent_usd == 0.0

    # --- the market: hires only on genuine posts, capacity respected
    assert jobs["hired"] <= jobs["genuine"] <= jobs["closed"]
    assert run.result.daily["hires"].sum() <= run.genuine_posted
    assert run.result.daily["posts"].sum() >= run.genuine_posted
    assert (pop.active_contracts[:n] >= 0).all()
    assert (pop.active_contracts[:n] <= capacity).all()
    assert m.contracts.agent.size == pop.active_contracts[:n].sum()
    assert (
        run.result.daily["active_contracts"] <= capacity * run.result.daily["freelancers"]
    ).all()

    # --- boosts: each bid ends at most once, charged or refunded; boosted hires are hires
    rec = m.metrics
    assert (rec.rec_boosted[:n] + rec.rec_boost_outbid[:n] <= rec.rec_boost_bids[:n]).all()
    assert (rec.rec_boosted_hires[:n] <= pop.rec_hires[:n]).all()
    assert (rec.rec_boosted_hires[:n] <= rec.rec_boosted[:n]).all()
    rules = scenario.arms["x"].boosts
    assert (rec.rec_boost_connects[:n] >= rules.min_bid_connects * rec.rec_boosted[:n]).all()
    assert (rec.rec_boost_connects[:n] <= rules.max_bid_connects * rec.rec_boosted[:n]).all()
    if not rules.enabled:
        assert rec.rec_boost_bids[:n].sum() == 0
