"""Metamorphic relations, checked per replication on common random numbers.

Each pair of variants differs in one parameter and shares the replication
seeds, so both face the same freelancers and the same job stream; the
relation must then hold in every replication, not only on average.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.config.loading import load_scenario
from simulator.config.scenario import Scenario
from simulator.engine.market import run_replication

REPLICATIONS = range(3)


def overall(scenario: Scenario, arm: str, replication: int, metric: str) -> float:
    """One overall metric of one replication."""
    m = run_replication(scenario, arm, replication).metrics
    row = m[(m["segment_kind"] == "overall") & (m["metric"] == metric)]
    assert len(row) == 1, f"metric {metric} missing or repeated"
    return float(row["value"].iloc[0])


def variants(
    scenario_path: Path, small_overrides: list[str], low: str, high: str
) -> tuple[Scenario, Scenario]:
    """Two small scenarios differing in one ``--set`` override."""
    return (
        load_scenario(scenario_path, [*small_overrides, low]),
        load_scenario(scenario_path, [*small_overrides, high]),
    )


@pytest.mark.parametrize("replication", REPLICATIONS)
def test_dearer_connect_never_raises_proposal_volume(
    small_scenario: Scenario, replication: int
) -> None:
    paid = small_scenario.arms["paid"]
    assert paid.price_usd_per_connect == pytest.approx(0.15)
    dear = small_scenario.model_copy(
        update={
            "arms": {
                **small_scenario.arms,
                "paid": paid.model_copy(update={"price_usd_per_connect": 0.60}),
            }
        }
    )
    assert dear.arms["paid"].price_usd_per_connect == pytest.approx(0.60)
    metric = "proposals_per_freelancer_month"
    cheap_volume = overall(small_scenario, "paid", replication, metric)
    dear_volume = overall(dear, "paid", replication, metric)
    assert cheap_volume > 0
    assert dear_volume <= cheap_volume


@pytest.mark.parametrize("replication", REPLICATIONS)
def test_larger_free_allowance_never_lowers_proposal_volume(
    paid_vs_free_path: Path, small_overrides: list[str], replication: int
) -> None:
    small, large = variants(
        paid_vs_free_path,
        small_overrides,
        "arms.free.monthly_grant={basic: 10, plus: 70}",
        "arms.free.monthly_grant={basic: 40, plus: 100}",
    )
    assert dict(small.arms["free"].monthly_grant) == {"basic": 10, "plus": 70}
    assert dict(large.arms["free"].monthly_grant) == {"basic": 40, "plus": 100}
    metric = "proposals_per_freelancer_month"
    small_volume = overall(small, "free", replication, metric)
    large_volume = overall(large, "free", replication, metric)
    assert small_volume > 0
    assert large_volume >= small_volume


@pytest.mark.parametrize("replication", REPLICATIONS)
@pytest.mark.parametrize("arm", ["paid", "free"])
def test_more_ghost_posts_never_raise_the_fill_rate(
    paid_vs_free_path: Path, small_overrides: list[str], arm: str, replication: int
) -> None:
    honest, ghostly = variants(
        paid_vs_free_path,
        small_overrides,
        "world.jobs.ghost_share=0.0",
        "world.jobs.ghost_share=0.4",
    )
    honest_fill = overall(honest, arm, replication, "fill_rate")
    ghostly_fill = overall(ghostly, arm, replication, "fill_rate")
    assert 0.0 < honest_fill <= 1.0
    assert ghostly_fill <= honest_fill
