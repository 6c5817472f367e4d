"""Global sensitivity analysis: which scenario parameters drive the headline metrics.

A sensitivity analysis varies chosen numeric fields of a scenario over ranges
(``PATH=LOW:HIGH``, the paths of ``--set``), runs the market at every point of
a SALib design, and apportions each output's variation among the parameters:

* **Sobol'** (``method="sobol"``): first-order ``S1`` (the share of the
  output's variance a parameter explains alone) and total ``ST`` (its share
  including every interaction), from Saltelli's estimators on a scrambled
  Sobol' design of ``samples * (D + 2)`` points (``D`` parameters, the dummy
  included), with bootstrap confidence intervals.
* **Morris** (``method="morris"``): ``mu_star``, the mean absolute elementary
  effect (the change of the output when one parameter moves, divided by the
  step as a fraction of its range: so in the output's units, per whole range),
  with a bootstrap interval; ``sigma``, their standard deviation (non-linearity
  and interactions); and ``mu``, their signed mean (the direction), from
  ``samples`` trajectories of ``D + 1`` points.

The model is stochastic, so every point runs ``replications`` times and the
indices are computed on the mean over replications. Replication ``r`` of every
point uses the study seeds ``SeedSequence(root_seed, spawn_key=(r,))``, as
:func:`~simulator.experiments.study.run_study` does: common random numbers across points,
so that two points differ by their parameters, not by their luck. A
``"dummy"`` parameter, sampled like the others but applied to nothing, shows
what an inert parameter looks like (with common random numbers its indices
are exactly zero: a point that differs from another only by the dummy *is*
that point, and runs once).

The machinery is generic: :func:`make_design`, :func:`run_design` and
:func:`analyse` (composed by :func:`estimate`) work for any picklable
:class:`Model`; :class:`MarketModel` is the market's, and :func:`sensitivity`
runs it with a results directory that a rerun resumes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator.catalog import HEADLINE_METRICS, METRIC_DESCRIPTIONS
from simulator.config.loading import (
    load_scenario,
    scenario_from_record,
    scenario_hash,
    scenario_with_values,
)
from simulator.config.scenario import Scenario
from simulator.engine.rng import replication_seed
from simulator.errors import PlanError, ResultsError, ScenarioError, did_you_mean
from simulator.experiments.design_runs import (
    DesignExecution,
    Model,
    OneScenarioExperiment,
    Output,
    ProgressCallback,
    SensitivityStore,
    run_design,
    runs_store,
    same_design,
)
from simulator.experiments.designs import (
    BOOTSTRAP_INDICES_STREAM,
    BOOTSTRAP_NOISE_STREAM,
    DEFAULT_SAMPLES,
    DUMMY,
    METHODS,
    MORRIS_LEVELS,
    SAMPLING_STREAM,
    Design,
    FloatArray,
    Method,
    Parameter,
    analysis_seed,
    child_seed,
    format_number,
    make_design,
    make_parameters,
    parse_param,
    problem_of,
)
from simulator.experiments.executors import Executor
from simulator.experiments.indices import Sensitivity, analyse, estimate, noise_share
from simulator.experiments.runner import run
from simulator.experiments.store import (
    ResultsStore,
    read_parquet_checked,
)
from simulator.experiments.study import check_count

# the building blocks (designs, runs of a model, indices) are importable from here, as
# they were before they got modules of their own
__all__ = [
    "DEFAULT_SAMPLES",
    "DUMMY",
    "METHODS",
    "MORRIS_LEVELS",
    "SENSITIVITY_METRICS",
    "Design",
    "MarketModel",
    "Method",
    "Model",
    "Output",
    "Parameter",
    "Plan",
    "ProgressCallback",
    "Sensitivity",
    "SensitivityRun",
    "SensitivityStore",
    "analyse",
    "check_metrics",
    "default_arm",
    "estimate",
    "execute",
    "format_number",
    "load_sensitivity",
    "make_design",
    "make_parameters",
    "manifest",
    "noise_share",
    "parse_param",
    "plan",
    "problem_of",
    "run_design",
    "sensitivity",
]

SENSITIVITY_METRICS: tuple[str, ...] = (*HEADLINE_METRICS, "fill_rate")
"""The metrics analysed, overall segment: the headline metrics and the fill rate."""


@dataclass(frozen=True)
class MarketModel:
    """The market as a :class:`Model`: the scenario with a point's parameters, arm by arm.

    A call runs replication ``r`` of ``arm`` (and of ``baseline``, if any) at
    the scenario with the point's values set, and returns each metric's
    overall value for each arm and, paired, their difference.
    """

    data: dict[str, Any]
    """The resolved scenario, as plain data."""
    parameters: tuple[Parameter, ...]
    arm: str
    baseline: str | None
    root_seed: int
    metrics: tuple[str, ...] = SENSITIVITY_METRICS
    outputs: tuple[Output, ...] = field(init=False)

    def __post_init__(self) -> None:
        names = [self.arm]
        if self.baseline is not None:
            names += [self.difference, self.baseline]
        outputs = tuple((name, m) for name in names for m in self.metrics)
        object.__setattr__(self, "outputs", outputs)

    @property
    def difference(self) -> str:
        """The name of the paired-difference output, ``"ARM - BASELINE"``."""
        return f"{self.arm} - {self.baseline}"

    @property
    def arms(self) -> tuple[str, ...]:
        """The arms a call runs."""
        return (self.arm,) if self.baseline is None else (self.arm, self.baseline)

    def applied(self, x: FloatArray) -> tuple[float | int, ...]:
        """The parameters' values as set in the scenario (the dummy is not one of them)."""
        return tuple(p.value(float(v)) for p, v in zip(self.parameters, x, strict=False))

    def scenario_at(self, x: FloatArray) -> Scenario:
        """The scenario with the point's values set (``--set`` machinery)."""
        paths = [p.path for p in self.parameters]
        return scenario_with_values(self.data, list(zip(paths, self.applied(x), strict=True)))

    def __call__(self, point: int, x: FloatArray, replication: int) -> dict[Output, float]:
        """Run the arms at ``x``; return every output of :attr:`outputs`."""
        from simulator.engine.market import run_replication  # the engine loads in the worker

        scenario = self.scenario_at(x)
        level: dict[str, dict[str, float]] = {}
        for arm in self.arms:
            frame = run_replication(scenario, arm, replication, self.root_seed).metrics
            overall = frame[frame["segment_kind"] == "overall"]
            values = dict(zip(overall["metric"], overall["value"], strict=True))
            level[arm] = {m: float(values.get(m, float("nan"))) for m in self.metrics}
        found: dict[Output, float] = {(self.arm, m): v for m, v in level[self.arm].items()}
        if self.baseline is not None:
            for m in self.metrics:
                found[(self.difference, m)] = level[self.arm][m] - level[self.baseline][m]
                found[(self.baseline, m)] = level[self.baseline][m]
        return found


