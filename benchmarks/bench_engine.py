"""Engine throughput: proposals simulated per second against bare SimPy timeouts.

Runs one replication of the reference market (scenarios/reference_market.yaml)
and, in the same interpreter, a loop of bare ``env.timeout`` events, then
prints both rates and their ratio (the engine's target is a ratio of at least
1.25). It also runs the market with a short and a long horizon, each in a fresh
process, and prints the peak resident memory of each, which should not grow
with the horizon.

Usage::

    python benchmarks/bench_engine.py [--horizon-days 365] [--arm paid] [--set PATH=VALUE]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import simpy

try:
    from simulator.config.loading import load_scenario
    from simulator.engine.market import Market
except ImportError:  # a checkout of the flat layout, measured by bench_compare.py
    from simulator.loading import load_scenario  # type: ignore[no-redef]
    from simulator.market import Market  # type: ignore[no-redef]

REFERENCE = Path(__file__).resolve().parent.parent / "scenarios" / "reference_market.yaml"


def bare_timeout_rate(events: int = 1_000_000) -> float:
    """Timeouts fired per second by a single SimPy process doing nothing else."""

    def ticker(env: simpy.Environment) -> simpy.events.ProcessGenerator:
        for _ in range(events):
            yield env.timeout(1.0)

    env = simpy.Environment()
    env.process(ticker(env))
    start = time.perf_counter()
    env.run()
    return events / (time.perf_counter() - start)


def engine_rate(arm: str, horizon_days: float, overrides: list[str]) -> tuple[float, int, float]:
    """Proposals per second, proposals, and seconds for one replication."""
    scenario = load_scenario(REFERENCE, [f"run.horizon_days={horizon_days}", *overrides])
    market = Market(scenario, arm, replication=0)
    start = time.perf_counter()
    result = market.run()
    seconds = time.perf_counter() - start
    proposals = int(result.daily["proposals"].sum())
    return proposals / seconds, proposals, seconds


def peak_memory_mib(arm: str, horizon_days: float) -> float:
    """Peak resident memory of a fresh process running one replication, MiB.

    A separate process per horizon, so that neither the other run nor the
    compiled code's caches blur the comparison; resident memory counts the
    arrays that compiled code allocates, which tracemalloc does not see.
    """
    code = (
        "import resource, sys\n"
        "from simulator.config.loading import load_scenario\n"
        "from simulator.engine.market import Market\n"
        f"sc = load_scenario({str(REFERENCE)!r}, ['run.horizon_days={horizon_days}'])\n"
        f"Market(sc, {arm!r}, replication=0).run()\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1]) / 1024.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arm", default="paid")
    parser.add_argument("--horizon-days", type=float, default=365.0)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a field of the reference market, as connectsim run --set",
    )
    args = parser.parse_args()

    timeouts = bare_timeout_rate()
    rate, proposals, seconds = engine_rate(args.arm, args.horizon_days, args.overrides)
    timeouts_after = bare_timeout_rate()
    baseline = 0.5 * (timeouts + timeouts_after)
    changed = f" ({', '.join(args.overrides)})" if args.overrides else ""
    print(f"reference market{changed}, arm {args.arm}, {args.horizon_days:.0f} days recorded")
    print(f"  proposals simulated      {proposals:>14,d} in {seconds:.1f} s")
    print(f"  proposals per second     {rate:>14,.0f}")
    print(
        f"  bare SimPy timeouts/s    {baseline:>14,.0f}  "
        f"(before {timeouts:,.0f}, after {timeouts_after:,.0f})"
    )
    print(f"  ratio                    {rate / baseline:>14.2f}  (target >= 1.25)")
    if not args.skip_memory:
        short = peak_memory_mib(args.arm, 90.0)
        long = peak_memory_mib(args.arm, 360.0)
        print("peak resident memory of one replication of the reference market")
        print(f"  90-day horizon           {short:>11.1f} MiB")
        print(f"  360-day horizon          {long:>11.1f} MiB  (ratio {long / short:.2f})")


if __name__ == "__main__":
    main()
