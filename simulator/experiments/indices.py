"""Sensitivity indices from replicated runs: Sobol' and Morris, with the noise share.

:func:`analyse` computes each output's indices on the mean over replications,
with bootstrap intervals, and :func:`noise_share` says how much of an output's
variation is Monte Carlo noise rather than the parameters. :class:`Sensitivity`
holds the result of an analysis, and :func:`estimate` composes a design, its runs
and the analysis for any :class:`~simulator.experiments.design_runs.Model`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator.config.scenario import Scenario
from simulator.experiments.design_runs import Model, Output, ProgressCallback, run_design
from simulator.experiments.designs import (
    BOOTSTRAP_INDICES_STREAM,
    BOOTSTRAP_NOISE_STREAM,
    DEFAULT_SAMPLES,
    DUMMY,
    SAMPLING_STREAM,
    Design,
    FloatArray,
    Method,
    Parameter,
    analysis_seed,
    child_generator,
    child_seed,
    make_design,
)
from simulator.experiments.executors import Executor, resolve_executor
from simulator.experiments.study import check_count

# ---------------------------------------------------------------------------
# analysis


def _cube(runs: pd.DataFrame, outputs: Sequence[Output], n_points: int, r: int) -> FloatArray:
    """Runs as an array: distinct point x replication x output."""
    cube = np.full((n_points, r, len(outputs)), np.nan)
    column = {o: k for k, o in enumerate(outputs)}
    keys = zip(runs["output"], runs["metric"], strict=True)
    k = np.array([column.get((str(o), str(m)), -1) for o, m in keys], dtype=np.int64)
    points = runs["point"].to_numpy(dtype=np.int64)
    reps = runs["replication"].to_numpy(dtype=np.int64)
    keep = (k >= 0) & (reps < r)
    cube[points[keep], reps[keep], k[keep]] = runs["value"].to_numpy(dtype=np.float64)[keep]
    return cube


def noise_share(
    values: FloatArray, rng: np.random.Generator | None = None, resamples: int = 1000
) -> tuple[float, float, float, float, float, float]:
    """The Monte Carlo noise share of one output, with a bootstrap interval.

    Parameters
    ----------
    values
        Design rows x replications: the output of replication ``r`` at the
        point of each row.
    rng, resamples
        The bootstrap, resampling design rows; no interval without ``rng``.

    Returns
    -------
    (within, noise, between, share, low, high)
        ``within``: the mean over design rows of the variance between the
        replications of a row (``ddof=1``); ``noise = within / R``: the
        variance of a mean of R independent replications;
        ``between``: the variance over design rows of the row means
        (``ddof=1``), what the indices apportion; ``share = noise /
        between``, and its 95% percentile bootstrap interval. NaN with one
        replication (no within-point variance to see).
    """
    n, r = values.shape
    nan = float("nan")
    if r < 2 or n < 3:
        between = float(np.var(values.mean(axis=1), ddof=1)) if n > 1 else nan
        return nan, nan, between, nan, nan, nan
    within_rows = values.var(axis=1, ddof=1)
    means = values.mean(axis=1)
    within = float(within_rows.mean())
    between = float(means.var(ddof=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = within / r / between if between > 0 else nan
        if rng is None or not math.isfinite(share):
            return within, within / r, between, share, nan, nan
        # chunks of resamples bound the memory to ~8 MB whatever the design's size
        shares = []
        chunk = max(1, 1_000_000 // n)
        for start in range(0, resamples, chunk):
            idx = rng.integers(0, n, size=(min(chunk, resamples - start), n))
            shares.append(within_rows[idx].mean(axis=1) / r / means[idx].var(axis=1, ddof=1))
    # order statistics, not interpolation: a resample of rows that all share one
    # mean has an infinite share, and interpolating next to it would give NaN
    low, high = np.nanquantile(np.concatenate(shares), [0.025, 0.975], method="inverted_cdf")
    return within, within / r, between, share, float(low), float(high)


def _index_rows(
    output: Output,
    names: Sequence[str],
    index: str,
    values: Iterable[float],
    conf: Iterable[float] | None,
) -> list[dict[str, Any]]:
    conf_values = list(conf) if conf is not None else [float("nan")] * len(names)
    return [
        {
            "output": output[0],
            "metric": output[1],
            "parameter": name,
            "index": index,
            "value": float(v),
            "ci_low": float(v) - float(c),
            "ci_high": float(v) + float(c),
        }
        for name, v, c in zip(names, values, conf_values, strict=True)
    ]


def analyse(
    design: Design,
    runs: pd.DataFrame,
    outputs: Sequence[Output],
    replications: int,
    seed: np.random.SeedSequence,
    conf_level: float = 0.95,
    num_resamples: int = 1000,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Sensitivity indices and noise shares of every output.

    Parameters
    ----------
    design
        The design the runs were made on.
    runs
        Tidy runs (point, replication, output, metric, value).
    outputs
        The outputs to analyse, in order.
    replications
        Replications per point analysed (runs of higher replications are ignored).
    seed
        Seeds the bootstraps (each output its own child, so results do not
        depend on which outputs are analysed together).
    conf_level
        Confidence level of the intervals.
    num_resamples
        Bootstrap resamples (SALib's and the noise share's).

    Returns
    -------
    (indices, noise, points)
        ``indices``: output, metric, parameter, index (``S1``, ``ST``; or
        ``mu_star``, ``sigma``, ``mu``), value, ci_low, ci_high (``value``
        plus or minus SALib's bootstrap half-width; NaN where SALib gives
        none). ``noise``: output, metric, rows, replications, within_variance,
        noise_variance, between_variance, noise_share, its interval, note
        (see :func:`noise_share`). ``points``: row, point, output, metric,
        mean, variance (between replications).

    Notes
    -----
    An output with a missing value at some point, or (Sobol') the same value
    at every point, has NaN indices and says so in ``note``: there is no
    variance to apportion.
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

    cube = _cube(runs, outputs, design.n_points, replications)[design.points]
    names = list(design.problem["names"])
    index_rows: list[dict[str, Any]] = []
    noise_rows: list[dict[str, Any]] = []
    for k, output in enumerate(outputs):
        values = cube[:, :, k]
        means = values.mean(axis=1)
        note = ""
        missing = int(np.isnan(means).sum())
        within, noise, between, share, low, high = noise_share(
            values, child_generator(seed, BOOTSTRAP_NOISE_STREAM, k), num_resamples
        )
        if missing:
            note = f"missing at {missing} of {len(means)} rows: no indices"
        elif np.ptp(means) == 0.0:
            note = "the same at every point: no variance to apportion"
        elif replications < 2:
            note = "one replication: noise share not estimated"
        noise_rows.append(
            {
                "output": output[0],
                "metric": output[1],
                "rows": len(means),
                "replications": replications,
                "within_variance": within,
                "noise_variance": noise,
                "between_variance": between,
                "noise_share": share,
                "noise_share_ci_low": low,
                "noise_share_ci_high": high,
                "note": note,
            }
        )
        nan = [float("nan")] * len(names)
        bootstrap = child_generator(seed, BOOTSTRAP_INDICES_STREAM, k)
        if design.method == "sobol":
            if missing or note.startswith("the same"):
                result: Mapping[str, Any] = {"S1": nan, "S1_conf": nan, "ST": nan, "ST_conf": nan}
            else:
                result = sobol_analyze.analyze(
                    design.problem,
                    means,
                    calc_second_order=False,
                    num_resamples=num_resamples,
                    conf_level=conf_level,
                    seed=bootstrap,
                )
            index_rows += _index_rows(output, names, "S1", result["S1"], result["S1_conf"])
            index_rows += _index_rows(output, names, "ST", result["ST"], result["ST_conf"])
        else:
            if missing:
                result = {"mu_star": nan, "mu_star_conf": nan, "sigma": nan, "mu": nan}
            else:
                result = morris_analyze.analyze(
                    design.problem,
                    design.rows,
                    means,
                    num_resamples=num_resamples,
                    conf_level=conf_level,
                    num_levels=design.num_levels,
                    seed=bootstrap,
                )
            index_rows += _index_rows(
                output, names, "mu_star", result["mu_star"], result["mu_star_conf"]
            )
            index_rows += _index_rows(output, names, "sigma", result["sigma"], None)
            index_rows += _index_rows(output, names, "mu", result["mu"], None)
    rows = np.arange(len(design.points))
    points = pd.concat(
        [
            pd.DataFrame(
                {
                    "row": rows,
                    "point": design.points,
                    "output": output[0],
                    "metric": output[1],
                    "mean": cube[:, :, k].mean(axis=1),
                    "variance": cube[:, :, k].var(axis=1, ddof=1)
                    if replications > 1
                    else np.full(len(rows), np.nan),
                }
            )
            for k, output in enumerate(outputs)
        ],
        ignore_index=True,
    )
    return pd.DataFrame(index_rows), pd.DataFrame(noise_rows), points


# ---------------------------------------------------------------------------
# results


@dataclass
class Sensitivity:
    """The results of a sensitivity analysis."""

    method: Method
    parameters: list[Parameter]
    """The varied parameters, in order (the dummy is not one of them)."""
    design: Design
    replications: int
    root_seed: int
    outputs: list[Output]
    runs: pd.DataFrame
    """Every run, tidy: point, replication, output, metric, value."""
    indices: pd.DataFrame
    """output, metric, parameter, index, value, ci_low, ci_high (see :func:`analyse`)."""
    noise: pd.DataFrame
    """The Monte Carlo noise share of each output (see :func:`noise_share`)."""
    points: pd.DataFrame
    """Per design row and output: the mean and variance over replications."""
    scenario: Scenario | None = None
    arm: str | None = None
    """The arm analysed (a market analysis)."""
    baseline: str | None = None
    """The baseline it is paired with, or ``None`` when only ``arm`` ran."""
    path: Path | None = None
    reused: int = 0
    """Runs reused from an interrupted analysis in ``path``."""
    executor: str = ""
    conf_level: float = 0.95

    @property
    def names(self) -> list[str]:
        """Parameter names as SALib sees them: the paths, then the dummy."""
        return [str(n) for n in self.design.problem["names"]]

    @property
    def samples(self) -> int:
        """Sobol' base samples N, or Morris trajectories."""
        return self.design.samples

    def design_frame(self) -> pd.DataFrame:
        """One row per design row: its distinct point and each parameter's value as run."""
        frame = pd.DataFrame(
            {"row": np.arange(len(self.design.points)), "point": self.design.points}
        )
        for j, p in enumerate(self.parameters):
            frame[p.path] = [p.value(x) for x in self.design.rows[:, j]]
        frame[DUMMY] = self.design.rows[:, len(self.parameters)]
        return frame

    def value(self, output: str, metric: str, parameter: str, index: str) -> float:
        """One index of one output, e.g. ``value("free - paid", "fill_rate", "dummy", "ST")``."""
        i = self.indices
        hit = i[
            (i["output"] == output)
            & (i["metric"] == metric)
            & (i["parameter"] == parameter)
            & (i["index"] == index)
        ]
        if len(hit) != 1:
            raise KeyError((output, metric, parameter, index))
        return float(hit["value"].iloc[0])


