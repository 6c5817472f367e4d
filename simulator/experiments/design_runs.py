"""Running any stochastic model over a design: a replicated run of every distinct point.

A :class:`Model` maps a design row and a replication to named outputs;
:func:`run_design` runs it at the :class:`Points` of a design (a SALib design
of a sensitivity analysis, a Latin hypercube of a scenario discovery) through
an executor with the one runner (:func:`simulator.experiments.runner.drive`),
keeping each run in a :class:`SensitivityStore` so that an interrupted analysis
resumes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from simulator.experiments.designs import FloatArray, IntArray
from simulator.experiments.executors import Executor
from simulator.experiments.runner import ABSENT, STORED, Task, drive
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

if TYPE_CHECKING:
    from simulator.config.scenario import Scenario

Output = tuple[str, str]
"""An output of a model: (output, metric), e.g. ``("free - paid", "proposals_per_job")``."""

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


class Points(Protocol):
    """The rows a model is run at, and which of them are one distinct point.

    :class:`~simulator.experiments.designs.Design` (SALib's designs) and
    :class:`~simulator.experiments.designs.LatinHypercube` are points.
    """

    @property
    def rows(self) -> FloatArray:
        """One row of parameter values per design row."""
        ...

    @property
    def n_points(self) -> int:
        """How many distinct points are run."""
        ...

    def first_rows(self) -> IntArray:
        """The first design row of each distinct point (the row the point runs at)."""
        ...


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
    """A directory of runs over a design: a manifest, one Parquet file per (point,
    replication), summaries.

    A sensitivity analysis' layout::

        DIR/manifest.json                      kind "sensitivity", design, seeds, versions
        DIR/runs/p<point>-r<replication>.parquet   output, metric, value of one run
        DIR/summary/indices.csv, noise.csv, design.csv, points.csv, runs.parquet
        DIR/report/index.html, sensitivity.md, charts/   (:mod:`simulator.report.sensitivity`)

    A scenario discovery, a calibration and a comparison over a posterior keep
    their runs the same way, under their own kind.
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

    def check_design(
        self,
        design_hash: str,
        overwrite: bool,
        kind: str = "sensitivity",
        what: str = "sensitivity analysis",
    ) -> None:
        """Refuse a directory this analysis cannot be written into, before it starts.

        The same design (scenario, seed, method, samples, parameters, arms)
        is resumed whatever the number of replications; another experiment is
        replaced only with ``overwrite`` (and only once the new analysis has
        finished); a directory holding files that are not results is refused.
        ``kind`` is the manifest's kind of this analysis, ``what`` how messages
        name it.
        """
        check_writable(
            self.root,
            lambda found: same_design(found, design_hash, kind),
            overwrite,
            what,
        )

    def write_frame(self, name: str, frame: pd.DataFrame) -> Path:
        """Write a summary frame: CSV, or Parquet for ``runs``."""
        if name != "runs":
            return self.write_csv(name, frame)
        target = self.root / "summary" / "runs.parquet"
        with atomic_path(target) as tmp:
            frame.to_parquet(tmp, engine="pyarrow", index=False)
        return target


def same_design(record: Mapping[str, Any], design_hash: str, kind: str = "sensitivity") -> bool:
    """Whether a manifest is the analysis of ``design_hash`` (to be resumed), of ``kind``."""
    return record.get("kind") == kind and record.get("design_hash") == design_hash


def run_design(
    model: Model,
    design: Points,
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
        The points (a SALib :class:`~simulator.experiments.designs.Design`, a
        :class:`~simulator.experiments.designs.LatinHypercube`).
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
        design: Points,
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


class OneScenarioExperiment:
    """What every analysis over points of one base scenario tells the runner alike.

    A sensitivity analysis, a calibration, a comparison over a posterior and a
    scenario discovery each vary one scenario's parameters; subclasses (frozen
    dataclasses) have a ``plan`` with that ``scenario``.
    """

    plan: Any
    unit = "run"

    def scenarios(self) -> list[Scenario]:
        """The base scenario (every run differs from it in the parameters only)."""
        return [self.plan.scenario]

    def identity(self) -> None:
        """None: a directory without its manifest is not rebuilt."""
        return None


def runs_store(store: ResultsStore | None, kind: str, digest: str) -> SensitivityStore | None:
    """The ``runs/`` store of an experiment's directory, bound to its kind and hash."""
    if store is None:
        return None
    runs = SensitivityStore(store.root)
    runs.parts = store.parts
    runs.bind({"kind": kind, "design_hash": digest})
    return runs
