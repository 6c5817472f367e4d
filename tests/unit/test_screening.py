"""Sequential screening: the client reads in the platform's order and stops when the
expected gain of one more read falls below its cost, or at the cap."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from simulator.config.loading import scenario_from_dict
from simulator.config.scenario import Scenario
from simulator.engine.bidding import choose_hires, least_relevant_column
from simulator.engine.market import run_replication
from simulator.engine.rng import pair_normal_one
from simulator.engine.screening import expected_improvement, reading_order, screen_and_hire

RESERVATION = 0.55
NOISE_SD = 0.25


@pytest.mark.parametrize(
    ("bar", "mean", "sd"), [(0.55, 0.5, 0.25), (0.9, 0.5, 0.25), (0.0, 0.6, 0.1), (2.0, 0.5, 0.3)]
)
def test_expected_improvement_is_the_integral(bar: float, mean: float, sd: float) -> None:
    value, _ = integrate.quad(
        lambda x: (x - bar) * stats.norm.pdf(x, mean, sd), bar, mean + 12 * sd
    )
    assert expected_improvement(bar, mean, sd) == pytest.approx(value, rel=1e-7, abs=1e-12)


def _board(scores: list[float], width: int) -> dict[str, np.ndarray]:
    n = len(scores)
    agent = np.full((1, width), -1, dtype=np.int32)
    agent[0, :n] = np.arange(n, dtype=np.int32)
    score = np.zeros((1, width))
    score[0, :n] = scores
    return {
        "due": np.array([0], dtype=np.int64),
        "post_day": np.zeros(1),
        "ghost": np.zeros(1, dtype=np.bool_),
        "agent": agent,
        "score": score,
        "post_key": np.array([12345], dtype=np.uint64),
        "agent_key": np.arange(1, n + 1, dtype=np.uint64) * np.uint64(7919),
        "active": np.zeros(n, dtype=np.int64),
        "in_market": np.ones(n, dtype=np.bool_),
    }


def _screen(b: dict[str, np.ndarray], cost: float, max_reads: int = 20, by_relevance: bool = False):
    return screen_and_hire(
        b["due"], b["post_day"], b["ghost"], b["agent"], b["score"],
        np.zeros(1, dtype=np.int64), b["post_key"], b["agent_key"], b["active"],
        b["in_market"], 1, RESERVATION, True, by_relevance, NOISE_SD, max_reads,
        cost, 0.55, 0.25, 3.0,
    )  # fmt: skip


def _reference_reads(scores: list[float], cost: float, max_reads: int) -> tuple[int, bool]:
    """The stopping rule written out in plain Python: reads, and whether it stopped early."""
    prior_mean, prior_sd, prior_reads = 0.55, 0.25, 3.0
    read, best, total, total_sq = 0, -math.inf, 0.0, 0.0
    while read < len(scores) and read < max_reads:
        weight = prior_reads + read
        mean = (prior_reads * prior_mean + total) / weight
        second = (prior_reads * (prior_sd**2 + prior_mean**2) + total_sq) / weight
        sd = math.sqrt(max(second - mean**2, 1e-12))
        bar = max(best, RESERVATION)
        gain = sd * stats.norm.pdf((bar - mean) / sd) + (mean - bar) * stats.norm.sf(
            (bar - mean) / sd
        )
        if gain < cost:
            return read, True
        x = scores[read]
        read += 1
        total, total_sq = total + x, total_sq + x * x
        if x >= RESERVATION:
            best = max(best, x)
    return read, False


@pytest.mark.parametrize("cost", [0.0, 0.002, 0.005, 0.01, 0.03, 1.0])
def test_screening_stops_as_the_rule_says(cost: float) -> None:
    rng = np.random.default_rng(3)
    scores = list(rng.normal(0.5, 0.25, size=15))
    b = _board(scores, 20)
    _, column, read, _, stopped = _screen(b, cost)
    expected_reads, expected_stop = _reference_reads(scores, cost, 20)
    assert int(read[0]) == expected_reads
    assert bool(stopped[0]) == expected_stop
    # the hire is the best hireable proposal among those read
    good = [k for k in range(expected_reads) if scores[k] >= RESERVATION]
    assert column[0] == (max(good, key=lambda k: scores[k]) if good else -1)
    # unread proposals are marked, so that nothing later counts them as read
    assert np.all(np.isneginf(b["score"][0, expected_reads:15]))
    assert np.all(np.isfinite(b["score"][0, :expected_reads]))


def test_a_free_read_reads_everything_and_hires_as_first_k() -> None:
    scores = list(np.random.default_rng(4).normal(0.5, 0.25, size=12))
    a, b = _board(scores, 20), _board(scores, 20)
    hired, column, read, _, stopped = _screen(a, 0.0)
    first_k = choose_hires(
        b["due"], b["post_day"], b["ghost"], b["agent"], b["score"], b["active"],
        b["in_market"], 1, RESERVATION, True,
    )  # fmt: skip
    assert read[0] == 12 and not stopped[0]
    assert (hired[0], column[0]) == (first_k[0][0], first_k[1][0])


def test_the_cap_ends_the_reading_without_counting_as_a_stop() -> None:
    scores = [0.1] * 15
    hired, _, read, _, stopped = _screen(_board(scores, 20), 0.0, max_reads=5)
    assert read[0] == 5 and not stopped[0] and hired[0] == -1


def test_a_costly_read_leaves_the_post_unfilled_by_screening() -> None:
    hired, _, read, _, stopped = _screen(_board([0.9, 0.8, 0.7], 5), 10.0)
    assert read[0] == 0 and stopped[0] and hired[0] == -1


def test_relevance_order_puts_the_most_relevant_first_after_the_boosted() -> None:
    scores = [0.3, 0.9, 0.5, 0.7, 0.6]
    b = _board(scores, 8)
    order = np.empty(8, dtype=np.int64)
    count = reading_order(
        0, 1, b["agent"], b["score"], b["post_key"], b["agent_key"], NOISE_SD, True, order
    )
    assert count == 5
    relevance = [
        scores[k] - NOISE_SD * pair_normal_one(b["post_key"][0], b["agent_key"][k])
        for k in range(5)
    ]
    assert order[0] == 0  # the boosted proposal stays first
    shown = [relevance[k] for k in order[1:count]]
    assert shown == sorted(shown, reverse=True)
    count = reading_order(
        0, 0, b["agent"], b["score"], b["post_key"], b["agent_key"], NOISE_SD, False, order
    )
    assert list(order[:count]) == [0, 1, 2, 3, 4]


def test_a_full_list_swaps_its_least_relevant_proposal() -> None:
    scores = [0.3, 0.9, 0.5]
    b = _board(scores, 3)
    relevance = [
        scores[k] - NOISE_SD * pair_normal_one(b["post_key"][0], b["agent_key"][k])
        for k in range(3)
    ]
    worst = int(np.argmin(relevance))
    args = (b["agent"], b["score"], b["post_key"], b["agent_key"], NOISE_SD)
    assert least_relevant_column(0, 3, min(relevance) + 1e-6, *args) == worst
    assert least_relevant_column(0, 3, min(relevance) - 1e-6, *args) == -1


def _with_screening(base: Scenario, screening: dict[str, object]) -> Scenario:
    data = base.model_dump(mode="json")
    data["world"]["clients"]["screening"] = screening
    return scenario_from_dict(data, "test")


def test_dearer_reading_means_fewer_reads_in_the_market(small_scenario: Scenario) -> None:
    read = {}
    for cost in (0.0, 0.005, 0.05):
        scenario = _with_screening(small_scenario, {"rule": "sequential", "cost_per_read": cost})
        frame = run_replication(scenario, "paid", 0).metrics
        overall = frame[frame["segment_kind"] == "overall"].set_index("metric")["value"]
        read[cost] = float(overall["proposals_read_per_post"])
        assert read[cost] <= scenario.world.clients.max_reviewed
        if cost == 0.0:
            assert overall["unfilled_by_screening_share"] == 0.0
    assert read[0.0] > read[0.005] > read[0.05]
