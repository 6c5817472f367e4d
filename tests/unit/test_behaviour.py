"""Unit tests of simulator.engine.behaviour: the freelancers' pure decision rules."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.engine.behaviour import (
    BUCKET_LABELS,
    BUCKET_LOWER_EDGES,
    BUCKET_MIDPOINTS,
    effort_factor,
    pacing_shadow_price_usd,
    perceived_competitors,
    price_fit,
    quote_usd,
    strength,
    surplus_usd,
    visible_bucket,
    win_probability,
)

BUNDLES = np.array([10, 20, 40, 60, 80], dtype=np.int64)


def ints(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def floats(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)


# ------------------------------------------------------------ buckets
def test_bucket_tables_are_consistent() -> None:
    assert len(BUCKET_LABELS) == len(BUCKET_LOWER_EDGES) == len(BUCKET_MIDPOINTS) == 6
    assert np.all(np.diff(BUCKET_LOWER_EDGES) > 0)
    # every midpoint but the open-ended last one lies inside its bucket
    for i in range(5):
        assert BUCKET_LOWER_EDGES[i] <= BUCKET_MIDPOINTS[i] < BUCKET_LOWER_EDGES[i + 1]
    assert BUCKET_MIDPOINTS[5] >= BUCKET_LOWER_EDGES[5]


@pytest.mark.parametrize(
    ("proposals", "bucket"),
    [
        (0, 0),
        (4, 0),
        (5, 1),
        (9, 1),
        (10, 2),
        (14, 2),
        (15, 3),
        (19, 3),
        (20, 4),
        (49, 4),
        (50, 5),
        (10_000, 5),
    ],
)
def test_visible_bucket_edges(proposals: int, bucket: int) -> None:
    assert int(visible_bucket(ints(proposals))[0]) == bucket


def test_visible_bucket_matches_labels() -> None:
    out = visible_bucket(ints(3, 7, 12, 17, 30, 75))
    labels = [BUCKET_LABELS[i] for i in out]
    assert labels == ["Less than 5", "5 to 10", "10 to 15", "15 to 20", "20 to 50", "50+"]


def test_perceived_competitors_uses_bucket_midpoint() -> None:
    out = perceived_competitors(ints(0, 4, 5, 49, 50, 51, 5000), final_multiplier=2.0)
    np.testing.assert_allclose(out, [4.0, 4.0, 15.0, 70.0, 120.0, 120.0, 120.0])


def test_perceived_competitors_matches_bucket_midpoints() -> None:
    counts = np.arange(0, 200, dtype=np.int64)
    out = perceived_competitors(counts, final_multiplier=1.5)
    np.testing.assert_allclose(out, BUCKET_MIDPOINTS[visible_bucket(counts)] * 1.5)


# ------------------------------------------------------------ win probability
def test_strength_is_skill_plus_rating() -> None:
    np.testing.assert_allclose(strength(floats(0.25, 0.5), floats(0.5, 1.0)), [0.75, 1.5])


def test_win_probability_hand_values() -> None:
    out = win_probability(floats(1.0, 1.0, 3.0), floats(0.0, 1.0, 1.0), believed_hire_rate=0.8)
    np.testing.assert_allclose(out, [0.8, 0.4, 0.6])


def test_win_probability_monotone() -> None:
    competitors = np.linspace(0.0, 100.0, 201)
    by_competitors = win_probability(np.full(201, 1.2), competitors, 0.7)
    assert np.all(np.diff(by_competitors) < 0)
    own = np.linspace(0.01, 3.0, 201)
    by_strength = win_probability(own, np.full(201, 10.0), 0.7)
    assert np.all(np.diff(by_strength) > 0)
    assert np.all((by_strength > 0) & (by_strength <= 0.7))


# ------------------------------------------------------------ money
def test_quote_is_rate_times_hours_capped_at_budget() -> None:
    out = quote_usd(floats(100.0, 100.0, 100.0), floats(2.0, 5.0, 10.0), floats(20.0, 20.0, 20.0))
    np.testing.assert_allclose(out, [40.0, 100.0, 100.0])


def test_surplus_hand_value() -> None:
    # 100 * (1 - 0.1) - 8 * 10 = 10
    out = surplus_usd(floats(100.0), floats(10.0), floats(8.0), 0.1)
    np.testing.assert_allclose(out, [10.0])


def test_price_fit() -> None:
    out = price_fit(floats(0.0, 50.0, 100.0, 200.0, 300.0), np.full(5, 100.0))
    np.testing.assert_allclose(out, [1.0, 0.75, 0.5, 0.0, 0.0])


# ------------------------------------------------------------ pacing
def test_pacing_zero_when_balance_covers_plan() -> None:
    # 10 days at 2 a day: 20 planned
    out = pacing_shadow_price_usd(ints(20, 25, 1000), 10.0, 2.0, 0.5)
    np.testing.assert_allclose(out, [0.0, 0.0, 0.0])


def test_pacing_full_value_at_zero_balance() -> None:
    out = pacing_shadow_price_usd(ints(0), 10.0, 2.0, 0.5)
    np.testing.assert_allclose(out, [0.5])


def test_pacing_linear_in_between() -> None:
    out = pacing_shadow_price_usd(ints(5, 10, 15), 10.0, 2.0, 0.4)
    np.testing.assert_allclose(out, [0.3, 0.2, 0.1])


def test_pacing_on_grant_day() -> None:
    # no days left before the next grant: nothing planned, so any balance is spare
    out = pacing_shadow_price_usd(ints(0, 1), 0.0, 2.0, 0.5)
    np.testing.assert_allclose(out, [0.5, 0.0])


# ------------------------------------------------------------ effort
def test_effort_full_within_weekly_hours() -> None:
    # 4 hours at 0.5 each: the first 8 proposals of the week get full effort
    out = effort_factor(np.arange(8, dtype=np.int64), 4.0, 0.5, 0.2)
    np.testing.assert_allclose(out, np.ones(8))


def test_effort_falls_after_weekly_hours_and_is_floored() -> None:
    before = np.arange(0, 60, dtype=np.int64)
    out = effort_factor(before, 4.0, 0.5, 0.2)
    np.testing.assert_allclose(out[8], 4.0 / 4.5)
    np.testing.assert_allclose(out[15], 0.5)
    assert np.all(np.diff(out[7:40]) < 0)
    # 4 / ((b + 1) * 0.5) <= 0.2 from b = 39 on
    np.testing.assert_allclose(out[39:], 0.2)
    assert np.all(out[:39] > 0.2)
