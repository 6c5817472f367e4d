"""A comparison over a calibration's posterior: intervals that carry what is not known.

``connectsim run SCENARIO --posterior DIR`` draws ``draws`` parameter sets
from the calibration's posterior (systematic resampling by weight), sets each
in the scenario as ``--set`` would, and runs every arm ``replications`` times
at each, on the study's seeds (common random numbers across draws and arms).
For each arm against the baseline and each metric:

* the **difference** is the mean, over draws, of each draw's paired
  difference averaged over its replications;
* its **interval** is the 2.5% and 97.5% quantiles of those per-draw means:
  where the difference lies given the posterior, Monte Carlo noise included;
* its variance is split by the one-way analysis of variance: the per-draw
  means vary by ``between`` (ddof 1); ``within / R`` of that is Monte Carlo
  noise (``within``: the mean over draws of the variance between a draw's
  ``R`` replications, ddof 1), the rest the parameters. With common random
  numbers the noise of different draws is correlated, so the noise share is
  an upper bound.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator.catalog import HEADLINE_METRICS
from simulator.config.loading import load_scenario, scenario_hash
from simulator.config.scenario import Scenario
from simulator.errors import PlanError, ResultsError, ScenarioError
from simulator.experiments.calibration import BatchRunner, CalibrationModel, RunsInFinish
from simulator.experiments.design_runs import OneScenarioExperiment, SensitivityStore, runs_store
from simulator.experiments.executors import Executor
from simulator.experiments.posterior import Posterior, load_posterior
from simulator.experiments.runner import run
from simulator.experiments.store import ResultsStore

__all__ = [
    "COMPARISON_METRICS",
    "PosteriorComparison",
    "compare_over_posterior",
    "load_posterior_comparison",
    "split_variance",
]

COMPARISON_METRICS: tuple[str, ...] = (
    *HEADLINE_METRICS,
    "fill_rate",
    "new_hired_within_60_days",
)
"""The metrics compared over the posterior (overall segment)."""

POSTERIOR_SPAWN_KEY = 0x504F5354
"""Key of the comparison's own stream under its seed (``"POST"``): the posterior draws."""

ProgressCallback = Callable[[int, int], None]


def split_variance(per_run: np.ndarray) -> dict[str, float]:
    """The interval and the variance shares of a (draws x replications) array of values.

    Returns
    -------
    dict
        ``mean``, ``low`` and ``high`` (2.5% and 97.5% quantiles of the
        per-draw means), ``between`` and ``within`` variances, and
        ``parameter_share`` and ``noise_share`` (they sum to one; NaN when
        the draws do not vary).
    """
    values = np.asarray(per_run, dtype=np.float64)
    draws, replications = values.shape
    means = values.mean(axis=1)
    between = float(means.var(ddof=1)) if draws > 1 else float("nan")
    within = float(values.var(axis=1, ddof=1).mean()) if replications > 1 else float("nan")
    noise = within / replications
    if not np.isfinite(between) or between <= 0 or not np.isfinite(noise):
        noise_share = float("nan")
    else:
        noise_share = min(noise / between, 1.0)
    low, high = np.quantile(means, [0.025, 0.975])
    return {
        "mean": float(means.mean()),
        "low": float(low),
        "high": float(high),
        "between": between,
        "within": within,
        "noise_share": noise_share,
        "parameter_share": 1.0 - noise_share if np.isfinite(noise_share) else float("nan"),
    }


@dataclass(frozen=True)
class ComparisonPlan:
    """A checked comparison over a posterior."""

    scenario: Scenario
    posterior: Posterior
    posterior_dir: str
    model: CalibrationModel
    draws: pd.DataFrame
    baseline: str
    replications: int
    root_seed: int
    digest: str


def plan_comparison(
    scenario_path: str | Path,
    posterior_dir: Posterior | str | Path,
    draws: int = 20,
    replications: int = 2,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    metrics: Sequence[str] = COMPARISON_METRICS,
) -> ComparisonPlan:
    """Check the settings; draw the posterior's parameter sets.

    Raises
    ------
    ScenarioError, ResultsError
        A scenario that does not load, a directory without a posterior, a
        calibrated parameter that is not a field of the scenario, or
        ``draws`` < 2 or ``replications`` < 2 (the split needs both).
    """
    from simulator.experiments.designs import make_parameters

    if draws < 2:
        raise PlanError.about("draws", f" must be at least 2 (got {draws})")
    if replications < 2:
        raise PlanError.about(
            "replications",
            " must be at least 2 over a posterior, to tell noise from the parameters "
            f"(got {replications})",
        )
    scenario = load_scenario(scenario_path, overrides)
    posterior = (
        posterior_dir if isinstance(posterior_dir, Posterior) else load_posterior(posterior_dir)
    )
    source = str(posterior.source.parent if posterior.source else "<in memory>")
    arms = tuple(scenario.arms)
    try:
        make_parameters(scenario, {p.path: (p.low, p.high) for p in posterior.parameters}, arms)
    except ScenarioError as exc:
        raise ScenarioError(
            f"{posterior_dir}: a posterior parameter does not fit {scenario_path}: {exc}"
        ) from None
    root_seed = int(scenario.run.seed if seed is None else seed)
    rng = np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(root_seed, spawn_key=(POSTERIOR_SPAWN_KEY,)))
    )
    drawn = posterior.draws(draws, rng)
    measured = tuple((arm, m) for arm in arms for m in metrics)
    model = CalibrationModel(
        scenario.model_dump(mode="json"), posterior.parameters, (), root_seed, 0, measured
    )
    record = {
        "scenario_hash": scenario_hash(scenario),
        "posterior": hashlib.sha256(
            posterior.samples.to_numpy(dtype=np.float64).tobytes()
        ).hexdigest(),
        "weights": [float(w) for w in posterior.weights],
        "draws": draws,
        "replications": replications,
        "root_seed": root_seed,
        "metrics": list(metrics),
    }
    digest = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()
    return ComparisonPlan(
        scenario,
        posterior,
        source,
        model,
        drawn,
        scenario.baseline,
        replications,
        root_seed,
        digest,
    )


