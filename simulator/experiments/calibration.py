"""Calibration to published figures: a posterior over uncertain parameters by ABC-SMC.

A calibration takes a scenario, a targets file (:mod:`simulator.config.targets`:
published figures with their uncertainty, each compared with one arm) and
numeric fields to calibrate with their prior ranges (``PATH=LOW:HIGH``, the
paths of ``--set``, sampled uniformly). It finds which values of those fields
make the model reproduce the targets, with pyabc's ABC-SMC:

* **Likelihood.** A target's uncertainty is read as a measurement error: a
  figure with a standard error is normal around the model's value with that
  error; a range ``low``-``high`` is read as a 95% interval (its standard
  error ``(high - low) / 4``); a bound (``at_most``, ``at_least``) costs
  nothing when met and, when not, counts a violation of
  :data:`BOUND_SOFTNESS` of the bound as one standard error. pyabc's
  stochastic acceptor with a temperature schedule then samples the exact
  posterior under that error model at its last generation (Wilkinson 2013,
  "Approximate Bayesian computation gives exact results under the assumption
  of model error"), instead of an ABC posterior whose width depends on a
  tolerance.
* **Runs.** A particle is the scenario with its values set, as ``--set``
  would; its summary is each target's metric (overall segment, the target's
  arm) averaged over ``replications`` runs seeded as a study's replications:
  common random numbers across particles, so that two particles differ by
  their parameters, not their luck. The runs go through the one runner
  (:func:`~simulator.experiments.runner.drive`) on any executor and into the
  results directory's ``runs/``, so an interrupted calibration resumes.
* **Batches.** pyabc asks for one particle at a time; the sampler here
  answers in batches. It records the particles pyabc would propose next (the
  proposals are drawn from NumPy's global generator, which pyabc uses, seeded
  from the calibration's seed at each generation), runs them all at once on
  the executor, then replays the same draws with the results in hand. The
  result is the same, byte for byte, whatever the executor and however many
  workers, and a resumed calibration meets its stored runs in the same order.
* **Afterwards.** The posterior's predictive runs (draws of the posterior, on
  fresh seeds) give the fit table: each target against the model's
  predictive interval. Identification compares each parameter's posterior
  spread with its prior's: a parameter the targets do not constrain keeps
  its prior's spread and is reported as unidentified.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import tempfile
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator.config.loading import (
    apply_override,
    load_scenario,
    scenario_from_dict,
    scenario_from_record,
    scenario_hash,
    scenario_with_values,
)
from simulator.config.scenario import Scenario
from simulator.config.targets import Target, TargetsFile, load_targets
from simulator.errors import PlanError, ResultsError, ScenarioError, did_you_mean
from simulator.experiments.design_runs import OneScenarioExperiment, SensitivityStore, runs_store
from simulator.experiments.designs import FloatArray, Parameter, make_parameters
from simulator.experiments.executors import Executor
from simulator.experiments.posterior import Posterior, load_posterior, write_posterior
from simulator.experiments.runner import ABSENT, STORED, Task, drive, run
from simulator.experiments.store import ResultsStore

__all__ = [
    "BOUND_SOFTNESS",
    "Calibration",
    "CalibrationModel",
    "TargetSpec",
    "calibrate",
    "identification",
    "load_calibration",
    "plan_calibration",
    "records",
]

CALIBRATION_SPAWN_KEY = 0x43414C49
"""Key of the calibration's own streams under its seed (``"CALI"``): pyabc's
proposals, and the posterior draws of the predictive runs."""

PREDICTIVE_REPLICATION_OFFSET = 1_000_000
"""Predictive runs use replications from here on: seeds the calibration never used."""

PREDICTIVE_FIRST_POINT = 10_000_000
"""Predictive runs are stored as points from here on, apart from the particles'."""

BOUND_SOFTNESS = 0.1
"""A bound's violation of this share of the bound counts as one standard error."""

IDENTIFIED_BELOW = 0.5
"""A parameter whose posterior standard deviation is below this share of its prior's
is identified by the targets."""

UNIDENTIFIED_ABOVE = 0.8
"""At or above this share it is unidentified: the targets leave it near its prior
(a uniform prior's spread; a posterior of N particles estimates it within a few
tenths of a percent of N)."""

INTERVAL = (0.05, 0.95)
"""The posterior and predictive intervals: 90%."""


# ---------------------------------------------------------------------------
# targets as the error model


