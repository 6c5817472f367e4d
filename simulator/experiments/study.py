"""Studies: every arm of a scenario for many replications, on common random numbers.

Replication ``r`` of every arm uses ``SeedSequence(root_seed, spawn_key=(r,))``,
so the arms of a replication face the same freelancers and the same job
stream. A replication is a pure function of its inputs, so the order in which
an executor finishes them changes nothing: results are sorted by arm and
replication before anything is computed from them.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator.catalog import HEADLINE_METRICS
from simulator.config.loading import load_scenario, scenario_from_record, scenario_hash
from simulator.config.scenario import MAX_REPLICATIONS, MAX_SEED, Scenario
from simulator.engine.market import run_replication
from simulator.engine.recorder import ReplicationResult
from simulator.engine.rng import replication_seed
from simulator.errors import PlanError, ResultsError
from simulator.experiments import stats
from simulator.experiments.executors import Executor
from simulator.experiments.executors import default_workers as default_workers  # re-exported
from simulator.experiments.runner import ABSENT, STORED, Task, provenance, run
from simulator.experiments.store import (
    EncodedReplication,
    ResultsStore,
    check_writable,
    warn_extra,
)
from simulator.experiments.tasks import run_encoded

ProgressCallback = Callable[[str, int], None]
"""Called as ``progress(arm, replication)`` each time a replication finishes."""

PlanCallback = Callable[[int], None]
"""Called as ``planned(replications_per_arm)`` each time a study sets how many it runs."""
CheckCallback = Callable[[int, pd.DataFrame, int | None], None]
"""Called as ``checked(replications_per_arm, check, next_replications)`` after each
batch of a study with a precision target: ``check`` is
:func:`~simulator.experiments.stats.precision_check`'s frame, ``next_replications``
the replications per arm the next batch runs to, None when the study stops."""

DEFAULT_MAX_REPLICATIONS = 200
"""The cap on replications per arm of a study with a precision target, unless given."""


@dataclass
class Study:
    """The results of a study, with its statistics."""

    scenario: Scenario
    root_seed: int
    replications: int
    metrics: pd.DataFrame
    daily: pd.DataFrame
    histogram: pd.DataFrame
    distributions: pd.DataFrame
    """Per-replication distributions (see :data:`simulator.engine.recorder.DISTRIBUTIONS`)."""
    path: Path | None = None
    reused: int = 0
    """Replications (arm by arm) reused from a previous, interrupted run."""
    stopped_by: str | None = None
    """With a precision target: ``"precision"`` when every headline difference met it,
    ``"max_replications"`` when the cap was reached first; ``None`` otherwise."""
    precision: pd.DataFrame | None = None
    """With a precision target: the last check, one row per arm and headline metric
    (see :func:`simulator.experiments.stats.precision_check`)."""
    _levels: pd.DataFrame | None = field(default=None, repr=False)
    _differences: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def arms(self) -> list[str]:
        """Arm names in scenario order."""
        return list(self.scenario.arms)

    @property
    def baseline(self) -> str:
        """The arm differences are taken against."""
        return self.scenario.baseline

    def frame(self) -> pd.DataFrame:
        """Every metric of every replication, tidy."""
        return self.metrics

    def levels(self) -> pd.DataFrame:
        """Each arm's mean and 95% interval, by metric and segment."""
        if self._levels is None:
            self._levels = stats.levels(self.metrics)
        return self._levels

    def differences(self) -> pd.DataFrame:
        """Each arm's paired difference from the baseline, with 95% intervals."""
        if self._differences is None:
            self._differences = stats.paired_differences(self.metrics, self.baseline)
        return self._differences

    def label(self, arm: str) -> str:
        """The human-readable name of an arm."""
        return self.scenario.arms[arm].label or arm


def sort_by_arm(frame: pd.DataFrame, arms: list[str]) -> pd.DataFrame:
    """Rows in the scenario's arm order, then by replication (a stable sort)."""
    order = {a: i for i, a in enumerate(arms)}
    arm_order = frame["arm"].map(order).to_numpy(dtype=np.float64, na_value=np.nan)
    # np.lexsort is stable, last key first: what sort_values(kind="stable") gives on
    # (arm order, replication), at a fraction of its cost on a sweep's many points
    rows = np.lexsort((frame["replication"].to_numpy(), arm_order))
    return frame.take(rows).reset_index(drop=True)


