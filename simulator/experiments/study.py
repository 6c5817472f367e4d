"""Studies: every arm of a scenario for many replications, on common random numbers.

Replication ``r`` of every arm uses ``SeedSequence(root_seed, spawn_key=(r,))``,
so the arms of a replication face the same freelancers and the same job
stream. A replication is a pure function of its inputs, so the order in which
an executor finishes them changes nothing: results are sorted by arm and
replication before anything is computed from them.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator.catalog import HEADLINE_METRICS
from simulator.config.loading import load_scenario, scenario_hash
from simulator.config.scenario import MAX_REPLICATIONS, MAX_SEED, Scenario
from simulator.engine.market import run_replication
from simulator.engine.recorder import ReplicationResult
from simulator.engine.resources import check_replication_memory
from simulator.engine.rng import replication_seed
from simulator.errors import ResultsError
from simulator.experiments import stats
from simulator.experiments.executors import Executor, resolve_executor
from simulator.experiments.executors import default_workers as default_workers  # re-exported
from simulator.experiments.provenance import git_commit, utc_now, versions
from simulator.experiments.store import (
    ResultsStore,
    ResultsWarning,
    check_writable,
    open_for_writing,
    warn_extra,
)

ProgressCallback = Callable[[str, int], None]
"""Called as ``progress(arm, replication)`` each time a replication finishes."""

PlanCallback = Callable[[int], None]
"""Called as ``planned(replications_per_arm)`` each time a study sets how many it runs."""

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
    key = frame["arm"].map(order)
    out = frame.assign(_arm_order=key).sort_values(["_arm_order", "replication"], kind="stable")
    return out.drop(columns="_arm_order").reset_index(drop=True)


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


def manifest(
    scenario: Scenario,
    root_seed: int,
    replications: int,
    executor: str,
    started: str,
    command: str | None = None,
) -> dict[str, Any]:
    """What a study directory records about how it was made (``command``: the command
    line that made it, when it came from one)."""
    return {
        "kind": "study",
        "scenario": scenario.model_dump(mode="json"),
        "scenario_hash": scenario_hash(scenario),
        "root_seed": root_seed,
        "replications": replications,
        "replication_seeds": replication_seeds(root_seed, replications),
        "arms": list(scenario.arms),
        "baseline": scenario.baseline,
        "versions": versions(),
        "git_commit": git_commit(),
        "executor": executor,
        "command": command,
        "started": started,
        "finished": None,
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
            raise ValueError(
                f"precision must be a fraction between 0 and 1, e.g. 0.01 (got {precision!r})"
            )
        # an interval needs two replications
        n = max(n, 2)
        cap = DEFAULT_MAX_REPLICATIONS if max_replications is None else max_replications
        check_count("max_replications", cap, 2)
        if cap < n:
            raise ValueError(f"max_replications ({cap}) is below the first batch ({n})")
    elif max_replications is not None:
        raise ValueError("max_replications applies only with a precision target")
    if seed is not None:
        check_count("seed", seed, 0, MAX_SEED)
    root_seed = scenario.run.seed if seed is None else seed
    # before the store is touched: an unknown executor or a missing dask writes nothing
    runner = resolve_executor(executor, workers)
    check_replication_memory(scenario, runner.concurrent_here())
    record = manifest(scenario, root_seed, n, runner.describe(), utc_now(), command)
    if precision is not None:
        record["precision"] = {"relative": precision, "max_replications": cap}
    # entered before the store is touched, so that a Dask scheduler that cannot
    # be reached is reported with nothing written (reentrant: an executor the
    # caller holds open stays open)
    with runner:
        if out is None:
            return _run_batches(
                scenario, root_seed, n, cap, precision, runner, None, record, progress, planned
            )
        identity = study_identity(record["scenario_hash"], root_seed)
        with open_for_writing(
            Path(out), lambda found: _same_study(found, identity), overwrite, "study", identity
        ) as (store, commit):
            store.bind(identity)
            store.remove_partial_files()
            study = _run_batches(
                scenario, root_seed, n, cap, precision, runner, store, record, progress, planned
            )
            store.write_csv("levels", study.levels())
            store.write_csv("differences", study.differences())
            record["replications"] = study.replications
            record["stopped_by"] = study.stopped_by
            record["finished"] = utc_now()
            store.write_manifest(record)
            commit()
        study.path = Path(out)
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


def _same_study(record: dict[str, Any], identity: dict[str, Any]) -> bool:
    """Whether a manifest is the study of ``identity`` (a study's manifest written
    before kinds were recorded has none; a sweep's or an analysis' always has one)."""
    return bool(
        record.get("kind", "study") == "study"
        and record.get("scenario_hash") == identity["scenario_hash"]
        and record.get("root_seed") == identity["root_seed"]
    )


def _run_batches(
    scenario: Scenario,
    root_seed: int,
    n: int,
    cap: int,
    precision: float | None,
    runner: Executor,
    store: ResultsStore | None,
    record: dict[str, Any],
    progress: ProgressCallback | None,
    planned: PlanCallback | None,
) -> Study:
    """Run a study's replications, in batches with a precision target, into ``store``."""
    arms = list(scenario.arms)
    reused = 0
    stopped_by: str | None = None
    check: pd.DataFrame | None = None
    # with a store, results stream to disk and are read back at the end, so memory
    # does not grow with the number of replications while they run
    results: list[ReplicationResult] = []

    def finished(result: ReplicationResult) -> None:
        if store is not None:
            store.write_replication(result)
            store.write_manifest_soon(record)
        else:
            results.append(result)
        if progress is not None:
            progress(result.arm, result.replication)

    def metrics_so_far(count: int) -> pd.DataFrame:
        if store is None:
            return pd.concat([r.metrics for r in results], ignore_index=True)
        return pd.concat(
            [store.read_part(arm, r, "metrics") for r in range(count) for arm in arms],
            ignore_index=True,
        )

    started = 0
    while True:
        if planned is not None:
            planned(n)
        tasks = [(arm, r) for r in range(started, n) for arm in arms]
        if store is not None:
            done, tasks = _reusable(store, tasks)
            reused += len(done)
            record["replications"] = n
            record["replication_seeds"] = replication_seeds(root_seed, n)
            store.write_manifest(record)
            if progress is not None:
                for arm, r in done:
                    progress(arm, r)

        arguments = [(scenario, arm, r, root_seed) for arm, r in tasks]
        # closing(): if writing a result fails, what is still queued is cancelled
        # now, not whenever the generator is garbage-collected
        with closing(runner.map_unordered(run_replication, arguments)) as outcomes:
            for result in outcomes:
                finished(result)
        if precision is None:
            break
        check = stats.precision_check(
            metrics_so_far(n), scenario.baseline, HEADLINE_METRICS, precision
        )
        if bool(check["met"].all()):
            stopped_by = "precision"
            break
        if n >= cap:
            stopped_by = "max_replications"
            break
        started, n = n, next_batch(n, check, cap)

    if store is not None:
        results = [store.read_replication(arm, r, root_seed) for r in range(n) for arm in arms]
    frames = collect_frames(scenario, results)
    return Study(
        scenario=scenario,
        root_seed=root_seed,
        replications=n,
        metrics=frames["metrics"],
        daily=frames["daily"],
        histogram=frames["histogram"],
        distributions=frames["distributions"],
        reused=reused,
        stopped_by=stopped_by,
        precision=check,
    )


def _reusable(
    store: ResultsStore, tasks: list[tuple[str, int]]
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Split tasks into those whose stored files verify and those to run.

    A replication with files that do not verify is named in a warning, and its
    files are removed before it runs again.
    """
    done: list[tuple[str, int]] = []
    todo: list[tuple[str, int]] = []
    rejected: list[str] = []
    for arm, r in tasks:
        reason = store.verify_replication(arm, r)
        if reason is None:
            done.append((arm, r))
            continue
        todo.append((arm, r))
        if not reason.endswith("is missing") or store.key(arm, r) in store.parts:
            rejected.append(reason)
        store.discard_replication(arm, r)
    if rejected:
        shown = "; ".join(rejected[:3]) + ("; ..." if len(rejected) > 3 else "")
        warnings.warn(
            f"{store.root}: computing {len(rejected)} replication"
            f"{'s' if len(rejected) > 1 else ''} again: {shown}",
            ResultsWarning,
            stacklevel=4,
        )
    return done, todo


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
        scenario = Scenario.model_validate(record["scenario"])
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
