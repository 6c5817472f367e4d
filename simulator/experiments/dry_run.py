"""What a run would cost, without running it: replications, time and memory.

``--dry-run`` on ``connectsim run``, ``sweep`` and ``sensitivity`` prints the
number of replication runs the plan makes (from the plan itself) and an
estimate of the time they take, grounded in a measurement on this machine:
every arm of the scenario is timed over a shortened run (at most
:data:`TIMED_DAYS` simulated days, warm-up and horizon shortened in
proportion, after a one-day run that loads, or compiles, the engine), and
the time is scaled to the whole run's days. On ``paid_vs_free.yaml`` a
30-day timing scaled this way gave 9.9 s a replication for 7.5 s measured
over the whole 270 days: the cost of a day grows while the market fills,
but a fixed set-up cost is scaled too, and the two roughly cancel. The
memory of one run is :func:`~simulator.engine.resources.estimate_replication_bytes`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from simulator.config.scenario import Scenario
from simulator.engine.market import run_replication
from simulator.engine.resources import available_memory_bytes, estimate_replication_bytes

TIMED_DAYS = 30.0
"""The most simulated days (warm-up and horizon) a dry run times each arm over."""


@dataclass(frozen=True)
class RunTiming:
    """Seconds of one replication run of a scenario, measured on a shortened run."""

    seconds_per_run: float
    """The mean over arms of the timed seconds, scaled to the whole run's days."""
    seconds_by_arm: dict[str, float]
    """Each arm's measured seconds over ``timed_days``."""
    timed_days: float
    total_days: float

    def describe(self) -> str:
        """What the estimate rests on, in words."""
        arms = ", ".join(f"{arm} {s:.2f} s" for arm, s in self.seconds_by_arm.items())
        return (
            f"about {self.seconds_per_run:.1f} s a run: one replication of each arm timed "
            f"here over {self.timed_days:g} of its {self.total_days:g} simulated days "
            f"({arms}), scaled to the whole run"
        )


def _shortened(scenario: Scenario, share: float) -> Scenario:
    """The scenario with warm-up and horizon cut to ``share`` of their length (values
    within their bounds, so no validation is needed)."""
    run = scenario.run.model_copy(
        update={
            "warmup_days": scenario.run.warmup_days * share,
            "horizon_days": scenario.run.horizon_days * share,
        }
    )
    return scenario.model_copy(update={"run": run})


def time_one_run(
    scenario: Scenario, root_seed: int | None = None, arms: Sequence[str] | None = None
) -> RunTiming:
    """Measure the seconds of one replication run of ``scenario``, per arm.

    Parameters
    ----------
    scenario
        A validated scenario.
    root_seed
        The study's root seed (default: the scenario's).
    arms
        The arms the plan runs (default: every arm of the scenario).

    Returns
    -------
    RunTiming
        Each arm timed over at most :data:`TIMED_DAYS` days, and the mean scaled
        to the scenario's warm-up plus horizon.

    Raises
    ------
    ScenarioError
        When a replication would not fit in memory (as a run would refuse it).
    """
    total = scenario.run.warmup_days + scenario.run.horizon_days
    share = min(1.0, TIMED_DAYS / total)
    # the first replication in a process loads the compiled engine (or compiles it):
    # a one-day run pays for that, so that the timings below measure the market only
    run_replication(_shortened(scenario, min(share, 1.0 / total)), scenario.baseline, 0, root_seed)
    short = _shortened(scenario, share)
    seconds: dict[str, float] = {}
    for arm in arms or list(scenario.arms):
        start = time.perf_counter()
        run_replication(short, arm, 0, root_seed)
        seconds[arm] = time.perf_counter() - start
    per_run = sum(seconds.values()) / len(seconds) / share
    return RunTiming(per_run, seconds, total * share, total)


@dataclass(frozen=True)
class DryRun:
    """A plan's cost: its runs, their time and their memory."""

    runs: int
    """Replication runs the plan makes (the fewest, with a precision target)."""
    most_runs: int
    """The most it may make (a precision target's cap); ``runs`` otherwise."""
    timing: RunTiming
    memory_bytes_per_run: int
    workers: int | None
    """Runs at once on this machine; None for a cluster of unknown size."""

    def cpu_seconds(self, runs: int) -> float:
        """Seconds of one core that ``runs`` runs take."""
        return runs * self.timing.seconds_per_run

    def wall_seconds(self, runs: int) -> float | None:
        """Seconds ``runs`` runs take on ``workers`` (runs go out in rounds of
        ``workers``); None when the workers are not known."""
        if self.workers is None:
            return None
        return math.ceil(runs / self.workers) * self.timing.seconds_per_run


def dry_run(
    scenario: Scenario,
    runs: int,
    workers: int | None,
    most_runs: int | None = None,
    root_seed: int | None = None,
    arms: Sequence[str] | None = None,
) -> DryRun:
    """Estimate a plan's cost on this machine; see the module docstring.

    Parameters
    ----------
    scenario
        The scenario every run is (the base scenario of a sweep or an analysis).
    runs
        Replication runs the plan makes.
    workers
        Runs at once (local processes or Dask workers); None for a cluster.
    most_runs
        With a precision target: the most runs it may make.
    root_seed
        The study's root seed.
    arms
        The arms the plan runs (default: every arm of the scenario).
    """
    timing = time_one_run(scenario, root_seed, arms)
    return DryRun(
        runs=runs,
        most_runs=runs if most_runs is None else most_runs,
        timing=timing,
        memory_bytes_per_run=estimate_replication_bytes(scenario),
        workers=workers,
    )


def memory_available() -> str:
    """The memory this process may use, for a dry run's report."""
    found, source = available_memory_bytes()
    return "unknown" if found is None else f"{found / 1024**3:.1f} GiB ({source})"