@dataclass(frozen=True)
class TargetSpec:
    """A target as the calibration uses it: what to compare, with which error."""

    name: str
    metric: str
    arm: str
    kind: str
    value: float
    scale: float
    """The standard error of a value target; a bound's softness scale."""
    low: float | None = None
    high: float | None = None

    @classmethod
    def of(cls, target: Target) -> TargetSpec:
        """The spec of a loaded target (its uncertainty turned into a scale)."""
        if target.kind != "value":
            scale = max(abs(target.value) * BOUND_SOFTNESS, 1e-12)
        elif target.standard_error is not None:
            scale = float(target.standard_error)
        else:
            assert target.low is not None and target.high is not None
            # a range read as a 95% interval of a normal error: 2 standard errors a side
            scale = (target.high - target.low) / 4.0
        return cls(
            target.name,
            target.metric,
            target.arm,
            target.kind,
            float(target.value),
            scale,
            target.low,
            target.high,
        )

    def log_density(self, simulated: float) -> float:
        """The error model's log density at a simulated value, up to a constant."""
        if not math.isfinite(simulated):
            return -math.inf
        if self.kind == "value":
            gap = simulated - self.value
        elif self.kind == "at_most":
            gap = max(0.0, simulated - self.value)
        else:
            gap = max(0.0, self.value - simulated)
        return -0.5 * (gap / self.scale) ** 2

    def met(self, simulated: float) -> bool:
        """Whether a bound holds at a value (a value target: within its 95% interval)."""
        if self.kind == "at_most":
            return simulated <= self.value
        if self.kind == "at_least":
            return simulated >= self.value
        return abs(simulated - self.value) <= 2.0 * self.scale

    def describe(self) -> str:
        """The figure as the fit table shows it."""
        if self.kind == "at_most":
            return f"at most {self.value:g}"
        if self.kind == "at_least":
            return f"at least {self.value:g}"
        if self.low is not None and self.high is not None:
            return f"{self.value:g} ({self.low:g} to {self.high:g})"
        return f"{self.value:g} (SE {self.scale:g})"


# ---------------------------------------------------------------------------
# the model a particle runs


def _arm_metrics(
    scenario: Scenario, arm: str, replication: int, root_seed: int, metrics: tuple[str, ...]
) -> dict[str, float]:
    from simulator.engine.market import run_replication  # the engine loads in the worker

    frame = run_replication(scenario, arm, replication, root_seed, segments=False).metrics
    overall = frame[frame["segment_kind"] == "overall"]
    values = dict(zip(overall["metric"], overall["value"], strict=True))
    return {m: float(values.get(m, float("nan"))) for m in metrics}


@dataclass(frozen=True)
class CalibrationModel:
    """The market at a particle's values: every target's arm and metric, one replication."""

    data: dict[str, Any]
    """The resolved scenario (``--set`` applied), as plain data."""
    parameters: tuple[Parameter, ...]
    targets: tuple[TargetSpec, ...]
    root_seed: int
    replication_offset: int = 0
    """Added to a run's replication to pick its seeds (the predictive runs' fresh ones)."""
    measured: tuple[tuple[str, str], ...] = ()
    """(arm, metric) pairs measured besides the targets' (a comparison's)."""

    def _pairs(self) -> list[tuple[str, str]]:
        return [(t.arm, t.metric) for t in self.targets] + list(self.measured)

    @property
    def arms(self) -> tuple[str, ...]:
        """The arms a run measures, the targets' first, in order."""
        return tuple(dict.fromkeys(arm for arm, _ in self._pairs()))

    def metrics(self, arm: str) -> tuple[str, ...]:
        """The metrics a run reads from ``arm``."""
        return tuple(dict.fromkeys(m for a, m in self._pairs() if a == arm))

    def applied(self, x: FloatArray) -> tuple[float | int, ...]:
        """The values set in the scenario (integer fields as integers)."""
        return tuple(p.value(float(v)) for p, v in zip(self.parameters, x, strict=True))

    def scenario_at(self, x: FloatArray) -> Scenario:
        """The scenario with a particle's values set (``--set`` machinery)."""
        paths = [p.path for p in self.parameters]
        return scenario_with_values(self.data, list(zip(paths, self.applied(x), strict=True)))

    def __call__(self, point: int, x: FloatArray, replication: int) -> dict[tuple[str, str], float]:
        """One replication of every target arm at ``x``: ``{(arm, metric): value}``, and the
        values themselves as ``("parameter", path)`` (so a stored run can be checked
        against the particle it is reused for)."""
        scenario = self.scenario_at(x)
        found: dict[tuple[str, str], float] = {
            ("parameter", p.path): float(v) for p, v in zip(self.parameters, x, strict=True)
        }
        for arm in self.arms:
            metrics = _arm_metrics(
                scenario,
                arm,
                replication + self.replication_offset,
                self.root_seed,
                self.metrics(arm),
            )
            found.update({(arm, m): v for m, v in metrics.items()})
        return found

    def summary(self, runs: Sequence[Mapping[tuple[str, str], float]]) -> dict[str, float]:
        """Each target's metric, averaged over a particle's replications (in order)."""
        return {
            t.name: float(np.mean([run[(t.arm, t.metric)] for run in runs])) for t in self.targets
        }

    def log_density(self, summary: Mapping[str, float]) -> float:
        """The targets' joint log density at a particle's summary."""
        return float(sum(t.log_density(summary[t.name]) for t in self.targets))


def _evaluate(
    model: CalibrationModel, point: int, x: FloatArray, replication: int
) -> tuple[int, int, dict[tuple[str, str], float]]:
    """One run of a particle (module level, so executors can pickle it by reference)."""
    return point, replication, model(point, x, replication)


# ---------------------------------------------------------------------------
# the plan