@dataclass(frozen=True)
class Plan:
    """A checked market analysis, ready to run: :func:`plan` then :func:`execute`."""

    scenario: Scenario
    model: MarketModel
    design: Design
    replications: int
    root_seed: int
    design_hash: str
    conf_level: float = 0.95
    num_resamples: int = 1000

    @property
    def runs(self) -> int:
        """(point, replication) runs in all, each running every arm of the model."""
        return self.design.n_points * self.replications

    def describe(self) -> str:
        """The analysis in words: its method, arms, parameters and size."""
        model, design = self.model, self.design
        paired = f" paired with {model.baseline}" if model.baseline is not None else ""
        return (
            f"{design.method} sensitivity of {model.arm}{paired}, {len(model.parameters)} "
            f"parameters + dummy, {len(design.points)} design rows ({design.n_points} "
            f"distinct points) x {self.replications} replications"
        )

    def command(self, scenario_file: str | Path, out: str | Path, overrides: Sequence[str]) -> str:
        """The ``connectsim sensitivity`` command that runs this analysis again into ``out``."""
        model, design = self.model, self.design
        words = ["connectsim", "sensitivity", str(scenario_file)]
        for parameter in model.parameters:
            words += ["--param", parameter.describe()]
        words += ["--method", design.method, "--samples", str(design.samples)]
        words += ["--replications", str(self.replications), "--seed", str(self.root_seed)]
        words += ["--out", str(out), "--arm", model.arm]
        if model.baseline is None and model.arm != self.scenario.baseline:
            words.append("--arm-only")
        if model.metrics != SENSITIVITY_METRICS:
            for name in model.metrics:
                words += ["--metric", name]
        for text in overrides:
            words += ["--set", text]
        return shlex.join(words)


