"""Charts of a study. Each function takes a :class:`~simulator.experiments.study.Study` and
returns a matplotlib ``Figure``, so the same chart serves reports and notebooks.

Colours come from the Okabe-Ito palette (safe for colour-blind readers), one
colour per arm, in scenario order, everywhere. Every mean drawn carries its 95%
confidence interval: whiskers or lines from :meth:`Study.levels` and
:meth:`Study.differences`, or a band from :func:`simulator.experiments.stats.mean_interval`
for curves averaged over replications. With one replication there is no
interval, and none is drawn.
"""

from __future__ import annotations

import itertools
import math
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, MultipleLocator, StrMethodFormatter

from simulator.catalog import HEADLINE_METRICS
from simulator.config.policy import CreditPolicy, FlatCost, TierCost
from simulator.engine.behaviour import BUCKET_LABELS, BUCKET_LOWER_EDGES
from simulator.engine.ledger import DAYS_PER_MONTH
from simulator.experiments import stats
from simulator.experiments.store import atomic_path

if TYPE_CHECKING:
    from simulator.experiments.study import Study

FloatArray = npt.NDArray[np.float64]

OKABE_ITO: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)

REGION_PANELS: tuple[tuple[str, str, float], ...] = (
    ("proposals_per_freelancer_month", "Proposals per freelancer-month", 1.0),
    ("hires_per_proposal", "Hires per proposal (%)", 100.0),
    ("connects_spend_share_of_income", "Connects spend, % of regional monthly income", 100.0),
)

WARMUP_GREY = "0.9"
"""Shading of the warm-up in time series."""

BAND_ALPHA = 0.22
"""Opacity of confidence bands: light enough for overlapping arms to stay readable."""


@dataclass(frozen=True)
class MetricAxis:
    """How a metric is shown on an axis."""

    title: str
    """Short name, for a panel title."""
    unit: str
    """Axis label of the metric's level, with its unit."""
    difference_unit: str
    """Axis label of a difference between arms, with its unit."""
    scale: float
    """Multiplies stored values (100 shows shares as percentages)."""
    fmt: str
    """Format of one value, unit included."""


METRIC_AXES: dict[str, MetricAxis] = {
    "proposals_per_job": MetricAxis(
        "Proposals per job",
        "Proposals per closed post",
        "Difference (proposals per closed post)",
        1.0,
        "{:.1f}",
    ),
    "hires_per_proposal": MetricAxis(
        "Win rate (hires per proposal)",
        "Hires per proposal (%)",
        "Difference (percentage points)",
        100.0,
        "{:.1f}%",
    ),
    "connects_spend_share_of_income": MetricAxis(
        "Connects spend, share of income",
        "% of regional monthly income",
        "Difference (percentage points)",
        100.0,
        "{:.2f}%",
    ),
    "fill_rate": MetricAxis(
        "Fill rate (posts that hired)",
        "Closed posts that hired (%)",
        "Difference (percentage points)",
        100.0,
        "{:.1f}%",
    ),
    "earnings_usd_per_freelancer_month": MetricAxis(
        "Earnings",
        "USD per freelancer-month",
        "Difference (USD per freelancer-month)",
        1.0,
        "${:,.0f}",
    ),
}
"""Labels, units and scale of the metrics the charts show."""

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

KEYS_CI: tuple[str, str, str] = ("mean", "ci_low", "ci_high")
"""Columns of a levels or differences frame holding a mean and its interval."""

MONTHLY_PANELS: tuple[tuple[str, str, bool], ...] = (
    ("proposals", "Proposals per 30-day month", True),
    ("hires", "Hires per 30-day month", True),
    ("freelancers", "Active freelancers (daily mean)", False),
)
"""Daily column, axis label, and whether the month sums it (else averages it)."""


def arm_colours(arms: list[str]) -> dict[str, str]:
    """One colour per arm, stable across every chart of a study."""
    return {arm: OKABE_ITO[i % len(OKABE_ITO)] for i, arm in enumerate(arms)}


# ------------------------------------------------------------------ helpers


def _pretty(segment: str) -> str:
    """A segment name for people: ``south_asia`` -> ``South Asia``."""
    return segment.replace("_", " ").title()


