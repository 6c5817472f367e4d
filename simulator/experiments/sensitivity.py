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
import math
import shlex
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel

from simulator.catalog import HEADLINE_METRICS, METRIC_DESCRIPTIONS
from simulator.config.loading import (
    apply_override,
    load_scenario,
    scenario_from_dict,
    scenario_hash,
)
from simulator.config.scenario import Scenario
from simulator.engine.rng import replication_seed
from simulator.errors import PlanError, ResultsError, ScenarioError
from simulator.experiments.executors import Executor, resolve_executor
from simulator.experiments.runner import ABSENT, STORED, Task, drive, run
from simulator.experiments.store import (
    ResultsStore,
    atomic_path,
    check_writable,
    parquet_identity,
    read_parquet_checked,
    reads_whole,
    sha256_file,
    write_parquet_atomic,
)
from simulator.experiments.study import check_count

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Method = Literal["sobol", "morris"]
Output = tuple[str, str]
"""An output of a model: (output, metric), e.g. ``("free - paid", "proposals_per_job")``."""

METHODS: tuple[Method, ...] = ("sobol", "morris")

DUMMY = "dummy"
"""The parameter every analysis adds: sampled in [0, 1] like the others, applied to nothing."""

SENSITIVITY_METRICS: tuple[str, ...] = (*HEADLINE_METRICS, "fill_rate")
"""The metrics analysed, overall segment: the headline metrics and the fill rate."""

DEFAULT_SAMPLES: dict[Method, int] = {"sobol": 64, "morris": 10}
"""Sobol' base samples N (a power of 2), or Morris trajectories, when none is given."""

MORRIS_LEVELS = 4
"""Grid levels of the Morris design (SALib's default; its step is 2/3 of a range)."""

SENSITIVITY_SPAWN_KEY = 0x53454E53
"""First spawn-key word of the analysis' own seeds (``"SENS"``).

Replication ``r`` uses ``spawn_key=(r,)`` and its streams ``(r, i)``; no study
has 1.4 billion replications, so ``(SENSITIVITY_SPAWN_KEY, j, ...)`` never
collides with them.
"""

