"""Platform scale: time, peak memory and proposals a second from 20,000 to 1,000,000
freelancers, against the reference market.

Each size is ``scenarios/platform_scale.yaml`` (the reference market's rules,
13.3 freelancers per daily post, 40 categories) with ``freelancers`` and
``jobs_per_day`` scaled together; ``--sizes`` lists the freelancers. One
replication of one arm runs in a fresh process per size, on one core (the
engine is single-threaded), so that neither the others' memory nor their
caches blur it. Before the sizes, and again after them, the reference market
(``scenarios/reference_market.yaml``) runs the same way; the platform's rate
is compared with the mean of the two, so that a change of the machine's load
during the run counts against neither.

It prints each run as it finishes, then a Markdown table (the one in
docs/architecture.md, "Platform scale") and the largest size against issue
16's targets: one replication of one arm in at most 3 minutes, peak memory
at most 4 GB, and proposals a second at least 70% of the reference market's.
Peak memory is the process's peak resident set (``ru_maxrss``: the
interpreter, NumPy and the compiled kernels included).

The whole default list takes about 8 minutes on the project's 2-core machine;
``--sizes 20000,100000 --horizon-days 60`` checks the script in under a minute.

Usage::

    python benchmarks/bench_scale.py [--sizes 20000,50000,...,1000000] [--arm paid]
        [--warmup-days 30] [--horizon-days 365] [--skip-reference]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from simulator.config.loading import load_scenario
from simulator.engine.market import Market

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
PLATFORM = SCENARIOS / "platform_scale.yaml"
REFERENCE = SCENARIOS / "reference_market.yaml"
SIZES = (20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000)

TARGET_SECONDS = 180.0
"""Issue 16: one replication of one arm of the platform in at most 3 minutes."""
TARGET_PEAK_BYTES = 4e9
"""Issue 16: peak memory at most 4 GB."""
TARGET_RATE_SHARE = 0.70
"""Issue 16: proposals a second at least 70% of the reference market's."""


def measure(path: Path, arm: str, overrides: list[str]) -> dict[str, float]:
    """One replication of ``arm`` in this process: seconds (wall and CPU, of
    ``Market.run()`` only), proposals, and the process's peak resident bytes."""
    scenario = load_scenario(path, overrides)
    market = Market(scenario, arm, replication=0)
    start, cpu = time.perf_counter(), time.process_time()
    result = market.run()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    proposals = float(result.daily["proposals"].sum())
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "proposals": proposals,
        "rate": proposals / seconds,
        # Linux reports ru_maxrss in KiB
        "peak_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024.0,
        "freelancers": float(scenario.world.population.freelancers),
        "jobs_per_day": scenario.world.jobs.jobs_per_day,
        "days": scenario.run.warmup_days + scenario.run.horizon_days,
    }


def measure_apart(path: Path, arm: str, overrides: list[str]) -> dict[str, float]:
    """:func:`measure` in a fresh process, read back as JSON."""
    command = [sys.executable, str(Path(__file__).resolve()), "--measure", str(path)]
    command += ["--arm", arm]
    for text in overrides:
        command += ["--set", text]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def size_overrides(freelancers: int, warmup_days: float, horizon_days: float) -> list[str]:
    """The platform scenario at ``freelancers``, posts scaled with them."""
    base = load_scenario(PLATFORM)
    per_freelancer = base.world.jobs.jobs_per_day / base.world.population.freelancers
    return [
        f"world.population.freelancers={freelancers}",
        f"world.jobs.jobs_per_day={freelancers * per_freelancer:g}",
        f"run.warmup_days={warmup_days:g}",
        f"run.horizon_days={horizon_days:g}",
    ]


def _line(label: str, m: dict[str, float]) -> str:
    return (
        f"  {label:<34} {m['proposals']:>13,.0f} proposals in {m['seconds']:7.1f} s "
        f"(CPU {m['cpu_seconds']:6.1f} s)  {m['rate']:>10,.0f}/s  "
        f"peak {m['peak_bytes'] / 1e9:5.2f} GB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(n) for n in SIZES))
    parser.add_argument("--arm", default="paid")
    parser.add_argument("--warmup-days", type=float, default=None)
    parser.add_argument("--horizon-days", type=float, default=None)
    parser.add_argument("--skip-reference", action="store_true")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--set", action="append", default=[], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure is not None:
        print(json.dumps(measure(args.measure, args.arm, args.set)))
        return

    platform = load_scenario(PLATFORM)
    warmup = platform.run.warmup_days if args.warmup_days is None else args.warmup_days
    horizon = platform.run.horizon_days if args.horizon_days is None else args.horizon_days
    sizes = [int(text) for text in args.sizes.split(",") if text]
    # untimed: compiles the kernels, or loads them from numba's cache
    measure_apart(PLATFORM, args.arm, size_overrides(2_000, 1.0, 5.0))
    print(f"arm {args.arm}, {warmup:g} + {horizon:g} days, one process a run", flush=True)

    references = []
    if not args.skip_reference:
        references.append(measure_apart(REFERENCE, args.arm, []))
        print(_line("reference market (before)", references[-1]), flush=True)
    rows = []
    for n in sizes:
        m = measure_apart(PLATFORM, args.arm, size_overrides(n, warmup, horizon))
        rows.append(m)
        print(_line(f"{n:,} freelancers", m), flush=True)
    if not args.skip_reference:
        references.append(measure_apart(REFERENCE, args.arm, []))
        print(_line("reference market (after)", references[-1]), flush=True)
    reference_rate = (
        sum(r["rate"] for r in references) / len(references) if references else float("nan")
    )

    print()
    print("| freelancers | posts a day | time | peak memory | proposals a second | of reference |")
    print("|---|---|---|---|---|---|")
    for m in rows:
        print(
            f"| {m['freelancers']:,.0f} | {m['jobs_per_day']:,.0f} | {m['seconds']:.1f} s "
            f"| {m['peak_bytes'] / 1e9:.2f} GB | {m['rate'] / 1e6:.2f} million "
            f"| {m['rate'] / reference_rate:.0%} |"
        )
    if references:
        each = ", ".join(f"{r['rate'] / 1e6:.2f}" for r in references)
        print(
            f"\nreference market ({REFERENCE.name}, one replication of {args.arm}): "
            f"{reference_rate / 1e6:.2f} million proposals a second (mean of {each})"
        )
    largest = rows[-1]
    print(f"\n{largest['freelancers']:,.0f} freelancers against issue 16's targets:")
    print(f"  time {largest['seconds']:.1f} s (target <= {TARGET_SECONDS:.0f} s)")
    print(
        f"  peak memory {largest['peak_bytes'] / 1e9:.2f} GB "
        f"(target <= {TARGET_PEAK_BYTES / 1e9:.0f} GB)"
    )
    print(
        f"  rate {largest['rate'] / reference_rate:.0%} of the reference market's "
        f"(target >= {TARGET_RATE_SHARE:.0%})"
    )


if __name__ == "__main__":
    main()
