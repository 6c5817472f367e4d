"""Curves of a study: distributions over posts and freelancers, and series over time.

Each function takes a :class:`~simulator.experiments.study.Study` and returns a matplotlib
``Figure``, drawn as :mod:`simulator.charts.study` draws (the same arm colours and
intervals, from :mod:`simulator.charts.style`): the proposals a post receives, the
months of proposals and hires, the time to a first hire, the inequality of earnings
and the proposals a freelancer sends. :data:`simulator.charts.study.CHARTS` lists them
with the study's other charts, and :mod:`simulator.charts.study` exports them too.
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, MultipleLocator, StrMethodFormatter

from simulator.charts.style import (
    WARMUP_GREY,
    arm_colours,
    arm_line_legend,
    band,
    distribution,
    level,
    mass_cap,
    per_replication,
    suptitle,
)
from simulator.config.policy import CreditPolicy, FlatCost, TierCost
from simulator.engine.behaviour import BUCKET_LABELS, BUCKET_LOWER_EDGES
from simulator.engine.ledger import DAYS_PER_MONTH
from simulator.experiments import stats

if TYPE_CHECKING:
    from simulator.experiments.study import Study

FloatArray = npt.NDArray[np.float64]

MONTHLY_PANELS: tuple[tuple[str, str, bool], ...] = (
    ("proposals", "Proposals per 30-day month", True),
    ("hires", "Hires per 30-day month", True),
    ("freelancers", "Active freelancers (daily mean)", False),
)
"""Daily column, axis label, and whether the month sums it (else averages it)."""


# ------------------------------------------------------------------ helpers


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
        x, counts = per_replication(hist[hist["arm"] == arm], "proposals", "posts")
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
        band(ax, x, np.clip(low, 0, 1) * 100.0, np.clip(high, 0, 1) * 100.0, colour, "post")
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
        handles=arm_line_legend(study, study.arms),
        loc="outside lower center",
        ncols=len(study.arms),
        frameon=False,
    )
    suptitle(
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
    months, values = per_replication(
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
            band(ax, middle, low, high, colours[arm])
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
    suptitle(fig, study, "the market month by month, warm-up shaded", "bands")
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
        x, values = distribution(study, "new_unhired", arm)
        if x.size == 0:
            continue
        mean, low, high = stats.mean_interval(values)
        colour = colours[arm]
        ax.step(x, mean * 100.0, where="post", color=colour, linewidth=2, label=study.label(arm))
        band(ax, x, np.clip(low, 0, 1) * 100.0, np.clip(high, 0, 1) * 100.0, colour, "post")
    ax.set_xlim(left=0.0)
    ax.set_ylim(0.0, 101.0)
    ax.set_xlabel("Days since joining")
    ax.set_ylabel("New freelancers not yet hired (%)")
    ax.grid(alpha=0.25)
    fig.legend(
        handles=arm_line_legend(study, study.arms),
        loc="outside lower center",
        ncols=len(study.arms),
        frameon=False,
    )
    suptitle(fig, study, "new freelancers' wait for a first hire (Kaplan-Meier)", "bands")
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
        x, values = distribution(study, "lorenz_earnings", arm)
        if x.size == 0:
            continue
        mean, low, high = stats.mean_interval(values)
        gini, gini_low, gini_high = level(lv, arm, "gini_earnings", "overall", "all")
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
        band(ax, x * 100.0, low * 100.0, high * 100.0, colour)
    ax.set_xlim(0.0, 100.0)
    ax.set_ylim(0.0, 100.0)
    ax.set_aspect("equal")
    ax.set_xlabel("Freelancers of the window, poorest first (cumulative %)")
    ax.set_ylabel("Their share of all earnings (cumulative %)")
    ax.grid(alpha=0.25)
    # a Lorenz curve lies under the diagonal: the upper-left corner is always empty
    ax.legend(loc="upper left", frameon=True)
    suptitle(fig, study, "inequality of earnings (Lorenz curves)", "bands")
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
        x, counts = distribution(study, "proposals_per_freelancer_month", arm)
        if x.size == 0:
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            shares = counts / counts.sum(axis=1, keepdims=True) * 100.0
        curves.append((arm, x, *stats.mean_interval(shares)))
        cap = max(cap, int(x[min(mass_cap(np.nansum(counts, axis=0)), x.size - 1)]))
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
            band(ax, x, low, high, colour, "mid")
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
    suptitle(fig, study, "proposals per freelancer-month", "bands")
    return fig