_SAMPLING, _BOOTSTRAP_INDICES, _BOOTSTRAP_NOISE = 0, 1, 2

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(done, total)`` each time a (point, replication) run finishes."""


class Model(Protocol):
    """A stochastic model evaluated at the points of a design.

    It must be picklable (a module-level class or function) for executors
    other than the in-process one.
    """

    @property
    def outputs(self) -> tuple[Output, ...]:
        """The (output, metric) pairs a call returns, in the order results are shown."""
        ...

    def __call__(self, point: int, x: FloatArray, replication: int) -> Mapping[Output, float]:
        """The outputs at parameter values ``x`` (SALib's row) for one replication.

        ``point`` identifies the distinct point (the same for every
        replication of it), for models that draw their own noise.
        """
        ...


# ---------------------------------------------------------------------------
# parameters


@dataclass(frozen=True)
class Parameter:
    """A scenario field varied over a range."""

    path: str
    """Dotted path, as for ``--set`` (``arms.paid.price_usd_per_connect``)."""
    low: float
    high: float
    integer: bool = False
    """An integer field: sampled uniformly among LOW, LOW + 1, ..., HIGH."""

    def value(self, x: float) -> float | int:
        """The field's value for SALib's sample ``x`` in [low, high].

        An integer field maps [low, high] onto HIGH - LOW + 1 equal slices,
        one per integer, so that every integer is equally likely (rounding
        would give the two end values half the chance of the others).
        """
        if not self.integer:
            return float(x)
        span = int(self.high - self.low)
        share = (x - self.low) / (self.high - self.low)
        return int(self.low) + min(math.floor(share * (span + 1)), span)

    def describe(self) -> str:
        """``PATH=LOW:HIGH``, as given on the command line."""
        return f"{self.path}={format_number(self.low)}:{format_number(self.high)}"


def format_number(value: float) -> str:
    """A bound as given on the command line: ``3`` for a whole number, else its repr."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def parse_param(text: str) -> tuple[str, float, float]:
    """Split ``PATH=LOW:HIGH`` into its path and bounds.

    Raises
    ------
    ScenarioError
        When the text is not of that form or the bounds are not finite numbers
        with LOW < HIGH.
    """
    example = "e.g. world.jobs.ghost_share=0.0:0.3"
    path, eq, bounds = text.partition("=")
    path = path.strip()
    low_text, colon, high_text = bounds.partition(":")
    if not eq or not colon or not path:
        raise PlanError.about("params", f" {text!r}: expected PATH=LOW:HIGH, {example}")
    if any(not part for part in path.split(".")):
        raise PlanError.about("params", f" {text!r}: the path {path!r} has an empty part")
    try:
        low, high = float(low_text), float(high_text)
    except ValueError:
        raise PlanError.about(
            "params",
            f" {text!r}: LOW and HIGH must be numbers (got {low_text!r} and {high_text!r})",
        ) from None
    if not (math.isfinite(low) and math.isfinite(high)) or not low < high:
        raise PlanError.about(
            "params", f" {text!r}: needs finite LOW < HIGH (got {low} and {high})"
        )
    return path, low, high


def _numeric_kind(annotation: Any) -> str | None:
    """``"int"``, ``"float"`` or ``None`` for a field's type (Optional, Annotated unwrapped)."""
    if annotation is bool:
        return None
    if annotation in (int, float):
        return "int" if annotation is int else "float"
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _numeric_kind(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        kinds = {_numeric_kind(a) for a in typing.get_args(annotation) if a is not type(None)}
        return kinds.pop() if len(kinds) == 1 else None
    return None


def _field_kind(scenario: Scenario, path: str, text: str) -> str:
    """Whether the field at ``path`` holds an integer or a float; refuse anything else."""
    parts = path.split(".")
    node: Any = scenario
    annotation: Any = None
    for depth, part in enumerate(parts):
        where = ".".join(parts[: depth + 1])
        if isinstance(node, BaseModel):
            fields = type(node).model_fields
            if part not in fields:
                known = ", ".join(fields)
                raise PlanError.about(
                    "params", f" {text!r}: {where} is not a field (fields: {known})"
                )
            annotation = fields[part].annotation
            node = getattr(node, part)
        elif isinstance(node, dict):
            if part not in node:
                known = ", ".join(map(str, node))
                raise PlanError.about(
                    "params", f" {text!r}: {where} is not in the scenario ({known})"
                )
            annotation = None
            node = node[part]
        else:
            raise PlanError.about(
                "params",
                f" {text!r}: {'.'.join(parts[:depth])} is a value ({node!r}), "
                "not a section with fields",
            )
    if isinstance(node, bool):
        kind = None
    elif isinstance(node, int):
        kind = "int"
    elif isinstance(node, float):
        kind = "float"
    elif node is None:  # an optional field left unset: its type says what it holds
        kind = _numeric_kind(annotation)
    else:
        kind = None
    if kind is None:
        raise PlanError.about(
            "params",
            f" {text!r}: {path} is not a number (it holds {node!r}); "
            "only numeric fields can be varied",
        )
    return kind


_INERT_PATHS = {
    "run.seed": "the seed is the analysis' --seed, the same at every point",
    "run.replications": "the analysis' --replications sets how many replications run",
}


def make_parameters(
    scenario: Scenario,
    params: Mapping[str, tuple[float, float]] | Sequence[str],
    arms: Sequence[str],
) -> list[Parameter]:
    """Check the parameters of an analysis against its scenario.

    Parameters
    ----------
    scenario
        The scenario whose fields are varied.
    params
        ``{path: (low, high)}`` or ``["PATH=LOW:HIGH", ...]``.
    arms
        The arms the analysis runs: a field of another arm would change nothing.

    Returns
    -------
    list of Parameter
        In the order given; integer fields flagged.

    Raises
    ------
    ScenarioError
        For a malformed text, an unknown or non-numeric field, a field of an
        arm not run, a repeated path, bounds not whole numbers for an integer
        field, or a bound at which the scenario is invalid.
    """
    if isinstance(params, Mapping):
        parsed = [
            (str(path), float(low), float(high), f"{path}={low}:{high}")
            for path, (low, high) in params.items()
        ]
        for _path, low, high, text in parsed:
            if not (math.isfinite(low) and math.isfinite(high)) or not low < high:
                raise PlanError.about("params", f" {text!r}: needs finite LOW < HIGH")
    else:
        parsed = [(*parse_param(text), text) for text in params]
    if not parsed:
        raise ScenarioError("a sensitivity analysis needs at least one --param PATH=LOW:HIGH")
    seen: set[str] = set()
    found = []
    base = scenario.model_dump(mode="json")
    for path, low, high, text in parsed:
        if path in seen:
            raise PlanError.about("params", f" {text!r}: {path} is given twice")
        seen.add(path)
        if path == DUMMY:
            raise PlanError.about("params", f" {text!r}: {DUMMY!r} is the analysis' own dummy")
        if path in _INERT_PATHS:
            raise PlanError.about(
                "params", f" {text!r}: {path} cannot be varied: {_INERT_PATHS[path]}"
            )
        parts = path.split(".")
        if (
            parts[0] == "arms"
            and len(parts) > 1
            and parts[1] in scenario.arms
            and parts[1] not in arms
        ):
            raise PlanError.about(
                "params",
                f" {text!r}: arm {parts[1]!r} is not run by this analysis "
                f"(it runs {', '.join(repr(a) for a in arms)}), so {path} would change nothing",
            )
        integer = _field_kind(scenario, path, text) == "int"
        if integer and not (low.is_integer() and high.is_integer()):
            raise PlanError.about(
                "params",
                f" {text!r}: {path} is an integer field: LOW and HIGH must be whole numbers",
            )
        parameter = Parameter(path, low, high, integer)
        for bound in (low, high):
            value = parameter.value(bound)
            try:
                scenario_from_dict(apply_override(base, parts, value, text), f"{path}={value}")
            except ScenarioError as exc:
                raise PlanError.about("params", f" {text!r}: invalid at {exc}") from None
        found.append(parameter)
    return found


def problem_of(parameters: Sequence[Parameter]) -> dict[str, Any]:
    """SALib's problem: the parameters and, last, the dummy in [0, 1]."""
    return {
        "num_vars": len(parameters) + 1,
        "names": [p.path for p in parameters] + [DUMMY],
        "bounds": [[p.low, p.high] for p in parameters] + [[0.0, 1.0]],
    }


# ---------------------------------------------------------------------------
# seeds and the design


def analysis_seed(root_seed: int, *key: int) -> np.random.SeedSequence:
    """A seed of the analysis itself (sampling, bootstraps), from the study's root seed."""
    return np.random.SeedSequence(root_seed, spawn_key=(SENSITIVITY_SPAWN_KEY, *key))


def _child_seed(seed: np.random.SeedSequence, *key: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, *key))


def _child(seed: np.random.SeedSequence, *key: int) -> np.random.Generator:
    """A generator for one use of the analysis, from its seed and a fixed key."""
    return np.random.Generator(np.random.PCG64(_child_seed(seed, *key)))


@dataclass(frozen=True)
class Design:
    """The points a model is evaluated at."""

    method: Method
    problem: dict[str, Any]
    samples: int
    """Sobol' base samples N, or Morris trajectories."""
    rows: FloatArray
    """SALib's sample, one row per design row (its order is what SALib analyses)."""
    points: IntArray
    """The distinct point of each row: rows that evaluate identically share one."""
    num_levels: int = MORRIS_LEVELS

    @property
    def n_points(self) -> int:
        """How many distinct points are run."""
        return int(self.points.max()) + 1 if self.points.size else 0

    def first_rows(self) -> IntArray:
        """The first design row of each distinct point."""
        _, first = np.unique(self.points, return_index=True)
        return first.astype(np.int64)


def make_design(
    problem: Mapping[str, Any],
    method: Method,
    samples: int,
    seed: np.random.SeedSequence,
    key: Callable[[FloatArray], Any] | None = None,
    num_levels: int = MORRIS_LEVELS,
) -> Design:
    """Sample a SALib design and find its distinct points.

    Parameters
    ----------
    problem
        SALib's problem (``num_vars``, ``names``, ``bounds``).
    method
        ``"sobol"`` (``samples`` must be a power of 2) or ``"morris"``.
    samples
        Sobol' base samples N (``N * (D + 2)`` rows, second-order indices not
        computed) or Morris trajectories (``N * (D + 1)`` rows).
    seed
        Seeds SALib's sampler (a scrambled Sobol' sequence, or Morris' random
        trajectories).
    key
        Maps a row to what the model depends on; rows with equal keys are
        one point, run once. ``None``: the whole row (every row distinct
        unless SALib repeats it).

    Raises
    ------
    ValueError
        For an unknown method, or Sobol' samples not a power of 2 (the
        balance of a Sobol' sequence needs it).
    """
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    if method not in METHODS:
        raise PlanError("{method} must be sobol or morris (got {got!r})", got=method)
    if samples < 2:
        raise PlanError("{samples} must be at least 2 (got {got})", got=samples)
    rng = np.random.Generator(np.random.PCG64(seed))
    if method == "sobol":
        if samples & (samples - 1):
            raise PlanError(
                "{samples} for sobol must be a power of 2, e.g. 64 (got {got})", got=samples
            )
        rows = sobol_sample.sample(
            dict(problem), samples, calc_second_order=False, scramble=True, seed=rng
        )
    else:
        rows = morris_sample.sample(dict(problem), samples, num_levels=num_levels, seed=rng)
    rows = np.asarray(rows, dtype=np.float64)
    keyed = key or (lambda row: row.tobytes())
    index: dict[Any, int] = {}
    points = np.array([index.setdefault(keyed(row), len(index)) for row in rows], dtype=np.int64)
    return Design(method, dict(problem), samples, rows, points, num_levels)


# ---------------------------------------------------------------------------
# running


def _evaluate(
    model: Model, point: int, x: FloatArray, replication: int
) -> tuple[int, int, dict[Output, float]]:
    """One run of the model (module level, so executors can pickle it by reference)."""
    return point, replication, {k: float(v) for k, v in model(point, x, replication).items()}


def _tidy(point: int, replication: int, values: Mapping[Output, float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "point": point,
            "replication": replication,
            "output": [o for o, _ in values],
            "metric": [m for _, m in values],
            "value": np.asarray(list(values.values()), dtype=np.float64),
        }
    )


class SensitivityStore(ResultsStore):
    """A sensitivity directory: a manifest, one Parquet file per (point, replication), summaries.

    Layout::

        DIR/manifest.json                      kind "sensitivity", design, seeds, versions
        DIR/runs/p<point>-r<replication>.parquet   output, metric, value of one run
        DIR/summary/indices.csv, noise.csv, design.csv, points.csv, runs.parquet
        DIR/report/index.html, sensitivity.md, charts/   (:mod:`simulator.report.sensitivity`)
    """

    def run_file(self, point: int, replication: int) -> Path:
        """Where one run's outputs are kept."""
        return self.root / "runs" / f"p{point:06d}-r{replication:05d}.parquet"

    def _run_identity(self, point: int, replication: int) -> dict[str, Any]:
        return {**self.identity, "point": point, "replication": replication}

    def verify_run(self, point: int, replication: int) -> str:
        """:data:`~simulator.experiments.runner.STORED` when a run is stored and vouched
        for (its content hash, or for a run the manifest does not list, the identity
        in its metadata), :data:`~simulator.experiments.runner.ABSENT` when there is
        none, else why it was refused; a refused file is deleted, so that the run is
        made again."""
        path = self.run_file(point, replication)
        key = f"p{point:06d}/r{replication:05d}"
        name = path.relative_to(self.root).as_posix()
        recorded = self.parts.get(key)
        if not path.is_file():
            self.parts.pop(key, None)
            return ABSENT if recorded is None else f"{name} is missing"
        digest = sha256_file(path)
        if recorded is not None:
            good = recorded["files"]["run"]["sha256"] == digest
        else:
            identity = parquet_identity(path)
            good = identity == self._run_identity(point, replication) and reads_whole(path)
        if not good:
            self.parts.pop(key, None)
            path.unlink(missing_ok=True)
            return f"{name} does not match the content hash in the manifest"
        self._record(point, replication, digest)
        return STORED

    def _record(self, point: int, replication: int, digest: str) -> None:
        name = self.run_file(point, replication).relative_to(self.root).as_posix()
        self.parts[f"p{point:06d}/r{replication:05d}"] = {
            "point": point,
            "replication": replication,
            "files": {"run": {"path": name, "sha256": digest}},
        }

    def write_run(self, point: int, replication: int, values: Mapping[Output, float]) -> None:
        """Store one run's outputs atomically, and record its content hash."""
        digest = write_parquet_atomic(
            self.run_file(point, replication),
            _tidy(point, replication, values),
            self._run_identity(point, replication),
        )
        self._record(point, replication, digest)

    def read_run(self, point: int, replication: int) -> pd.DataFrame:
        """Read back one stored run."""
        return read_parquet_checked(self.run_file(point, replication), self.root)

    def check_design(self, design_hash: str, overwrite: bool) -> None:
        """Refuse a directory this analysis cannot be written into, before it starts.

        The same design (scenario, seed, method, samples, parameters, arms)
        is resumed whatever the number of replications; another experiment is
        replaced only with ``overwrite`` (and only once the new analysis has
        finished); a directory holding files that are not results is refused.
        """
        check_writable(
            self.root,
            lambda found: _same_design(found, design_hash),
            overwrite,
            "sensitivity analysis",
        )

    def write_frame(self, name: str, frame: pd.DataFrame) -> Path:
        """Write a summary frame: CSV, or Parquet for ``runs``."""
        if name != "runs":
            return self.write_csv(name, frame)
        target = self.root / "summary" / "runs.parquet"
        with atomic_path(target) as tmp:
            frame.to_parquet(tmp, engine="pyarrow", index=False)
        return target


def _same_design(record: Mapping[str, Any], design_hash: str) -> bool:
    """Whether a manifest is the sensitivity analysis of ``design_hash`` (to be resumed)."""
    return record.get("kind") == "sensitivity" and record.get("design_hash") == design_hash


def run_design(
    model: Model,
    design: Design,
    replications: int,
    runner: Executor,
    store: SensitivityStore | None = None,
    progress: ProgressCallback | None = None,
) -> tuple[pd.DataFrame, int]:
    """Run every distinct point of a design ``replications`` times through one executor.

    Parameters
    ----------
    model
        The model (picklable, for executors other than in-process).
    design
        The points.
    replications
        Runs per point; run ``r`` of every point is the model's replication ``r``.
    runner
        Where the runs go (:meth:`~simulator.experiments.executors.Executor.map_unordered`).
    store
        Runs already stored there are read, not run again; new ones are
        written there as they finish.
    progress
        Called as ``progress(done, total)`` after the reused runs and after each run.

    Returns
    -------
    (pandas.DataFrame, int)
        The runs, tidy (point, replication, output, metric, value), sorted;
        and how many were reused from ``store``.
    """
    execution = DesignExecution(model, design, replications, store, progress)
    with runner:
        return drive(execution, runner, store, "run")


class DesignExecution:
    """A design's runs while they run: each distinct point ``replications`` times."""

    def __init__(
        self,
        model: Model,
        design: Design,
        replications: int,
        store: SensitivityStore | None,
        progress: ProgressCallback | None,
        manifest: dict[str, Any] | None = None,
    ) -> None:
        self.model = model
        self.manifest = manifest
        self.design = design
        self.replications = replications
        self.store = store
        self.progress = progress
        self.frames: list[pd.DataFrame] = []
        # new results are kept as plain tuples and framed once: a frame per run
        # would cost more than a cheap model's run
        self.found: list[tuple[int, int, str, str, float]] = []
        self.reused = 0
        self.count = 0
        self.total = design.n_points * replications
        self.done = False

    def next_round(self) -> list[Task] | None:
        """Every (point, replication), once."""
        if self.done:
            return None
        self.done = True
        first = self.design.first_rows()
        return [
            Task((p, r), _evaluate, (self.model, p, self.design.rows[first[p]], r))
            for p in range(self.design.n_points)
            for r in range(self.replications)
        ]

    def verify(self, task: Task) -> str:
        """Whether the run is stored and vouched for (see :meth:`SensitivityStore.verify_run`)."""
        assert self.store is not None
        return self.store.verify_run(*task.key)

    def reuse(self, task: Task) -> None:
        """Read a stored run back."""
        assert self.store is not None
        self.frames.append(self.store.read_run(*task.key))
        self.reused += 1
        self.count += 1

    def checkpoint(self) -> None:
        """Write the manifest (with the runs that verified) and report what was reused."""
        if self.store is not None and self.manifest is not None:
            self.store.write_manifest(self.manifest)
        if self.progress is not None:
            self.progress(self.count, self.total)

    def keep(self, task: Task, outcome: Any) -> None:
        """Write a finished run and keep its values."""
        point, replication, values = outcome
        if self.store is not None:
            self.store.write_run(point, replication, values)
        self.found += [(point, replication, o, m, v) for (o, m), v in values.items()]
        self.count += 1
        if self.progress is not None:
            self.progress(self.count, self.total)

    def finish(self) -> tuple[pd.DataFrame, int]:
        """The runs, tidy and sorted, and how many were reused."""
        columns = ["point", "replication", "output", "metric", "value"]
        frames = list(self.frames)
        if self.found or not frames:
            frames.append(pd.DataFrame(self.found, columns=columns).astype({"value": np.float64}))
        runs = pd.concat(frames, ignore_index=True)
        runs = runs.sort_values(["point", "replication"], kind="stable").reset_index(drop=True)
        return runs, self.reused


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
            values, _child(seed, _BOOTSTRAP_NOISE, k), num_resamples
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
        bootstrap = _child(seed, _BOOTSTRAP_INDICES, k)
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
    design = make_design(problem, method, n, _child_seed(base, _SAMPLING), key)
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
        data = self.data
        texts = []
        for p, value in zip(self.parameters, self.applied(x), strict=True):
            text = f"{p.path}={value}"
            data = apply_override(data, p.path.split("."), value, text)
            texts.append(text)
        return scenario_from_dict(data, " ".join(texts))

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
        raise PlanError.about(
            "metrics", f" {unknown[0]!r}: not a metric (metrics: {', '.join(METRIC_DESCRIPTIONS)})"
        )
    return tuple(dict.fromkeys(metrics))


def default_arm(scenario: Scenario) -> str:
    """The first arm that is not the baseline (the baseline if it is the only one)."""
    return next((a for a in scenario.arms if a != scenario.baseline), scenario.baseline)


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
        raise PlanError("{method} must be sobol or morris (got {got!r})", got=method)
    check_count("replications", replications, 1)
    outputs = check_metrics(metrics)
    chosen = default_arm(scenario) if arm is None else arm
    if chosen not in scenario.arms:
        raise PlanError.about(
            "arm", f" {chosen!r}: not an arm of {scenario.name} (arms: {', '.join(scenario.arms)})"
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
        _child_seed(analysis_seed(root_seed), _SAMPLING),
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
            "sampling": {"entropy": root, "spawn_key": [*base.spawn_key, _SAMPLING]},
            "bootstrap_indices": {
                "entropy": root,
                "spawn_key": [*base.spawn_key, _BOOTSTRAP_INDICES, "<output index>"],
            },
            "bootstrap_noise": {
                "entropy": root,
                "spawn_key": [*base.spawn_key, _BOOTSTRAP_NOISE, "<output index>"],
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
class SensitivityRun:
    """A planned market analysis, ready for :func:`~simulator.experiments.runner.run`."""

    plan: Plan
    progress: ProgressCallback | None = field(default=None, compare=False)

    kind = "sensitivity"
    what = "sensitivity analysis"
    unit = "run"

    def scenarios(self) -> list[Scenario]:
        """The base scenario (every point's differs from it in the parameters only)."""
        return [self.plan.scenario]

    def identity(self) -> None:
        """None: a sensitivity directory without its manifest is not rebuilt."""
        return None

    def same(self, record: Mapping[str, Any]) -> bool:
        """Whether a manifest is this analysis' design (to be resumed)."""
        return _same_design(record, self.plan.design_hash)

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
        runs_store = None
        if store is not None:
            runs_store = SensitivityStore(store.root)
            runs_store.parts = store.parts
            runs_store.bind({"kind": "sensitivity", "design_hash": self.plan.design_hash})
        return MarketExecution(self.plan, runs_store, self.progress, manifest, executor)


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
        The arm analysed (default: the first arm that is not the baseline).
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
        scenario = Scenario.model_validate(record["scenario"])
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
            _child_seed(analysis_seed(root_seed), _SAMPLING),
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
