"""Study runner: speed-up from one to two worker processes, and memory against replications.

Speed-up: the same study (paid_vs_free.yaml on a shorter run, by default) is
run in-process and on a pool of two spawned processes, in one invocation, and
the ratio of wall times is printed. Both runs start from warm compiled-code
caches (a first in-process replication is run and discarded), so the pool's
extra cost is only process start-up and the import of the package in each
worker.

Memory: a fresh process runs a study of 10 and then, separately, one of 100
replications into a results directory and prints its peak resident memory;
results stream to disk, so the two should be close.

Usage::

    python benchmarks/bench_study.py [--replications 8] [--skip-memory] [--set PATH=VALUE]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from simulator.config.loading import load_scenario
from simulator.engine.market import run_replication
from simulator.experiments.study import run_study

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "paid_vs_free.yaml"
SHORT_RUN = ("run.warmup_days=30", "run.horizon_days=90")
SMALL_MARKET = (
    "world.population.freelancers=300",
    "world.jobs.jobs_per_day=25",
    "run.warmup_days=15",
    "run.horizon_days=45",
)


def wall_seconds(overrides: list[str], replications: int, workers: int) -> float:
    """Seconds to run every arm ``replications`` times on ``workers`` processes."""
    scenario = load_scenario(SCENARIO, overrides)
    start = time.perf_counter()
    run_study(scenario, replications=replications, seed=1, workers=workers)
    return time.perf_counter() - start


def peak_memory_mib(replications: int, overrides: list[str]) -> float:
    """Peak resident memory, MiB, of a fresh process running a study into a directory."""
    with tempfile.TemporaryDirectory() as out:
        code = (
            "import resource\n"
            "from simulator.config.loading import load_scenario\n"
            "from simulator.experiments.study import run_study\n"
            f"sc = load_scenario({str(SCENARIO)!r}, {overrides!r})\n"
            f"run_study(sc, replications={replications}, seed=1, out={out!r})\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
        )
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
    return int(proc.stdout.split()[-1]) / 1024.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=8, help="per arm, speed-up run")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-speedup", action="store_true")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()

    if not args.skip_speedup:
        overrides = [*SHORT_RUN, *args.overrides]
        scenario = load_scenario(SCENARIO, overrides)
        run_replication(scenario, scenario.baseline, 0, 1)  # compile before timing
        one = wall_seconds(overrides, args.replications, workers=1)
        two = wall_seconds(overrides, args.replications, workers=2)
        tasks = args.replications * len(scenario.arms)
        print(f"study of {tasks} replications ({' '.join(overrides)}):")
        print(f"  1 worker : {one:7.1f} s")
        print(f"  2 workers: {two:7.1f} s")
        print(f"  speed-up : {one / two:7.2f}x")

    if not args.skip_memory:
        overrides = [*SMALL_MARKET, *args.overrides]
        ten = peak_memory_mib(10, overrides)
        hundred = peak_memory_mib(100, overrides)
        print("peak resident memory of a study written to disk (small market):")
        print(f"   10 replications per arm: {ten:7.1f} MiB")
        print(f"  100 replications per arm: {hundred:7.1f} MiB")
        print(f"  ratio                   : {hundred / ten:7.2f}")


if __name__ == "__main__":
    main()