@dataclass(frozen=True)
class CalibrationPlan:
    """A checked calibration, ready to run."""

    scenario: Scenario
    scenario_path: str
    targets_file: TargetsFile | None
    """The targets as loaded (None for a calibration read back from its directory)."""
    targets_path: str
    model: CalibrationModel
    replications: int
    population_size: int
    generations: int
    predictive_draws: int
    root_seed: int
    overrides: tuple[str, ...]
    calibration_hash: str

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        """The calibrated parameters."""
        return self.model.parameters


def plan_calibration(
    scenario_path: str | Path,
    targets_path: str | Path,
    params: Sequence[str] | Mapping[str, tuple[float, float]],
    replications: int = 2,
    population_size: int = 100,
    generations: int = 8,
    predictive_draws: int = 40,
    seed: int | None = None,
    overrides: Sequence[str] = (),
) -> CalibrationPlan:
    """Check a calibration's settings against its scenario and targets.

    Raises
    ------
    ScenarioError
        A scenario or targets file that does not load, a target naming an arm
        the scenario lacks, a malformed or empty ``PATH=LOW:HIGH``, a path
        that is not a numeric field, or settings out of range.
    """
    for name, value, least in (
        ("replications", replications, 1),
        ("population_size", population_size, 10),
        ("generations", generations, 2),
        ("predictive_draws", predictive_draws, 2),
    ):
        if value < least:
            raise PlanError.about(name, f" must be at least {least} (got {value})")
    scenario = load_scenario(scenario_path, overrides)
    targets_file, _ = load_targets(targets_path)
    for target in targets_file.targets:
        if target.arm not in scenario.arms:
            raise ScenarioError(
                f"{targets_path}: targets[{target.name}].arm: {target.arm!r} is not an arm of "
                f"{scenario_path}{did_you_mean(target.arm, scenario.arms)}"
            )
    specs = tuple(TargetSpec.of(t) for t in targets_file.targets)
    arms = tuple(dict.fromkeys(t.arm for t in specs))
    if not params:
        raise ScenarioError("a calibration needs at least one --param PATH=LOW:HIGH")
    parameters = tuple(make_parameters(scenario, params, arms))
    root_seed = int(scenario.run.seed if seed is None else seed)
    data = scenario.model_dump(mode="json")
    model = CalibrationModel(data, parameters, specs, root_seed)
    record = {
        "scenario_hash": scenario_hash(scenario),
        "targets": [dataclass_record(t) for t in specs],
        "parameters": [p.describe() for p in parameters],
        "root_seed": root_seed,
        "population_size": population_size,
        "generations": generations,
        "replications": replications,
    }
    digest = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()
    return CalibrationPlan(
        scenario,
        str(scenario_path),
        targets_file,
        str(targets_path),
        model,
        replications,
        population_size,
        generations,
        predictive_draws,
        root_seed,
        tuple(overrides),
        digest,
    )


def dataclass_record(spec: TargetSpec) -> dict[str, Any]:
    """A target spec as JSON data."""
    return {
        "name": spec.name,
        "metric": spec.metric,
        "arm": spec.arm,
        "kind": spec.kind,
        "value": spec.value,
        "scale": spec.scale,
        "low": spec.low,
        "high": spec.high,
    }


# ---------------------------------------------------------------------------
# running batches of particles through the one runner


class ParticleBatch:
    """One batch of particles while it runs: each point ``replications`` times."""

    def __init__(
        self,
        model: CalibrationModel,
        rows: FloatArray,
        first_point: int,
        replications: int,
        store: SensitivityStore | None,
        manifest: dict[str, Any] | None,
    ) -> None:
        self.model = model
        self.rows = rows
        self.first_point = first_point
        self.replications = replications
        self.store = store
        self.manifest = manifest
        self.runs: dict[tuple[int, int], dict[tuple[str, str], float]] = {}
        self.reused = 0
        self.done = False

    def next_round(self) -> list[Task] | None:
        """Every (particle, replication), once."""
        if self.done:
            return None
        self.done = True
        return [
            Task(
                (self.first_point + i, r),
                _evaluate,
                (self.model, self.first_point + i, self.rows[i], r),
            )
            for i in range(len(self.rows))
            for r in range(self.replications)
        ]

    def verify(self, task: Task) -> str:
        """Whether the run is stored, vouched for, and made at this particle's values."""
        assert self.store is not None
        verdict = self.store.verify_run(*task.key)
        if verdict != STORED:
            return verdict
        values = self._read(*task.key)
        x = self.rows[task.key[0] - self.first_point]
        stored = [values.get(("parameter", p.path)) for p in self.model.parameters]
        if stored != [float(v) for v in x]:
            self.store.run_file(*task.key).unlink(missing_ok=True)
            return f"run {task.key} was made at other parameter values"
        self.runs[task.key] = values
        return STORED

    def _read(self, point: int, replication: int) -> dict[tuple[str, str], float]:
        assert self.store is not None
        frame = self.store.read_run(point, replication)
        return {
            (str(o), str(m)): float(v)
            for o, m, v in zip(frame["output"], frame["metric"], frame["value"], strict=True)
        }

    def reuse(self, task: Task) -> None:
        """A stored run was read in :meth:`verify`."""
        self.reused += 1

    def checkpoint(self) -> None:
        """Record the runs that verified before the rest run."""
        if self.store is not None and self.manifest is not None:
            self.store.write_manifest_soon(self.manifest)

    def keep(self, task: Task, outcome: Any) -> None:
        """Store a finished run and keep its values."""
        point, replication, values = outcome
        if self.store is not None:
            self.store.write_run(point, replication, values)
        self.runs[(point, replication)] = values

    def finish(self) -> list[dict[str, float]]:
        """Each particle's summary, in the batch's order."""
        return [
            self.model.summary(
                [self.runs[(self.first_point + i, r)] for r in range(self.replications)]
            )
            for i in range(len(self.rows))
        ]