def estimate(
    problem: Mapping[str, Any],
    model: Model,
    method: Method = "sobol",
    samples: int | None = None,
    replications: int = 2,
    seed: int = 0,
    executor: Executor | str | None = None,
    workers: int | None = None,
    key: Callable[[FloatArray], Any] | None = None,
    conf_level: float = 0.95,
    num_resamples: int = 1000,
    progress: ProgressCallback | None = None,
) -> Sensitivity:
    """Sample a design, run any model on it and analyse it (no results directory).

    The plumbing of :func:`sensitivity`, for any :class:`Model`: it makes the
    design (:func:`make_design`, sampling seeded from ``seed``), runs every
    distinct point ``replications`` times through one executor
    (:func:`run_design`) and analyses the means over replications
    (:func:`analyse`).

    Parameters
    ----------
    problem
        SALib's problem; its last variable should be the model's dummy.
    model
        The model; its ``outputs`` are analysed.
    method, samples
        ``"sobol"`` with N base samples (a power of 2), or ``"morris"`` with
        N trajectories (default :data:`DEFAULT_SAMPLES`).
    replications
        Runs per point (at least 2 for a noise share).
    seed
        Root seed: the analysis' sampling and bootstrap seeds derive from
        ``SeedSequence(seed, spawn_key=(SENSITIVITY_SPAWN_KEY, ...))``.
    executor, workers
        As for :func:`~simulator.experiments.executors.resolve_executor`.
    key
        See :func:`make_design`.
    conf_level, num_resamples
        The bootstrap intervals.
    progress
        Called as ``progress(done, total)``.
    """
    check_count("replications", replications, 1)
    runner = resolve_executor(executor, workers)
    base = analysis_seed(seed)
    n = DEFAULT_SAMPLES[method] if samples is None else samples
    design = make_design(problem, method, n, child_seed(base, SAMPLING_STREAM), key)
    runs, _ = run_design(model, design, replications, runner, progress=progress)
    outputs = list(model.outputs)
    indices, noise, points = analyse(
        design, runs, outputs, replications, base, conf_level, num_resamples
    )
    names = [str(n) for n in problem["names"]][:-1]
    bounds = list(problem["bounds"])[:-1]
    return Sensitivity(
        method=method,
        parameters=[
            Parameter(n, float(b[0]), float(b[1])) for n, b in zip(names, bounds, strict=True)
        ],
        design=design,
        replications=replications,
        root_seed=seed,
        outputs=outputs,
        runs=runs,
        indices=indices,
        noise=noise,
        points=points,
        executor=runner.describe(),
        conf_level=conf_level,
    )


# ---------------------------------------------------------------------------
# the market
