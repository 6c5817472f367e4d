"""The study's charts: each draws, labels its axes, colours arms consistently,
and shows what its data says (ECDF ends at 1, Lorenz under the diagonal...)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_hex
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

import simulator
from simulator import charts
from simulator.catalog import HEADLINE_METRICS
from simulator.config.scenario import Scenario
from simulator.experiments import stats
from simulator.experiments.study import Study

SPECS = {spec.slug: spec for spec in charts.CHARTS}
NEW_CHARTS = (
    "scorecard",
    "forest_plot",
    "cost_burden_by_region",
    "proposals_per_job_ecdf",
    "monthly_series",
    "time_to_first_hire",
    "earnings_lorenz",
    "proposals_per_freelancer_month",
)


# ------------------------------------------------------------------ studies


@pytest.fixture(scope="module")
def study(small_scenario: Scenario) -> Study:
    """Two arms, two replications of the small scenario."""
    return simulator.run_study(small_scenario, replications=2)


def _subset(study: Study, arms: list[str], replications: int) -> Study:
    """The same study cut to some arms and replications, without rerunning it."""
    scenario = study.scenario.model_copy(update={"arms": {a: study.scenario.arms[a] for a in arms}})

    def cut(frame: pd.DataFrame) -> pd.DataFrame:
        keep = frame["arm"].isin(arms) & (frame["replication"] < replications)
        return frame[keep].reset_index(drop=True)

    return Study(
        scenario=scenario,
        root_seed=study.root_seed,
        replications=replications,
        metrics=cut(study.metrics),
        daily=cut(study.daily),
        histogram=cut(study.histogram),
        distributions=cut(study.distributions),
    )


@pytest.fixture(scope="module")
def one_replication(study: Study) -> Study:
    return _subset(study, study.arms, 1)


@pytest.fixture(scope="module")
def single_arm(study: Study) -> Study:
    return _subset(study, [study.baseline], 2)


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def draw(slug: str, study: Study) -> Figure:
    """Draw a chart and lay it out, failing on any warning (NaN slices, layout)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = SPECS[slug].draw(study)
        fig.canvas.draw()
    return fig


# ------------------------------------------------------------------ helpers


def has_data(ax: Axes) -> bool:
    return ax.axison and bool(ax.lines or ax.patches or ax.collections)


def assert_labelled(ax: Axes, slug: str) -> None:
    """Both axes of a panel are labelled; an x axis shared with a panel that labels it
    (and hiding its own tick labels, as region_comparison's upper panels do) counts."""
    assert ax.get_ylabel().strip(), f"{slug}: an axes has no y label"
    if ax.get_xlabel().strip():
        return
    ticks_hidden = not any(t.get_visible() and t.get_text() for t in ax.get_xticklabels())
    siblings = ax.get_shared_x_axes().get_siblings(ax)
    labelled_elsewhere = any(s is not ax and s.get_xlabel().strip() for s in siblings)
    assert ticks_hidden and labelled_elsewhere, f"{slug}: an axes has no x label"


def legend_colours(fig: Figure) -> dict[str, str]:
    """Every legend entry's text and colour, figure and axes legends alike."""
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes)]
    found: dict[str, str] = {}
    for legend in legends:
        if legend is None:
            continue
        for handle, text in zip(legend.legend_handles, legend.get_texts(), strict=True):
            if isinstance(handle, Line2D):
                found[text.get_text()] = to_hex(handle.get_color())
            elif isinstance(handle, Patch):
                found[text.get_text()] = to_hex(handle.get_facecolor())
    return found


def arm_entry(entries: dict[str, str], label: str) -> str | None:
    """The colour of the legend entry naming an arm (its label, or its label's first line)."""
    for text, colour in entries.items():
        if text == label or text.split("\n")[0] == label:
            return colour
    return None


def arm_lines(ax: Axes, study: Study) -> dict[str, Line2D]:
    labels = {study.label(a): a for a in study.arms}
    return {labels[line.get_label()]: line for line in ax.lines if line.get_label() in labels}


# ------------------------------------------------------------------ every chart


def test_registry_lists_the_charts_in_order() -> None:
    # the scorecard leads: a study's report opens with the first chart
    expected = ["scorecard", "region_comparison", *NEW_CHARTS[1:]]
    assert [spec.slug for spec in charts.CHARTS] == expected
    for spec in charts.CHARTS:
        assert spec.draw.__name__ == spec.slug
        assert spec.caption.strip() and "\n" not in spec.caption