def _suptitle(fig: Figure, study: Study, what: str, how: str, note: str = "", of: str = "") -> None:
    """Title a figure with what it shows, the replications, and what its intervals are.

    ``how`` names what draws the intervals ("whiskers", "bands"...) and ``of``
    what they are intervals of, when it is not plain; ``note`` is anything else
    the reader needs, put first on the second line.
    """
    n = study.replications
    means = f"mean of {n} replication" + ("" if n == 1 else "s")
    # one replication gives no interval; say so rather than leave the reader looking
    intervals = (
        f"{how}: 95% confidence intervals{of}" if n >= 2 else "no interval from 1 replication"
    )
    details = f"{note}; {intervals}" if note else intervals
    fig.suptitle(f"{study.scenario.name}: {what}, {means}\n({details})")


def _whiskers(
    ax: Axes, x: FloatArray, mean: FloatArray, low: FloatArray, high: FloatArray, capsize: float
) -> None:
    """Draw 95% whiskers where they are defined (none at all with one replication)."""
    ok = np.isfinite(mean) & np.isfinite(low) & np.isfinite(high)
    if not ok.any():
        return
    ax.errorbar(
        x[ok],
        mean[ok],
        yerr=np.vstack([mean[ok] - low[ok], high[ok] - mean[ok]]),
        fmt="none",
        ecolor="0.15",
        capsize=capsize,
        linewidth=1.0,
    )


def _band(
    ax: Axes,
    x: FloatArray,
    low: FloatArray,
    high: FloatArray,
    colour: str,
    step: Literal["pre", "post", "mid"] | None = None,
) -> None:
    """Shade a confidence band where it is defined (nowhere with one replication)."""
    ok = np.isfinite(low) & np.isfinite(high)
    if not ok.any():
        return
    ax.fill_between(
        x,
        np.where(ok, low, np.nan),
        np.where(ok, high, np.nan),
        where=ok,
        step=step,
        color=colour,
        alpha=BAND_ALPHA,
        linewidth=0,
    )


def _per_replication(frame: pd.DataFrame, x: str, value: str) -> tuple[FloatArray, FloatArray]:
    """Points and a (replication x point) matrix of one arm's curve."""
    # pivot, not pivot_table: a missing value must stay nan, not become a sum of 0
    table = frame.pivot(index="replication", columns=x, values=value).sort_index(axis=1)
    return table.columns.to_numpy(dtype=np.float64), table.to_numpy(dtype=np.float64)


def _distribution(study: Study, name: str, arm: str) -> tuple[FloatArray, FloatArray]:
    """One arm's rows of a per-replication distribution, as a replication x point matrix."""
    d = study.distributions
    part = d[(d["distribution"] == name) & (d["arm"] == arm)]
    return _per_replication(part, "x", "value")


def _level(lv: pd.DataFrame, arm: str, metric: str, segment_kind: str, segment: str) -> FloatArray:
    """``(mean, ci_low, ci_high)`` of one level, ``nan`` when the study lacks it."""
    try:
        row = stats.row(lv, arm, metric, segment_kind, segment)
    except KeyError:
        return np.full(3, np.nan)
    return np.array([row["mean"], row["ci_low"], row["ci_high"]])


def _arm_line_legend(study: Study, arms: list[str]) -> list[Line2D]:
    """Legend entries naming each arm in its colour, for curves (drawn even without data)."""
    colours = arm_colours(study.arms)
    return [Line2D([], [], color=colours[arm], linewidth=2, label=study.label(arm)) for arm in arms]


def _levels_over(
    lv: pd.DataFrame, arm: str, metric: str, segments: list[tuple[str, str]]
) -> FloatArray:
    """Rows ``mean``, ``ci_low``, ``ci_high`` of one metric over segments (columns)."""
    return np.array([_level(lv, arm, metric, kind, segment) for kind, segment in segments]).T


def _arm_legend(study: Study, arms: list[str]) -> list[Patch]:
    """Legend entries naming each arm in its colour."""
    colours = arm_colours(study.arms)
    return [Patch(facecolor=colours[arm], label=study.label(arm)) for arm in arms]


def _mass_cap(weights: FloatArray, mass: float = 0.99) -> int:
    """The first index by which ``mass`` of a distribution's weights has accumulated."""
    cumulative = np.cumsum(np.nan_to_num(weights))
    if cumulative.size == 0 or cumulative[-1] <= 0:
        return 0
    return int(np.searchsorted(cumulative, mass * cumulative[-1], side="left"))


