"""Scenario discovery's pieces: PRIM's box on data whose answer is known, the posterior's
share of a box, the conclusions table, the default arms and the Latin hypercube."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.catalog import METRIC_DESCRIPTIONS
from simulator.config.loading import load_scenario
from simulator.experiments.designs import Parameter, latin_hypercube
from simulator.experiments.discovery import (
    CONCLUSIONS,
    Limit,
    default_arms,
    explored_share,
    find_box,
    posterior_share,
)
from simulator.experiments.posterior import Posterior

REPO_ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = REPO_ROOT / "scenarios"

PEEL_ALPHA = 0.05
"""The EMA Workbench's default peel: each peel removes this share of the box's points."""

UNIT = {"x1": (0.0, 1.0), "x2": (0.0, 1.0), "x3": (0.0, 1.0)}


def _uniform(seed: int, count: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({name: rng.random(count) for name in UNIT})


def _tolerance(extent: float, points_in_region: float, threshold: float) -> float:
    """How far PRIM's edge may sit from the true boundary, along an axis where the true
    region is ``extent`` wide.

    A box's edges sit at data points, and PRIM moves an edge one peel at a time,
    each peel removing PEEL_ALPHA of the points in the box: the edge that crosses the
    boundary lands within one peel's slab of it (PEEL_ALPHA of the box's extent),
    plus the spacing of the points along that axis (the extent over the points in
    the region). A density threshold t below one lets the box kept (the one of
    highest coverage that is dense enough) keep a slab of points where the
    conclusion does not hold, up to (1 - t) / t of the region's extent.
    """
    return extent * (PEEL_ALPHA + 1.0 / points_in_region + (1.0 - threshold) / threshold)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_prim_recovers_a_known_region(seed: int) -> None:
    """holds = (x1 > 0.6) & (x2 < 0.3) on uniform points, x3 irrelevant: the box restricts
    x1 from below and x2 from above, near 0.6 and 0.3, and leaves x3 alone."""
    count, threshold = 1000, 0.95
    x = _uniform(seed, count)
    holds = ((x["x1"] > 0.6) & (x["x2"] < 0.3)).to_numpy()
    box = find_box(x, holds, threshold, UNIT)
    assert box.status == "box"
    limits = {limit.path: limit for limit in box.limits}
    assert set(limits) == {"x1", "x2"}
    in_region = count * 0.4 * 0.3
    # the sides PRIM did not peel are reported at the range's bounds
    assert limits["x1"].high == 1.0
    assert limits["x2"].low == 0.0
    assert abs(limits["x1"].low - 0.6) <= _tolerance(0.4, in_region, threshold)
    assert abs(limits["x2"].high - 0.3) <= _tolerance(0.3, in_region, threshold)
    assert box.density >= threshold
    assert box.coverage >= 0.9
    assert box.share == pytest.approx(holds.mean())
    assert box.points == round(box.mass * count)


def test_an_integer_parameter_gets_integer_limits() -> None:
    """An integer column's limits are whole numbers (PRIM runs on floats: the Workbench's
    pasting cannot write a quantile into an integer column)."""
    rng = np.random.default_rng(4)
    x = _uniform(4, 1000)
    x["grant"] = rng.integers(0, 10, 1000)
    holds = ((x["grant"] >= 6) & (x["x2"] < 0.3)).to_numpy()
    box = find_box(x, holds, 0.95, {**UNIT, "grant": (0.0, 9.0)})
    limits = {limit.path: limit for limit in box.limits}
    assert limits["grant"].low == 6.0
    assert limits["grant"].high == 9.0


@pytest.mark.parametrize(("value", "status"), [(True, "everywhere"), (False, "nowhere")])
def test_holding_everywhere_or_nowhere_gives_no_box_without_prim(
    value: bool, status: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PRIM cannot even be imported: the answer must not need it
    monkeypatch.setitem(sys.modules, "ema_workbench.analysis", None)
    x = _uniform(5, 50)
    box = find_box(x, np.full(50, value), 0.8, UNIT)
    assert box.status == status
    assert box.limits == ()
    assert box.share == (1.0 if value else 0.0)
    assert box.judged == 50
    assert np.isnan(box.density) and np.isnan(box.coverage)


def test_no_judged_point_gives_no_box() -> None:
    box = find_box(_uniform(6, 0), np.zeros(0, dtype=bool), 0.8, UNIT)
    assert box.status == "not judged"
    assert box.judged == 0


def test_a_threshold_no_box_reaches_gives_no_box() -> None:
    """Points that hold at random, one in five: no box is 4 in 5 dense."""
    x = _uniform(7, 400)
    holds = np.random.default_rng(8).random(400) < 0.2
    box = find_box(x, holds, 1.0, UNIT)
    assert box.status == "no box"
    assert box.share == pytest.approx(holds.mean())


def _posterior() -> Posterior:
    parameters = (Parameter("a", 0.0, 1.0), Parameter("b", 0.0, 10.0))
    samples = pd.DataFrame({"a": [0.1, 0.2, 0.35, 0.5, 0.9], "b": [1.0, 2.0, 3.0, 4.0, 11.0]})
    weights = np.array([0.1, 0.2, 0.3, 0.15, 0.25])
    return Posterior(parameters, samples, weights)


def test_posterior_share_is_the_weight_inside_the_box() -> None:
    posterior = _posterior()
    # inclusive limits: a = 0.2 and a = 0.5 are inside
    share, missing = posterior_share([Limit("a", 0.2, 0.5)], posterior)
    assert share == pytest.approx(0.2 + 0.3 + 0.15)
    assert missing == ()
    # two limits: both must hold
    share, _ = posterior_share([Limit("a", 0.2, 0.5), Limit("b", 2.5, 10.0)], posterior)
    assert share == pytest.approx(0.3 + 0.15)


def test_a_box_parameter_the_posterior_lacks_is_named_not_counted() -> None:
    posterior = _posterior()
    share, missing = posterior_share([Limit("a", 0.0, 0.3), Limit("grant", 14, 40)], posterior)
    assert share == pytest.approx(0.1 + 0.2)
    assert missing == ("grant",)
    share, missing = posterior_share([Limit("grant", 14, 40)], posterior)
    assert np.isnan(share)
    assert missing == ("grant",)


def test_explored_share_counts_particles_inside_the_ranges() -> None:
    """b = 11 lies outside the explored 0-10: its particle's weight is not inside."""
    posterior = _posterior()
    explored = [Parameter("a", 0.0, 1.0), Parameter("b", 0.0, 10.0), Parameter("c", 0.0, 1.0)]
    assert explored_share(explored, posterior) == pytest.approx(0.75)
    assert np.isnan(explored_share([Parameter("c", 0.0, 1.0)], posterior))