def _design_hash(scenario: Scenario, model: MarketModel, design: Design, root_seed: int) -> str:
    what = {
        "scenario_hash": scenario_hash(scenario),
        "root_seed": root_seed,
        "method": design.method,
        "samples": design.samples,
        "num_levels": design.num_levels,
        "parameters": [dataclasses.asdict(p) for p in model.parameters],
        "arms": list(model.arms),
        "metrics": list(model.metrics),
        # the points themselves: another SALib version sampling otherwise must
        # not reuse runs made at other points
        "rows": hashlib.sha256(np.ascontiguousarray(design.rows).tobytes()).hexdigest(),
    }
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:16]


def check_metrics(metrics: Sequence[str] | None) -> tuple[str, ...]:
    """The metrics an analysis asks about (default :data:`SENSITIVITY_METRICS`), checked.

    Raises
    ------
    ScenarioError
        For a name that is not a metric, naming the option and the known metrics.
    """
    if not metrics:
        return SENSITIVITY_METRICS
    unknown = [m for m in metrics if m not in METRIC_DESCRIPTIONS]
    if unknown:
        # the names are dozens: the one meant, else where they are listed
        hint = did_you_mean(unknown[0], METRIC_DESCRIPTIONS) or (
            " (e.g. fill_rate, proposals_per_job; every name is a row of a study's "
            "summary/levels.csv)"
        )
        raise PlanError.about("metrics", f" {unknown[0]!r}: not a metric{hint}")
    return tuple(dict.fromkeys(metrics))


def default_arm(scenario: Scenario, paths: Sequence[str] = ()) -> str:
    """The arm an analysis of ``paths`` studies when none is named: one they vary.

    The first arm other than the baseline that a path reaches (a path of the
    world or the run reaches every arm); else the baseline, when the paths vary
    its fields only: an arm they leave alone would give indices of exactly
    zero (with common random numbers it is the same at every point), and its
    difference from the baseline has the baseline's indices, so the baseline
    alone says it all, in half the runs.
    """
    touched = set()
    for path in paths:
        parts = path.split(".")
        if parts[0] == "arms" and len(parts) > 1 and parts[1] != "*":
            touched.add(parts[1])
        else:  # the world, the run, or every arm's field: it reaches every arm
            touched |= set(scenario.arms)
    others = [a for a in scenario.arms if a != scenario.baseline]
    for arm in others:
        if arm in touched:
            return arm
    if scenario.baseline in touched:
        return scenario.baseline
    return others[0] if others else scenario.baseline


def _paths(params: Mapping[str, tuple[float, float]] | Sequence[str]) -> list[str]:
    if isinstance(params, Mapping):
        return [str(path) for path in params]
    return [parse_param(text)[0] for text in params]


