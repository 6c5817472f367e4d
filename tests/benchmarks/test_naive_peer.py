"""The naive SimPy peer (benchmarks/naive_peer.py) simulates the same market as the engine.

The peer is the yardstick of ``benchmarks/bench_engine.py``: a speed ratio means
something only if both simulate the same thing. Written from docs/model.md, not
from the engine's code, it agrees with the engine in distribution, not draw for
draw (its random numbers are its own), so the check compares means over
replications, against the Monte Carlo error of the difference.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.naive_peer import NaivePeer, run_peer
from simulator.config.loading import load_scenario
from simulator.engine.market import Market

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "naive_peer_market.yaml"

TOLERANCE = 0.05
"""Connectsim issue 16: the peer must agree with the engine within 5% on proposals per
post and hires per proposal."""

REPLICATIONS = 6
"""Replications of each. In one replication of the fixture's market, proposals per post
and hires per proposal vary by 2.0-2.8% (relative standard deviation over 20
replications of the engine), so the relative difference of two means of 6 has a
standard error of about sqrt(2) x 2.8% / sqrt(6) = 1.6%: 5% is 3 standard errors, and
two implementations of the same market fail the check about once in 500 runs, while
one that differs by 5% fails it half the time. The test asserts that bound on the
standard error from the replications it ran, so a noisier market cannot pass loosely.
(Over 20 replications each, on 6 December 2026, the peer differed from the engine by
-0.3% on proposals per post and +0.6% on hires per proposal, standard errors 0.9% and
0.6%; the 6 replications here give -3.1% and +3.0%.)"""

MAX_STANDARD_ERROR = TOLERANCE / 2.5
"""The 5% check is run only where it has the power to fail: at least 2.5 standard errors."""


def _engine(replication: int) -> tuple[float, float]:
    scenario = load_scenario(FIXTURE)
    result = Market(scenario, "paid", replication).run()
    m = result.metrics
    overall = m[m["segment_kind"] == "overall"].set_index("metric")["value"]
    return float(overall["proposals_per_job"]), float(overall["hires_per_proposal"])


def _peer(replication: int) -> tuple[float, float]:
    r = run_peer(load_scenario(FIXTURE), "paid", replication)
    return r.proposals_per_post, r.hires_per_proposal


@pytest.mark.slow
def test_peer_agrees_with_engine_within_five_percent() -> None:
    # replications 100 onwards for the peer: its seeds are then unrelated to the
    # engine's (they would be anyway, as it draws differently, but this says so)
    engine = np.array([_engine(r) for r in range(REPLICATIONS)])
    peer = np.array([_peer(100 + r) for r in range(REPLICATIONS)])
    for column, metric in enumerate(("proposals per post", "hires per proposal")):
        e, p = engine[:, column], peer[:, column]
        difference = p.mean() / e.mean() - 1.0
        # relative standard error of the ratio of two independent means (delta method)
        se = np.sqrt(
            e.var(ddof=1) / (REPLICATIONS * e.mean() ** 2)
            + p.var(ddof=1) / (REPLICATIONS * p.mean() ** 2)
        )
        assert se < MAX_STANDARD_ERROR, f"{metric}: standard error {se:.1%} too large"
        assert abs(difference) < TOLERANCE, (
            f"{metric}: peer {p.mean():.4g} against engine {e.mean():.4g} "
            f"({difference:+.1%}, standard error {se:.1%})"
        )


def test_peer_refuses_what_it_does_not_implement() -> None:
    # a mechanic the peer leaves out must stop it, not be silently skipped
    scenario = load_scenario(FIXTURE, ["world.population.budget={rule: wallet}"])
    with pytest.raises(NotImplementedError, match="budget"):
        NaivePeer(scenario, "paid")
    scenario = load_scenario(FIXTURE, ["arms.paid.boosts.enabled=true"])
    with pytest.raises(NotImplementedError, match="boosts"):
        NaivePeer(scenario, "paid")
