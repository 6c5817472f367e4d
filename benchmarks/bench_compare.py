"""Engine throughput of two checkouts, measured in turns in one run.

Runs :mod:`bench_engine`'s measurement (proposals per second over bare SimPy
timeouts per second, on one replication of the reference market) for each
checkout in a fresh process whose ``simulator`` package is that checkout's,
alternating the checkouts round by round (A B, then B A, ...), and prints every
ratio and each checkout's median. On a small, noisy machine, figures taken in
separate runs differ by more than most changes do; taken in turns, both
checkouts see the same noise.

Each checkout first runs a short untimed replication, so that numba's caches
(kept in each checkout's ``__pycache__``) are compiled before anything is timed.

Usage::

    python benchmarks/bench_compare.py BEFORE_DIR [AFTER_DIR] [--rounds 5] [--arm paid]

``AFTER_DIR`` defaults to this checkout. Both must hold ``simulator/`` and
``scenarios/reference_market.yaml``; the measuring code is this checkout's
``bench_engine.py`` for both, so only the engine differs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCH_ENGINE = HERE / "bench_engine.py"

# runs in the child: the checkout first on sys.path, then bench_engine's functions
_CHILD = """
import importlib.util, json, sys
sys.path.insert(0, {checkout!r})
spec = importlib.util.spec_from_file_location("bench_engine", {bench!r})
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)
bench.REFERENCE = __import__("pathlib").Path({checkout!r}) / "scenarios" / "reference_market.yaml"
import simulator
timeouts = bench.bare_timeout_rate()
rate, proposals, seconds = bench.engine_rate({arm!r}, {horizon_days!r}, [])
timeouts_after = bench.bare_timeout_rate()
baseline = 0.5 * (timeouts + timeouts_after)
print(json.dumps({{
    "simulator": simulator.__file__,
    "rate": rate,
    "proposals": proposals,
    "seconds": seconds,
    "timeouts": baseline,
    "ratio": rate / baseline,
}}))
"""


def measure(checkout: Path, arm: str, horizon_days: float) -> dict[str, float | str]:
    """One measurement of ``checkout``'s engine, in a fresh process."""
    code = _CHILD.format(
        checkout=str(checkout), bench=str(BENCH_ENGINE), arm=arm, horizon_days=horizon_days
    )
    # the child's working directory is the checkout, so that nothing else on the
    # path (this checkout, an editable install) supplies the package first
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=checkout,
        env=env,
    )
    result: dict[str, float | str] = json.loads(out.stdout.strip().splitlines()[-1])
    expected = checkout / "simulator" / "__init__.py"
    if Path(str(result["simulator"])).resolve() != expected.resolve():
        raise RuntimeError(f"measured {result['simulator']}, not the checkout {checkout}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="the checkout to compare against")
    parser.add_argument("after", type=Path, nargs="?", default=HERE.parent)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--arm", default="paid")
    parser.add_argument("--horizon-days", type=float, default=365.0)
    args = parser.parse_args()
    checkouts = {"before": args.before.resolve(), "after": args.after.resolve()}

    for name, path in checkouts.items():
        # untimed: compiles (or loads) the checkout's numba caches
        measure(path, args.arm, 10.0)
        print(f"{name:<7} {path}", flush=True)

    ratios: dict[str, list[float]] = {name: [] for name in checkouts}
    rates: dict[str, list[float]] = {name: [] for name in checkouts}
    proposals: dict[str, set[int]] = {name: set() for name in checkouts}
    for r in range(args.rounds):
        order = list(checkouts) if r % 2 == 0 else list(reversed(checkouts))
        for name in order:
            m = measure(checkouts[name], args.arm, args.horizon_days)
            ratios[name].append(float(m["ratio"]))
            rates[name].append(float(m["rate"]))
            proposals[name].add(int(m["proposals"]))
            print(
                f"round {r + 1} {name:<7} ratio {float(m['ratio']):5.2f}  "
                f"proposals/s {float(m['rate']):>11,.0f}  "
                f"timeouts/s {float(m['timeouts']):>11,.0f}  {float(m['seconds']):.2f} s",
                flush=True,
            )
    print(f"reference market, arm {args.arm}, {args.horizon_days:.0f} days, {args.rounds} rounds")
    for name in checkouts:
        print(
            f"  {name:<7} ratio median {statistics.median(ratios[name]):.2f} "
            f"(min {min(ratios[name]):.2f}, max {max(ratios[name]):.2f}), "
            f"proposals/s median {statistics.median(rates[name]):,.0f}"
        )
    change = statistics.median(ratios["after"]) / statistics.median(ratios["before"]) - 1.0
    print(f"  after / before: {change:+.1%} (ratio of medians)")
    if proposals["before"] != proposals["after"]:
        print(f"  proposals differ: before {proposals['before']}, after {proposals['after']}")


if __name__ == "__main__":
    main()