def plan(
    scenario_or_path: Scenario | str | Path,
    params: Mapping[str, tuple[float, float]] | Sequence[str],
    method: Method = "sobol",
    samples: int | None = None,
    replications: int = 2,
    seed: int | None = None,
    arm: str | None = None,
    paired: bool = True,
    overrides: Sequence[str] = (),
    conf_level: float = 0.95,
    num_resamples: int = 1000,
    metrics: Sequence[str] | None = None,
) -> Plan:
    """Check a market analysis and sample its design, running nothing and writing nothing.

    See :func:`sensitivity` for the parameters.

    Raises
    ------
    ScenarioError
        For a bad scenario, parameter or arm, or a point of the design at
        which the scenario is invalid.
    ValueError
        For an unknown method, a bad sample size or fewer than 1 replication.
    """
    scenario = (
        scenario_or_path
        if isinstance(scenario_or_path, Scenario)
        else load_scenario(scenario_or_path, overrides)
    )
    if method not in METHODS:
        raise PlanError(
            "{method} must be sobol or morris (got {got!r}){hint}",
            got=method,
            hint=did_you_mean(str(method), METHODS),
        )
    check_count("replications", replications, 1)
    outputs = check_metrics(metrics)
    chosen = default_arm(scenario, _paths(params)) if arm is None else arm
    if chosen not in scenario.arms:
        raise PlanError.about(
            "arm",
            f" {chosen!r}: not an arm of {scenario.name} (arms: {', '.join(scenario.arms)})"
            f"{did_you_mean(chosen, scenario.arms)}",
        )
    baseline = scenario.baseline if paired and chosen != scenario.baseline else None
    arms = (chosen,) if baseline is None else (chosen, baseline)
    parameters = make_parameters(scenario, params, arms)
    root_seed = scenario.run.seed if seed is None else seed
    model = MarketModel(
        scenario.model_dump(mode="json"), tuple(parameters), chosen, baseline, root_seed, outputs
    )
    n = DEFAULT_SAMPLES[method] if samples is None else samples
    design = make_design(
        problem_of(parameters),
        method,
        n,
        child_seed(analysis_seed(root_seed), SAMPLING_STREAM),
        key=model.applied,
    )
    # every distinct point is checked here, so that a combination of values the
    # scenario refuses is reported before anything is written or run
    for row in design.first_rows():
        try:
            model.scenario_at(design.rows[row])
        except ScenarioError as exc:
            raise PlanError.about("params", f": the scenario is invalid at {exc}") from None
    return Plan(
        scenario,
        model,
        design,
        replications,
        root_seed,
        _design_hash(scenario, model, design, root_seed),
        conf_level,
        num_resamples,
    )


def manifest(the_plan: Plan) -> dict[str, Any]:
    """What a sensitivity directory records of its analysis: the design, its hash, the
    parameters and the seeds of every random choice (the runner adds the provenance)."""
    model, design, root = the_plan.model, the_plan.design, the_plan.root_seed
    base = analysis_seed(root)
    return {
        "kind": "sensitivity",
        "scenario": the_plan.scenario.model_dump(mode="json"),
        # not "scenario_hash": a study of the same scenario and seed would take this
        # directory for its own and resume into it
        "base_scenario_hash": scenario_hash(the_plan.scenario),
        "design_hash": the_plan.design_hash,
        "root_seed": root,
        "method": design.method,
        "samples": design.samples,
        "num_levels": design.num_levels if design.method == "morris" else None,
        "design_rows": len(design.points),
        "distinct_points": design.n_points,
        "replications": the_plan.replications,
        "parameters": [dataclasses.asdict(p) for p in model.parameters],
        "dummy": {"name": DUMMY, "low": 0.0, "high": 1.0},
        "arm": model.arm,
        "baseline": model.baseline,
        "outputs": list(dict.fromkeys(o for o, _ in model.outputs)),
        "metrics": list(model.metrics),
        "conf_level": the_plan.conf_level,
        "num_resamples": the_plan.num_resamples,
        "seeds": {
            "sampling": {"entropy": root, "spawn_key": [*base.spawn_key, SAMPLING_STREAM]},
            "bootstrap_indices": {
                "entropy": root,
                "spawn_key": [*base.spawn_key, BOOTSTRAP_INDICES_STREAM, "<output index>"],
            },
            "bootstrap_noise": {
                "entropy": root,
                "spawn_key": [*base.spawn_key, BOOTSTRAP_NOISE_STREAM, "<output index>"],
            },
            "replications": [
                {
                    "replication": r,
                    "entropy": root,
                    "spawn_key": list(replication_seed(root, r).spawn_key),
                }
                for r in range(the_plan.replications)
            ],
        },
    }