@dataclass
class PosteriorComparison:
    """A finished comparison over a posterior."""

    plan: ComparisonPlan
    differences: pd.DataFrame
    """One row per (arm, metric): mean, interval, variance shares."""
    per_draw: pd.DataFrame
    """One row per (draw, replication): the parameters and each (arm, metric) level."""
    reused: int = 0
    path: Path | None = None


def _levels(runs: Mapping[tuple[int, int], Mapping[tuple[str, str], float]]) -> pd.DataFrame:
    rows = []
    for (point, replication), values in sorted(runs.items()):
        row: dict[str, Any] = {"draw": point, "replication": replication}
        row.update({f"{o}:{m}": v for (o, m), v in values.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def differences_of(plan: ComparisonPlan, per_draw: pd.DataFrame) -> pd.DataFrame:
    """Each arm against the baseline, each metric: the paired difference's summary."""
    rows = []
    draws, replications = len(plan.draws), plan.replications
    for arm in plan.scenario.arms:
        if arm == plan.baseline:
            continue
        for metric in plan.model.metrics(arm):
            difference = (
                per_draw[f"{arm}:{metric}"] - per_draw[f"{plan.baseline}:{metric}"]
            ).to_numpy(dtype=np.float64)
            split = split_variance(difference.reshape(draws, replications))
            rows.append({"arm": arm, "baseline": plan.baseline, "metric": metric, **split})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class ComparisonRun(OneScenarioExperiment):
    """A planned comparison, ready for :func:`~simulator.experiments.runner.run`."""

    plan: ComparisonPlan
    executor: Executor
    progress: ProgressCallback | None = field(default=None, compare=False)

    kind = "posterior comparison"
    what = "comparison over a posterior"

    def same(self, record: Mapping[str, Any]) -> bool:
        return record.get("kind") == self.kind and record.get("comparison_hash") == self.plan.digest

    def record(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "comparison_hash": plan.digest,
            "scenario": plan.scenario.model_dump(mode="json"),
            "posterior_dir": plan.posterior_dir,
            "parameters": [p.describe() for p in plan.posterior.parameters],
            "draws": len(plan.draws),
            "replications": plan.replications,
            "root_seed": plan.root_seed,
        }

    def extra_packages(self) -> tuple[str, ...]:
        return ()

    def start(
        self, store: ResultsStore | None, manifest: dict[str, Any], executor: str
    ) -> ComparisonExecution:
        runs = runs_store(store, self.kind, self.plan.digest)
        return ComparisonExecution(self.plan, self.executor, runs, manifest)


class ComparisonExecution(RunsInFinish):
    """Runs every draw's replications in one batch (through :func:`drive`), then sums up."""

    def __init__(
        self,
        plan: ComparisonPlan,
        executor: Executor,
        store: SensitivityStore | None,
        manifest: dict[str, Any],
    ) -> None:
        self.plan, self.executor, self.store, self.manifest = plan, executor, store, manifest

    def finish(self) -> PosteriorComparison:
        plan = self.plan
        self.checkpoint()
        collected: dict[tuple[int, int], dict[tuple[str, str], float]] = {}
        batches = BatchRunner(
            plan.model,
            plan.replications,
            self.executor,
            self.store,
            self.manifest,
            collect=collected,
        )
        rows = plan.draws[[p.path for p in plan.posterior.parameters]].to_numpy(dtype=np.float64)
        batches(rows)
        per_draw = _levels(collected)
        differences = differences_of(plan, per_draw)
        if self.store is not None:
            self.store.write_csv("differences", differences)
            self.store.write_csv("per_draw", per_draw)
        return PosteriorComparison(plan, differences, per_draw, reused=batches.reused)


def compare_over_posterior(
    scenario_path: str | Path,
    posterior_dir: Posterior | str | Path,
    draws: int = 20,
    replications: int = 2,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    workers: int | None = None,
    executor: Executor | str | None = None,
    out: str | Path | None = None,
    overwrite: bool = False,
    command: str | None = None,
) -> PosteriorComparison:
    """Run a scenario's comparison over a calibration's posterior; see the module's docstring."""
    from simulator.experiments.executors import resolve_executor

    plan = plan_comparison(scenario_path, posterior_dir, draws, replications, seed, overrides)
    the_executor = resolve_executor(executor, workers)
    return run(ComparisonRun(plan, the_executor), None, the_executor, out, overwrite, command)


def load_posterior_comparison(path: str | Path) -> pd.DataFrame:
    """The differences of a finished comparison directory."""
    root = Path(path)
    record = ResultsStore(root).read_manifest()
    if record.get("kind") != ComparisonRun.kind:
        raise ResultsError(f"{root}: not a comparison over a posterior")
    return pd.read_csv(root / "summary" / "differences.csv")
