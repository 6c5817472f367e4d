"""The look and the helpers every chart shares: palette, metric axes, intervals, saving.

One colour per arm from the Okabe-Ito palette (safe for colour-blind readers),
:data:`METRIC_AXES` for how a metric is titled, scaled and formatted (read from
the catalogue, :data:`simulator.catalog.METRICS`),
confidence intervals drawn as whiskers (:func:`whiskers`) or bands
(:func:`band`) only where they are defined, and :func:`save` writing PNG and
SVG atomically. The charts of studies (:mod:`simulator.charts.study`), sweeps
and sensitivity analyses all draw with these; :mod:`simulator.charts.study`
and :mod:`simulator.charts` still export the names they exported before.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from simulator.catalog import METRICS, Metric
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

WARMUP_GREY = "0.9"
"""Shading of the warm-up in time series."""

BAND_ALPHA = 0.22
"""Opacity of confidence bands: light enough for overlapping arms to stay readable."""


@dataclass(frozen=True)
class MetricAxis:
    """How a metric is shown on an axis (read from its :class:`~simulator.catalog.Metric`)."""

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

    @classmethod
    def of(cls, metric: Metric) -> MetricAxis:
        """The axis of a catalogue record."""
        return cls(
            metric.title, metric.unit, metric.difference_unit, metric.scale, metric.chart_format
        )


METRIC_AXES: dict[str, MetricAxis] = {name: MetricAxis.of(m) for name, m in METRICS.items()}
"""Labels, units and scale of every metric on a chart, from :data:`simulator.catalog.METRICS`."""

KEYS_CI: tuple[str, str, str] = ("mean", "ci_low", "ci_high")
"""Columns of a levels or differences frame holding a mean and its interval."""


def arm_colours(arms: list[str]) -> dict[str, str]:
    """One colour per arm, stable across every chart of a study."""
    return {arm: OKABE_ITO[i % len(OKABE_ITO)] for i, arm in enumerate(arms)}


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


# ------------------------------------------------------------------ helpers


def pretty_segment(segment: str) -> str:
    """A segment name for people: ``south_asia`` -> ``South Asia``."""
    return segment.replace("_", " ").title()


def suptitle(fig: Figure, study: Study, what: str, how: str, note: str = "", of: str = "") -> None:
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


def whiskers(
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


def band(
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


def per_replication(frame: pd.DataFrame, x: str, value: str) -> tuple[FloatArray, FloatArray]:
    """Points and a (replication x point) matrix of one arm's curve."""
    # pivot, not pivot_table: a missing value must stay nan, not become a sum of 0
    table = frame.pivot(index="replication", columns=x, values=value).sort_index(axis=1)
    return table.columns.to_numpy(dtype=np.float64), table.to_numpy(dtype=np.float64)


def distribution(study: Study, name: str, arm: str) -> tuple[FloatArray, FloatArray]:
    """One arm's rows of a per-replication distribution, as a replication x point matrix."""
    d = study.distributions
    part = d[(d["distribution"] == name) & (d["arm"] == arm)]
    return per_replication(part, "x", "value")


def level(lv: pd.DataFrame, arm: str, metric: str, segment_kind: str, segment: str) -> FloatArray:
    """``(mean, ci_low, ci_high)`` of one level, ``nan`` when the study lacks it."""
    try:
        row = stats.row(lv, arm, metric, segment_kind, segment)
    except KeyError:
        return np.full(3, np.nan)
    return np.array([row["mean"], row["ci_low"], row["ci_high"]])


def arm_line_legend(study: Study, arms: list[str]) -> list[Line2D]:
    """Legend entries naming each arm in its colour, for curves (drawn even without data)."""
    colours = arm_colours(study.arms)
    return [Line2D([], [], color=colours[arm], linewidth=2, label=study.label(arm)) for arm in arms]


def levels_over(
    lv: pd.DataFrame, arm: str, metric: str, segments: list[tuple[str, str]]
) -> FloatArray:
    """Rows ``mean``, ``ci_low``, ``ci_high`` of one metric over segments (columns)."""
    return np.array([level(lv, arm, metric, kind, segment) for kind, segment in segments]).T


def arm_legend(study: Study, arms: list[str]) -> list[Patch]:
    """Legend entries naming each arm in its colour."""
    colours = arm_colours(study.arms)
    return [Patch(facecolor=colours[arm], label=study.label(arm)) for arm in arms]


def mass_cap(weights: FloatArray, mass: float = 0.99) -> int:
    """The first index by which ``mass`` of a distribution's weights has accumulated."""
    cumulative = np.cumsum(np.nan_to_num(weights))
    if cumulative.size == 0 or cumulative[-1] <= 0:
        return 0
    return int(np.searchsorted(cumulative, mass * cumulative[-1], side="left"))