def execute(
    the_plan: Plan,
    workers: int | None = None,
    executor: Executor | str | None = None,
    out: str | Path | None = None,
    progress: ProgressCallback | None = None,
    overwrite: bool = False,
    command: str | None = None,
) -> Sensitivity:
    """Run a planned market analysis; see :func:`sensitivity` (``command``: the
    command line that made it, recorded in the manifest)."""
    return run(SensitivityRun(the_plan, progress), workers, executor, out, overwrite, command)


@dataclass(frozen=True)
class SensitivityRun(OneScenarioExperiment):
    """A planned market analysis, ready for :func:`~simulator.experiments.runner.run`."""

    plan: Plan
    progress: ProgressCallback | None = field(default=None, compare=False)

    kind = "sensitivity"
    what = "sensitivity analysis"

    def same(self, record: Mapping[str, Any]) -> bool:
        """Whether a manifest is this analysis' design (to be resumed)."""
        return same_design(record, self.plan.design_hash)

    def record(self) -> dict[str, Any]:
        """The design, its hash, the parameters, the seeds of every random choice."""
        return manifest(self.plan)

    def extra_packages(self) -> tuple[str, ...]:
        """SALib, which samples the design and estimates the indices."""
        return ("SALib",)

    def start(
        self, store: ResultsStore | None, manifest: dict[str, Any], executor: str
    ) -> MarketExecution:
        """Begin: the runs go to ``store``'s ``runs/`` folder."""
        runs = runs_store(store, "sensitivity", self.plan.design_hash)
        return MarketExecution(self.plan, runs, self.progress, manifest, executor)


class MarketExecution(DesignExecution):
    """A market analysis while it runs: the design's runs, then the indices."""

    def __init__(
        self,
        plan: Plan,
        store: SensitivityStore | None,
        progress: ProgressCallback | None,
        manifest: dict[str, Any],
        executor: str,
    ) -> None:
        super().__init__(plan.model, plan.design, plan.replications, store, progress, manifest)
        self.plan = plan
        self.executor = executor

    def finish(self) -> Sensitivity:  # type: ignore[override]
        """The indices of every output, written to the store's summaries."""
        runs, reused = super().finish()
        the_plan, model, store = self.plan, self.plan.model, self.store
        outputs = list(model.outputs)
        indices, noise, points = analyse(
            the_plan.design,
            runs,
            outputs,
            the_plan.replications,
            analysis_seed(the_plan.root_seed),
            the_plan.conf_level,
            the_plan.num_resamples,
        )
        result = Sensitivity(
            method=the_plan.design.method,
            parameters=list(model.parameters),
            design=the_plan.design,
            replications=the_plan.replications,
            root_seed=the_plan.root_seed,
            outputs=outputs,
            runs=runs,
            indices=indices,
            noise=noise,
            points=points,
            scenario=the_plan.scenario,
            arm=model.arm,
            baseline=model.baseline,
            path=store.root if store is not None else None,
            reused=reused,
            executor=self.executor,
            conf_level=the_plan.conf_level,
        )
        if store is not None:
            store.write_frame("indices", indices)
            store.write_frame("noise", noise)
            store.write_frame("design", result.design_frame())
            store.write_frame("points", points)
            store.write_frame("runs", runs)
        return result