def _proposal_costs(policy: CreditPolicy) -> list[int]:
    """The distinct Connects a proposal can cost under a policy, smallest first."""
    rule = policy.proposal_cost
    if isinstance(rule, FlatCost):
        costs = [rule.connects]
    elif isinstance(rule, TierCost):
        costs = [rule.entry, rule.intermediate, rule.expert]
    else:
        costs = [c * rule.multiplier for c in rule.connects]
    return sorted(set(costs))


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
        values = np.array([_level(lv, arm, metric, "overall", "all") for arm in arms])
        mean, low, high = (values[:, i] * axis.scale for i in range(3))
        ax.bar(x, mean, 0.6, color=[colours[arm] for arm in arms])
        _whiskers(ax, x.astype(np.float64), mean, low, high, capsize=5)
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
    handles = _arm_legend(study, arms)
    if spare:
        spare[0].legend(handles=handles, loc="center", title="Policy arm", frameon=False)
    else:
        fig.legend(handles=handles, loc="outside lower center", ncols=len(arms), frameon=False)
    _suptitle(fig, study, "headline metrics, all freelancers and posts", "whiskers")
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
            rows.extend((kind, str(s), _pretty(str(s))) for s in segments)
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
    _suptitle(
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
        ("region", r, _pretty(r).replace(" ", "\n", 1)) for r in regions
    ]
    # a gap separates the all-regions group from the regions
    x = np.array([0.0] + [1.4 + i for i in range(len(regions))])
    width = 0.8 / len(arms)
    fig, ax = plt.subplots(figsize=(12, 6.2), layout="constrained")
    for i, arm in enumerate(arms):
        colour = colours[arm]
        pos = x + (i - (len(arms) - 1) / 2) * width
        segments = [(kind, segment) for kind, segment, _ in groups]
        connects = _levels_over(lv, arm, "connects_spend_share_of_income", segments)[0] * 100.0
        fees = _levels_over(lv, arm, "fee_share_of_income", segments)[0] * 100.0
        total, low, high = _levels_over(lv, arm, "total_spend_share_of_income", segments) * 100.0
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
        _whiskers(ax, pos, total, low, high, capsize=3)
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
        handles=[*_arm_legend(study, arms), *parts],
        loc="outside lower center",
        ncols=len(arms) + len(parts),
        frameon=False,
    )
    _suptitle(
        fig, study, "Connects and fees as a share of income, by region", "whiskers, on the total"
    )
    return fig


def proposals_per_job_ecdf(study: Study) -> Figure:
    """ECDF of proposals per closed post, per arm, with Upwork's proposal buckets marked.

    Parameters
    ----------
    study
        The study to draw; its ``histogram`` counts closed posts by proposals
        (the last bin: that many or more).

    Returns
    -------
    matplotlib.figure.Figure
        Per arm, the share of closed posts with at most ``x`` proposals, all
        replications' posts pooled, with a band for the 95% interval of the
        per-replication ECDFs; dotted lines at the bucket edges a post shows
        freelancers (5, 10, 15, 20, 50), the buckets named along the top.
    """
    colours = arm_colours(study.arms)
    hist = study.histogram
    fig, ax = plt.subplots(figsize=(11, 6.2), layout="constrained")
    cap = 60.0  # at least to past 50, so the "50+" bucket shows
    for arm in study.arms:
        x, counts = _per_replication(hist[hist["arm"] == arm], "proposals", "posts")
        if x.size == 0:
            continue
        counts = np.nan_to_num(counts)
        with np.errstate(divide="ignore", invalid="ignore"):
            each = np.cumsum(counts, axis=1) / counts.sum(axis=1, keepdims=True)
            pooled = np.cumsum(counts.sum(axis=0)) / counts.sum()
        _, low, high = stats.mean_interval(each)
        colour = colours[arm]
        # drawn to the last bin so the curve ends at 1; the axis shows the bulk only
        ax.step(x, pooled * 100.0, where="post", color=colour, linewidth=2, label=study.label(arm))
        _band(ax, x, np.clip(low, 0, 1) * 100.0, np.clip(high, 0, 1) * 100.0, colour, "post")
        if np.isfinite(pooled[-1]):
            cap = max(cap, float(x[min(int(np.searchsorted(pooled, 0.99)), x.size - 1)]))
    cap = float(min(math.ceil(cap / 10.0) * 10.0, hist["proposals"].max()))
    edges = [float(e) for e in BUCKET_LOWER_EDGES[1:]]
    for edge in edges:
        ax.axvline(edge, color="0.5", linestyle=":", linewidth=1.1, zorder=1)
    ax.set_xlim(0.0, cap)
    ax.set_ylim(0.0, 101.0)
    bounds = [0.0, *edges, cap]
    centres = [(a + b) / 2 for a, b in itertools.pairwise(bounds)]
    top = ax.secondary_xaxis("top")
    # horizontal names while the narrowest (5-proposal) bucket is wide enough for them
    inches_per_bucket = 5.0 / cap * ax.get_position().width * fig.get_figwidth()
    if inches_per_bucket >= 0.65:
        top.set_xticks(centres, list(BUCKET_LABELS), fontsize=8.5)
    else:
        top.set_xticks(
            centres,
            list(BUCKET_LABELS),
            fontsize=8.5,
            rotation=35,
            ha="left",
            rotation_mode="anchor",
        )
    top.tick_params(length=0)
    top.set_xlabel("The proposal-count bucket a post shows freelancers")
    ax.set_xlabel(f"Proposals received by a closed post (axis cut at {cap:.0f})")
    ax.set_ylabel("Closed posts with at most this many proposals (%)")
    ax.grid(alpha=0.25)
    fig.legend(
        handles=_arm_line_legend(study, study.arms),
        loc="outside lower center",
        ncols=len(study.arms),
        frameon=False,
    )
    _suptitle(
        fig,
        study,
        "proposals per closed post (ECDF)",
        "band",
        "line: all replications' posts pooled",
        " of the per-replication ECDFs",
    )
    return fig


