"""Engine throughput: proposals simulated per second against bare SimPy timeouts.

Runs one replication of the reference market (scenarios/reference_market.yaml)
and, in the same interpreter, a loop of bare ``env.timeout`` events, then
prints both rates and their ratio (the engine's target is a ratio of at least
1.25). It also runs the market with a short and a long horizon and prints the
peak memory of each, which should not grow with the horizon.

Usage::

    python benchmarks/bench_engine.py [--horizon-days 365] [--arm paid]
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
from pathlib import Path

import simpy

from simulator.loading import load_scenario
from simulator.market import Market

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


def engine_rate(arm: str, horizon_days: float) -> tuple[float, int, float]:
    """Proposals per second, proposals, and seconds for one replication."""
    scenario = load_scenario(REFERENCE, [f"run.horizon_days={horizon_days}"])
    market = Market(scenario, arm, replication=0)
    start = time.perf_counter()
    result = market.run()
    seconds = time.perf_counter() - start
    proposals = int(result.daily["proposals"].sum())
    return proposals / seconds, proposals, seconds


def peak_memory_mib(arm: str, horizon_days: float) -> float:
    """Peak traced Python memory of one replication, MiB."""
    scenario = load_scenario(
        REFERENCE,
        [
            f"run.horizon_days={horizon_days}",
            "world.population.freelancers=5000",
            "world.jobs.jobs_per_day=375",
        ],
    )
    gc.collect()
    tracemalloc.start()
    Market(scenario, arm, replication=0).run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arm", default="paid")
    parser.add_argument("--horizon-days", type=float, default=365.0)
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()

    timeouts = bare_timeout_rate()
    rate, proposals, seconds = engine_rate(args.arm, args.horizon_days)
    timeouts_after = bare_timeout_rate()
    baseline = 0.5 * (timeouts + timeouts_after)
    print(f"reference market, arm {args.arm}, {args.horizon_days:.0f} days recorded")
    print(f"  proposals simulated      {proposals:>14,d} in {seconds:.1f} s")
    print(f"  proposals per second     {rate:>14,.0f}")
    print(
        f"  bare SimPy timeouts/s    {baseline:>14,.0f}  (before {timeouts:,.0f}, after {timeouts_after:,.0f})"
    )
    print(f"  ratio                    {rate / baseline:>14.2f}  (target >= 1.25)")
    if not args.skip_memory:
        short = peak_memory_mib(args.arm, 90.0)
        long = peak_memory_mib(args.arm, 360.0)
        print("peak traced memory, 5,000 freelancers")
        print(f"  90-day horizon           {short:>11.1f} MiB")
        print(f"  360-day horizon          {long:>11.1f} MiB  (ratio {long / short:.2f})")


if __name__ == "__main__":
    main()