def sensitivity(
    scenario_or_path: Scenario | str | Path,
    params: Mapping[str, tuple[float, float]] | Sequence[str],
    method: Method = "sobol",
    samples: int | None = None,
    replications: int = 2,
    seed: int | None = None,
    workers: int | None = None,
    executor: Executor | str | None = None,
    out: str | Path | None = None,
    progress: ProgressCallback | None = None,
    arm: str | None = None,
    paired: bool = True,
    overwrite: bool = False,
    overrides: Sequence[str] = (),
    conf_level: float = 0.95,
    num_resamples: int = 1000,
    metrics: Sequence[str] | None = None,
) -> Sensitivity:
    """Global sensitivity analysis of a scenario's headline metrics.

    Every point of a SALib design is the scenario with the point's values
    set, as ``--set`` would (integer fields stay integers); each distinct
    point runs ``replications`` times (replication ``r`` seeded as in a
    study, so common random numbers across points), and the indices are
    computed on each point's mean over replications.

    Parameters
    ----------
    scenario_or_path
        A :class:`~simulator.config.scenario.Scenario` or a scenario file.
    params
        ``{"world.jobs.ghost_share": (0.0, 0.3), ...}`` or
        ``["world.jobs.ghost_share=0.0:0.3", ...]``: numeric fields and their
        ranges (sampled uniformly). A ``"dummy"`` in [0, 1] that changes
        nothing is always added.
    method
        ``"sobol"``: S1 and ST with bootstrap intervals; ``"morris"``:
        mu_star (with its interval), sigma and mu.
    samples
        Sobol' base samples N, a power of 2 (``N * (D + 2)`` design rows for
        D parameters, dummy included); or Morris trajectories
        (``N * (D + 1)`` rows). Default :data:`DEFAULT_SAMPLES`.
    replications
        Runs per distinct point (2 or more for a noise share).
    seed
        Root seed (default the scenario's ``run.seed``): replication ``r``
        uses ``SeedSequence(seed, spawn_key=(r,))`` at every point, SALib's
        sampling and the bootstraps ``SeedSequence(seed,
        spawn_key=(SENSITIVITY_SPAWN_KEY, ...))``.
    workers, executor
        Where the runs go, as for :func:`~simulator.experiments.study.run_study`: every
        (point, replication) run goes through one executor.
    out
        A directory for the results: ``manifest.json``, ``runs/`` (one
        Parquet file per run, written atomically; a rerun of the same
        analysis reuses them, so an interrupted analysis resumes) and
        ``summary/`` (``indices.csv``, ``noise.csv``, ``design.csv``,
        ``points.csv``, ``runs.parquet``). ``None`` keeps everything in memory.
    progress
        Called as ``progress(done, total)`` after reused runs and each run.
    arm
        The arm analysed (default: one whose fields the parameters vary; see
        :func:`default_arm`).
    paired
        Also run the baseline at every point and analyse its levels and the
        paired difference ``arm - baseline`` (twice the runs; what a policy
        team asks: what drives the *gap* between policies).
    overwrite
        Replace another analysis found in ``out``.
    overrides
        ``--set`` texts applied to a scenario file before anything else.
    conf_level, num_resamples
        The bootstrap intervals.
    metrics
        The metrics analysed, overall segment (default
        :data:`SENSITIVITY_METRICS`: the headline metrics and the fill rate).

    Returns
    -------
    Sensitivity
        Outputs named after the arm (its levels), ``"ARM - BASELINE"`` and
        the baseline, for each of ``metrics``.

    Notes
    -----
    The noise share of an output (:attr:`Sensitivity.noise`) is how much of
    the variance the indices apportion is Monte Carlo noise: ``within / R``
    over ``between``, where ``within`` is the mean over design rows of the
    variance between a row's R replications (``ddof=1``) and ``between`` the
    variance of the rows' means (``ddof=1``). ``within / R`` is the variance
    of a mean of R *independent* replications; with common random numbers
    the noise of different points is positively correlated and disturbs
    their differences less, so the share is an upper bound on the noise's
    part. Indices whose size is below the noise share are not established.
    """
    the_plan = plan(
        scenario_or_path,
        params,
        method,
        samples,
        replications,
        seed,
        arm,
        paired,
        overrides,
        conf_level,
        num_resamples,
        metrics,
    )
    return execute(the_plan, workers, executor, out, progress, overwrite)


# ---------------------------------------------------------------------------
# reading a finished analysis

SUMMARY_FILES: tuple[str, ...] = ("indices.csv", "noise.csv", "points.csv", "runs.parquet")
"""The summaries :func:`load_sensitivity` reads, in ``DIR/summary/``."""


