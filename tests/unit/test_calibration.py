"""The calibration's parts: targets as an error model, the fit table, identification,
and the posterior file."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator.errors import ResultsError
from simulator.experiments.calibration import TargetSpec, fit_table, identification
from simulator.experiments.designs import Parameter
from simulator.experiments.posterior import Posterior, load_posterior, write_posterior


def _spec(kind: str, value: float, scale: float = 1.0) -> TargetSpec:
    return TargetSpec("t", "fill_rate", "paid", kind, value, scale)


def test_a_value_target_is_a_normal_error_around_its_figure() -> None:
    spec = _spec("value", 10.0, 2.0)
    assert spec.log_density(10.0) == 0.0
    assert spec.log_density(12.0) == pytest.approx(-0.5)
    assert spec.log_density(6.0) == pytest.approx(-2.0)


def test_a_bound_costs_nothing_when_met_and_grows_with_the_violation() -> None:
    at_most = _spec("at_most", 5.0, 0.5)
    assert at_most.log_density(1.0) == 0.0
    assert at_most.log_density(5.0) == 0.0
    assert at_most.log_density(6.0) == pytest.approx(-0.5 * 4.0)
    at_least = _spec("at_least", 5.0, 0.5)
    assert at_least.log_density(9.0) == 0.0
    assert at_least.log_density(4.5) == pytest.approx(-0.5)


def test_a_missing_simulated_value_is_impossible_not_ignored() -> None:
    assert _spec("value", 1.0).log_density(float("nan")) == -math.inf
    assert _spec("at_most", 1.0).log_density(float("nan")) == -math.inf


def test_a_range_is_read_as_a_95_percent_interval_and_a_bound_as_soft() -> None:
    from simulator.config.targets import Target

    source = {"citation": "c", "locator": "l", "quote": "q"}
    ranged = Target.model_validate(
        {
            "name": "r",
            "metric": "fill_rate",
            "arm": "paid",
            "regime": "x",
            "value": 45,
            "low": 22.5,
            "high": 67.5,
            "range_basis": "an assumption",
            "source": source,
        }
    )
    assert TargetSpec.of(ranged).scale == pytest.approx(45.0 / 4.0)
    bound = Target.model_validate(
        {
            "name": "b",
            "metric": "fill_rate",
            "arm": "paid",
            "regime": "x",
            "kind": "at_most",
            "value": 5,
            "source": source,
        }
    )
    assert TargetSpec.of(bound).scale == pytest.approx(0.5)


def test_the_fit_table_says_whether_each_target_is_inside_the_predictive() -> None:
    targets = (
        TargetSpec("near", "fill_rate", "paid", "value", 0.5, 0.01),
        TargetSpec("far", "fill_rate", "paid", "value", 0.9, 0.01),
        TargetSpec("cap", "proposals_per_job", "paid", "at_most", 5.0, 0.5),
    )
    rng = np.random.default_rng(3)
    predictive = pd.DataFrame(
        {
            "near": rng.normal(0.5, 0.02, 200),
            "far": rng.normal(0.5, 0.02, 200),
            "cap": rng.normal(7.0, 0.2, 200),
        }
    )
    fit = fit_table(targets, predictive).set_index("target")
    assert bool(fit.loc["near", "inside"]) is True
    assert bool(fit.loc["far", "inside"]) is False
    assert bool(fit.loc["cap", "inside"]) is False
    assert fit.loc["cap", "share_met"] == 0.0
    assert fit.loc["near", "predictive_low"] < 0.5 < fit.loc["near", "predictive_high"]


def _posterior(columns: dict[str, np.ndarray], parameters: tuple[Parameter, ...]) -> Posterior:
    size = len(next(iter(columns.values())))
    return Posterior(parameters, pd.DataFrame(columns), np.full(size, 1.0 / size))


def test_a_parameter_left_at_its_prior_is_unidentified_and_a_narrow_one_identified() -> None:
    rng = np.random.default_rng(11)
    parameters = (Parameter("a", 0.0, 1.0), Parameter("b", 0.0, 10.0))
    posterior = _posterior(
        {"a": rng.normal(0.3, 0.01, 500), "b": rng.uniform(0.0, 10.0, 500)}, parameters
    )
    table = identification(posterior).set_index("parameter")
    assert table.loc["a", "verdict"] == "identified"
    assert table.loc["b", "verdict"].startswith("unidentified")
    assert table.loc["a", "posterior_low"] < 0.3 < table.loc["a", "posterior_high"]


def test_a_posterior_reads_back_as_written(tmp_path: Path) -> None:
    parameters = (Parameter("world.jobs.ghost_share", 0.0, 0.3), Parameter("x.n", 1, 5, True))
    samples = pd.DataFrame({"world.jobs.ghost_share": [0.1, 0.2, 0.25], "x.n": [1.0, 3.0, 4.0]})
    write_posterior(tmp_path, parameters, samples, np.array([1.0, 2.0, 1.0]))
    back = load_posterior(tmp_path)
    assert back.parameters == parameters
    assert np.allclose(back.weights, [0.25, 0.5, 0.25])
    assert back.mean()["world.jobs.ghost_share"] == pytest.approx(
        0.1 * 0.25 + 0.2 * 0.5 + 0.25 * 0.25
    )
    draws = back.draws(8, np.random.default_rng(0))
    # systematic resampling: each particle drawn in proportion to its weight
    assert sorted(draws["world.jobs.ghost_share"].value_counts().to_dict().items()) == [
        (0.1, 2),
        (0.2, 4),
        (0.25, 2),
    ]


def test_a_directory_without_a_posterior_is_refused_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="not a calibration directory"):
        load_posterior(tmp_path)
    (tmp_path / "posterior.parquet").write_bytes(b"not parquet")
    with pytest.raises(ResultsError, match="not a calibration posterior"):
        load_posterior(tmp_path)


def test_the_variance_split_follows_the_analysis_of_variance() -> None:
    from simulator.experiments.posterior_runs import split_variance

    # draw means 1, 2, 3 (between = 1); each draw's two runs differ by 2 (within = 2)
    values = np.array([[0.0, 2.0], [1.0, 3.0], [2.0, 4.0]])
    split = split_variance(values)
    assert split["mean"] == pytest.approx(2.0)
    assert split["between"] == pytest.approx(1.0)
    assert split["within"] == pytest.approx(2.0)
    # within / R = 1 is the whole of between: all noise
    assert split["noise_share"] == pytest.approx(1.0)
    assert split["parameter_share"] == pytest.approx(0.0)
    spread = split_variance(np.array([[0.0, 0.2], [10.0, 10.2], [20.0, 20.2]]))
    assert spread["parameter_share"] > 0.99
    assert spread["low"] < 1.0 and spread["high"] > 19.0
