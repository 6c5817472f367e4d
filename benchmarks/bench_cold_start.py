"""Cold start: how long the commands that run nothing take, and what compiling costs.

Three measurements, each in fresh processes (issue 16, item 4):

* ``connectsim --help`` and ``connectsim validate scenarios/paid_vs_free.yaml``:
  wall time of the whole command, the median of 5 runs each (target: under
  0.5 s; neither loads numba, pandas or SciPy, see tests/cli/test_cold_start.py);
* the first study's compilation: one tiny replication of each arm of
  paid_vs_free.yaml (a market of 300 freelancers over 15 + 45 days), timed
  from before the engine is imported to the end of the runs, in a process
  whose numba cache is an empty temporary directory (``NUMBA_CACHE_DIR``:
  every kernel is compiled and written there), then in a second process on
  that cache (every kernel loaded). Cold minus warm is the compile time
  (target: at most 20 s).

Usage::

    python benchmarks/bench_cold_start.py [--runs 5] [--skip-compile]

Nothing is asserted: the figures are printed, with the load average, and
docs/architecture.md ("Cold start and throughput") quotes a run.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "paid_vs_free.yaml"
CONNECTSIM = Path(sys.executable).with_name("connectsim")
TINY_MARKET = (
    "world.population.freelancers=300",
    "world.jobs.jobs_per_day=25",
    "run.warmup_days=15",
    "run.horizon_days=45",
)
HELP_TARGET_S = 0.5
COMPILE_TARGET_S = 20.0

TINY_RUN = """
import sys, time
start = time.perf_counter()
from simulator.config.loading import load_scenario
from simulator.engine.market import run_replication
imported = time.perf_counter()
scenario = load_scenario(sys.argv[1], sys.argv[2:])
for arm in scenario.arms:
    run_replication(scenario, arm, 0, 1)
done = time.perf_counter()
print(f"{imported - start} {done - start}")
"""
"""One tiny replication of each arm; prints the seconds to import the engine and the
seconds from before the import to the end of the runs."""


def command_seconds(args: list[str], runs: int) -> list[float]:
    """Wall seconds of ``connectsim ARGS`` in ``runs`` fresh processes."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [str(CONNECTSIM), *args], cwd=ROOT, check=True, capture_output=True, text=True
        )
        times.append(time.perf_counter() - start)
    return times


def tiny_run_seconds(cache_dir: Path) -> tuple[float, float]:
    """(import, import + runs) seconds of :data:`TINY_RUN` in a fresh process whose
    numba cache is ``cache_dir``."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir)}
    done = subprocess.run(
        [sys.executable, "-c", TINY_RUN, str(SCENARIO), *TINY_MARKET],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    imported, total = (float(x) for x in done.stdout.split()[-2:])
    return imported, total


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each command")
    parser.add_argument("--skip-compile", action="store_true")
    args = parser.parse_args()

    print(f"{platform.node()}, Python {platform.python_version()}; {load()} at the start")
    # one untimed run each, so that the first timed one does not pay for cold disk caches
    command_seconds(["--help"], 1)
    command_seconds(["validate", str(SCENARIO)], 1)
    for label, command in (
        ("connectsim --help", ["--help"]),
        ("connectsim validate paid_vs_free", ["validate", str(SCENARIO.relative_to(ROOT))]),
    ):
        times = command_seconds(command, args.runs)
        shown = ", ".join(f"{t:.2f}" for t in times)
        print(
            f"  {label:38s} {statistics.median(times):6.2f} s median of {args.runs} "
            f"(target < {HELP_TARGET_S} s); runs {shown}"
        )

    if not args.skip_compile:
        cache = Path(tempfile.mkdtemp(prefix="connectsim-numba-"))
        try:
            cold_import, cold = tiny_run_seconds(cache)
            cached = sum(1 for p in cache.rglob("*") if p.suffix in (".nbi", ".nbc"))
            warm_import, warm = tiny_run_seconds(cache)
        finally:
            shutil.rmtree(cache, ignore_errors=True)
        print(f"  first study, one tiny run of each arm ({' '.join(TINY_MARKET)}):")
        rows = (
            ("cold (empty NUMBA_CACHE_DIR)", cold, f"engine import {cold_import:.1f} s"),
            (f"warm (its {cached} cache files)", warm, f"engine import {warm_import:.1f} s"),
            ("compile time (cold - warm)", cold - warm, f"target <= {COMPILE_TARGET_S:.0f} s"),
        )
        for label, seconds, note in rows:
            print(f"    {label:34s} {seconds:6.1f} s ({note})")
    print(f"  {load()} at the end")


if __name__ == "__main__":
    main()