ProgressCallback = Callable[[str], None]
"""Called with a one-line account of each generation as it ends."""


@dataclass
class BatchRunner:
    """Runs batches of particles on an open executor, numbering points as they come."""

    model: CalibrationModel
    replications: int
    executor: Executor
    store: SensitivityStore | None
    manifest: dict[str, Any] | None
    next_point: int = 0
    runs: int = 0
    reused: int = 0
    collect: dict[tuple[int, int], dict[tuple[str, str], float]] | None = None
    """When a dict, every run's values are kept in it, by (point, replication)."""

    def __call__(self, rows: FloatArray) -> list[dict[str, float]]:
        """Run every particle of ``rows``; return their summaries in order."""
        if len(rows) == 0:
            return []
        batch = ParticleBatch(
            self.model, rows, self.next_point, self.replications, self.store, self.manifest
        )
        summaries = drive(batch, self.executor, self.store, "run")
        self.next_point += len(rows)
        self.runs += len(rows) * self.replications
        self.reused += batch.reused
        if self.collect is not None:
            self.collect.update(batch.runs)
        return summaries


def _generation_state(root_seed: int, generation: int) -> dict[str, Any]:
    """The state pyabc's draws start from in one generation: a Mersenne Twister on a
    stream spawned from the calibration's seed (pyabc draws from NumPy's legacy global
    generator, which can only be given a state)."""
    stream = np.random.SeedSequence(root_seed, spawn_key=(CALIBRATION_SPAWN_KEY, 0, generation))
    state: dict[str, Any] = np.random.RandomState(np.random.MT19937(stream)).get_state(legacy=False)
    return state


class _Recorder:
    """pyabc's model: in recording mode it notes the values asked for and answers with the
    targets themselves; in replay mode it answers from the batch's results."""

    def __init__(self, keys: tuple[str, ...], observed: dict[str, float]) -> None:
        self.keys = keys
        self.observed = observed
        self.recording = False
        self.asked: list[tuple[float, ...]] = []
        self.known: dict[tuple[float, ...], dict[str, float]] = {}
        self.missing: list[tuple[float, ...]] = []

    def __call__(self, parameters: Mapping[str, float]) -> dict[str, float]:
        x = tuple(float(parameters[k]) for k in self.keys)
        if self.recording:
            self.asked.append(x)
            return dict(self.observed)
        if x not in self.known:
            # the replay drew otherwise than the recording: a particle to run on its own
            self.missing.append(x)
            return dict(self.observed)
        return self.known[x]


