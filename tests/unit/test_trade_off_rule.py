"""The rule that makes a metric a trade-off in a study's report: a paired difference of
more than TRADE_OFF_RELATIVE_CHANGE of the baseline's level, with a 95% interval that
excludes zero."""

from __future__ import annotations

import math

import pytest

from simulator.report.study import TRADE_OFF_RELATIVE_CHANGE, is_trade_off


def _difference(baseline: float, mean: float, half_width: float) -> dict[str, float]:
    """A row of a differences frame, as :func:`stats.row` gives it."""
    relative = mean / baseline if baseline != 0 else math.nan
    return {
        "mean": mean,
        "ci_low": mean - half_width,
        "ci_high": mean + half_width,
        "baseline_mean": baseline,
        "relative": relative,
    }


@pytest.mark.parametrize(
    ("baseline", "relative", "half_width", "expected"),
    [
        (10.0, 1.5 * TRADE_OFF_RELATIVE_CHANGE, 0.1, True),
        (10.0, -1.5 * TRADE_OFF_RELATIVE_CHANGE, 0.1, True),
        # a negative level (a client's surplus can be one) moves by its absolute size
        (-10.0, 1.5 * TRADE_OFF_RELATIVE_CHANGE, 0.1, True),
        (10.0, 0.5 * TRADE_OFF_RELATIVE_CHANGE, 0.1, False),
        # large, but the interval includes zero
        (10.0, 5 * TRADE_OFF_RELATIVE_CHANGE, 100.0, False),
    ],
)
def test_relative_change_and_interval(
    baseline: float, relative: float, half_width: float, expected: bool
) -> None:
    assert is_trade_off(_difference(baseline, relative * baseline, half_width)) is expected


def test_a_move_from_zero_counts_when_its_interval_excludes_zero() -> None:
    assert is_trade_off(_difference(0.0, 3.0, 1.0))
    assert not is_trade_off(_difference(0.0, 3.0, 5.0))


def test_an_undefined_interval_is_no_trade_off() -> None:
    """One replication, or a metric no replication measured, gives NaN bounds."""
    row = _difference(10.0, 5.0, 1.0) | {"ci_low": math.nan, "ci_high": math.nan}
    assert not is_trade_off(row)
