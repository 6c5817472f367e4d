"""Charts of a study. Each function takes a :class:`~simulator.study.Study` and
returns a matplotlib ``Figure``, so the same chart serves reports and notebooks.

Colours come from the Okabe-Ito palette (safe for colour-blind readers), one
colour per arm, in scenario order, everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # charts are written to files; no display is needed

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from simulator.results import atomic_path

if TYPE_CHECKING:
    from simulator.study import Study

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


def arm_colours(arms: list[str]) -> dict[str, str]:
    """One colour per arm, stable across every chart of a study."""
    return {arm: OKABE_ITO[i % len(OKABE_ITO)] for i, arm in enumerate(arms)}


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
