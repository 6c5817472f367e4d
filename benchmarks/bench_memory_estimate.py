"""Memory estimate against measured peaks: the calibration of simulator.engine.resources.

Runs one replication of each market below in a fresh process, reads that
process's peak resident memory (``ru_maxrss``, which counts the arrays that
compiled code allocates, unlike tracemalloc), and prints it beside
:func:`simulator.engine.resources.estimate_replication_bytes`. Exits with status 1 if
an estimate is below its measured peak.

The table in the docstring of :mod:`simulator.engine.resources` is this script's
output on the project's 2-core, 24 GiB machine. The full list takes about
five minutes; ``--quick`` runs the four smallest markets (about 15 s).

Usage::

    python benchmarks/bench_memory_estimate.py [--quick]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from simulator.config.loading import load_scenario
from simulator.engine.resources import estimate_replication_bytes

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
REFERENCE = "reference_market.yaml"
REFERENCE_SIZE = [
    "world.population.freelancers=20000",
    "world.jobs.jobs_per_day=1500",
    "world.population.categories=40",
]
MIB = 1024**2


@dataclass(frozen=True)
class Case:
    """One market: a label, a scenario file under scenarios/, an arm and overrides."""

    label: str
    path: str
    arm: str
    overrides: list[str] = field(default_factory=list)
    quick: bool = False


CASES = [
    Case(
        "ref. 2,000 freelancers, 150 posts a day",
        REFERENCE,
        "paid",
        ["world.population.freelancers=2000", "world.jobs.jobs_per_day=150"],
        quick=True,
    ),
    Case("paid_vs_free (3,000, 225, 270 days)", "paid_vs_free.yaml", "paid", quick=True),
    Case("ref. (20,000, 1,500, 425 days)", REFERENCE, "paid", quick=True),
    Case("ref., 1,825-day horizon", REFERENCE, "paid", ["run.horizon_days=1825"]),
    Case(
        "ref., 30 % entrants a month",
        REFERENCE,
        "paid",
        ["world.population.entrants_per_month_share=0.3"],
    ),
    Case("ref., max_reviewed 200", REFERENCE, "paid", ["world.clients.max_reviewed=200"]),
    Case(
        "ref. 100,000, 7,500 posts a day",
        REFERENCE,
        "paid",
        ["world.population.freelancers=100000", "world.jobs.jobs_per_day=7500"],
    ),
    Case(
        "ref. 200,000, 1,500 posts a day",
        REFERENCE,
        "paid",
        ["world.population.freelancers=200000"],
    ),
    Case(
        "ref. 100,000, expiry 120 months (both books)",
        REFERENCE,
        "paid",
        [
            "world.population.freelancers=100000",
            "arms.paid.free_expiry_months=120",
            "arms.paid.purchased_expiry_months=120",
        ],
    ),
    Case(
        "upwork_history at ref. size (refunds)",
        "upwork_history.yaml",
        "upwork_2019",
        REFERENCE_SIZE,
        quick=True,
    ),
    Case("boosts at ref. size, arm boosted", "boosts.yaml", "boosted", REFERENCE_SIZE),
    Case(
        "upwork_history at ref. size, interviews, K 200",
        "upwork_history.yaml",
        "upwork_2016",
        [*REFERENCE_SIZE, "world.jobs.jobs_per_day=7500", "world.clients.max_reviewed=200"],
    ),
    Case(
        "textbook rounds, 10,000 x 10,000 posts a day",
        "checks/textbook_matching.yaml",
        "textbook",
        [
            "world.population.freelancers=10000",
            "world.jobs.jobs_per_day=10000",
            "run.horizon_days=5",
        ],
    ),
]


def measured_peak_bytes(path: Path, arm: str, overrides: list[str]) -> int:
    """Peak resident memory of a fresh process that runs one replication, bytes."""
    code = (
        "import resource, sys\n"
        "from simulator.config.loading import load_scenario\n"
        "from simulator.engine.market import Market\n"
        "sc = load_scenario(sys.argv[1], sys.argv[3:])\n"
        "Market(sc, sys.argv[2], replication=0).run()\n"
        # Linux reports ru_maxrss in KiB
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path), arm, *overrides],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the smallest markets")
    args = parser.parse_args()
    cases = [c for c in CASES if c.quick] if args.quick else CASES
    print(f"{'scenario':<46}{'estimate':>10}{'measured':>10}{'ratio':>7}")
    below = 0
    for case in cases:
        path = SCENARIOS / case.path
        estimate = estimate_replication_bytes(load_scenario(path, case.overrides), case.arm)
        peak = measured_peak_bytes(path, case.arm, case.overrides)
        below += estimate < peak
        print(
            f"{case.label:<46}{estimate / MIB:>6.0f} MiB{peak / MIB:>6.0f} MiB"
            f"{estimate / peak:>7.2f}",
            flush=True,
        )
    if below:
        print(f"{below} estimate(s) below the measured peak", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
