"""The catalogue's facts about metrics: one record each, how values are written, and the
recorder computing exactly the catalogued metrics."""

from __future__ import annotations

import pytest

from simulator.catalog import (
    GROUPS,
    HEADLINE_METRICS,
    METRIC_DESCRIPTIONS,
    METRIC_GROUPS,
    METRICS,
    SHARE_TEXT_CAP,
    fmt,
    metric_label,
    metric_scale,
    share_text,
)
from simulator.config.scenario import Scenario


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


def test_every_metric_is_assigned_to_a_group() -> None:
    """A metric added to the catalogue without a group would silently never be a
    trade-off in a report."""
    assert set(METRIC_GROUPS) == set(METRICS)
    assert set(METRIC_GROUPS.values()) == {*GROUPS, None}


def test_shares_are_shown_in_points_and_counts_as_they_are() -> None:
    assert metric_scale("fill_rate") == (100.0, " pp")
    assert metric_scale("proposals_per_job") == (1.0, "")


# ------------------------------------------------------------------ the metric records


def test_every_metric_has_its_names_and_a_description() -> None:
    for name, metric in METRICS.items():
        assert metric.name == name
        for field in ("description", "label", "title", "unit"):
            assert getattr(metric, field).strip(), f"{name} has no {field}"


def test_descriptions_are_read_from_the_records() -> None:
    assert list(METRIC_DESCRIPTIONS) == list(METRICS)
    assert all(METRIC_DESCRIPTIONS[n] == m.description for n, m in METRICS.items())


def test_no_two_metrics_share_a_label() -> None:
    labels = [m.label for m in METRICS.values()]
    assert len(labels) == len(set(labels))


def test_shares_are_scaled_to_percent_and_differ_in_points() -> None:
    shares = {n for n, m in METRICS.items() if m.is_share}
    # every metric named as a share or a rate of posts is one, and no count is
    assert {n for n in METRICS if "share" in n or n.startswith("fill_rate")} <= shares
    assert {"freelancers", "jobs_closed", "proposals_per_job", "gini_earnings"}.isdisjoint(shares)
    for name, metric in METRICS.items():
        assert metric.scale == (100.0 if name in shares else 1.0)
        assert metric_scale(name) == ((100.0, " pp") if name in shares else (1.0, ""))
        expected = "Difference (percentage points)" if name in shares else "Difference ("
        assert metric.difference_unit.startswith(expected)
        assert metric.chart_format.endswith("%") == (name in shares)


def test_a_metric_the_catalogue_does_not_know_is_shown_as_it_is() -> None:
    assert metric_scale("no_such_metric") == (1.0, "")
    assert metric_label("no_such_metric") == "no such metric"
    assert fmt("no_such_metric", 1234.5678, signed=True) == "+1.23e+03"


@pytest.mark.parametrize(
    ("metric", "value", "signed", "difference", "text"),
    [
        ("hires_per_proposal", 0.1234, False, False, "12.34%"),
        ("hires_per_proposal", 0.0123, True, True, "+1.23 pp"),
        ("hires_per_proposal", -0.0123, True, True, "-1.23 pp"),
        ("fill_rate", 0.8567, False, False, "85.7%"),
        ("fill_rate", -0.05, False, True, "-5.0 pp"),
        ("proposals_per_job", 12.345, False, False, "12.35"),
        ("proposals_per_job", 0.5, True, True, "+0.50"),
        ("earnings_usd_per_freelancer_month", 1234.56, False, False, "$1,235"),
        ("earnings_usd_per_freelancer_month", -12.4, True, True, "-$12"),
        ("fee_usd_per_freelancer_month", 3.5, True, True, "+$3.50"),
        ("jobs_closed", 1234.5, False, False, "1,234.5"),
        ("gini_earnings", 0.41234, False, False, "0.412"),
        ("fill_rate", float("nan"), False, False, "n/a"),
        ("fill_rate", None, True, True, "n/a"),
    ],
)
def test_values_are_written_in_their_unit(
    metric: str, value: float | None, signed: bool, difference: bool, text: str
) -> None:
    assert METRICS[metric].format(value, signed=signed, difference=difference) == text
    assert fmt(metric, value, signed=signed, difference=difference) == text


def test_a_zero_difference_has_no_sign() -> None:
    assert fmt("fill_rate", 0.0, signed=True, difference=True) == "0.0 pp"


@pytest.mark.parametrize(
    ("metric", "title", "unit", "difference_unit", "chart_format"),
    [
        (
            "proposals_per_job",
            "Proposals per job",
            "Proposals per closed post",
            "Difference (proposals per closed post)",
            "{:.1f}",
        ),
        (
            "hires_per_proposal",
            "Win rate (hires per proposal)",
            "Hires per proposal (%)",
            "Difference (percentage points)",
            "{:.1f}%",
        ),
        (
            "earnings_usd_per_freelancer_month",
            "Earnings",
            "USD per freelancer-month",
            "Difference (USD per freelancer-month)",
            "${:,.0f}",
        ),
        (
            "connects_spent_per_freelancer_month",
            "Connects spent",
            "Connects per freelancer-month",
            "Difference (Connects per freelancer-month)",
            "{:.2f}",
        ),
    ],
)
def test_chart_axes_read_the_records(
    metric: str, title: str, unit: str, difference_unit: str, chart_format: str
) -> None:
    # the difference's unit keeps an acronym or a product name capitalised
    m = METRICS[metric]
    assert (m.title, m.unit, m.difference_unit, m.chart_format) == (
        title,
        unit,
        difference_unit,
        chart_format,
    )


def test_chart_values_are_written_on_the_chart_with_fewer_decimals_where_set() -> None:
    assert METRICS["proposals_per_job"].chart_format.format(12.345) == "12.3"
    assert METRICS["proposals_per_job"].format(12.345) == "12.35"


def test_the_recorder_computes_exactly_the_catalogued_metrics(small_scenario: Scenario) -> None:
    from simulator.engine.market import run_replication

    result = run_replication(small_scenario, small_scenario.baseline, 0, 7)
    computed = set(result.metrics["metric"])
    assert computed - set(METRICS) == set(), "computed without a catalogue record"
    assert set(METRICS) - computed == set(), "catalogued but not computed"