def _monthly(daily: pd.DataFrame, column: str, total: bool) -> tuple[FloatArray, FloatArray]:
    """Month index and a (replication x month) matrix of one arm's daily column.

    A month's total is its daily mean times 30, which is its sum for a full
    month and a 30-day rate for a run's last, partial month.
    """
    month = (daily["day"].to_numpy(dtype=np.int64) - 1) // int(DAYS_PER_MONTH)
    frame = daily.assign(month=month)
    months, values = _per_replication(
        frame.groupby(["replication", "month"])[column].mean().reset_index(), "month", column
    )
    return months, values * (DAYS_PER_MONTH if total else 1.0)


def monthly_series(study: Study) -> Figure:
    """Proposals, hires and active freelancers month by month, warm-up included.

    Parameters
    ----------
    study
        The study to draw; its ``daily`` frame has one row per day.

    Returns
    -------
    matplotlib.figure.Figure
        Three panels against the day of the run: proposals and hires per
        30-day month and the mean number of freelancers in the market, each the
        mean over replications at the month's midpoint with a 95% band. The
        warm-up, which no metric records, is shaded.
    """
    colours = arm_colours(study.arms)
    warmup = float(study.scenario.run.warmup_days)
    daily = study.daily
    last_day = float(daily["day"].max()) if not daily.empty else warmup
    fig, grid = plt.subplots(
        len(MONTHLY_PANELS), 1, figsize=(10, 10), layout="constrained", squeeze=False
    )
    for ax, (column, label, total) in zip(grid[:, 0], MONTHLY_PANELS, strict=True):
        if warmup > 0:
            ax.axvspan(0.0, warmup, color=WARMUP_GREY, zorder=0, gid="warmup")
        for arm in study.arms:
            months, values = _monthly(daily[daily["arm"] == arm], column, total)
            if months.size == 0:
                continue
            start = months * DAYS_PER_MONTH
            middle = (start + np.minimum(start + DAYS_PER_MONTH, last_day)) / 2.0
            mean, low, high = stats.mean_interval(values)
            ax.plot(middle, mean, "o-", color=colours[arm], markersize=4, label=study.label(arm))
            _band(ax, middle, low, high, colours[arm])
        ax.set_xlim(0.0, max(last_day, warmup))
        ax.set_ylim(bottom=0.0)
        months_shown = max(last_day, warmup) / DAYS_PER_MONTH
        ax.xaxis.set_major_locator(
            MultipleLocator(DAYS_PER_MONTH * max(1, math.ceil(months_shown / 12)))
        )
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        ax.set_xlabel("Day of the run (ticks: 30-day months)")
        ax.set_ylabel(label)
        ax.grid(alpha=0.25)
    handles: list[Line2D | Patch] = [
        Line2D([], [], color=colours[a], marker="o", markersize=4, label=study.label(a))
        for a in study.arms
    ]
    if warmup > 0:
        handles.append(
            Patch(facecolor=WARMUP_GREY, label=f"Warm-up, {warmup:g} days (not recorded)")
        )
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False)
    _suptitle(fig, study, "the market month by month, warm-up shaded", "bands")
    return fig


