"""Charts of a study. Each function takes a :class:`~simulator.experiments.study.Study` and
returns a matplotlib ``Figure``, so the same chart serves reports and notebooks.

Colours come from the Okabe-Ito palette (safe for colour-blind readers), one
colour per arm, in scenario order, everywhere. Every mean drawn carries its 95%
confidence interval: whiskers or lines from :meth:`Study.levels` and
:meth:`Study.differences`, or a band from :func:`simulator.experiments.stats.mean_interval`
for curves averaged over replications. With one replication there is no
interval, and none is drawn.

This module holds the comparisons between arms (by region, the scorecard, the
forest plot, the cost burden) and :data:`CHARTS`, the registry of every chart
of a study's report; the curves over posts, freelancers and time are in
:mod:`simulator.charts.curves`, the palette, metric axes and shared helpers in
:mod:`simulator.charts.style`. Every name is still importable from here.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from simulator.catalog import HEADLINE_METRICS, METRICS

# the names this module exported before its curves and style moved out stay importable
from simulator.charts.curves import MONTHLY_PANELS as MONTHLY_PANELS
from simulator.charts.curves import earnings_lorenz as earnings_lorenz
from simulator.charts.curves import monthly_series as monthly_series
from simulator.charts.curves import proposals_per_freelancer_month as proposals_per_freelancer_month
from simulator.charts.curves import proposals_per_job_ecdf as proposals_per_job_ecdf
from simulator.charts.curves import time_to_first_hire as time_to_first_hire
from simulator.charts.style import BAND_ALPHA as BAND_ALPHA
from simulator.charts.style import KEYS_CI as KEYS_CI
from simulator.charts.style import METRIC_AXES as METRIC_AXES
from simulator.charts.style import OKABE_ITO as OKABE_ITO
from simulator.charts.style import WARMUP_GREY as WARMUP_GREY
from simulator.charts.style import MetricAxis as MetricAxis
from simulator.charts.style import arm_colours as arm_colours
from simulator.charts.style import (
    arm_legend,
    level,
    levels_over,
    pretty_segment,
    suptitle,
    whiskers,
)
from simulator.charts.style import save as save

if TYPE_CHECKING:
    from simulator.experiments.study import Study

FloatArray = npt.NDArray[np.float64]

REGION_PANELS: tuple[tuple[str, str, float], ...] = tuple(
    (metric, label, METRICS[metric].scale)
    for metric, label in (
        ("proposals_per_freelancer_month", METRICS["proposals_per_freelancer_month"].unit),
        ("hires_per_proposal", METRICS["hires_per_proposal"].unit),
        # the panels share one x axis, so this y label names the spend as well as its unit
        ("connects_spend_share_of_income", "Connects spend, % of regional monthly income"),
    )
)
"""The panels of the chart by region: metric, y-axis label and scale."""

SCORECARD_METRICS: tuple[str, ...] = (
    *HEADLINE_METRICS,
    "fill_rate",
    "earnings_usd_per_freelancer_month",
)
"""The scorecard's panels, in order."""

SEGMENT_GROUPS: tuple[tuple[str, str], ...] = (
    ("region", "By region"),
    ("membership", "By membership"),
    ("cohort", "By cohort"),
)
"""Segment kinds below the overall row of the forest plot, with their headings."""


# ------------------------------------------------------------------ helpers


# ------------------------------------------------------------------ charts


def region_comparison(study: Study) -> Figure:
    """Proposal volume, win rate and cost burden by region, per arm, with 95% intervals."""
    lv = study.levels()
    regions = list(study.scenario.world.regions)
    arms = study.arms
    colours = arm_colours(arms)
    fig, axes = plt.subplots(len(REGION_PANELS), 1, figsize=(10, 10), sharex=True)
    width = 0.8 / len(arms)
    x = np.arange(len(regions))
    for ax, (metric, title, scale) in zip(axes, REGION_PANELS, strict=True):
        part = lv[(lv["segment_kind"] == "region") & (lv["metric"] == metric)]
        for i, arm in enumerate(arms):
            rows = part[part["arm"] == arm].set_index("segment").reindex(regions)
            mean = rows["mean"].to_numpy(dtype=float) * scale
            low = rows["ci_low"].to_numpy(dtype=float) * scale
            high = rows["ci_high"].to_numpy(dtype=float) * scale
            err = np.vstack([mean - low, high - mean])
            ax.bar(
                x + (i - (len(arms) - 1) / 2) * width,
                mean,
                width,
                yerr=np.nan_to_num(err),
                capsize=3,
                color=colours[arm],
                label=study.label(arm),
            )
        ax.set_ylabel(title)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(loc="upper right", frameon=False)
    axes[-1].set_xticks(x, [r.replace("_", " ") for r in regions], rotation=20, ha="right")
    axes[-1].set_xlabel("Region")
    fig.suptitle(
        f"{study.scenario.name}: by region, mean of {study.replications} replications "
        "(bars: 95% confidence intervals)"
    )
    fig.tight_layout()
    return fig


