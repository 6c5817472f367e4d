"""Engine throughput: proposals simulated per second against the naive SimPy peer and
against bare SimPy timeouts.

Runs one replication of the reference market (scenarios/reference_market.yaml) with
the engine, and the same market with the naive peer (benchmarks/naive_peer.py: a
SimPy process per freelancer and per post, an object per proposal), in turns:
rounds of the three measurements below, each in a fresh process, the order
reversed every other round, so that both see the same noise of a shared machine.
It prints every measurement and the medians over the rounds:

* the engine over the full horizon (365 days recorded after a 60-day warm-up);
* the engine and the peer over a shorter run (``--peer-warmup-days`` plus
  ``--peer-horizon-days``, 30 + 15 by default: the peer takes minutes a month of
  this market), whose proposals per second are compared like for like, with the
  proposals per post and hires per proposal of each, to show they simulated the
  same market;
* in each process, a loop of bare ``env.timeout`` events before and after, whose
  rate the engine's proposals a second are divided by.

Issue 16's targets: at least 20 times the peer's proposals a second, and at least
twice bare SimPy's timeouts a second over the reference market's year (the short
run's ratio to bare SimPy is printed too, without a target). Wall-clock rates are
printed, and the CPU time of each process beside them (the machine's other jobs slow the wall clock,
not the CPU time). Last, it runs the market with a short and a long horizon, each
in a fresh process, and prints the peak resident memory of each, which should not
grow with the horizon.

Usage::

    python benchmarks/bench_engine.py [--rounds 3] [--horizon-days 365] [--arm paid]
        [--peer-warmup-days 30] [--peer-horizon-days 15] [--skip-peer] [--skip-memory]
        [--set PATH=VALUE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import simpy

try:
    from simulator.config.loading import load_scenario
    from simulator.engine.market import Market
except ImportError:  # a checkout of the flat layout, measured by bench_compare.py
    from simulator.loading import load_scenario  # type: ignore[no-redef]
    from simulator.market import Market  # type: ignore[no-redef]

REFERENCE = Path(__file__).resolve().parent.parent / "scenarios" / "reference_market.yaml"


TARGET_OVER_PEER = 20.0
"""Issue 16: the engine simulates at least 20 times as many proposals a second as the
naive peer."""

TARGET_OVER_TIMEOUTS = 2.0
"""Issue 16: the engine simulates at least twice as many proposals a second as bare
SimPy fires timeouts."""


def _bare_timeout_rates(events: int = 1_000_000) -> tuple[float, float]:
    """Timeouts fired per second of wall time and of CPU time by a single SimPy process
    doing nothing else."""

    def ticker(env: simpy.Environment) -> simpy.events.ProcessGenerator:
        for _ in range(events):
            yield env.timeout(1.0)

    env = simpy.Environment()
    env.process(ticker(env))
    start, cpu = time.perf_counter(), time.process_time()
    env.run()
    return events / (time.perf_counter() - start), events / (time.process_time() - cpu)


def bare_timeout_rate(events: int = 1_000_000) -> float:
    """Timeouts fired per second by a single SimPy process doing nothing else."""
    return _bare_timeout_rates(events)[0]


def engine_rate(arm: str, horizon_days: float, overrides: list[str]) -> tuple[float, int, float]:
    """Proposals per second, proposals, and seconds for one replication."""
    scenario = load_scenario(REFERENCE, [f"run.horizon_days={horizon_days}", *overrides])
    market = Market(scenario, arm, replication=0)
    start = time.perf_counter()
    result = market.run()
    seconds = time.perf_counter() - start
    proposals = int(result.daily["proposals"].sum())
    return proposals / seconds, proposals, seconds


def _overall(result: Any) -> tuple[float, float]:
    """Proposals per job and hires per proposal of an engine result."""
    m = result.metrics
    overall = m[m["segment_kind"] == "overall"].set_index("metric")["value"]
    return float(overall["proposals_per_job"]), float(overall["hires_per_proposal"])


def measure(
    kind: str, arm: str, warmup_days: float, horizon_days: float, overrides: list[str]
) -> dict[str, float]:
    """One measurement, in this process: bare timeouts, the engine (``kind`` "engine")
    or the naive peer ("peer"), bare timeouts again.

    The engine's time is that of ``Market.run()`` and the peer's that of its
    ``run()``; building the initial market is not timed in either. The engine's
    includes the first calls of its compiled functions (loading them from numba's
    cache), as in :func:`engine_rate`.
    """
    scenario = load_scenario(
        REFERENCE,
        [f"run.warmup_days={warmup_days}", f"run.horizon_days={horizon_days}", *overrides],
    )
    before, before_cpu = _bare_timeout_rates()
    if kind == "engine":
        market = Market(scenario, arm, replication=0)
        start, cpu = time.perf_counter(), time.process_time()
        result = market.run()
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
        proposals = int(result.daily["proposals"].sum())
        per_post, per_proposal = _overall(result)
    else:
        # imported here: bench_compare.py loads this module in checkouts without the peer
        from naive_peer import NaivePeer

        peer = NaivePeer(scenario, arm, replication=0)
        cpu = time.process_time()
        r = peer.run()
        seconds, cpu_seconds = r.seconds, time.process_time() - cpu
        proposals = r.proposals
        per_post, per_proposal = r.proposals_per_post, r.hires_per_proposal
    after, after_cpu = _bare_timeout_rates()
    return {
        "proposals": proposals,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "rate": proposals / seconds,
        "cpu_rate": proposals / cpu_seconds,
        "timeouts": 0.5 * (before + after),
        "cpu_timeouts": 0.5 * (before_cpu + after_cpu),
        "proposals_per_post": per_post,
        "hires_per_proposal": per_proposal,
    }


def _measure_apart(
    kind: str, arm: str, warmup_days: float, horizon_days: float, overrides: list[str]
) -> dict[str, float]:
    """:func:`measure` in a fresh process (so that no run inherits another's caches or
    memory), its result read back as JSON."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--measure",
        kind,
        "--arm",
        arm,
        "--warmup-days",
        str(warmup_days),
        "--horizon-days",
        str(horizon_days),
    ]
    for text in overrides:
        command += ["--set", text]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def compare_with_peer(
    arm: str,
    horizon_days: float,
    peer_warmup_days: float,
    peer_horizon_days: float,
    rounds: int,
    overrides: list[str],
    with_peer: bool = True,
) -> None:
    """Measure the engine (full and short run) and the peer (short run) in turns, and
    print every measurement and the medians."""
    warmup = load_scenario(REFERENCE, overrides).run.warmup_days
    runs = {
        "engine": ("engine", warmup, horizon_days),
        "engine short": ("engine", peer_warmup_days, peer_horizon_days),
    }
    if with_peer:
        runs["peer short"] = ("peer", peer_warmup_days, peer_horizon_days)
    # untimed: compiles the engine, or loads it from numba's cache, before anything counts
    _measure_apart("engine", arm, 1.0, 5.0, overrides)
    short = f"{peer_warmup_days:g} + {peer_horizon_days:g} days"
    labels = {
        "engine": f"engine, {warmup:g} + {horizon_days:g} days",
        "engine short": f"engine, {short}",
        "peer short": f"naive peer, {short}",
    }
    changed = f" ({', '.join(overrides)})" if overrides else ""
    print(f"reference market{changed}, arm {arm}, {rounds} rounds in turns", flush=True)
    seen: dict[str, list[dict[str, float]]] = {name: [] for name in runs}
    for r in range(rounds):
        order = list(runs) if r % 2 == 0 else list(reversed(runs))
        for name in order:
            kind, warmup_days, days = runs[name]
            m = _measure_apart(kind, arm, warmup_days, days, overrides)
            seen[name].append(m)
            print(
                f"  round {r + 1}  {labels[name]:<28} {m['proposals']:>11,.0f} proposals "
                f"in {m['seconds']:7.1f} s (CPU {m['cpu_seconds']:6.1f} s)  "
                f"{m['rate']:>10,.0f}/s  bare SimPy {m['timeouts']:>10,.0f}/s",
                flush=True,
            )

    def median(name: str, key: str) -> float:
        return statistics.median(m[key] for m in seen[name])

    def per_round(a: str, b: str, key_a: str, key_b: str) -> list[float]:
        return [x[key_a] / y[key_b] for x, y in zip(seen[a], seen[b], strict=True)]

    print(f"medians of {rounds} rounds (wall clock; CPU time in brackets)")
    for name in runs:
        print(
            f"  {labels[name]:<30} {median(name, 'rate'):>12,.0f} proposals/s "
            f"({median(name, 'cpu_rate'):,.0f}), {median(name, 'seconds'):.1f} s "
            f"({median(name, 'cpu_seconds'):.1f} s); proposals per post "
            f"{median(name, 'proposals_per_post'):.2f}, hires per proposal "
            f"{median(name, 'hires_per_proposal'):.4f}"
        )
    ratios = []
    if with_peer:
        ratios += [
            (f"engine / naive peer ({short})", "engine short", "peer short", TARGET_OVER_PEER),
            (f"{labels['engine']} / naive peer", "engine", "peer short", None),
        ]
    for title, a, b, target in ratios:
        wall = per_round(a, b, "rate", "rate")
        cpu = per_round(a, b, "cpu_rate", "cpu_rate")
        aim = f"  (target >= {target:g})" if target else ""
        print(
            f"  {title:<42} {statistics.median(wall):8.1f}x ({statistics.median(cpu):.1f}x)"
            f"{aim}; rounds {', '.join(f'{x:.1f}' for x in wall)}"
        )
    for name in ("engine", "engine short"):
        wall = per_round(name, name, "rate", "timeouts")
        cpu = per_round(name, name, "cpu_rate", "cpu_timeouts")
        # the target is the reference market's year; the peer's short window is shown
        # for comparison (its warm-up's heavier bidding and the fixed cost of building
        # the results weigh more in under half a second)
        aim = f"(target >= {TARGET_OVER_TIMEOUTS:g})" if name == "engine" else "(no target)"
        print(
            f"  {labels[name] + ' / bare SimPy':<42} {statistics.median(wall):8.2f}x "
            f"({statistics.median(cpu):.2f}x)  {aim}; "
            f"rounds {', '.join(f'{x:.2f}' for x in wall)}"
        )


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
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--peer-warmup-days", type=float, default=30.0)
    parser.add_argument("--peer-horizon-days", type=float, default=15.0)
    parser.add_argument("--skip-peer", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a field of the reference market, as connectsim run --set",
    )
    # one measurement, in the process this script starts for it (prints JSON)
    parser.add_argument("--measure", choices=("engine", "peer"), help=argparse.SUPPRESS)
    parser.add_argument("--warmup-days", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.measure:
        m = measure(args.measure, args.arm, args.warmup_days, args.horizon_days, args.overrides)
        print(json.dumps(m))
        return
    compare_with_peer(
        args.arm,
        args.horizon_days,
        args.peer_warmup_days,
        args.peer_horizon_days,
        args.rounds,
        args.overrides,
        with_peer=not args.skip_peer,
    )
    if not args.skip_memory:
        short = peak_memory_mib(args.arm, 90.0)
        long = peak_memory_mib(args.arm, 360.0)
        print("peak resident memory of one replication of the reference market")
        print(f"  90-day horizon           {short:>11.1f} MiB")
        print(f"  360-day horizon          {long:>11.1f} MiB  (ratio {long / short:.2f})")


if __name__ == "__main__":
    main()
