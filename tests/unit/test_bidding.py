"""Unit tests of simulator.engine.bidding's helpers: who browses, in which order, and hiring."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from simulator.config.scenario import Scenario
from simulator.engine import market
from simulator.engine.bidding import choose_hires, draw_sessions, order_sessions
from simulator.engine.market import run_replication

MAX_SESSIONS = 8


def sessions_reference(
    u: np.ndarray,
    rate: np.ndarray,
    p_none: np.ndarray,
    in_market: np.ndarray,
    active: np.ndarray,
    capacity: int,
) -> tuple[list[int], list[int], list[float]]:
    """The rule of draw_sessions, one freelancer at a time in plain Python."""
    agents, sessions, offsets = [], [], []
    for a in range(u.size):
        if u[a] <= p_none[a] or not in_market[a] or active[a] >= capacity:
            continue
        term = low = float(p_none[a])
        high, k = 1.0, 1
        while k < MAX_SESSIONS:
            term = term * rate[a] / k
            if u[a] <= low + term:
                high = low + term
                break
            low += term
            k += 1
        agents.append(a)
        sessions.append(k)
        offsets.append(min(max((u[a] - low) / max(high - low, 1e-300), 0.0), 1.0))
    return agents, sessions, offsets


@pytest.mark.parametrize("n", [0, 1, 7, 2000])
def test_draw_sessions_follows_the_rule(n: int) -> None:
    rng = np.random.default_rng(n)
    rate = rng.gamma(2.0, 0.5, size=n)
    p_none = np.exp(-rate)
    in_market = rng.random(n) < 0.9
    active = rng.integers(0, 3, size=n)
    u = rng.random(n)
    agents, sessions, offset = draw_sessions(u, rate, p_none, in_market, active, 2, MAX_SESSIONS)
    want = sessions_reference(u, rate, p_none, in_market, active, 2)
    assert agents.tolist() == want[0]
    assert sessions.tolist() == want[1]
    assert offset.tolist() == want[2]


@pytest.mark.parametrize("m", [1, 2, 10, 5000])
def test_order_sessions_is_argsort_of_session_days(m: int) -> None:
    rng = np.random.default_rng(m)
    agents = np.sort(rng.choice(10 * m, size=m, replace=False)).astype(np.int64)
    sessions = rng.integers(1, 4, size=m)
    offset = rng.random(m)
    day, wave = 123.25, 0.25
    got = order_sessions(agents, sessions, offset, day, wave)
    got_agents, got_sessions, got_day, distinct = got
    session_day = day + offset * wave
    order = np.argsort(session_day)
    assert distinct
    np.testing.assert_array_equal(got_agents, agents[order])
    np.testing.assert_array_equal(got_sessions, sessions[order])
    np.testing.assert_array_equal(got_day, session_day[order])


def test_order_sessions_flags_ties() -> None:
    offset = np.array([0.5, 0.25, 0.5, 0.75])
    agents = np.arange(4, dtype=np.int64)
    _, _, day, distinct = order_sessions(agents, np.ones(4, dtype=np.int64), offset, 10.0, 0.25)
    assert not distinct
    assert np.all(np.diff(day) >= 0)


def test_order_sessions_flags_offsets_that_round_to_one_day() -> None:
    # distinct offsets whose session days are the same float
    offset = np.array([0.3, 0.3 + 1e-16, 0.1])
    assert offset[0] != offset[1]
    agents = np.arange(3, dtype=np.int64)
    _, _, day, distinct = order_sessions(agents, np.ones(3, dtype=np.int64), offset, 1e6, 0.25)
    assert not distinct
    assert np.all(np.diff(day) >= 0)


def test_choose_hires_earlier_posts_decide_first_ties_in_slot_order() -> None:
    # one freelancer (row 0) with room for one contract, reviewed by three posts
    slots = 4
    reviewed_agent = np.full((slots, 2), -1, dtype=np.int32)
    reviewed_score = np.zeros((slots, 2))
    reviewed_agent[[0, 1, 3], 0] = 0
    reviewed_score[[0, 1, 3], 0] = 1.0
    post_day = np.array([2.0, 1.0, 0.0, 1.0])
    active = np.zeros(1, dtype=np.int64)
    due = np.array([0, 1, 3], dtype=np.int64)
    hired, column, reviewed, busy = choose_hires(
        due,
        post_day,
        np.zeros(slots, dtype=np.bool_),
        reviewed_agent,
        reviewed_score,
        active,
        np.ones(1, dtype=np.bool_),
        1,
        0.5,
        True,
    )
    # slots 1 and 3 were posted at the same moment, before slot 0: slot 1 hires
    assert hired.tolist() == [-1, 0, -1]
    assert column.tolist() == [-1, 0, -1]
    assert reviewed.tolist() == [1, 1, 1]
    assert busy.tolist() == [1, 0, 1]
    assert active.tolist() == [1]


def test_argsort_order_of_tied_sessions_gives_the_same_replication(
    small_scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without ties the bucket sort and NumPy's argsort give one order: forcing the
    market's argsort path (taken only for tied sessions) changes nothing."""
    fast = run_replication(small_scenario, "paid", 0)

    def tied(*args: Any) -> tuple[Any, ...]:
        return (*order_sessions(*args)[:3], False)

    monkeypatch.setattr(market, "order_sessions", tied)
    slow = run_replication(small_scenario, "paid", 0)
    for name in ("metrics", "daily", "proposals_per_job", "distributions"):
        pd.testing.assert_frame_equal(getattr(fast, name), getattr(slow, name), check_exact=True)
