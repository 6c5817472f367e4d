"""Parameter sweeps: a scenario run at many design points, and the trade-off frontier.

A sweep varies some fields of a scenario (``--vary PATH=V1,V2,...`` or
``--vary PATH=LOW:HIGH:N``, paths as ``--set`` takes them) and runs every arm
of the scenario at every design point:

* ``design="grid"``: the Cartesian product of each parameter's levels (the
  first parameter varies slowest);
* ``design="lhs"``: ``points`` draws of a Latin hypercube
  (:class:`scipy.stats.qmc.LatinHypercube`) over the parameters' ranges,
  seeded from the study's root ``SeedSequence``.

Every point uses the same root seed, so replication ``r`` of every arm at
every point faces the same freelancers and the same job stream (common random
numbers across points as well as across arms). All (point, arm, replication)
tasks go through one executor, so a process pool or a Dask cluster is started
once for the whole sweep.

A sweep directory::

    DIR/manifest.json                        a study's manifest fields (of the base
                                             scenario) plus the design
    DIR/points/<point>/                      a study directory per point (manifest,
                                             replications/<arm>/<rep>.*.parquet, summary/)
    DIR/summary/points.csv                   one row per point: its id and parameters
    DIR/summary/levels.csv, differences.csv  as a study's, with the point and its parameters
    DIR/summary/frontier.csv                 the trade-off frontier (:meth:`Sweep.frontier`)
    DIR/report/                              sweep.md and charts/ (:mod:`simulator.report.sweep`)

Running the same sweep again into the same directory resumes it: finished
(point, arm, replication) tasks are reused, not recomputed.

Without ``vary``, the axes come from the scenario's ``sweep:`` block, whose
break-even question (:mod:`simulator.experiments.break_even`) is answered in
``DIR/summary/break_even.csv`` and the report.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from simulator.config.loading import (
    scenario_from_record,
    scenario_hash,
)
from simulator.config.scenario import BreakEvenSpec, Scenario
from simulator.engine.market import run_replication
from simulator.engine.recorder import ReplicationResult
from simulator.errors import ResultsError, ScenarioError
from simulator.experiments.break_even import break_even
from simulator.experiments.executors import Executor
from simulator.experiments.frontier import (
    OBJECTIVES,
    Objective,
    Sweep,
    applies_to_arm,
    pareto_front,
    poorest_region,
)
from simulator.experiments.provenance import utc_now
from simulator.experiments.runner import ABSENT, STORED, Task, run
from simulator.experiments.store import ResultsStore, check_writable, csv_split, frame_of
from simulator.experiments.study import (
    Study,
    check_count,
    collect_frames,
    load_study,
    study_identity,
    study_record,
)
from simulator.experiments.sweep_plan import (
    DESIGNS,
    POINTS_DIR,
    RESERVED_COLUMNS,
    SWEEP_KIND,
    UNSWEEPABLE,
    Axis,
    Design,
    SweepPlan,
    SweepPoint,
    SweepProgress,
    VaryInput,
    design_seed,
    parse_axes,
    parse_vary,
    plan_sweep,
    point_ids,
)
from simulator.experiments.tasks import run_encoded

# the plan and the result have modules of their own; their names are importable
# from here, as they were before
__all__ = [
    "DESIGNS",
    "OBJECTIVES",
    "POINTS_DIR",
    "RESERVED_COLUMNS",
    "SWEEP_KIND",
    "UNSWEEPABLE",
    "Axis",
    "Design",
    "Objective",
    "Sweep",
    "SweepExecution",
    "SweepPlan",
    "SweepPoint",
    "SweepProgress",
    "SweepRun",
    "VaryInput",
    "applies_to_arm",
    "arm_hash",
    "check_sweep_directory",
    "design_seed",
    "load_sweep",
    "pareto_front",
    "parse_axes",
    "parse_vary",
    "plan_sweep",
    "point_ids",
    "poorest_region",
    "sweep",
]

# ------------------------------------------------------------------ the directory


def check_sweep_directory(root: str | Path, plan: SweepPlan, overwrite: bool) -> None:
    """Refuse a directory this sweep cannot be written into, before it starts.

    A directory with this sweep's manifest (same design, scenarios and root
    seed) is resumed; one with another experiment is replaced only with
    ``overwrite`` (and only once the new sweep has finished); a directory
    holding files that are not results is refused either way.
    """
    check_writable(Path(root), lambda found: _same_sweep(found, plan), overwrite, "sweep")


def arm_hash(scenario: Scenario, arm: str) -> str:
    """What one arm's replications depend on: the world, the run settings and the
    arm's policy (not the other arms, the baseline or the names), as a hash.

    Two points with the same hash for an arm give that arm the same replications.
    """
    alone = scenario.model_copy(
        update={
            "name": "arm",
            "description": "",
            "arms": {arm: scenario.arms[arm]},
            "baseline": arm,
        }
    )
    return scenario_hash(alone)


def sweep(
    scenario_or_path: Scenario | str | Path | SweepPlan,
    vary: VaryInput | None = None,
    design: str | None = None,
    points: int | None = None,
    replications: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    executor: Executor | str | None = None,
    out: str | Path | None = None,
    progress: SweepProgress | None = None,
    overwrite: bool = False,
    overrides: Sequence[str] = (),
    command: str | None = None,
) -> Sweep:
    """Run every arm of a scenario at every point of a design.

    Parameters
    ----------
    scenario_or_path
        The base scenario, the path of a scenario file, or a plan made by
        :func:`plan_sweep` (then ``vary``, ``design``, ``points``, ``seed``
        and ``overrides`` are not given).
    vary
        The parameters: ``--vary`` texts (``"PATH=V1,V2,..."``,
        ``"PATH=LOW:HIGH:N"``, for LHS also ``"PATH=LOW:HIGH"``) or a mapping
        ``{path: [values]}`` / ``{path: "LOW:HIGH:N"}``. ``PATH`` is as in
        ``--set``; ``arms.*.field`` varies the field of every arm together.
        ``None``: the axes of the scenario's ``sweep:`` block; given, they
        replace the block's axes and design.
    design
        ``"grid"`` (every combination of levels) or ``"lhs"`` (a Latin
        hypercube of ``points`` points; a whole-number field stays whole);
        default the block's when its axes are used, else ``"grid"``.
    points
        Design points of a Latin hypercube (default the block's, with its axes).
    replications
        Replications per arm and point (default: the scenario's ``run.replications``).
    seed
        Root seed, the same at every point (default: the scenario's ``run.seed``).
    workers, executor
        Where the tasks run, as for :func:`~simulator.experiments.study.run_study`; every
        (point, arm, replication) goes to the one executor.
    out
        The sweep directory; ``None`` keeps the results in memory only.
    progress
        Called as ``progress(point, arm, replication)`` after each task (also
        for each task reused from ``out``).
    overwrite
        Replace another sweep or a study found in ``out``; this sweep's own
        directory is resumed.
    overrides
        ``--set`` texts applied to the base scenario.
    command
        The command line that made the sweep, recorded in its manifest
        (``connectsim sweep`` passes its own).

    Returns
    -------
    Sweep

    Raises
    ------
    ScenarioError
        For a bad parameter or a point whose scenario is invalid (nothing is written).
    ResultsError
        When ``out`` holds something else and ``overwrite`` is false.
    """
    if isinstance(scenario_or_path, SweepPlan):
        given = (vary, design, points, seed)
        if any(v is not None for v in given) or overrides:
            raise ValueError("a SweepPlan already fixes vary, design, points, seed and overrides")
        plan = scenario_or_path
    else:
        plan = plan_sweep(scenario_or_path, vary, design, points, seed, overrides)
    n = plan.base.run.replications if replications is None else replications
    check_count("replications", n, 1)
    return run(SweepRun(plan, n, progress), workers, executor, out, overwrite, command)


@dataclass(frozen=True)
class SweepRun:
    """A planned sweep with its replications, ready for
    :func:`~simulator.experiments.runner.run`."""

    plan: SweepPlan
    replications: int
    progress: SweepProgress | None = field(default=None, compare=False)

    kind = SWEEP_KIND
    what = "sweep"
    unit = "replication"

    @property
    def runs(self) -> int:
        """(point, arm, replication) runs in all, counting a shared one at every point."""
        return sum(self.replications * len(p.scenario.arms) for p in self.plan.points)

    @property
    def distinct_runs(self) -> int:
        """(arm, replication) runs actually made: a run an arm's points share (an arm
        the varied fields leave alone) is made once."""
        arms = {
            (arm_hash(p.scenario, arm), arm) for p in self.plan.points for arm in p.scenario.arms
        }
        return len(arms) * self.replications

    def describe(self) -> str:
        """The design's size, in words."""
        plan = self.plan
        return (
            f"{plan.design} of {len(plan.points)} points x {len(plan.base.arms)} arms x "
            f"{self.replications} replications = {self.runs} runs"
        )

    def command(self, scenario_file: str | Path, out: str | Path, overrides: Sequence[str]) -> str:
        """The ``connectsim sweep`` command that runs this sweep again into ``out``."""
        plan = self.plan
        words = ["connectsim", "sweep", str(scenario_file), *design_words(plan)]
        words += ["--replications", str(self.replications), "--seed", str(plan.root_seed)]
        words += ["--out", str(out)]
        for text in overrides:
            words += ["--set", text]
        return shlex.join(words)

    def scenarios(self) -> list[Scenario]:
        """Every point's scenario."""
        return [p.scenario for p in self.plan.points]

    def identity(self) -> None:
        """None: a sweep directory without its manifest is not rebuilt."""
        return None

    def same(self, record: Mapping[str, Any]) -> bool:
        """Whether a manifest is this sweep's (to be resumed)."""
        return _same_sweep(record, self.plan)

    def record(self) -> dict[str, Any]:
        """The base scenario and seeds, the sweep's hash and its design."""
        plan = self.plan
        return {
            **study_record(plan.base, plan.root_seed, self.replications),
            "kind": SWEEP_KIND,
            "sweep_hash": plan.sweep_hash(),
            "design": plan.design_record(),
        }

    def extra_packages(self) -> tuple[str, ...]:
        """None beyond the core packages."""
        return ()

    def start(
        self, store: ResultsStore | None, manifest: dict[str, Any], executor: str
    ) -> SweepExecution:
        """Begin: one study directory per point under ``store``."""
        return SweepExecution(self, store, manifest)


class SweepExecution:
    """A sweep while it runs: each (arm, replication) once for all the points it
    is the same at, written into every point's study directory."""

    def __init__(self, run_: SweepRun, top: ResultsStore | None, manifest: dict[str, Any]) -> None:
        plan = run_.plan
        self.run = run_
        self.top = top
        self.manifest = manifest
        root_seed = plan.root_seed
        self.stores = {p.id: _point_store(top, p, root_seed) for p in plan.points} if top else {}
        provenance = {k: manifest[k] for k in ("versions", "git_commit", "executor", "started")}
        self.point_records = {
            p.id: {
                **study_record(p.scenario, root_seed, run_.replications),
                **provenance,
                "command": None,
                "finished": None,
            }
            for p in plan.points
        }
        self.kept: dict[str, list[ReplicationResult]] = {p.id: [] for p in plan.points}
        self.targets: dict[Any, list[str]] = {}
        self.reused = 0
        self.done = False

    def next_round(self) -> list[Task] | None:
        """Every task, once; an arm the point's parameters leave alone (the baseline,
        when only another arm varies) is the same replication at several points."""
        if self.done:
            return None
        self.done = True
        plan, n = self.run.plan, self.run.replications
        self.shared: dict[Any, list[str]] = {}
        first: dict[Any, SweepPoint] = {}
        for r in range(n):
            for p in plan.points:
                for arm in p.scenario.arms:
                    key = (arm_hash(p.scenario, arm), arm, r)
                    first.setdefault(key, p)
                    self.shared.setdefault(key, []).append(p.id)
        self.targets = {key: list(points) for key, points in self.shared.items()}
        tasks: list[Task] = []
        for key, p in first.items():
            _, arm, r = key
            if self.top is None:
                arguments: tuple[Any, ...] = (p.scenario, arm, r, plan.root_seed)
                tasks.append(Task(key, run_replication, arguments))
            else:
                # encoded by the worker for every point it belongs to
                identities = tuple(self.stores[i].identity for i in self.shared[key])
                arguments = (p.scenario, arm, r, plan.root_seed, identities)
                tasks.append(Task(key, run_encoded, arguments))
        return tasks

    def verify(self, task: Task) -> str:
        """Stored when every point it belongs to holds it; the points that hold it
        are reported as reused now, and only the others are written."""
        _, arm, r = task.key
        missing = []
        refused = ABSENT
        for point_id in self.shared[task.key]:
            store = self.stores[point_id]
            reason = store.verify_replication(arm, r)
            if reason is None:
                self.reused += 1
                self._report(point_id, arm, r)
                continue
            listed = store.key(arm, r) in store.parts
            store.discard_replication(arm, r)
            missing.append(point_id)
            if not (reason.endswith("is missing") and not listed):
                refused = reason
        self.targets[task.key] = missing
        return STORED if not missing else refused

    def checkpoint(self) -> None:
        """Write the sweep's manifest and every point's."""
        if self.top is not None:
            self.top.write_manifest(self.manifest)
            for point_id, store in self.stores.items():
                store.write_manifest(self.point_records[point_id])

    def reuse(self, task: Task) -> None:
        """Nothing more: :meth:`verify` counted and reported each point's copy."""

    def keep(self, task: Task, outcome: Any) -> None:
        """Write a replication into each point that lacks it."""
        _, arm, r = task.key
        for point_id in self.targets[task.key]:
            if self.top is not None:
                files = outcome.files[self.shared[task.key].index(point_id)]
                self.stores[point_id].write_encoded(outcome, files)
                self.stores[point_id].write_manifest_soon(self.point_records[point_id])
            else:
                self.kept[point_id].append(outcome)
            self._report(point_id, arm, r)

    def _report(self, point_id: str, arm: str, replication: int) -> None:
        if self.run.progress is not None:
            self.run.progress(point_id, arm, replication)

    def finish(self) -> Sweep:
        """The sweep, every point's summaries and the sweep's written."""
        plan, n, top = self.run.plan, self.run.replications, self.top
        root_seed = plan.root_seed
        studies: dict[str, Study] = {}
        if top is not None:
            # only the metrics part of each run is read back (and checked), in arm
            # order, then by replication: the order sort_by_arm gives, as each part
            # holds one run's rows; the tables are converted to pandas once, as one.
            # Threads read them: reading, hashing and parsing release the GIL
            runs = [(p, arm, r) for p in plan.points for arm in p.scenario.arms for r in range(n)]

            def metrics_of(run: tuple[SweepPoint, str, int]) -> pa.Table:
                point, arm, replication = run
                return self.stores[point.id].read_checked_table(arm, replication, "metrics")

            with ThreadPoolExecutor(SUMMARY_THREADS, "connectsim-read-back") as readers:
                tables = list(readers.map(metrics_of, runs))
            rows_of = dict.fromkeys((p.id for p in plan.points), 0)
            for (point, _, _), table in zip(runs, tables, strict=True):
                rows_of[point.id] += table.num_rows
            point_rows = list(rows_of.values())
            frame = frame_of(pa.concat_tables(tables, promote_options="default"))
        else:
            parts = []
            for p in plan.points:
                frames = collect_frames(p.scenario, self.kept[p.id])
                studies[p.id] = Study(
                    scenario=p.scenario,
                    root_seed=root_seed,
                    replications=n,
                    metrics=frames["metrics"],
                    daily=frames["daily"],
                    histogram=frames["histogram"],
                    distributions=frames["distributions"],
                )
                parts.append(frames["metrics"])
            frame = pd.concat(parts, ignore_index=True)
            point_rows = [len(part) for part in parts]
        frame.insert(0, "point", np.repeat([p.id for p in plan.points], point_rows).tolist())
        outcome = Sweep(plan, n, frame, top.root if top else None, self.reused, studies)
        if top is not None:
            _write_summaries(outcome, top, self.stores, self.point_records)
        return outcome


def design_words(plan: SweepPlan) -> list[str]:
    """The options that ask for the plan's design: ``--vary`` texts (and ``--design
    lhs --points N``), or none for the scenario's own block as it stands (a sweep read
    back from its directory no longer holds the block: none either)."""
    lhs = ["--design", "lhs", "--points", str(len(plan.points))] if plan.design == "lhs" else []
    if plan.axes_from == "vary":
        return [word for axis in plan.axes for word in ("--vary", axis.text)] + lhs
    block = plan.base.sweep
    if block is None or (block.design, block.points) == (plan.design, plan.requested_points):
        return []
    return lhs or ["--design", "grid"]


def _same_sweep(record: Mapping[str, Any], plan: SweepPlan) -> bool:
    """Whether a manifest is this sweep's (to be resumed)."""
    return record.get("kind") == SWEEP_KIND and record.get("sweep_hash") == plan.sweep_hash()


def _point_store(top: ResultsStore, point: SweepPoint, root_seed: int) -> ResultsStore:
    """The study directory of one point, its files bound to the point's scenario and seed."""
    store = ResultsStore(top.root / POINTS_DIR / point.id)
    if (store.root / "manifest.json").is_file():
        store.read_manifest()
    store.bind(study_identity(scenario_hash(point.scenario), root_seed))
    return store


SUMMARY_THREADS = 4
"""Threads reading back a sweep's runs, and writing its summary files while the main
thread formats the next table: each mostly waits on the disk, or hashes or parses
with the GIL released."""


def _write_summaries(
    result: Sweep,
    top: ResultsStore,
    stores: dict[str, ResultsStore],
    point_records: dict[str, dict[str, Any]],
) -> None:
    points = result.plan.points
    drop = ["point", *result.parameters]
    # a sweep writes three files a point, and each write mostly waits for the disk
    # (a flush of the file, then of its directory): threads write them while this
    # one formats the next table (a flush releases the GIL)
    writers = ThreadPoolExecutor(SUMMARY_THREADS, thread_name_prefix="connectsim-summaries")
    try:
        written: list[Future[Path]] = []
        # each table formatted once for the sweep's file and every point's: one
        # to_csv per point cost most of a sweep of small runs' summaries
        levels_csv, levels_of = csv_split(result.levels(), "point", drop)
        written += [
            writers.submit(stores[p.id].write_csv, "levels", levels_of[p.id]) for p in points
        ]
        written.append(writers.submit(top.write_csv, "levels", levels_csv))
        diff = result.differences()
        differences_csv, differences_of = csv_split(diff, "point", drop)
        no_differences = diff.iloc[:0].drop(columns=drop).to_csv(index=False)
        written += [
            writers.submit(
                stores[p.id].write_csv, "differences", differences_of.get(p.id, no_differences)
            )
            for p in points
        ]
        written.append(writers.submit(top.write_csv, "differences", differences_csv))
        top.write_csv("points", result.points())
        top.write_csv("frontier", result.frontier())
        if result.plan.break_even is not None:
            top.write_csv("break_even", break_even(result))
        for future in written:
            future.result()
        # a point's manifest says it finished once its summaries are written
        for p in points:
            point_records[p.id]["finished"] = utc_now()
        manifests = [
            writers.submit(stores[p.id].write_manifest, point_records[p.id]) for p in points
        ]
        for manifest in manifests:
            manifest.result()
    finally:
        # after a failure or an interrupt, the writes not yet started are dropped and
        # those under way finish (each is atomic), so none outlives this call
        writers.shutdown(wait=True, cancel_futures=True)


def load_sweep(path: str | Path) -> Sweep:
    """Open a finished sweep directory.

    Raises
    ------
    ResultsError
        When ``path`` is not a sweep directory, or the sweep is not finished.
    """
    root = Path(path)
    record = ResultsStore(root).read_manifest()
    if record.get("kind") != SWEEP_KIND:
        raise ResultsError(f"{root}: not a sweep directory (its manifest is a study's)")
    if not record.get("finished"):
        raise ResultsError(
            f"{root}: the sweep is not finished (run the same command again to resume it)"
        )
    try:
        base = scenario_from_record(record["scenario"], f"{root}/manifest.json")
        design = record["design"]
        n = int(record["replications"])
        made = []
        parts = []
        for entry in design["points"]:
            # each point is a study directory: load_study reads exactly what its
            # manifest lists, each file checked against its content hash
            point = load_study(root / POINTS_DIR / entry["point"])
            made.append(SweepPoint(entry["point"], dict(entry["values"]), point.scenario))
            parts.append(point.metrics.assign(point=entry["point"]))
        axes = tuple(parse_vary(text) for text in design["vary"])
        # sweeps written before the scenario's sweep block had neither entry
        question = design.get("break_even")
        asked = None if question is None else BreakEvenSpec.model_validate(question)
    except (KeyError, TypeError, ValueError, ScenarioError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ResultsError(f"{root}: cannot read the sweep: {reason}") from exc
    plan = SweepPlan(
        base,
        design["design"],
        axes,
        tuple(made),
        int(record["root_seed"]),
        design.get("points_requested"),
        "scenario" if design.get("axes_from") == "scenario" else "vary",
        asked,
        design.get("break_even_skipped"),
    )
    frame = pd.concat(parts, ignore_index=True)
    frame = frame[["point", *[c for c in frame.columns if c != "point"]]]
    return Sweep(plan, n, frame, root)