@pytest.mark.parametrize("slug", list(SPECS))
def test_chart_is_labelled_and_coloured_by_arm(slug: str, study: Study) -> None:
    fig = draw(slug, study)
    assert isinstance(fig, Figure)
    assert "mean of 2 replications" in fig.get_suptitle()
    drawn = [ax for ax in fig.axes if has_data(ax)]
    assert drawn
    for ax in drawn:
        assert_labelled(ax, slug)
    colours = charts.arm_colours(study.arms)
    entries = legend_colours(fig)
    # the forest plot shows differences from the baseline: only the other arms appear
    shown = [a for a in study.arms if slug != "forest_plot" or a != study.baseline]
    for arm in shown:
        colour = arm_entry(entries, study.label(arm))
        assert colour is not None, f"{slug}: {study.label(arm)!r} is not in a legend"
        assert colour == to_hex(colours[arm]), f"{slug}: {arm} has the wrong colour"


@pytest.mark.parametrize("slug", list(SPECS))
@pytest.mark.parametrize("variant", ["one_replication", "single_arm"])
def test_chart_draws_degenerate_studies(
    slug: str, variant: str, request: pytest.FixtureRequest
) -> None:
    small: Study = request.getfixturevalue(variant)
    fig = draw(slug, small)
    assert isinstance(fig, Figure)
    for ax in fig.axes:
        if has_data(ax):
            assert_labelled(ax, slug)
    if variant == "one_replication" and slug in NEW_CHARTS:
        assert "no interval" in fig.get_suptitle()
        for ax in fig.axes:
            bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
            assert not bands, f"{slug} shades an interval from one replication"
            whiskers = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
            assert not whiskers, f"{slug} draws whiskers from one replication"
            lines = [c for c in ax.collections if c.get_gid() == "ci"]
            assert not lines, f"{slug} draws intervals from one replication"


# ------------------------------------------------------------------ chart by chart


def test_scorecard_bars_are_the_levels_with_percentages(study: Study) -> None:
    fig = draw("scorecard", study)
    lv = study.levels()
    panels = [ax for ax in fig.axes if has_data(ax)]
    assert len(panels) == len(charts.SCORECARD_METRICS)
    for ax, metric in zip(panels, charts.SCORECARD_METRICS, strict=True):
        axis = charts.METRIC_AXES[metric]
        (bars,) = [c for c in ax.containers if isinstance(c, BarContainer)]
        heights = [bar.get_height() for bar in bars]
        expected = [stats.row(lv, arm, metric)["mean"] * axis.scale for arm in study.arms]
        np.testing.assert_allclose(heights, expected)
        assert ("%" in ax.get_ylabel()) == (axis.scale == 100.0)


def test_forest_plot_has_one_interval_per_other_arm_and_segment(study: Study) -> None:
    fig = draw("forest_plot", study)
    diffs = study.differences()
    lv = study.levels()
    others = [a for a in study.arms if a != study.baseline]
    panels = [ax for ax in fig.axes if has_data(ax)]
    assert len(panels) == len(HEADLINE_METRICS)
    for ax, metric in zip(panels, HEADLINE_METRICS, strict=True):
        segments = lv[(lv["metric"] == metric) & (lv["arm"] == study.baseline)]
        ci = [c for c in ax.collections if isinstance(c, LineCollection) and c.get_gid() == "ci"]
        lines = [seg for c in ci for seg in c.get_segments()]
        assert len(lines) == len(others) * len(segments), metric
        # each line spans its difference's interval, in the chart's units
        scale = charts.METRIC_AXES[metric].scale
        part = diffs[diffs["metric"] == metric]
        spans = sorted((round(s[0][0], 9), round(s[1][0], 9)) for s in lines)
        expected = sorted(
            (round(lo * scale, 9), round(hi * scale, 9))
            for lo, hi in zip(part["ci_low"], part["ci_high"], strict=True)
        )
        assert spans == expected
        # the zero line
        assert any(list(line.get_xdata()) == [0.0, 0.0] for line in ax.lines)


def test_forest_plot_of_a_single_arm_says_so(single_arm: Study) -> None:
    fig = draw("forest_plot", single_arm)
    for ax in fig.axes:
        assert any("no other arm" in t.get_text() for t in ax.texts)


def test_cost_burden_stacks_connects_and_fees_to_the_total(study: Study) -> None:
    fig = draw("cost_burden_by_region", study)
    (ax,) = fig.axes
    lv = study.levels()
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert len(bars) == 2 * len(study.arms)
    groups = [("overall", "all")] + [("region", r) for r in study.scenario.world.regions]
    for i, arm in enumerate(study.arms):
        connects, fees = bars[2 * i], bars[2 * i + 1]
        stacked = [a.get_height() + b.get_height() for a, b in zip(connects, fees, strict=True)]
        totals = [
            stats.row(lv, arm, "total_spend_share_of_income", kind, seg)["mean"] * 100.0
            for kind, seg in groups
        ]
        np.testing.assert_allclose(stacked, totals, rtol=1e-9, atol=1e-12)
        # fees sit on top of the Connects
        for a, b in zip(connects, fees, strict=True):
            assert b.get_y() == pytest.approx(a.get_height())


