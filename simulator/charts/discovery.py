"""Charts of a scenario discovery: where each conclusion holds, and PRIM's box.

One chart per conclusion: the explored points on the two parameters the box
restricts most (its width over the parameter's range, smallest first),
coloured by whether the conclusion holds there, the box drawn over them and,
when the discovery was placed against a calibration, the posterior's
particles (sized by weight). With one parameter explored, the chart shows the
difference ``free - paid`` against it instead, the box as a band.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from simulator.charts.style import OKABE_ITO
from simulator.experiments.designs import Parameter
from simulator.experiments.discovery import Box, Conclusion, Discovery, short_name

__all__ = ["axes_of", "box_chart"]

HOLDS_COLOUR = OKABE_ITO[2]
FAILS_COLOUR = OKABE_ITO[5]
POSTERIOR_COLOUR = "0.35"


def axes_of(result: Discovery, box: Box) -> list[Parameter]:
    """The parameters a conclusion's chart shows: the two the box restricts most (its width
    over the range, smallest first; the explored order breaks ties)."""
    limits = {limit.path: limit for limit in box.limits}

    def width(p: Parameter) -> float:
        limit = limits.get(p.path)
        return 1.0 if limit is None else (limit.high - limit.low) / (p.high - p.low)

    ranked = sorted(result.plan.parameters, key=width)
    return ranked[:2]


def _pad(p: Parameter) -> tuple[float, float]:
    margin = 0.03 * (p.high - p.low)
    return p.low - margin, p.high + margin


def _limits(box: Box, p: Parameter) -> tuple[float, float]:
    for limit in box.limits:
        if limit.path == p.path:
            return limit.low, limit.high
    return p.low, p.high


def _hidden_inside(points: pd.DataFrame, box: Box, shown: list[Parameter]) -> np.ndarray:
    """Whether each point is inside the box's limits on the parameters not drawn."""
    drawn = {p.path for p in shown}
    inside = np.ones(len(points), dtype=bool)
    for limit in box.limits:
        if limit.path not in drawn:
            values = points[limit.path].to_numpy(dtype=np.float64)
            inside &= (values >= limit.low) & (values <= limit.high)
    return inside


def _scatter_points(
    ax: Axes, x: pd.Series, y: pd.Series, holds: pd.Series, inside: np.ndarray
) -> None:
    """The points by verdict; those outside the box's limits on hidden parameters faded."""
    known = holds.notna().to_numpy()
    yes = known & holds.fillna(False).to_numpy(dtype=bool)
    no = known & ~yes
    for faded in (False, True):
        part = inside != faded
        alpha = 0.3 if faded else 1.0
        extra = " (outside the box's other limits)" if faded else ""
        if (yes & part).any():
            ax.scatter(
                x[yes & part],
                y[yes & part],
                s=30,
                color=HOLDS_COLOUR,
                alpha=alpha,
                label="holds" + extra,
                zorder=3,
            )
        if (no & part).any():
            ax.scatter(
                x[no & part],
                y[no & part],
                s=30,
                color=FAILS_COLOUR,
                marker="x",
                alpha=alpha,
                label="does not hold" + extra,
                zorder=3,
            )
    if (~known).any():
        ax.scatter(
            x[~known],
            y[~known],
            s=30,
            facecolors="none",
            edgecolors="0.6",
            label="undefined",
            zorder=3,
        )


def _box_label(box: Box) -> str:
    return f"PRIM's box (density {box.density:.2f}, coverage {box.coverage:.2f})"


def _title(conclusion: Conclusion, box: Box) -> str:
    if box.status == "not judged":
        return f"{conclusion.sentence}: undefined at every point"
    return f"{conclusion.sentence}: holds at {box.share:.0%} of the points"


def box_chart(result: Discovery, conclusion: Conclusion) -> Figure:
    """One conclusion's points, box and (if any) posterior; see the module's docstring."""
    box = result.box(conclusion.name)
    points = result.points
    holds = points[f"{conclusion.name}_holds"].astype("boolean")
    posterior = result.plan.posterior
    fig, ax = plt.subplots(figsize=(9.0, 4.8))
    shown = axes_of(result, box)
    inside = _hidden_inside(points, box, shown)
    drawn_box = box.status == "box"
    if len(shown) == 1:
        p = shown[0]
        x = points[p.path]
        y = points[f"{conclusion.name}_difference"]
        _scatter_points(ax, x, y, holds, inside)
        ax.axhline(0.0, color="0.3", linewidth=0.8)
        if drawn_box:
            low, high = _limits(box, p)
            ax.axvspan(low, high, color="0.5", alpha=0.15, label=_box_label(box))
        if posterior is not None and p.path in posterior.paths:
            values = posterior.samples[p.path].to_numpy(dtype=np.float64)
            ax.plot(
                values,
                np.zeros_like(values),
                "|",
                color=POSTERIOR_COLOUR,
                alpha=0.5,
                transform=ax.get_xaxis_transform(),
                markersize=12,
                label="calibrated posterior",
            )
        ax.set_xlim(*_pad(p))
        ax.set_xlabel(short_name(p.path))
        ax.set_ylabel(f"{conclusion.metric}: {result.plan.model.difference}")
    else:
        px, py = shown
        if posterior is not None:
            weights = posterior.weights
            sizes = 4.0 + 60.0 * weights / max(float(weights.max()), 1e-12)
            if px.path in posterior.paths and py.path in posterior.paths:
                ax.scatter(
                    posterior.samples[px.path],
                    posterior.samples[py.path],
                    s=sizes,
                    color=POSTERIOR_COLOUR,
                    alpha=0.35,
                    linewidths=0,
                    label="calibrated posterior (size: weight)",
                    zorder=2,
                )
            else:
                for p, axis in ((px, "x"), (py, "y")):
                    if p.path not in posterior.paths:
                        continue
                    values = posterior.samples[p.path].to_numpy(dtype=np.float64)
                    zeros = np.zeros_like(values)
                    if axis == "x":
                        ax.plot(
                            values,
                            zeros,
                            "|",
                            transform=ax.get_xaxis_transform(),
                            color=POSTERIOR_COLOUR,
                            alpha=0.5,
                            markersize=12,
                            label="calibrated posterior",
                        )
                    else:
                        ax.plot(
                            zeros,
                            values,
                            "_",
                            transform=ax.get_yaxis_transform(),
                            color=POSTERIOR_COLOUR,
                            alpha=0.5,
                            markersize=12,
                            label="calibrated posterior",
                        )
        _scatter_points(ax, points[px.path], points[py.path], holds, inside)
        if drawn_box:
            (x0, x1), (y0, y1) = _limits(box, px), _limits(box, py)
            ax.add_patch(
                Rectangle(
                    (x0, y0),
                    x1 - x0,
                    y1 - y0,
                    fill=False,
                    edgecolor="black",
                    linestyle="--",
                    linewidth=1.5,
                    label=_box_label(box),
                    zorder=4,
                )
            )
        ax.set_xlim(*_pad(px))
        ax.set_ylim(*_pad(py))
        ax.set_xlabel(short_name(px.path))
        ax.set_ylabel(short_name(py.path))
    ax.set_title(_title(conclusion, box), fontsize=10)
    # beside the axes, so that it hides no point
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    fig.tight_layout()
    return fig
