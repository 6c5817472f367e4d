"""The per-replication distributions: Lorenz curves, Kaplan-Meier and month histograms."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.catalog import DISTRIBUTIONS
from simulator.engine.recorder import FREELANCER_MONTH_MAX, kaplan_meier, lorenz


def test_lorenz_of_equal_values_is_the_diagonal() -> None:
    shares, held = lorenz(np.full(10, 3.0), points=11)
    np.testing.assert_allclose(held, shares)


def test_lorenz_when_one_holds_everything() -> None:
    shares, held = lorenz(np.array([0.0, 0.0, 0.0, 8.0]), points=5)
    # the three poorest quarters hold nothing; the curve rises only in the last quarter
    np.testing.assert_allclose(held, [0.0, 0.0, 0.0, 0.0, 1.0])
    assert shares[-1] == 1.0


def test_lorenz_of_nothing_earned_is_the_diagonal() -> None:
    shares, held = lorenz(np.zeros(4), points=3)
    np.testing.assert_allclose(held, shares)


def test_kaplan_meier_without_censoring_is_the_empirical_survival() -> None:
    events = np.array([1.0, 2.0, 2.0, 5.0])
    observed = np.full(4, 10.0)
    at = np.array([0.0, 1.0, 1.5, 2.0, 4.9, 5.0, 9.0])
    np.testing.assert_allclose(
        kaplan_meier(events, observed, at), [1.0, 0.75, 0.75, 0.25, 0.25, 0.0, 0.0]
    )


def test_kaplan_meier_censoring_removes_from_the_risk_set() -> None:
    # subject 2 leaves unhired at day 1.5: at day 3 one of the two still at risk is hired
    events = np.array([1.0, np.inf, 3.0, np.inf])
    observed = np.array([10.0, 1.5, 10.0, 10.0])
    at = np.array([0.5, 1.0, 2.0, 3.0])
    expected = [1.0, 0.75, 0.75, 0.75 * 0.5]
    np.testing.assert_allclose(kaplan_meier(events, observed, at), expected)


def test_kaplan_meier_ignores_events_after_censoring() -> None:
    events = np.array([5.0])
    observed = np.array([2.0])
    np.testing.assert_allclose(kaplan_meier(events, observed, np.array([10.0])), [1.0])


def test_kaplan_meier_of_nobody_is_undefined() -> None:
    assert np.isnan(kaplan_meier(np.array([]), np.array([]), np.array([1.0]))).all()


@pytest.fixture(scope="module")
def small_result(small_scenario):  # type: ignore[no-untyped-def]
    from simulator.engine.market import run_replication

    return run_replication(small_scenario, small_scenario.baseline, 0, 7)


def test_replication_keeps_every_distribution(small_result) -> None:  # type: ignore[no-untyped-def]
    d = small_result.distributions
    assert set(d["distribution"]) == set(DISTRIBUTIONS)


def test_freelancer_months_agree_with_proposals_per_freelancer_month(small_result) -> None:  # type: ignore[no-untyped-def]
    d = small_result.distributions
    months = d[d["distribution"] == "proposals_per_freelancer_month"]
    assert len(months) == FREELANCER_MONTH_MAX + 1
    count = months["value"].sum()
    assert count > 0
    mean_from_histogram = (months["x"] * months["value"]).sum() / count
    m = small_result.metrics
    overall = m[
        (m["segment_kind"] == "overall") & (m["metric"] == "proposals_per_freelancer_month")
    ]
    # whole months of freelancers present all month against every freelancer-month:
    # close, but not the same population
    assert mean_from_histogram == pytest.approx(float(overall["value"].iloc[0]), rel=0.15)


def test_lorenz_curve_gives_the_gini_metric(small_result) -> None:  # type: ignore[no-untyped-def]
    d = small_result.distributions
    curve = d[d["distribution"] == "lorenz_earnings"]
    gini_from_curve = 1.0 - 2.0 * np.trapezoid(curve["value"], curve["x"])
    m = small_result.metrics
    gini = m[(m["segment_kind"] == "overall") & (m["metric"] == "gini_earnings")]
    # 101 points: the trapezoid rule misses at most half a percentile's area
    assert gini_from_curve == pytest.approx(float(gini["value"].iloc[0]), abs=0.02)


def test_share_unhired_falls_from_one(small_result) -> None:  # type: ignore[no-untyped-def]
    d = small_result.distributions
    curve = d[d["distribution"] == "new_unhired"]["value"].to_numpy()
    assert curve[0] == 1.0
    assert np.all(np.diff(curve) <= 0)