def test_ecdf_ends_at_one_and_marks_the_buckets(study: Study) -> None:
    fig = draw("proposals_per_job_ecdf", study)
    (ax,) = fig.axes
    lines = arm_lines(ax, study)
    assert set(lines) == set(study.arms)
    for line in lines.values():
        y = np.asarray(line.get_ydata(), dtype=float)
        assert y[-1] == pytest.approx(100.0)
        assert np.all(np.diff(y) >= -1e-9)
    edges = {float(line.get_xdata()[0]) for line in ax.lines if line.get_linestyle() == ":"}
    assert edges == {5.0, 10.0, 15.0, 20.0, 50.0}


def test_monthly_series_shades_the_warmup(study: Study) -> None:
    fig = draw("monthly_series", study)
    warmup = study.scenario.run.warmup_days
    panels = [ax for ax in fig.axes if has_data(ax)]
    assert len(panels) == len(charts.MONTHLY_PANELS)
    for ax in panels:
        (span,) = [p for p in ax.patches if p.get_gid() == "warmup"]
        assert isinstance(span, Rectangle)
        assert span.get_x() == 0.0
        assert span.get_x() + span.get_width() == pytest.approx(warmup)
    # the proposals panel's points are monthly totals of the daily counts
    lines = arm_lines(panels[0], study)
    daily = study.daily
    for arm, line in lines.items():
        first = daily[(daily["arm"] == arm) & (daily["day"] <= 30)]
        expected = first.groupby("replication")["proposals"].sum().mean()
        assert line.get_ydata()[0] == pytest.approx(expected)


def test_time_to_first_hire_falls_from_everyone(study: Study) -> None:
    fig = draw("time_to_first_hire", study)
    (ax,) = fig.axes
    for line in arm_lines(ax, study).values():
        y = np.asarray(line.get_ydata(), dtype=float)
        assert y[0] == pytest.approx(100.0)
        assert np.all(np.diff(y) <= 1e-9)


def test_lorenz_curves_lie_under_the_diagonal(study: Study) -> None:
    fig = draw("earnings_lorenz", study)
    (ax,) = fig.axes
    lines = arm_lines(ax, study)
    assert not lines  # the legend labels carry the Gini coefficient
    curves = [line for line in ax.lines if "Gini" in str(line.get_label())]
    assert len(curves) == len(study.arms)
    for line in curves:
        x = np.asarray(line.get_xdata(), dtype=float)
        y = np.asarray(line.get_ydata(), dtype=float)
        assert np.all(y <= x + 1e-9)
        assert y[0] == pytest.approx(0.0) and y[-1] == pytest.approx(100.0)
    lv = study.levels()
    for arm in study.arms:
        gini = stats.row(lv, arm, "gini_earnings")["mean"]
        assert any(f"{study.label(arm)}\nGini {gini:.3f}" in str(c.get_label()) for c in curves)


def test_freelancer_months_mark_what_the_free_allowance_buys(study: Study) -> None:
    fig = draw("proposals_per_freelancer_month", study)
    colours = charts.arm_colours(study.arms)
    free = study.scenario.arms["free"]
    grant = free.monthly_grant["basic"]
    expected = {float(grant // c) for c in (2, 4, 6)}
    for ax in (ax for ax in fig.axes if has_data(ax)):
        dashed = [line for line in ax.lines if line.get_linestyle() == "--"]
        by_colour: dict[str, set[float]] = {}
        for line in dashed:
            by_colour.setdefault(to_hex(line.get_color()), set()).add(float(line.get_xdata()[0]))
        # the paid arm grants Basic members nothing: no lines of its colour
        assert by_colour == {to_hex(colours["free"]): expected}
        # shares of freelancer-months sum to 100% per arm (the whole curve is drawn)
        for line in arm_lines(ax, study).values():
            assert np.nansum(line.get_ydata()) == pytest.approx(100.0)


# ------------------------------------------------------------------ mean_interval


def test_mean_interval_matches_the_levels_interval() -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(size=(6, 4))
    mean, low, high = stats.mean_interval(values)
    for j in range(values.shape[1]):
        frame = pd.DataFrame(
            {
                "arm": "a",
                "segment_kind": "overall",
                "segment": "all",
                "metric": "m",
                "value": values[:, j],
            }
        )
        row = stats.levels(frame).iloc[0]
        assert (mean[j], low[j], high[j]) == pytest.approx(
            (row["mean"], row["ci_low"], row["ci_high"])
        )


def test_mean_interval_is_undefined_without_two_replications() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mean, low, high = stats.mean_interval(
            np.array([[1.0, np.nan, np.nan], [np.nan, np.nan, 2.0]])
        )
    np.testing.assert_array_equal(mean, [1.0, np.nan, 2.0])
    assert np.isnan(low).all() and np.isnan(high).all()
    with pytest.raises(ValueError, match="2-D"):
        stats.mean_interval(np.ones(3))
