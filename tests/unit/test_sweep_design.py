"""Sweep designs without running anything: --vary texts, grids, Latin hypercubes, Pareto fronts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simulator.charts.sweep import short_names
from simulator.cli import OPTION_NAMES
from simulator.config.loading import load_scenario, scenario_hash
from simulator.errors import PlanError, ScenarioError
from simulator.experiments.sweep import pareto_front, parse_vary, plan_sweep, point_ids

PRICE = "arms.paid.price_usd_per_connect"
GRANT = "arms.free.monthly_grant.basic"


def as_the_cli_says(error: Exception) -> str:
    """The message as the CLI prints it: settings named by their options."""
    return error.render(OPTION_NAMES) if isinstance(error, PlanError) else str(error)


# ------------------------------------------------------------------ --vary texts


def test_parse_values_and_ranges() -> None:
    listed = parse_vary(f"{PRICE}=0.1, 0.2,0.3")
    assert listed.path == PRICE
    assert listed.levels == (0.1, 0.2, 0.3)
    ranged = parse_vary(f"{GRANT}=0:30:4")
    assert (ranged.low, ranged.high, ranged.count, ranged.integer_bounds) == (0.0, 30.0, 4, True)
    continuous = parse_vary(f"{PRICE}=0.05:0.6")
    assert continuous.count is None and not continuous.integer_bounds
    # values are YAML, as with --set: lists in brackets, booleans, strings
    nested = parse_vary("arms.paid.proposal_cost.thresholds_usd=[50, 600],[100, 800]")
    assert nested.levels == ([50, 600], [100, 800])
    assert parse_vary("arms.free.purchase_allowed=true,false").levels == (True, False)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("arms.paid.price_usd_per_connect", "expected PATH=V1,V2,..."),
        ("=1,2", "empty"),
        ("arms..price=1", "empty part"),
        (f"{PRICE}=", "no values"),
        (f"{PRICE}=0.3:0.1:3", "LOW (0.3) must be below HIGH (0.1)"),
        (f"{PRICE}=0.1:0.3:1", "at least 2"),
        (f"{PRICE}=0.1:0.3:x", "whole number"),
        (f"{PRICE}=[1,2", "not a comma-separated list"),
        (f"{PRICE}=0.1,0.1", "given twice"),
        ("run.seed=1,2", "--seed"),
        ("run.replications=1,2", "--replications"),
    ],
)
def test_bad_vary_texts_name_the_option_and_the_problem(text: str, problem: str) -> None:
    with pytest.raises(ScenarioError) as exc:
        parse_vary(text)
    # the Python API names its own setting; the CLI names the option
    assert str(exc.value).startswith(f"vary {text!r}: ")
    message = as_the_cli_says(exc.value)
    assert message.startswith(f"--vary {text!r}: ")
    assert problem in message
    assert "\n" not in message


# ------------------------------------------------------------------ grids


def test_grid_is_the_product_first_parameter_slowest(
    paid_vs_free_path: Path, small_overrides: list[str]
) -> None:
    plan = plan_sweep(
        paid_vs_free_path, [f"{PRICE}=0.1,0.3", f"{GRANT}=0:20:3"], overrides=small_overrides
    )
    assert [p.id for p in plan.points] == ["p000", "p001", "p002", "p003", "p004", "p005"]
    assert [tuple(p.values.values()) for p in plan.points] == [
        (0.1, 0),
        (0.1, 10),
        (0.1, 20),
        (0.3, 0),
        (0.3, 10),
        (0.3, 20),
    ]
    # the whole-number field stays whole, and every point's scenario has its values
    assert all(isinstance(p.values[GRANT], int) for p in plan.points)
    last = plan.points[-1].scenario
    assert last.arms["paid"].price_usd_per_connect == 0.3
    assert last.arms["free"].monthly_grant["basic"] == 20
    # everything else is the base scenario
    assert last.world == plan.base.world and last.arms["free"].label == "Free Connects program"


def test_a_point_at_the_base_value_is_the_base_scenario(
    paid_vs_free_path: Path, small_overrides: list[str]
) -> None:
    plan = plan_sweep(paid_vs_free_path, {PRICE: [0.15, 0.3]}, overrides=small_overrides)
    base = load_scenario(paid_vs_free_path, small_overrides)
    assert plan.points[0].scenario == base
    assert scenario_hash(plan.points[0].scenario) == scenario_hash(base)
    assert plan.points[1].scenario != base


def test_a_scenario_object_sweeps_like_its_file(
    paid_vs_free_path: Path, small_overrides: list[str]
) -> None:
    base = load_scenario(paid_vs_free_path, small_overrides)
    from_object = plan_sweep(base, [f"{PRICE}=0.1,0.2"])
    from_file = plan_sweep(paid_vs_free_path, [f"{PRICE}=0.1,0.2"], overrides=small_overrides)
    assert from_object.sweep_hash() == from_file.sweep_hash()


def test_a_star_varies_the_field_of_every_arm(
    paid_vs_free_path: Path, small_overrides: list[str]
) -> None:
    plan = plan_sweep(paid_vs_free_path, ["arms.*.new_account_grant=0,40"])
    for point, grant in zip(plan.points, (0, 40), strict=True):
        assert {spec.new_account_grant for spec in point.scenario.arms.values()} == {grant}


def test_an_invalid_point_names_the_option_point_and_field(paid_vs_free_path: Path) -> None:
    with pytest.raises(ScenarioError) as exc:
        plan_sweep(paid_vs_free_path, [f"{PRICE}=0.1,-1"])
    message = as_the_cli_says(exc.value)
    assert "--vary" in message and "p001" in message and "price_usd_per_connect" in message
    assert "got -1" in message and "\n" not in message
    with pytest.raises(ScenarioError, match=r"arms\.paid\.prize"):
        plan_sweep(paid_vs_free_path, ["arms.paid.prize=1,2"])
    with pytest.raises(ScenarioError, match="not a number"):
        plan_sweep(paid_vs_free_path, ["arms.paid.label=0:1:3"])
    with pytest.raises(ScenarioError, match="LOW:HIGH is for --design lhs"):
        plan_sweep(paid_vs_free_path, [f"{PRICE}=0.1:0.3"])
    with pytest.raises(ScenarioError, match="repeat"):
        plan_sweep(paid_vs_free_path, [f"{GRANT}=0:3:10"])
    with pytest.raises(ScenarioError, match="points applies to design lhs"):
        plan_sweep(paid_vs_free_path, [f"{PRICE}=0.1,0.3"], points=3)
    with pytest.raises(ScenarioError, match="already varied"):
        plan_sweep(paid_vs_free_path, [f"{PRICE}=0.1,0.3", f"{PRICE}=0.2"])


# ------------------------------------------------------------------ Latin hypercubes


def _lhs(path: Path, seed: int, points: int = 8) -> list[dict[str, object]]:
    plan = plan_sweep(
        path,
        [f"{PRICE}=0.05:0.6", f"{GRANT}=0:40", "arms.free.proposal_cost.multiplier=1,2"],
        design="lhs",
        points=points,
        seed=seed,
    )
    return [p.values for p in plan.points]


def test_lhs_values_are_in_range_stratified_and_typed(paid_vs_free_path: Path) -> None:
    n = 8
    values = _lhs(paid_vs_free_path, seed=3, points=n)
    assert len(values) == n
    prices = np.array([v[PRICE] for v in values], dtype=float)
    assert ((prices >= 0.05) & (prices <= 0.6)).all()
    # one point in each of the n equal strata of the range
    strata = np.floor((prices - 0.05) / (0.6 - 0.05) * n).astype(int)
    assert sorted(strata.tolist()) == list(range(n))
    grants = [v[GRANT] for v in values]
    assert all(isinstance(g, int) and 0 <= g <= 40 for g in grants)
    # the k-th smallest grant comes from the k-th of n equal strata of the 41 whole numbers
    for k, grant in enumerate(sorted(grants)):
        assert 41 * k // n <= grant <= 41 * (k + 1) // n
    # a listed parameter is stratified over its values: each equally often
    multipliers = [v["arms.free.proposal_cost.multiplier"] for v in values]
    assert sorted(multipliers) == [1] * (n // 2) + [2] * (n // 2)


def test_lhs_is_reproducible_from_the_seed(paid_vs_free_path: Path) -> None:
    assert _lhs(paid_vs_free_path, seed=3) == _lhs(paid_vs_free_path, seed=3)
    assert _lhs(paid_vs_free_path, seed=3) != _lhs(paid_vs_free_path, seed=4)


def test_lhs_needs_points(paid_vs_free_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"^design lhs needs points N"):
        plan_sweep(paid_vs_free_path, [f"{PRICE}=0.05:0.6"], design="lhs")
    with pytest.raises(ScenarioError, match=r"^design "):
        plan_sweep(paid_vs_free_path, [f"{PRICE}=0.05:0.6"], design="sobol")


def test_point_ids_sort_in_design_order() -> None:
    assert point_ids(3) == ["p000", "p001", "p002"]
    ids = point_ids(1200)
    assert ids[0] == "p0000" and ids[-1] == "p1199" and ids == sorted(ids)


def test_short_names() -> None:
    names = short_names([PRICE, GRANT])
    assert names == {PRICE: "price_usd_per_connect", GRANT: "monthly_grant.basic"}
    clash = ["arms.paid.price_usd_per_connect", "arms.free.price_usd_per_connect"]
    assert short_names(clash) == {p: p for p in clash}


# ------------------------------------------------------------------ Pareto fronts


def test_pareto_dominance() -> None:
    values = [
        [1.0, 5.0],  # on the front
        [2.0, 2.0],  # on the front
        [3.0, 3.0],  # beaten by [2, 2] on both
        [2.0, 6.0],  # beaten by [1, 5] on both
        [5.0, 1.0],  # on the front
        [5.0, 2.0],  # beaten by [5, 1]: as good on one, better on the other
    ]
    assert pareto_front(values).tolist() == [True, True, False, False, True, False]


def test_pareto_ties_are_all_kept() -> None:
    values = [[1.0, 1.0], [1.0, 1.0], [2.0, 2.0]]
    assert pareto_front(values).tolist() == [True, True, False]


def test_pareto_single_point_and_empty() -> None:
    assert pareto_front([[3.0, 4.0, 5.0]]).tolist() == [True]
    assert pareto_front(np.empty((0, 2))).tolist() == []


def test_pareto_directions() -> None:
    # the second column is a fill rate: higher is better
    values = [[1.0, 0.5], [1.0, 0.9], [0.5, 0.1]]
    assert pareto_front(values, [False, True]).tolist() == [False, True, True]
    with pytest.raises(ValueError, match="entries"):
        pareto_front(values, [False])


def test_pareto_leaves_out_what_cannot_be_compared() -> None:
    values = [[np.nan, 0.0], [1.0, 1.0], [2.0, 2.0]]
    # the nan row is neither on the front nor beats anything
    assert pareto_front(values).tolist() == [False, True, False]