def _make_sampler(
    recorder: _Recorder,
    batches: BatchRunner,
    root_seed: int,
    progress: ProgressCallback | None,
) -> Any:
    """A pyabc sampler that evaluates particles in batches through ``batches``."""
    from pyabc.sampler import Sampler

    class BatchSampler(Sampler):  # type: ignore[misc]
        """Record a batch of proposals, run them at once, replay them with results."""

        def __init__(self) -> None:
            super().__init__()
            self.generations: list[dict[str, Any]] = []

        def sample_until_n_accepted(
            self,
            n: int,
            simulate_one: Callable[[], Any],
            t: int,
            *,
            max_eval: float = np.inf,
            all_accepted: bool = False,
            ana_vars: Any = None,
        ) -> Any:
            # pyabc draws from NumPy's legacy global generator: giving it a state spawned
            # from the calibration's seed makes each generation's draws reproducible (t is
            # -1 for the prior's sample); calibrate() restores the caller's state after
            np.random.set_state(_generation_state(root_seed, t + 1))  # noqa: NPY002
            sample = self._create_empty_sample()
            evaluated = accepted = 0
            last = self.generations[-1]["acceptance"] if self.generations else 1.0
            while accepted < n and evaluated < max_eval:
                # enough proposals to finish at the acceptance rate seen so far (this
                # generation's, else the last one's), and never a small batch: each batch
                # waits for its slowest run
                rate = accepted / evaluated if evaluated else last
                wanted = math.ceil((n - accepted) / max(rate, 0.05))
                size = int(min(max(wanted, n // 2, 1), 4 * n))
                state = np.random.get_state()  # noqa: NPY002
                recorder.recording, recorder.asked = True, []
                for _ in range(size):
                    simulate_one()
                rows = np.array(recorder.asked, dtype=np.float64)
                for x, summary in zip(recorder.asked, batches(rows), strict=True):
                    recorder.known[x] = summary
                np.random.set_state(state)  # noqa: NPY002
                recorder.recording = False
                for _ in range(size):
                    particle = simulate_one()
                    if recorder.missing:
                        raise RuntimeError("pyabc's replay drew other proposals than its recording")
                    sample.append(particle)
                    evaluated += 1
                    if particle.accepted:
                        accepted += 1
                        if accepted >= n:
                            break
            recorder.known.clear()
            self.nr_evaluations_ = evaluated
            if accepted < n:
                sample.ok = False
            self.generations.append(
                {
                    "generation": t,
                    "accepted": accepted,
                    "evaluated": evaluated,
                    "acceptance": accepted / max(evaluated, 1),
                }
            )
            if progress is not None:
                name = "prior sample" if t < 0 else f"generation {t + 1}"
                progress(f"{name}: {accepted} accepted of {evaluated} evaluated")
            return sample

    return BatchSampler()


# ---------------------------------------------------------------------------
# the result


@dataclass
class Calibration:
    """A finished calibration."""

    plan: CalibrationPlan
    posterior: Posterior
    generations: pd.DataFrame
    """One row per generation: temperature, accepted, evaluated."""
    predictive: pd.DataFrame
    """One row per predictive draw: the parameters and every target's simulated value."""
    fit: pd.DataFrame
    identification: pd.DataFrame
    runs: int = 0
    reused: int = 0
    path: Path | None = None
    calibrated_scenario: Path | None = field(default=None)

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        """The calibrated parameters."""
        return self.plan.parameters


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as dictionaries keyed by column name."""
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def identification(posterior: Posterior) -> pd.DataFrame:
    """Which parameters the targets pin down: posterior spread against the prior's.

    A uniform prior on ``[low, high]`` has standard deviation ``(high - low) /
    sqrt(12)``. The ratio of the posterior's weighted standard deviation to
    it is below :data:`IDENTIFIED_BELOW` for an identified parameter, and at
    or above :data:`UNIDENTIFIED_ABOVE` for one the targets leave at its prior.
    """
    rows = []
    quantiles = posterior.quantiles([INTERVAL[0], 0.5, INTERVAL[1]]).to_numpy(dtype=np.float64)
    mean = posterior.mean()
    for column, p in enumerate(posterior.parameters):
        low, median, high = quantiles[:, column]
        values = posterior.samples[p.path].to_numpy(dtype=np.float64)
        spread = math.sqrt(float(posterior.weights @ (values - mean[p.path]) ** 2))
        prior_spread = (p.high - p.low) / math.sqrt(12.0)
        ratio = spread / prior_spread
        if ratio < IDENTIFIED_BELOW:
            verdict = "identified"
        elif ratio < UNIDENTIFIED_ABOVE:
            verdict = "weakly identified"
        else:
            verdict = "unidentified (stays near its prior)"
        rows.append(
            {
                "parameter": p.path,
                "prior_low": p.low,
                "prior_high": p.high,
                "posterior_mean": float(mean[p.path]),
                "posterior_median": float(median),
                "posterior_low": float(low),
                "posterior_high": float(high),
                "sd_ratio_to_prior": ratio,
                "verdict": verdict,
            }
        )
    return pd.DataFrame(rows)


def fit_table(targets: Sequence[TargetSpec], predictive: pd.DataFrame) -> pd.DataFrame:
    """Each target against the posterior predictive: median, 90% interval, inside or not.

    A value target is inside when its figure lies in the predictive 90%
    interval; a bound, when the predictive median meets it. ``share_met`` is
    the share of predictive draws that meet a bound (for a value target, that
    fall within its own 95% interval).
    """
    rows = []
    for t in targets:
        values = predictive[t.name].to_numpy(dtype=np.float64)
        low, median, high = np.quantile(values, [INTERVAL[0], 0.5, INTERVAL[1]])
        inside = bool(low <= t.value <= high) if t.kind == "value" else t.met(float(median))
        rows.append(
            {
                "target": t.name,
                "arm": t.arm,
                "metric": t.metric,
                "figure": t.describe(),
                "predictive_median": float(median),
                "predictive_low": float(low),
                "predictive_high": float(high),
                "inside": inside,
                "share_met": float(np.mean([t.met(float(v)) for v in values])),
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------
# the experiment


def same_calibration(record: Mapping[str, Any], digest: str) -> bool:
    """Whether a manifest is this calibration's (to be resumed)."""
    return record.get("kind") == "calibration" and record.get("calibration_hash") == digest


@dataclass(frozen=True)
class CalibrationRun(OneScenarioExperiment):
    """A planned calibration, ready for :func:`~simulator.experiments.runner.run`."""

    plan: CalibrationPlan
    executor: Executor
    """The executor :func:`run` is given too: pyabc's batches run on it."""
    progress: ProgressCallback | None = field(default=None, compare=False)

    kind = "calibration"
    what = "calibration"

    def same(self, record: Mapping[str, Any]) -> bool:
        """Whether a manifest is this calibration's."""
        return same_calibration(record, self.plan.calibration_hash)

    def record(self) -> dict[str, Any]:
        """What identifies the calibration, and everything needed to read it back."""
        plan = self.plan
        return {
            "calibration_hash": plan.calibration_hash,
            "scenario": plan.scenario.model_dump(mode="json"),
            "scenario_path": plan.scenario_path,
            "targets_file": plan.targets_path,
            "targets": [dataclass_record(t) for t in plan.model.targets],
            "parameters": [
                {"path": p.path, "low": p.low, "high": p.high, "integer": p.integer}
                for p in plan.parameters
            ],
            "root_seed": plan.root_seed,
            "replications": plan.replications,
            "population_size": plan.population_size,
            "generations": plan.generations,
            "predictive_draws": plan.predictive_draws,
            "overrides": list(plan.overrides),
        }

    def extra_packages(self) -> tuple[str, ...]:
        """pyabc, which runs the ABC-SMC."""
        return ("pyabc",)

    def start(
        self, store: ResultsStore | None, manifest: dict[str, Any], executor: str
    ) -> CalibrationExecution:
        """Begin: runs go to ``store``'s ``runs/``."""
        runs = runs_store(store, "calibration", self.plan.calibration_hash)
        return CalibrationExecution(self.plan, self.executor, runs, manifest, self.progress)


class RunsInFinish:
    """An execution whose runs all happen in ``finish()``, in batches through
    :func:`~simulator.experiments.runner.drive` on the same executor and store
    (:class:`BatchRunner`): the runner's own rounds are empty.

    A calibration's batches are decided by pyabc as it goes, and a comparison over a
    posterior runs its draws as one such batch.
    """

    store: SensitivityStore | None
    manifest: dict[str, Any]

    def next_round(self) -> None:
        """No round of the runner's own."""
        return None

    def verify(self, task: Task) -> str:  # pragma: no cover - no tasks of its own
        return ABSENT

    def checkpoint(self) -> None:
        """Write the manifest."""
        if self.store is not None:
            self.store.write_manifest(self.manifest)

    def reuse(self, task: Task) -> None:  # pragma: no cover - no tasks of its own
        return None

    def keep(self, task: Task, outcome: Any) -> None:  # pragma: no cover
        return None


class CalibrationExecution(RunsInFinish):
    """A calibration while it runs: pyabc's generations in its one round, then the
    predictive runs, then the summaries."""

    def __init__(
        self,
        plan: CalibrationPlan,
        executor: Executor,
        store: SensitivityStore | None,
        manifest: dict[str, Any],
        progress: ProgressCallback | None,
    ) -> None:
        self.plan = plan
        self.executor = executor
        self.store = store
        self.manifest = manifest
        self.progress = progress

    def finish(self) -> Calibration:
        """Run the ABC-SMC and the predictive runs; write the summaries."""
        self.checkpoint()
        result = _run_abc(self.plan, self.executor, self.store, self.manifest, self.progress)
        if self.store is not None:
            write_calibration(result, self.store)
        return result


def _run_abc(
    plan: CalibrationPlan,
    executor: Executor,
    store: SensitivityStore | None,
    manifest: dict[str, Any],
    progress: ProgressCallback | None,
) -> Calibration:
    """pyabc's ABC-SMC with batched particles, then the predictive runs and summaries."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pyabc
    # pyabc reports each generation on its own loggers; the calibration reports its own
    for name in ("ABC", "pyabc"):
        logging.getLogger(name).setLevel(logging.ERROR)
    model = plan.model
    keys = tuple(f"p{i}" for i in range(len(plan.parameters)))
    observed = {t.name: t.value for t in model.targets}
    recorder = _Recorder(keys, observed)
    batches = BatchRunner(model, plan.replications, executor, store, manifest)
    sampler = _make_sampler(recorder, batches, plan.root_seed, progress)

    class TargetKernel(pyabc.distance.StochasticKernel):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__(ret_scale=pyabc.distance.SCALE_LOG, keys=list(observed), pdf_max=0.0)

        def __call__(
            self, x: dict[str, float], x_0: dict[str, float], t: Any = None, par: Any = None
        ) -> float:
            return model.log_density(x)

    prior = pyabc.Distribution(
        **{
            key: pyabc.RV("uniform", p.low, p.high - p.low)
            for key, p in zip(keys, plan.parameters, strict=True)
        }
    )
    abc = pyabc.ABCSMC(
        recorder,
        prior,
        TargetKernel(),
        population_size=plan.population_size,
        sampler=sampler,
        eps=pyabc.Temperature(),
        acceptor=pyabc.StochasticAcceptor(),
    )
    with tempfile.TemporaryDirectory(prefix="connectsim-abc-") as scratch:
        abc.new("sqlite:///" + str(Path(scratch) / "abc.db"), observed)
        # pyabc's global generator is set per generation from the calibration's streams;
        # the caller's global state is given back afterwards
        outside = np.random.get_state()  # noqa: NPY002
        try:
            history = abc.run(max_nr_populations=plan.generations)
        finally:
            np.random.set_state(outside)  # noqa: NPY002
        frame, weights = history.get_distribution(m=0, t=history.max_t)
        populations = history.get_all_populations()
    samples = pd.DataFrame(
        {
            p.path: frame[key].to_numpy(dtype=np.float64)
            for key, p in zip(keys, plan.parameters, strict=True)
        }
    )
    posterior = Posterior(
        plan.parameters, samples, np.asarray(weights, dtype=np.float64) / np.sum(weights)
    )
    generations = pd.DataFrame(sampler.generations)
    temperatures = populations[populations["t"] >= 0][["t", "epsilon"]].rename(
        columns={"t": "generation", "epsilon": "temperature"}
    )
    generations = generations.merge(temperatures, on="generation", how="left")

    # the predictive: posterior draws on seeds the calibration never used
    rng = np.random.Generator(
        np.random.PCG64(
            np.random.SeedSequence(plan.root_seed, spawn_key=(CALIBRATION_SPAWN_KEY, 1))
        )
    )
    draws = posterior.draws(plan.predictive_draws, rng)
    predictive_model = CalibrationModel(
        model.data, model.parameters, model.targets, plan.root_seed, PREDICTIVE_REPLICATION_OFFSET
    )
    rows = draws[[p.path for p in plan.parameters]].to_numpy(dtype=np.float64)
    predictive_batches = BatchRunner(
        predictive_model, plan.replications, executor, store, manifest, PREDICTIVE_FIRST_POINT
    )
    summaries = predictive_batches(rows)
    predictive = pd.concat([draws, pd.DataFrame(summaries)], axis=1)
    fit = fit_table(model.targets, predictive)
    identified = identification(posterior)
    return Calibration(
        plan,
        posterior,
        generations,
        predictive,
        fit,
        identified,
        runs=batches.runs + predictive_batches.runs,
        reused=batches.reused + predictive_batches.reused,
    )


# ---------------------------------------------------------------------------
# writing and reading a calibration directory

SUMMARY_FILES: tuple[str, ...] = (
    "generations.csv",
    "predictive.csv",
    "fit.csv",
    "identification.csv",
)
"""The summaries a calibration writes to ``DIR/summary/``; :func:`load_calibration` reads them."""

CALIBRATED_FILE = "calibrated.yaml"


def _nested(values: Mapping[str, Any]) -> dict[str, Any]:
    """``{"a.b.c": v}`` as ``{"a": {"b": {"c": v}}}``."""
    tree: dict[str, Any] = {}
    for path, value in values.items():
        node = tree
        *parents, last = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return tree


def calibrated_scenario_text(result: Calibration, root: Path) -> str:
    """A scenario file that extends the calibrated one with the posterior medians set."""
    import os

    import yaml

    plan = result.plan
    medians = result.posterior.quantiles([0.5]).iloc[0]
    values: dict[str, Any] = {}
    for p in plan.parameters:
        value = p.value(float(medians[p.path]))
        values[p.path] = value if p.integer else float(f"{value:.6g}")
    base = os.path.relpath(Path(plan.scenario_path).resolve(), root.resolve())
    body: dict[str, Any] = {
        "schema_version": plan.scenario.schema_version,
        "extends": Path(base).as_posix(),
        "name": f"{plan.scenario.name}_calibrated",
        **_nested(values),
    }
    lines = [
        "# Written by connectsim calibrate: the scenario with each calibrated parameter at",
        "# its posterior median. posterior.parquet beside this file holds the whole",
        "# posterior (run it with connectsim run SCENARIO --posterior DIR); summary/fit.csv",
        "# says how well it meets the targets, summary/identification.csv which",
        "# parameters the targets pin down (an unidentified one is at its prior's middle).",
        f"# Targets: {plan.targets_path} ({len(plan.model.targets)} target(s)).",
    ]
    if plan.overrides:
        lines.append("# Calibrated with --set " + " --set ".join(plan.overrides) + ";")
        lines.append("# those are not set here: add them to run the calibration's own world.")
    return "\n".join(lines) + "\n" + yaml.safe_dump(body, sort_keys=False)


def write_calibration(result: Calibration, store: ResultsStore) -> None:
    """Write the posterior, the summaries and the calibrated scenario (each atomically)."""
    from simulator.experiments.store import write_text_atomic

    root = store.root
    write_posterior(
        root,
        result.parameters,
        result.posterior.samples,
        result.posterior.weights,
        {"calibration_hash": result.plan.calibration_hash},
    )
    store.write_csv("generations", result.generations)
    store.write_csv("predictive", result.predictive)
    store.write_csv("fit", result.fit)
    store.write_csv("identification", result.identification)
    target = root / CALIBRATED_FILE
    write_text_atomic(target, calibrated_scenario_text(result, root))
    result.calibrated_scenario = target


def load_calibration(path: str | Path) -> Calibration:
    """Read a finished calibration directory back.

    Raises
    ------
    ResultsError
        When it is not a finished calibration, or a summary is missing.
    """
    root = Path(path)
    store = ResultsStore(root)
    record = store.read_manifest()
    if record.get("kind") != "calibration":
        raise ResultsError(f"{root}: not a calibration (its manifest says {record.get('kind')!r})")
    if not record.get("finished"):
        raise ResultsError(f"{root}: the calibration did not finish; run it again to resume")
    summaries = {}
    for name in SUMMARY_FILES:
        file = root / "summary" / name
        if not file.is_file():
            raise ResultsError(f"{root}: summary/{name} is missing")
        summaries[name] = pd.read_csv(file)
    scenario = scenario_from_record(record["scenario"], f"{root}/manifest.json")
    specs = tuple(TargetSpec(**t) for t in record["targets"])
    parameters = tuple(
        Parameter(p["path"], float(p["low"]), float(p["high"]), bool(p["integer"]))
        for p in record["parameters"]
    )
    targets_path = str(record["targets_file"])
    model = CalibrationModel(
        scenario.model_dump(mode="json"), parameters, specs, int(record["root_seed"])
    )
    plan = CalibrationPlan(
        scenario,
        str(record.get("scenario_path", "")),
        None,
        targets_path,
        model,
        int(record["replications"]),
        int(record["population_size"]),
        int(record["generations"]),
        int(record["predictive_draws"]),
        int(record["root_seed"]),
        tuple(record.get("overrides", ())),
        str(record["calibration_hash"]),
    )
    return Calibration(
        plan,
        load_posterior(root),
        summaries["generations.csv"],
        summaries["predictive.csv"],
        summaries["fit.csv"],
        summaries["identification.csv"],
        path=root,
        calibrated_scenario=root / CALIBRATED_FILE,
    )


def calibrate(
    scenario_path: str | Path,
    targets_path: str | Path,
    params: Sequence[str] | Mapping[str, tuple[float, float]],
    replications: int = 2,
    population_size: int = 100,
    generations: int = 8,
    predictive_draws: int = 40,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    workers: int | None = None,
    executor: Executor | str | None = None,
    out: str | Path | None = None,
    overwrite: bool = False,
    progress: ProgressCallback | None = None,
    command: str | None = None,
) -> Calibration:
    """Calibrate a scenario's parameters to a targets file; see the module's docstring.

    Parameters
    ----------
    scenario_path, targets_path
        The scenario (``overrides`` applied) and the targets it is compared with.
    params
        ``["PATH=LOW:HIGH", ...]``: the calibrated fields and their uniform priors.
    replications
        Runs per particle, averaged (replication ``r`` seeded as a study's).
    population_size, generations
        pyabc's particles per generation, and generations (the last at
        temperature 1: the posterior).
    predictive_draws
        Posterior draws run again on fresh seeds for the fit table.
    seed
        Root seed (default the scenario's ``run.seed``).
    workers, executor, out, overwrite, command
        As for a study: where runs go, the results directory (resumed when it
        holds this calibration), replacing another, the command recorded.

    Returns
    -------
    Calibration
    """
    from simulator.experiments.executors import resolve_executor

    plan = plan_calibration(
        scenario_path,
        targets_path,
        params,
        replications,
        population_size,
        generations,
        predictive_draws,
        seed,
        overrides,
    )
    the_executor = resolve_executor(executor, workers)
    return run(
        CalibrationRun(plan, the_executor, progress), None, the_executor, out, overwrite, command
    )


def synthetic_targets(
    scenario_path: str | Path,
    truth: Mapping[str, float],
    measured: Sequence[tuple[str, str]],
    replications: int,
    calibration_replications: int,
    seed: int,
    overrides: Sequence[str] = (),
) -> dict[str, Any]:
    """A targets file made by the model itself at known parameter values: a recovery check.

    Each ``(arm, metric)`` of ``measured`` is averaged over ``replications``
    runs at ``truth`` on seed ``seed`` (not the calibration's), and given as
    its standard error the Monte Carlo error of that mean and of the
    calibration's own mean over ``calibration_replications`` runs, which the
    error model must carry for the posterior's intervals to be honest.

    Returns
    -------
    dict
        The file's content (``yaml.safe_dump`` it beside a scenario); its
        ``scenario`` is ``scenario_path`` made absolute.
    """
    scenario = load_scenario(scenario_path, overrides)
    data = scenario.model_dump(mode="json")
    for path, value in truth.items():
        data = apply_override(data, path.split("."), value, f"{path}={value}")
    at_truth = scenario_from_dict(data, "truth")
    metrics_of: dict[str, tuple[str, ...]] = {}
    for arm, metric in measured:
        metrics_of[arm] = (*metrics_of.get(arm, ()), metric)
    values: dict[tuple[str, str], list[float]] = {m: [] for m in measured}
    for arm, metrics in metrics_of.items():
        for r in range(replications):
            found = _arm_metrics(at_truth, arm, r, seed, metrics)
            for metric in metrics:
                values[(arm, metric)].append(found[metric])
    targets = []
    for arm, metric in measured:
        runs = np.asarray(values[(arm, metric)], dtype=np.float64)
        spread = float(runs.std(ddof=1)) if len(runs) > 1 else 0.0
        error = spread * math.sqrt(1.0 / replications + 1.0 / calibration_replications)
        targets.append(
            {
                "name": f"{arm}_{metric}",
                "metric": metric,
                "arm": arm,
                "regime": "synthetic: the model itself at known parameters",
                "value": float(runs.mean()),
                "standard_error": max(error, 1e-9 + 1e-6 * abs(float(runs.mean()))),
                "source": {
                    "citation": "connectsim, synthetic_targets",
                    "locator": ", ".join(f"{p}={v}" for p, v in truth.items()),
                    "quote": f"the mean of {replications} runs at seed {seed}",
                },
            }
        )
    return {
        "schema_version": 1,
        "scenario": str(Path(scenario_path).resolve()),
        "targets": targets,
    }
