"""The catalogue's facts about metrics and how shares are written."""

from __future__ import annotations

import pytest

from simulator.catalog import (
    HEADLINE_METRICS,
    METRIC_DESCRIPTIONS,
    SHARE_TEXT_CAP,
    metric_scale,
    share_text,
)


@pytest.mark.parametrize(
    ("share", "text"),
    [
        (0.123, "12.3%"),
        (0.0004, "0.04%"),
        (1.5, "150.0%"),
        (SHARE_TEXT_CAP, "1000.0%"),
        (5.9e13, ">1000%"),
    ],
)
def test_share_text(share: float, text: str) -> None:
    assert share_text(share) == text


def test_every_headline_metric_is_described() -> None:
    assert all(m in METRIC_DESCRIPTIONS for m in HEADLINE_METRICS)


def test_shares_are_shown_in_points_and_counts_as_they_are() -> None:
    assert metric_scale("fill_rate") == (100.0, " pp")
    assert metric_scale("proposals_per_job") == (1.0, "")
