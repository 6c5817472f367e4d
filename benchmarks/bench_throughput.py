"""Throughput of many small runs: a sweep on a process pool against one core's rate.

A sweep of 64 points x 2 arms x 2 replications (256 distinct runs: the varied
field, ``world.jobs.ghost_share``, belongs to the world, so no arm's run is
shared between points) on a small market, run on a pool of 2 worker
processes into a results directory, as ``connectsim sweep`` runs it. In the
same invocation, the same market's replications are timed in this process
(the compiled kernels warm, each run timed alone) to get one core's rate.
The pool's efficiency is

    achieved runs per second / (one core's runs per second x workers)

against the target of 0.80 (issue 16, item 5): what the pool loses to
starting its workers, sending tasks and results between processes, the
parent's writing of every run's files and the sweep's summaries. The sweep's
wall time is split into its runs and its summaries, and the CPU time of the
workers and of this process is printed, to show where the rest went.

The host's speed drifts by several per cent within a minute on a shared
machine, so the sweep is run ``--rounds`` times, each compared with one core's
rate measured just before and just after it, and the median efficiency of the
rounds is the figure.

Then many small calls (``--batches`` of ``--batch-size`` runs, as a
calibration's generations or a study's precision rounds make them) run on a
pool kept while its executor is entered, and on a pool started for each call.

Usage::

    python benchmarks/bench_throughput.py [--workers 2] [--points 64] [--replications 2]
                                          [--single 16] [--rounds 5] [--batches 16]
                                          [--batch-size 8] [--profile]

``--profile`` also prints where the parent process spent its time during the
sweep (cProfile, top functions by cumulative time).

Nothing is asserted: the figures are printed, with the load average, and
docs/architecture.md ("Cold start and throughput") quotes a run.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import os
import platform
import pstats
import resource
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# The simulator is imported inside the functions that use it, not here: this file
# is the main module of the pool's spawned workers, which import it again as they
# start. Imported here, the sweep's planning and statistics would be imported by
# every worker, which the workers of ``connectsim sweep`` (whose main module is the
# light CLI entry point) never import, and the pool would be timed starting slower
# than the command's.

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "paid_vs_free.yaml"
SMALL_MARKET = (
    "world.population.freelancers=300",
    "world.jobs.jobs_per_day=25",
    "run.warmup_days=15",
    "run.horizon_days=45",
)
VARIED = "world.jobs.ghost_share"
TARGET = 0.80


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"


def single_rate(count: int) -> tuple[float, list[float]]:
    """Runs per second of one core: ``count`` replications (alternating arms, over
    ghost shares of the sweep's range, as the sweep's runs are) run here one after
    another, each timed alone; the rate is their number over their total time (the
    sweep's rate is its runs over its time, so both count the same mix of runs)."""
    from simulator.config.loading import load_scenario
    from simulator.engine.market import run_replication

    scenario = load_scenario(SCENARIO, list(SMALL_MARKET))
    arms = list(scenario.arms)
    run_replication(scenario, arms[0], 0, 1)  # compile (or load the cache) before timing
    times = []
    for i in range(count):
        share = 0.3 * (i + 0.5) / count
        varied = load_scenario(SCENARIO, [*SMALL_MARKET, f"{VARIED}={share}"])
        start = time.perf_counter()
        run_replication(varied, arms[i % len(arms)], i // len(arms), 1)
        times.append(time.perf_counter() - start)
    return count / sum(times), times


@dataclass
class SweepTiming:
    """What one sweep took: wall seconds, and CPU seconds of this process and its workers."""

    runs: int
    seconds: float
    summaries: float
    """Wall seconds from the last run kept to the result (the summaries)."""
    parent_cpu_runs: float
    """CPU seconds of this process while the runs ran (receiving and writing results)."""
    parent_cpu_summaries: float
    workers_cpu: float
    """CPU seconds of the worker processes, start-up included."""

    @property
    def rate(self) -> float:
        return self.runs / self.seconds


def sweep_timing(points: int, replications: int, workers: int, profile: bool) -> SweepTiming:
    """The sweep on ``workers`` processes into a temporary directory, wall clock from
    the executor's entry (its workers' start included) to the sweep's result."""
    from simulator.experiments.executors import LocalPoolExecutor
    from simulator.experiments.runner import run
    from simulator.experiments.sweep import SweepRun, plan_sweep

    plan = plan_sweep(
        SCENARIO, [f"{VARIED}=0.0:0.3:{points}"], design="grid", seed=1, overrides=SMALL_MARKET
    )
    last = [0.0, 0.0]

    def progress(_point: str, _arm: str, _replication: int) -> None:
        last[:] = [time.perf_counter(), time.process_time()]

    experiment = SweepRun(plan, replications, progress)
    # SciPy's statistics, which the summaries use, imported before the clock starts:
    # a one-off import of this process, not part of what the pool loses (until the
    # experiments API imported it lazily, it was imported with the API, before)
    import scipy.stats  # noqa: F401

    executor = LocalPoolExecutor(workers)
    profiler = cProfile.Profile() if profile else None
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory() as out:
        start, cpu = time.perf_counter(), time.process_time()
        if profiler is not None:
            profiler.enable()
        run(experiment, executor=executor, out=Path(out) / "sweep")
        if profiler is not None:
            profiler.disable()
        end, end_cpu = time.perf_counter(), time.process_time()
    # the workers have exited (the pool is shut down when the executor is left)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    workers_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    if profiler is not None:
        print("where the parent's time went during the sweep (cumulative):")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(
            int(os.environ.get("PROFILE_LINES", "25"))
        )
    return SweepTiming(
        experiment.distinct_runs,
        end - start,
        end - last[0],
        last[1] - cpu,
        end_cpu - last[1],
        workers_cpu,
    )


def batches_seconds(batches: int, size: int, workers: int, kept: bool) -> float:
    """Seconds to run ``batches`` calls of ``size`` runs each on a pool of ``workers``,
    as a calibration's generations or a study's precision rounds come: the pool kept
    while the executor is entered (``kept``), or started and stopped for each call."""
    from simulator.config.loading import load_scenario
    from simulator.engine.market import run_replication
    from simulator.experiments.executors import LocalPoolExecutor

    scenario = load_scenario(SCENARIO, list(SMALL_MARKET))
    arms = list(scenario.arms)
    executor = LocalPoolExecutor(workers)
    start = time.perf_counter()
    with executor if kept else contextlib.nullcontext(executor):
        for b in range(batches):
            calls = [(scenario, arms[i % len(arms)], b * size + i, 1) for i in range(size)]
            for _ in executor.map_unordered(run_replication, calls):
                pass
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--points", type=int, default=64)
    parser.add_argument("--replications", type=int, default=2)
    parser.add_argument("--single", type=int, default=16, help="runs timed in this process")
    parser.add_argument("--rounds", type=int, default=5, help="sweeps, each between two rates")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--batches", type=int, default=16, help="calls of --batch-size runs (0: skip)"
    )
    parser.add_argument("--batch-size", type=int, default=8)
    args = parser.parse_args()

    print(f"{platform.node()}, Python {platform.python_version()}; {load()} at the start")
    print(f"small market: {' '.join(SMALL_MARKET)}")
    one, times = single_rate(args.single)
    shown = (
        f"{args.single} runs of {min(times):.3f} to {max(times):.3f} s, "
        f"median {statistics.median(times):.3f} s"
    )
    print(f"  one core, in this process   {one:7.2f} runs/s ({shown})")
    efficiencies = []
    for round_ in range(1, args.rounds + 1):
        timing = sweep_timing(args.points, args.replications, args.workers, args.profile)
        achieved, runs = timing.rate, timing.runs
        print(
            f"  round {round_}: sweep on {args.workers} workers  {achieved:7.2f} runs/s "
            f"({runs} runs: {args.points} points x 2 arms x {args.replications} replications)"
        )
        print(
            f"    wall {timing.seconds:.1f} s: runs {timing.seconds - timing.summaries:.1f} s, "
            f"then summaries {timing.summaries:.1f} s"
        )
        print(
            f"    CPU: workers {timing.workers_cpu:.1f} s "
            f"({timing.workers_cpu / runs * 1e3:.0f} ms a run, start-up included); this "
            f"process {timing.parent_cpu_runs:.1f} s while the runs ran "
            f"({timing.parent_cpu_runs / runs * 1e3:.0f} ms a run), "
            f"{timing.parent_cpu_summaries:.1f} s for the summaries"
        )
        # one core again after each sweep: the host's speed drifts, so each sweep is
        # compared with the mean of the rates measured just before and just after it
        after, _ = single_rate(args.single)
        print(f"    one core again, after     {after:7.2f} runs/s")
        efficiencies.append(achieved / ((one + after) / 2 * args.workers))
        print(f"    efficiency                {efficiencies[-1]:7.2f}")
        one = after
    print(
        f"  efficiency, median of {args.rounds} rounds "
        f"{statistics.median(efficiencies):5.2f} of one core's rate x {args.workers} "
        f"(target >= {TARGET:.2f}; rounds {', '.join(f'{e:.2f}' for e in efficiencies)})"
    )
    if args.batches:
        runs = args.batches * args.batch_size
        kept = batches_seconds(args.batches, args.batch_size, args.workers, kept=True)
        fresh = batches_seconds(args.batches, args.batch_size, args.workers, kept=False)
        print(f"  {args.batches} calls of {args.batch_size} runs on {args.workers} workers:")
        print(f"    pool kept while entered     {runs / kept:7.2f} runs/s ({kept:.1f} s)")
        print(f"    a pool started per call     {runs / fresh:7.2f} runs/s ({fresh:.1f} s)")
    print(f"  {load()} at the end")


if __name__ == "__main__":
    main()