def time_to_first_hire(study: Study) -> Figure:
    """Share of new freelancers not yet hired, by days since joining (Kaplan-Meier).

    Parameters
    ----------
    study
        The study to draw; uses its ``new_unhired`` distribution.

    Returns
    -------
    matplotlib.figure.Figure
        Per arm, the mean over replications of the Kaplan-Meier curve of new
        freelancers' first hire, with a 95% band.
    """
    colours = arm_colours(study.arms)
    fig, ax = plt.subplots(figsize=(10, 6), layout="constrained")
    for arm in study.arms:
        x, values = _distribution(study, "new_unhired", arm)
        if x.size == 0:
            continue
        mean, low, high = stats.mean_interval(values)
        colour = colours[arm]
        ax.step(x, mean * 100.0, where="post", color=colour, linewidth=2, label=study.label(arm))
        _band(ax, x, np.clip(low, 0, 1) * 100.0, np.clip(high, 0, 1) * 100.0, colour, "post")
    ax.set_xlim(left=0.0)
    ax.set_ylim(0.0, 101.0)
    ax.set_xlabel("Days since joining")
    ax.set_ylabel("New freelancers not yet hired (%)")
    ax.grid(alpha=0.25)
    fig.legend(
        handles=_arm_line_legend(study, study.arms),
        loc="outside lower center",
        ncols=len(study.arms),
        frameon=False,
    )
    _suptitle(fig, study, "new freelancers' wait for a first hire (Kaplan-Meier)", "bands")
    return fig


def earnings_lorenz(study: Study) -> Figure:
    """Lorenz curves of freelancers' earnings per arm, with each arm's Gini coefficient.

    Parameters
    ----------
    study
        The study to draw; uses its ``lorenz_earnings`` distribution and the
        overall ``gini_earnings`` level.

    Returns
    -------
    matplotlib.figure.Figure
        Per arm, the mean over replications of the Lorenz curve with a 95%
        band, the line of equality, and the Gini coefficient with its 95%
        interval in the legend.
    """
    lv = study.levels()
    colours = arm_colours(study.arms)
    fig, ax = plt.subplots(figsize=(8, 8.4), layout="constrained")
    ax.plot([0, 100], [0, 100], linestyle="--", color="0.4", linewidth=1, label="Equality")
    for arm in study.arms:
        x, values = _distribution(study, "lorenz_earnings", arm)
        if x.size == 0:
            continue
        mean, low, high = stats.mean_interval(values)
        gini, gini_low, gini_high = _level(lv, arm, "gini_earnings", "overall", "all")
        interval = (
            f" (95% CI {gini_low:.3f}–{gini_high:.3f})"
            if np.isfinite(gini_low) and np.isfinite(gini_high)
            else ""
        )
        colour = colours[arm]
        ax.plot(
            x * 100.0,
            mean * 100.0,
            color=colour,
            linewidth=2,
            label=f"{study.label(arm)}\nGini {gini:.3f}{interval}",
        )
        _band(ax, x * 100.0, low * 100.0, high * 100.0, colour)
    ax.set_xlim(0.0, 100.0)
    ax.set_ylim(0.0, 100.0)
    ax.set_aspect("equal")
    ax.set_xlabel("Freelancers of the window, poorest first (cumulative %)")
    ax.set_ylabel("Their share of all earnings (cumulative %)")
    ax.grid(alpha=0.25)
    # a Lorenz curve lies under the diagonal: the upper-left corner is always empty
    ax.legend(loc="upper left", frameon=True)
    _suptitle(fig, study, "inequality of earnings (Lorenz curves)", "bands")
    return fig