def _read_summary(root: Path, name: str) -> pd.DataFrame:
    path = root / "summary" / name
    if not path.is_file():
        raise ResultsError(
            f"{root}: summary/{name} is missing; run the same command again to write it"
        )
    if name.endswith(".parquet"):
        return read_parquet_checked(path, root)
    try:
        return pd.read_csv(path)
    except (ValueError, OSError) as exc:  # a parser error is a ValueError
        raise ResultsError(f"{root}: summary/{name} cannot be read ({exc})") from None


def load_sensitivity(path: str | Path) -> Sensitivity:
    """Open a finished sensitivity directory, from its manifest and its summaries.

    The design is sampled again from what the manifest records (scenario,
    parameters, method, samples, root seed) and must give the design hash it
    recorded: summaries of another design, or a design SALib now samples
    otherwise, are refused rather than shown under the wrong points.

    Raises
    ------
    ResultsError
        When ``path`` is not a sensitivity directory (no manifest, or the
        manifest of a study or a sweep), the analysis is not finished (the
        message says how many runs are present), the manifest cannot be read,
        the design cannot be made again, or a summary file is missing or
        unreadable.
    """
    root = Path(path)
    store = SensitivityStore(root)
    record = store.read_manifest()
    kind = record.get("kind", "study")
    if kind != "sensitivity":
        raise ResultsError(f"{root}: holds a {kind}, not a sensitivity analysis")
    if not record.get("finished"):
        total = record.get("distinct_points", "?")
        if isinstance(total, int) and isinstance(record.get("replications"), int):
            total *= record["replications"]
        raise ResultsError(
            f"{root}: the sensitivity analysis is not finished: {len(store.parts)} of {total} "
            "runs (points x replications) are present; run the same command again to resume it"
        )
    try:
        scenario = scenario_from_record(record["scenario"], f"{root}/manifest.json")
        parameters = tuple(
            Parameter(str(p["path"]), float(p["low"]), float(p["high"]), bool(p["integer"]))
            for p in record["parameters"]
        )
        if record["method"] not in METHODS:
            raise ValueError(f"unknown method {record['method']!r}")
        method: Method = "sobol" if record["method"] == "sobol" else "morris"
        root_seed = int(record["root_seed"])
        replications = int(record["replications"])
        baseline = None if record["baseline"] is None else str(record["baseline"])
        model = MarketModel(
            scenario.model_dump(mode="json"),
            parameters,
            str(record["arm"]),
            baseline,
            root_seed,
            tuple(str(m) for m in record["metrics"]),
        )
        design = make_design(
            problem_of(parameters),
            method,
            int(record["samples"]),
            child_seed(analysis_seed(root_seed), SAMPLING_STREAM),
            key=model.applied,
            num_levels=int(record.get("num_levels") or MORRIS_LEVELS),
        )
        conf_level = float(record.get("conf_level", 0.95))
    except (KeyError, TypeError, ValueError) as exc:  # ValidationError is a ValueError
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ResultsError(f"{root}: the manifest cannot be read: {reason[:160]}") from None
    if _design_hash(scenario, model, design, root_seed) != record.get("design_hash"):
        raise ResultsError(
            f"{root}: the design sampled again from the manifest is not the one the analysis "
            "ran (another version of SALib or connectsim?); run it again with --overwrite"
        )
    indices, noise, points, runs = (_read_summary(root, name) for name in SUMMARY_FILES)
    # an empty note reads back as NaN, which is truthy: the report would print "nan"
    noise["note"] = ["" if pd.isna(note) else str(note) for note in noise["note"]]
    return Sensitivity(
        method=method,
        parameters=list(parameters),
        design=design,
        replications=replications,
        root_seed=root_seed,
        outputs=list(model.outputs),
        runs=runs,
        indices=indices,
        noise=noise,
        points=points,
        scenario=scenario,
        arm=model.arm,
        baseline=model.baseline,
        path=root,
        executor=str(record.get("executor", "")),
        conf_level=conf_level,
    )