def collect_frames(
    scenario: Scenario, results: Sequence[ReplicationResult]
) -> dict[str, pd.DataFrame]:
    """The replications' frames concatenated by kind (metrics, daily, histogram,
    distributions), each in arm order."""
    arms = list(scenario.arms)
    return {
        "metrics": sort_by_arm(pd.concat([r.metrics for r in results], ignore_index=True), arms),
        "daily": sort_by_arm(pd.concat([r.daily for r in results], ignore_index=True), arms),
        "histogram": sort_by_arm(
            pd.concat([r.proposals_per_job for r in results], ignore_index=True), arms
        ),
        "distributions": sort_by_arm(
            pd.concat([r.distributions for r in results], ignore_index=True), arms
        ),
    }


def replication_seeds(root_seed: int, replications: int) -> list[dict[str, Any]]:
    """Each replication's seed sequence, as the manifest records it."""
    return [
        {
            "replication": r,
            "entropy": root_seed,
            "spawn_key": list(replication_seed(root_seed, r).spawn_key),
        }
        for r in range(replications)
    ]


def next_batch(replications: int, check: pd.DataFrame, cap: int) -> int:
    """Replications per arm for the next batch of a study with a precision target.

    A half-width shrinks as one over the square root of the replications, so the
    worst ratio of half-width to target, squared, projects how many are needed;
    the next batch goes a little beyond that projection (a noisy estimate of the
    standard deviation would otherwise make it fall just short again and again),
    adds at least half as many again, and stays within ``cap``.
    """
    worst = float(check["ratio"].max())
    projected = replications * worst**2 * 1.1 if np.isfinite(worst) else 2.0 * replications
    return int(min(cap, max(math.ceil(projected), replications + max(1, replications // 2))))


def study_record(scenario: Scenario, root_seed: int, replications: int) -> dict[str, Any]:
    """What identifies a study in its manifest: the scenario, its hash, the seeds, the arms."""
    return {
        "kind": "study",
        "scenario": scenario.model_dump(mode="json"),
        "scenario_hash": scenario_hash(scenario),
        "root_seed": root_seed,
        "replications": replications,
        "replication_seeds": replication_seeds(root_seed, replications),
        "arms": list(scenario.arms),
        "baseline": scenario.baseline,
    }


def manifest(
    scenario: Scenario,
    root_seed: int,
    replications: int,
    executor: str,
    command: str | None = None,
) -> dict[str, Any]:
    """A study's whole manifest: :func:`study_record` and the provenance of
    :func:`~simulator.experiments.runner.provenance` (``command``: the command line
    that made it, when it came from one)."""
    return {
        **study_record(scenario, root_seed, replications),
        **provenance("study", executor, command),
    }


def run_study(
    scenario_or_path: Scenario | str | Path,
    replications: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    out: str | Path | None = None,
    progress: ProgressCallback | None = None,
    overwrite: bool = False,
    executor: Executor | str | None = None,
    precision: float | None = None,
    max_replications: int | None = None,
    planned: PlanCallback | None = None,
    command: str | None = None,
) -> Study:
    """Run every arm of a scenario for ``replications`` replications.

    With ``precision``, ``replications`` is the first batch: replications are
    added in batches until the 95% interval of every headline paired
    difference (:data:`~simulator.engine.recorder.HEADLINE_METRICS`, overall, every arm
    against the baseline) has a half-width of at most ``precision`` times the
    baseline's mean, or until ``max_replications`` is reached.

    Parameters
    ----------
    scenario_or_path
        A validated :class:`~simulator.config.scenario.Scenario` or the path of a scenario file.
    replications
        Replications per arm (default: the scenario's ``run.replications``).
    seed
        Root seed of the study (default: the scenario's ``run.seed``).
    workers
        Without ``executor``: 1 (the default) runs in this process; more uses
        a pool of that many processes (started with ``spawn``, so it is safe
        from notebooks). With ``executor="processes"`` or ``"dask-local"``:
        the number of processes (default: all cores).
    out
        A directory to write the results to (Parquet per replication, a
        manifest and summary CSVs); ``None`` keeps them in memory only.
    progress
        Called after each replication with the arm and replication index
        (also for each replication reused from ``out``).
    overwrite
        Replace a study of another scenario or seed found in ``out``
        (otherwise that is an error). A study of the same scenario and seed
        is resumed: its finished replications are reused, not recomputed.
    executor
        Where the replications run: an :class:`~simulator.experiments.executors.Executor`
        (e.g. ``DaskExecutor("tcp://HOST:8786")``), or by name
        ``"in-process"``, ``"processes"``, ``"dask-local"`` (a local Dask
        cluster) or a Dask scheduler's address ``"tcp://HOST:PORT"``; see
        :func:`~simulator.experiments.executors.resolve_executor`. Its
        :meth:`~simulator.experiments.executors.Executor.describe` is recorded in the
        manifest.
    precision
        Relative half-width to reach, e.g. 0.01 for 1% of the baseline's mean;
        ``None`` runs exactly ``replications``.
    max_replications
        The most replications per arm a precision target may take (default
        :data:`DEFAULT_MAX_REPLICATIONS`).
    planned
        Called with the number of replications per arm each time it is set
        (once, or once per batch with a precision target), before they run.
    command
        The command line that made the study, recorded in the manifest so that
        a report written later can show it (``connectsim run`` passes its own).

    Returns
    -------
    Study
        The results, identical whatever the executor and ``workers``.

    Raises
    ------
    ExecutorError
        When a Dask executor is asked for without dask installed, or its
        scheduler cannot be reached.
    """
    the_plan = plan_study(
        scenario_or_path, replications, seed, precision, max_replications, progress, planned
    )
    return run(the_plan, workers, executor, out, overwrite, command)


def plan_study(
    scenario_or_path: Scenario | str | Path,
    replications: int | None = None,
    seed: int | None = None,
    precision: float | None = None,
    max_replications: int | None = None,
    progress: ProgressCallback | None = None,
    planned: PlanCallback | None = None,
) -> StudyPlan:
    """Check a study's settings once, running nothing; see :func:`run_study`.

    Raises
    ------
    PlanError
        For a precision outside (0, 1), ``max_replications`` without a
        precision target or below the first batch.
    TypeError, ValueError
        For a count that is not an integer, or out of range.
    """
    scenario = (
        scenario_or_path
        if isinstance(scenario_or_path, Scenario)
        else load_scenario(scenario_or_path)
    )
    n = scenario.run.replications if replications is None else replications
    check_count("replications", n, 1)
    cap = n
    if precision is not None:
        if isinstance(precision, bool) or not 0 < precision < 1:
            raise PlanError(
                "{precision} must be a fraction between 0 and 1, e.g. 0.01 (got {got})",
                got=precision,
            )
        # an interval needs two replications
        n = max(n, 2)
        cap = DEFAULT_MAX_REPLICATIONS if max_replications is None else max_replications
        check_count("max_replications", cap, 2)
        if cap < n:
            raise PlanError(
                "{max_replications} {cap} is below the first batch of {n}", cap=cap, n=n
            )
    elif max_replications is not None:
        raise PlanError("{max_replications} applies only with {precision}")
    if seed is not None:
        check_count("seed", seed, 0, MAX_SEED)
    root_seed = scenario.run.seed if seed is None else seed
    return StudyPlan(scenario, n, root_seed, precision, cap, progress, planned)


@dataclass(frozen=True)
class StudyPlan:
    """A checked study, ready for :func:`~simulator.experiments.runner.run`.

    ``replications`` is the first batch when there is a ``precision`` target
    (batches are added until it is met or ``max_replications`` is reached).
    """

    scenario: Scenario
    replications: int
    root_seed: int
    precision: float | None = None
    max_replications: int | None = None
    progress: ProgressCallback | None = field(default=None, compare=False)
    planned: PlanCallback | None = field(default=None, compare=False)
    checked: CheckCallback | None = field(default=None, compare=False)

    kind = "study"
    what = "study"
    unit = "replication"

    def describe(self) -> str:
        """How many replications it runs, in words."""
        if self.precision is None:
            return f"{self.replications} replications"
        return (
            f"batches from {self.replications} replications until within "
            f"{self.precision:g} of the baseline (at most {self.max_replications})"
        )

    def command(self, scenario_file: str | Path, out: str | Path, overrides: Sequence[str]) -> str:
        """The ``connectsim run`` command that runs this study again into ``out``."""
        words = ["connectsim", "run", str(scenario_file), "--replications", str(self.replications)]
        words += ["--seed", str(self.root_seed), "--out", str(out)]
        if self.precision is not None:
            words += ["--precision", f"{self.precision:g}"]
            words += ["--max-replications", str(self.max_replications)]
        for text in overrides:
            words += ["--set", text]
        return shlex.join(words)

    def scenarios(self) -> list[Scenario]:
        """The one scenario every task runs."""
        return [self.scenario]

    def identity(self) -> dict[str, Any]:
        """What the study's files record as their owner."""
        return study_identity(scenario_hash(self.scenario), self.root_seed)

    def same(self, record: Mapping[str, Any]) -> bool:
        """Whether a manifest is this study's: the same scenario and seed."""
        return _same_study(record, self.identity())

    def record(self) -> dict[str, Any]:
        """The scenario, its hash, the seeds and, with a target, the precision asked for."""
        found = study_record(self.scenario, self.root_seed, self.replications)
        if self.precision is not None:
            found["precision"] = {
                "relative": self.precision,
                "max_replications": self.max_replications,
            }
        return found

    def extra_packages(self) -> tuple[str, ...]:
        """None beyond the core packages."""
        return ()

    def start(
        self, store: ResultsStore | None, manifest: dict[str, Any], executor: str
    ) -> StudyExecution:
        """Begin the first batch."""
        return StudyExecution(self, store, manifest)


class StudyExecution:
    """A study while it runs: batches of replications, streamed to the store."""

    def __init__(
        self, plan: StudyPlan, store: ResultsStore | None, manifest: dict[str, Any]
    ) -> None:
        self.plan = plan
        self.store = store
        self.manifest = manifest
        self.arms = list(plan.scenario.arms)
        self.replications = plan.replications
        self.started = 0
        self.reused = 0
        self.stopped_by: str | None = None
        self.check: pd.DataFrame | None = None
        # with a store, results stream to disk and are read back at the end, so
        # memory does not grow with the number of replications while they run
        self.results: list[ReplicationResult] = []
        self.rounds = 0
        if store is not None:
            store.bind(plan.identity())

    def next_round(self) -> list[Task] | None:
        """The next batch of (arm, replication) tasks; None once the study is complete."""
        plan = self.plan
        if self.rounds > 0:
            if plan.precision is None:
                return None
            self.check = stats.precision_check(
                self._metrics_so_far(), plan.scenario.baseline, HEADLINE_METRICS, plan.precision
            )
            cap = plan.max_replications or self.replications
            if bool(self.check["met"].all()):
                self.stopped_by = "precision"
            elif self.replications >= cap:
                self.stopped_by = "max_replications"
            following = None if self.stopped_by else next_batch(self.replications, self.check, cap)
            if plan.checked is not None:
                plan.checked(self.replications, self.check, following)
            if following is None:
                return None
            self.started = self.replications
            self.replications = following
        self.rounds += 1
        if plan.planned is not None:
            plan.planned(self.replications)
        self.manifest["replications"] = self.replications
        self.manifest["replication_seeds"] = replication_seeds(plan.root_seed, self.replications)
        if self.store is None:
            return [
                Task((arm, r), run_replication, (plan.scenario, arm, r, plan.root_seed))
                for r in range(self.started, self.replications)
                for arm in self.arms
            ]
        identities = (self.store.identity,)
        return [
            Task((arm, r), run_encoded, (plan.scenario, arm, r, plan.root_seed, identities))
            for r in range(self.started, self.replications)
            for arm in self.arms
        ]

    def verify(self, task: Task) -> str:
        """Whether a replication's stored files verify (those that do not are removed)."""
        assert self.store is not None
        arm, r = task.key
        reason = self.store.verify_replication(arm, r)
        if reason is None:
            return STORED
        listed = self.store.key(arm, r) in self.store.parts
        self.store.discard_replication(arm, r)
        return ABSENT if reason.endswith("is missing") and not listed else reason

    def checkpoint(self) -> None:
        """Record the batch about to run (and what verified) in the manifest."""
        if self.store is not None:
            self.store.write_manifest(self.manifest)

    def reuse(self, task: Task) -> None:
        """Count a replication read from the store."""
        self.reused += 1
        self._report(task)

    def keep(self, task: Task, outcome: Any) -> None:
        """Write a finished replication (or keep it in memory)."""
        if self.store is not None:
            if isinstance(outcome, EncodedReplication):
                self.store.write_encoded(outcome, outcome.files[0])
            else:
                self.store.write_replication(outcome)
            self.store.write_manifest_soon(self.manifest)
        else:
            self.results.append(outcome)
        self._report(task)

    def _report(self, task: Task) -> None:
        if self.plan.progress is not None:
            arm, r = task.key
            self.plan.progress(arm, r)

    def _metrics_so_far(self) -> pd.DataFrame:
        if self.store is None:
            return pd.concat([r.metrics for r in self.results], ignore_index=True)
        return pd.concat(
            [
                self.store.read_part(arm, r, "metrics")
                for r in range(self.replications)
                for arm in self.arms
            ],
            ignore_index=True,
        )

    def finish(self) -> Study:
        """The study, its summaries written to the store."""
        plan, store, n = self.plan, self.store, self.replications
        results = self.results
        if store is not None:
            results = [
                store.read_replication(arm, r, plan.root_seed)
                for r in range(n)
                for arm in self.arms
            ]
        frames = collect_frames(plan.scenario, results)
        study = Study(
            scenario=plan.scenario,
            root_seed=plan.root_seed,
            replications=n,
            metrics=frames["metrics"],
            daily=frames["daily"],
            histogram=frames["histogram"],
            distributions=frames["distributions"],
            reused=self.reused,
            stopped_by=self.stopped_by,
            precision=self.check,
        )
        if store is not None:
            store.write_csv("levels", study.levels())
            store.write_csv("differences", study.differences())
            self.manifest["replications"] = n
            self.manifest["stopped_by"] = self.stopped_by
        return study


def check_study_directory(
    out: str | Path, scenario: Scenario, root_seed: int, overwrite: bool
) -> None:
    """Refuse a directory a study of ``scenario`` cannot be written into, before it starts.

    :func:`run_study` checks again once it holds the directory's lock; this is
    for callers that want to refuse before printing or starting anything.
    """
    identity = study_identity(scenario_hash(scenario), root_seed)
    check_writable(
        Path(out), lambda found: _same_study(found, identity), overwrite, "study", identity
    )


def check_count(name: str, value: object, low: int, high: int = MAX_REPLICATIONS) -> None:
    """Refuse a count that is not an integer in [low, high] (a bool is not a count)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer (got {value!r})")
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high:,} (got {value:,})")


def study_identity(scenario_hash_: str, root_seed: int) -> dict[str, Any]:
    """What a study's files record as their owner: its kind, scenario hash and root seed."""
    return {"kind": "study", "scenario_hash": scenario_hash_, "root_seed": root_seed}


def _same_study(record: Mapping[str, Any], identity: Mapping[str, Any]) -> bool:
    """Whether a manifest is the study of ``identity`` (a study's manifest written
    before kinds were recorded has none; a sweep's or an analysis' always has one)."""
    return bool(
        record.get("kind", "study") == "study"
        and record.get("scenario_hash") == identity["scenario_hash"]
        and record.get("root_seed") == identity["root_seed"]
    )


def load_study(path: str | Path) -> Study:
    """Open a finished study directory: exactly the replications its manifest lists.

    Every file is checked against the content hash the manifest recorded for
    it; files the manifest does not list are left out, with a
    :class:`~simulator.experiments.store.ResultsWarning` naming them.

    Raises
    ------
    ResultsError
        When ``path`` is not a study directory, the study is not finished (the
        message says how many replications are present), or a file it lists is
        missing, damaged or not the one written.
    """
    root = Path(path)
    store = ResultsStore(root)
    record = store.read_manifest()
    kind = record.get("kind", "study")
    if kind != "study":
        raise ResultsError(f"{root}: holds a {kind}, not a study")
    try:
        scenario = scenario_from_record(record["scenario"], f"{root}/manifest.json")
        n = int(record["replications"])
        root_seed = int(record["root_seed"])
    except (KeyError, TypeError, ValueError) as exc:  # ValidationError is a ValueError
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ResultsError(f"{root}: the manifest cannot be read: {reason[:160]}") from None
    arms = list(scenario.arms)
    legacy = "parts" not in record
    if not record.get("finished"):
        present = sum(1 for arm in arms for r in range(n) if store.key(arm, r) in store.parts)
        raise ResultsError(
            f"{root}: the study is not finished: {present} of {n * len(arms)} replications "
            "(arms x replications) are present; run the same command again to resume it"
        )
    if legacy:
        results = [_read_legacy(store, arm, r, root_seed) for r in range(n) for arm in arms]
    else:
        results = [store.read_replication(arm, r, root_seed) for r in range(n) for arm in arms]
        warn_extra(root, store.extra_files())
    frames = collect_frames(scenario, results)
    return Study(
        scenario=scenario,
        root_seed=root_seed,
        replications=n,
        metrics=frames["metrics"],
        daily=frames["daily"],
        histogram=frames["histogram"],
        distributions=frames["distributions"],
        path=root,
        stopped_by=record.get("stopped_by"),
    )


def _read_legacy(
    store: ResultsStore, arm: str, replication: int, root_seed: int
) -> ReplicationResult:
    """A replication of a study written before content hashes were recorded.

    Its files can be checked only for what their rows say: the arm, the
    replication and the root seed.
    """
    result = store.read_replication(arm, replication, root_seed, verify=False)
    for part, frame in (("metrics", result.metrics), ("daily", result.daily)):
        wrong = (
            (frame["arm"] != arm)
            | (frame["replication"] != replication)
            | (frame["root_seed"] != root_seed)
        )
        if bool(wrong.any()):
            raise ResultsError(
                f"{store.root}: replications/{arm}/{replication:05d}.{part}.parquet holds rows "
                "of another arm, replication or seed"
            )
    return result