def _allowances(study: Study) -> list[tuple[str, int, list[int], list[int]]]:
    """Per arm granting Basic members free Connects: the arm, the monthly grant, the
    distinct proposal costs and how many proposals the grant buys at each."""
    found = []
    for arm, policy in study.scenario.arms.items():
        grant = policy.monthly_grant.get("basic", 0)
        # a cost of 0 Connects buys unlimited proposals: nothing to mark
        costs = [c for c in _proposal_costs(policy) if c > 0]
        if grant > 0 and costs:
            found.append((arm, grant, costs, [grant // c for c in costs]))
    return found


def proposals_per_freelancer_month(study: Study) -> Figure:
    """How many proposals freelancers send in a month, per arm, with free allowances marked.

    Parameters
    ----------
    study
        The study to draw; uses its ``proposals_per_freelancer_month``
        distribution (last bin: that many proposals or more).

    Returns
    -------
    matplotlib.figure.Figure
        Per arm, the share of freelancer-months with each number of proposals
        (mean over replications, 95% band), cut where 99% of every arm's mass
        lies. For each arm that grants Basic members free Connects, dashed
        lines mark how many proposals that allowance buys at each proposal
        cost of the arm, where freelancers living on it bunch; a close-up of
        the low counts beside the whole shows the bunching.
    """
    colours = arm_colours(study.arms)
    allowances = _allowances(study)
    curves: list[tuple[str, FloatArray, FloatArray, FloatArray, FloatArray]] = []
    cap, last = 10, 0
    for arm in study.arms:
        x, counts = _distribution(study, "proposals_per_freelancer_month", arm)
        if x.size == 0:
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            shares = counts / counts.sum(axis=1, keepdims=True) * 100.0
        curves.append((arm, x, *stats.mean_interval(shares)))
        cap = max(cap, int(x[min(_mass_cap(np.nansum(counts, axis=0)), x.size - 1)]))
        last = max(last, int(x[-1]))
    most = max((max(buys) for *_, buys in allowances), default=0)
    cap = max(cap, most + 3)
    cap = min(cap, last) if last > 0 else cap
    # a close-up only helps where the allowances fall in a small corner of the whole
    zoom = 2 * most + 2 if allowances and 2 * most + 2 < cap / 3 else 0
    fig, grid = plt.subplots(
        1,
        2 if zoom else 1,
        figsize=(13 if zoom else 11, 6.4),
        width_ratios=[1.0, 2.0] if zoom else None,
        layout="constrained",
        squeeze=False,
    )
    panels: list[tuple[Axes, int]] = [(grid[0, -1], cap)]
    if zoom:
        panels.insert(0, (grid[0, 0], zoom))
    for ax, right in panels:
        for arm, x, mean, low, high in curves:
            colour = colours[arm]
            ax.step(x, mean, where="mid", color=colour, linewidth=1.8, label=study.label(arm))
            _band(ax, x, low, high, colour, "mid")
        for arm, _, _, buys in allowances:
            for k in sorted(set(buys)):
                ax.axvline(k, color=colours[arm], linestyle="--", linewidth=1.3, zorder=1)
        ax.set_xlim(-0.5, right + 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(bottom=0.0)
        ax.set_ylabel("Share of freelancer-months (%)")
        ax.grid(alpha=0.25)
        if right >= last > 0:
            ax.set_xlabel(f"Proposals sent in a calendar month (last bin: {last} or more)")
        else:
            ax.set_xlabel(f"Proposals sent in a calendar month (axis cut at {right})")
    if zoom:
        grid[0, 0].set_title(f"Close-up: 0 to {zoom} proposals", fontsize=11)
        grid[0, 1].set_title("Where 99% of freelancer-months lie", fontsize=11)
    lines = [
        Line2D(
            [],
            [],
            color=colours[arm],
            linestyle="--",
            linewidth=1.3,
            label=f"{study.label(arm)}: Basic's {grant} free Connects a month buy "
            f"{' / '.join(map(str, buys))} proposals at {' / '.join(map(str, costs))} "
            "Connects each",
        )
        for arm, grant, costs, buys in allowances
    ]
    handles, _ = grid[0, -1].get_legend_handles_labels()
    fig.legend(handles=[*handles, *lines], loc="outside lower center", ncols=1, frameon=False)
    _suptitle(fig, study, "proposals per freelancer-month", "bands")
    return fig


@dataclass(frozen=True)
class ChartSpec:
    """A chart of the report: its file name, its caption and the function drawing it."""

    slug: str
    caption: str
    draw: Callable[[Study], Figure]


CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec(
        "region_comparison",
        "Proposal volume, win rate and Connects cost burden by region",
        region_comparison,
    ),
    ChartSpec(
        "scorecard",
        "Headline metrics per arm, all freelancers and posts",
        scorecard,
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


def save(fig: Figure, stem: Path) -> list[Path]:
    """Save a figure as PNG and SVG beside ``stem``, atomically; return the paths."""
    paths = []
    for ext in ("png", "svg"):
        path = stem.with_suffix(f".{ext}")
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=ext, dpi=120)
        paths.append(path)
    plt.close(fig)
    return paths