def scorecard(study: Study) -> Figure:
    """Headline metrics per arm, overall, one small panel each, with 95% whiskers.

    Parameters
    ----------
    study
        The study to draw.

    Returns
    -------
    matplotlib.figure.Figure
        Bars of each arm's mean over replications, with a whisker for its 95%
        interval and the value written above it; shares are shown as percentages.
    """
    lv = study.levels()
    arms = study.arms
    colours = arm_colours(arms)
    columns = 3
    # one cell more than the metrics: the spare cell holds the legend
    rows = math.ceil((len(SCORECARD_METRICS) + 1) / columns)
    fig, grid = plt.subplots(
        rows, columns, figsize=(13, 4.2 * rows), layout="constrained", squeeze=False
    )
    cells: list[Axes] = list(grid.flat)
    x = np.arange(len(arms))
    names = [textwrap.fill(study.label(arm), 16) for arm in arms]
    for ax, metric in zip(cells, SCORECARD_METRICS, strict=False):
        axis = METRIC_AXES[metric]
        values = np.array([level(lv, arm, metric, "overall", "all") for arm in arms])
        mean, low, high = (values[:, i] * axis.scale for i in range(3))
        ax.bar(x, mean, 0.6, color=[colours[arm] for arm in arms])
        whiskers(ax, x.astype(np.float64), mean, low, high, capsize=5)
        # the value sits above the whisker so neither hides the other
        tops = np.where(np.isfinite(high), high, mean)
        for xi, value, top in zip(x, mean, tops, strict=True):
            text = axis.fmt.format(value) if np.isfinite(value) else "n/a"
            ax.annotate(
                text,
                (float(xi), float(np.nan_to_num(top))),
                xytext=(0, 4),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=9,
            )
        finite = np.concatenate([mean, low, high])
        finite = finite[np.isfinite(finite)]
        if finite.size:
            lowest, highest = min(0.0, float(finite.min())), max(0.0, float(finite.max()))
            span = (highest - lowest) or 1.0
            # headroom for the value labels above the tallest whisker
            ax.set_ylim(lowest - (0.05 * span if lowest < 0 else 0.0), highest + 0.2 * span)
        ax.set_title(axis.title, fontsize=11)
        ax.set_ylabel(axis.unit)
        ax.set_xlabel("Policy arm")
        if len(arms) > 3:  # many arms' names only fit slanted
            ax.set_xticks(x, names, fontsize=9, rotation=30, ha="right")
        else:
            ax.set_xticks(x, names, fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    spare = cells[len(SCORECARD_METRICS) :]
    for ax in spare:
        ax.axis("off")
    handles = arm_legend(study, arms)
    if spare:
        spare[0].legend(handles=handles, loc="center", title="Policy arm", frameon=False)
    else:
        fig.legend(handles=handles, loc="outside lower center", ncols=len(arms), frameon=False)
    suptitle(fig, study, "headline metrics, all freelancers and posts", "whiskers")
    return fig


def _forest_rows(study: Study, metric: str) -> list[tuple[str, str, str]]:
    """The forest plot's rows for one metric: ``(segment_kind, segment, label)``,
    overall first, then a heading row (empty kind) before each kind's segments."""
    lv = study.levels()
    part = lv[lv["metric"] == metric]
    rows: list[tuple[str, str, str]] = []
    if ((part["segment_kind"] == "overall") & (part["segment"] == "all")).any():
        rows.append(("overall", "all", "Overall"))
    for kind, heading in SEGMENT_GROUPS:
        # order of appearance keeps the scenario's region order and basic before plus
        segments = list(dict.fromkeys(part.loc[part["segment_kind"] == kind, "segment"]))
        if segments:
            rows.append(("", "", heading))
            rows.extend((kind, str(s), pretty_segment(str(s))) for s in segments)
    return rows


def forest_plot(study: Study) -> Figure:
    """Paired differences from the baseline arm, overall and by segment, with 95% lines.

    Parameters
    ----------
    study
        The study to draw.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per headline metric, one row per segment (overall at the
        top, then by region, membership and cohort); for every arm but the
        baseline a point at the mean difference over replications with a
        horizontal line for its 95% interval, and a vertical line at zero.
        Shares are compared in percentage points.
    """
    diffs = study.differences()
    colours = arm_colours(study.arms)
    others = [arm for arm in study.arms if arm != study.baseline]
    layouts = [_forest_rows(study, metric) for metric in HEADLINE_METRICS]
    # panels as tall as their rows, so every row has the same height
    heights = [len(rows) + 2.5 for rows in layouts]
    fig, grid = plt.subplots(
        len(HEADLINE_METRICS),
        1,
        figsize=(10, 0.3 * sum(heights) + 1.5),
        height_ratios=heights,
        layout="constrained",
        squeeze=False,
    )
    # arms of one row are spread a little apart so their lines do not overlap
    spread = min(0.25, 0.6 / max(len(others), 1))
    offsets = (np.arange(len(others)) - (len(others) - 1) / 2) * spread
    for ax, metric, rows in zip(grid[:, 0], HEADLINE_METRICS, layouts, strict=True):
        axis = METRIC_AXES[metric]
        y_of = {(kind, seg): -float(i) for i, (kind, seg, _) in enumerate(rows) if kind}
        ax.axvline(0.0, color="0.25", linewidth=1.0, zorder=1)
        part = diffs[diffs["metric"] == metric]
        for j, arm in enumerate(others):
            sub = part[part["arm"] == arm]
            y = np.array(
                [
                    y_of.get((str(k), str(s)), np.nan)
                    for k, s in zip(sub["segment_kind"], sub["segment"], strict=True)
                ]
            )
            y = y + offsets[j]
            mean, low, high = (sub[c].to_numpy(dtype=np.float64) * axis.scale for c in KEYS_CI)
            drawn = np.isfinite(y) & np.isfinite(mean)
            with_ci = drawn & np.isfinite(low) & np.isfinite(high)
            if with_ci.any():  # none from one replication
                ax.hlines(
                    y[with_ci],
                    low[with_ci],
                    high[with_ci],
                    colors=colours[arm],
                    linewidth=2.2,
                    gid="ci",
                )
            ax.plot(
                mean[drawn],
                y[drawn],
                "o",
                color=colours[arm],
                markersize=6,
                label=study.label(arm),
                zorder=3,
            )
        if not others:
            ax.text(
                0.5,
                0.5,
                f"no other arm to compare with {study.label(study.baseline)}",
                transform=ax.transAxes,
                ha="center",
                va="center",
                color="0.3",
            )
        ax.set_yticks([-float(i) for i in range(len(rows))], [label for _, _, label in rows])
        for tick, (kind, _, _) in zip(ax.get_yticklabels(), rows, strict=True):
            if not kind:
                tick.set_fontweight("bold")
        ax.set_ylim(-len(rows) + 0.5, 0.5)
        # market-wide metrics (of posts, not freelancers) have no segments
        market_wide = all(kind in ("overall", "") for kind, _, _ in rows)
        ax.set_title(
            axis.title + (" (market-wide: no segments)" if market_wide else ""), fontsize=11
        )
        ax.set_xlabel(axis.difference_unit)
        ax.set_ylabel("Segment")
        ax.grid(axis="x", alpha=0.3)
    if others:
        fig.legend(
            handles=[
                Line2D([], [], color=colours[a], marker="o", linewidth=2.2, label=study.label(a))
                for a in others
            ],
            loc="outside lower center",
            ncols=len(others),
            frameon=False,
        )
    suptitle(
        fig,
        study,
        f"difference from {study.label(study.baseline)}, paired by replication",
        "lines",
    )
    return fig


def cost_burden_by_region(study: Study) -> Figure:
    """Connects and membership fee spend as a share of regional income, per arm and region.

    Parameters
    ----------
    study
        The study to draw.

    Returns
    -------
    matplotlib.figure.Figure
        For all freelancers and for each region, one stacked bar per arm:
        Connects (solid) under membership fees (hatched), each a mean over
        replications of spend per freelancer-month over the region's monthly
        income; the whisker is the 95% interval of the total.
    """
    lv = study.levels()
    arms = study.arms
    colours = arm_colours(arms)
    regions = list(study.scenario.world.regions)
    groups = [("overall", "all", "All regions")] + [
        ("region", r, pretty_segment(r).replace(" ", "\n", 1)) for r in regions
    ]
    # a gap separates the all-regions group from the regions
    x = np.array([0.0] + [1.4 + i for i in range(len(regions))])
    width = 0.8 / len(arms)
    fig, ax = plt.subplots(figsize=(12, 6.2), layout="constrained")
    for i, arm in enumerate(arms):
        colour = colours[arm]
        pos = x + (i - (len(arms) - 1) / 2) * width
        segments = [(kind, segment) for kind, segment, _ in groups]
        connects = levels_over(lv, arm, "connects_spend_share_of_income", segments)[0] * 100.0
        fees = levels_over(lv, arm, "fee_share_of_income", segments)[0] * 100.0
        total, low, high = levels_over(lv, arm, "total_spend_share_of_income", segments) * 100.0
        ax.bar(pos, connects, width, color=colour, edgecolor=colour, linewidth=0.8)
        ax.bar(
            pos,
            fees,
            width,
            bottom=np.nan_to_num(connects),
            facecolor=to_rgba(colour, 0.3),
            edgecolor=colour,
            hatch="///",
            linewidth=0.8,
        )
        whiskers(ax, pos, total, low, high, capsize=3)
        tops = np.where(np.isfinite(high), high, total)
        for p, value, top in zip(pos, total, tops, strict=True):
            if np.isfinite(value):
                ax.annotate(
                    f"{value:.1f}%" if value >= 1 else f"{value:.2f}%",
                    (float(p), float(top)),
                    xytext=(0, 3),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize=7.5,
                )
    ax.set_xticks(x, [label for _, _, label in groups])
    ax.set_xlabel("Region (all regions: every freelancer of the market)")
    ax.set_ylabel("Spend, % of regional monthly income per freelancer-month")
    ax.margins(y=0.12)
    ax.set_ylim(bottom=0.0)
    ax.grid(axis="y", alpha=0.3)
    grey = "0.45"
    parts = [
        Patch(facecolor=grey, edgecolor=grey, label="Connects (solid)"),
        Patch(
            facecolor=to_rgba(grey, 0.3),
            edgecolor=grey,
            hatch="///",
            label="Membership fees (hatched)",
        ),
    ]
    fig.legend(
        handles=[*arm_legend(study, arms), *parts],
        loc="outside lower center",
        ncols=len(arms) + len(parts),
        frameon=False,
    )
    suptitle(
        fig, study, "Connects and fees as a share of income, by region", "whiskers, on the total"
    )
    return fig


@dataclass(frozen=True)
class ChartSpec:
    """A chart of the report: its file name, its caption and the function drawing it."""

    slug: str
    caption: str
    draw: Callable[[Study], Figure]


CHARTS: tuple[ChartSpec, ...] = (
    # the scorecard first: a study's report opens with it
    ChartSpec(
        "scorecard",
        "Headline metrics per arm, all freelancers and posts",
        scorecard,
    ),
    ChartSpec(
        "region_comparison",
        "Proposal volume, win rate and Connects cost burden by region",
        region_comparison,
    ),
    ChartSpec(
        "forest_plot",
        "Each arm's paired difference from the baseline, overall and by segment",
        forest_plot,
    ),
    ChartSpec(
        "cost_burden_by_region",
        "Connects and membership fees as a share of regional monthly income",
        cost_burden_by_region,
    ),
    ChartSpec(
        "proposals_per_job_ecdf",
        "How many proposals a closed post receives, against the buckets posts show",
        proposals_per_job_ecdf,
    ),
    ChartSpec(
        "monthly_series",
        "Proposals, hires and active freelancers month by month, warm-up shaded",
        monthly_series,
    ),
    ChartSpec(
        "time_to_first_hire",
        "Share of new freelancers not yet hired, by days since joining",
        time_to_first_hire,
    ),
    ChartSpec(
        "earnings_lorenz",
        "Inequality of earnings: Lorenz curves and Gini coefficients",
        earnings_lorenz,
    ),
    ChartSpec(
        "proposals_per_freelancer_month",
        "Proposals per freelancer-month, with what free allowances buy marked",
        proposals_per_freelancer_month,
    ),
)
"""Every chart of a study, in the order the report shows them."""