def test_the_conclusions_are_the_four_headline_claims() -> None:
    table = {c.name: c for c in CONCLUSIONS}
    assert [(c.metric, c.direction) for c in CONCLUSIONS] == [
        ("proposals_per_job", 1),
        ("total_spend_share_of_income", -1),
        ("fill_rate", 1),
        ("new_hired_within_60_days", 1),
    ]
    assert all(c.metric in METRIC_DESCRIPTIONS for c in CONCLUSIONS)
    scenario = load_scenario(SCENARIOS / "paid_vs_free.yaml")
    resolved = table["poorest_region_burden"].resolve(scenario)
    regions = scenario.world.regions
    assert resolved.segment == min(regions, key=lambda r: regions[r].monthly_income_usd)
    assert resolved.segment == "africa"
    assert table["fill_rate"].resolve(scenario) == table["fill_rate"]
    assert table["poorest_region_burden"].holds(-0.01)
    assert not table["fill_rate"].holds(0.0)


@pytest.mark.parametrize("name", ["paid_vs_free.yaml", "calibration.yaml"])
def test_the_default_arms_are_the_baseline_and_the_free_program(name: str) -> None:
    assert default_arms(load_scenario(SCENARIOS / name)) == ("paid", "free")


def test_the_latin_hypercube_is_stratified_and_seeded() -> None:
    parameters = [Parameter("a", 0.0, 2.0), Parameter("n", 5.0, 40.0, integer=True)]
    count = 16
    seed = np.random.SeedSequence(7, spawn_key=(1,))
    sample = latin_hypercube(parameters, count, seed)
    assert sample.rows.shape == (count, 2)
    for j, p in enumerate(parameters):
        strata = np.floor((sample.rows[:, j] - p.low) / (p.high - p.low) * count)
        assert sorted(strata.astype(int)) == list(range(count))
    again = latin_hypercube(parameters, count, np.random.SeedSequence(7, spawn_key=(1,)))
    assert np.array_equal(sample.rows, again.rows)
    other = latin_hypercube(parameters, count, np.random.SeedSequence(8, spawn_key=(1,)))
    assert not np.array_equal(sample.rows, other.rows)
    assert sample.n_points == count
