"""Charts of a sensitivity analysis: the indices of each output, one panel per metric.

Sobol': S1 and ST side by side for every parameter, with their bootstrap
intervals as whiskers and the output's Monte Carlo noise share as a dashed
line (an index below it is not told apart from noise). Morris: mu* with its
interval and sigma side by side, in the metric's units per whole range of the
parameter. The dummy parameter, which the model ignores, is drawn like the
others and labelled as such, so that its (near) zero bars can be seen.
"""

from __future__ import annotations

import math
import re
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from simulator.catalog import metric_scale, share_text
from simulator.charts.style import METRIC_AXES, OKABE_ITO, save
from simulator.config.policy import modified_label
from simulator.experiments.sensitivity import DUMMY, Sensitivity

_SERIES = {
    "sobol": (("S1", "First order S1 (alone)"), ("ST", "Total ST (with interactions)")),
    "morris": (("mu_star", "mu* (mean absolute effect)"), ("sigma", "sigma (spread of effects)")),
}

DUMMY_LABEL = "dummy (changes nothing)"

XLABEL_CHARS = 40
"""Longest line of an x-axis label, characters: narrower than the narrowest panel."""


def _parameter_label(name: str) -> str:
    return DUMMY_LABEL if name == DUMMY else name


def output_label(result: Sensitivity, output: str) -> str:
    """How an output is named in titles: the arm's label, marked
    ``[modified: field=LOW to HIGH]`` with the fields of it the analysis varies,
    or the paired difference."""
    scenario = result.scenario
    if scenario is not None and output in scenario.arms:
        changes = {}
        for p in result.parameters:
            parts = p.path.split(".")
            if parts[0] == "arms" and len(parts) > 2 and parts[1] in (output, "*"):
                changes[".".join(parts[2:])] = f"{p.low:.4g} to {p.high:.4g}"
        return modified_label(scenario.arms[output].label or output, changes)
    if (
        result.arm is not None
        and result.baseline is not None
        and output == (f"{result.arm} - {result.baseline}")
    ):
        return f"{result.arm} − {result.baseline}, paired difference"
    return output


def slug(output: str) -> str:
    """A file name for an output's chart: ``indices_free``, ``indices_free_minus_paid``."""
    text = output.replace(" - ", "_minus_")
    return "indices_" + re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_")


def _panel(
    ax: Axes, result: Sensitivity, part: pd.DataFrame, metric: str, noise: pd.Series
) -> None:
    names = result.names
    y = np.arange(len(names), dtype=np.float64)
    series = _SERIES[result.method]
    scale, unit = (1.0, "") if result.method == "sobol" else metric_scale(metric)
    axis = METRIC_AXES.get(metric)
    title = axis.title if axis is not None else metric.replace("_", " ")
    share = float(noise["noise_share"]) if len(noise) else math.nan
    note = str(noise["note"]) if len(noise) else ""
    shown = f"noise share {share_text(share)}" if math.isfinite(share) else "noise share n/a"
    ax.set_title(f"{title}\n({shown})", fontsize=10)
    height = 0.36
    for j, (index, _) in enumerate(series):
        rows = part[part["index"] == index].set_index("parameter").reindex(names)
        value = rows["value"].to_numpy(dtype=np.float64) * scale
        low = rows["ci_low"].to_numpy(dtype=np.float64) * scale
        high = rows["ci_high"].to_numpy(dtype=np.float64) * scale
        at = y + (j - 0.5) * height
        colour = OKABE_ITO[j]
        drawn = np.isfinite(value)
        bars = ax.barh(at[drawn], value[drawn], height=height, color=colour, alpha=0.85)
        for bar, name in zip(bars, np.asarray(names)[drawn], strict=True):
            if name == DUMMY:  # hatched: the reference an inert parameter gives
                bar.set_hatch("//")
                bar.set_edgecolor("0.3")
        # a dot at every value, so that a zero (the dummy's) is seen, not just absent
        ax.plot(value[drawn], at[drawn], "o", color=colour, markeredgecolor="0.2", markersize=4)
        with_ci = drawn & np.isfinite(low) & np.isfinite(high)
        if with_ci.any():
            ax.errorbar(
                value[with_ci],
                at[with_ci],
                xerr=np.vstack([value[with_ci] - low[with_ci], high[with_ci] - value[with_ci]]),
                fmt="none",
                ecolor="0.15",
                elinewidth=1.2,
                capsize=3,
            )
    if result.method == "sobol" and math.isfinite(share):
        ax.axvline(share, color="0.35", linestyle="--", linewidth=1.2)
    ax.axvline(0.0, color="0.25", linewidth=0.8)
    if not part["value"].notna().any():
        ax.text(
            0.5,
            0.5,
            note or "no indices",
            transform=ax.transAxes,
            ha="center",
            va="center",
            color="0.3",
            wrap=True,
        )
    ax.set_yticks(y, [_parameter_label(n) for n in names])
    for tick, name in zip(ax.get_yticklabels(), names, strict=True):
        if name == DUMMY:
            tick.set_color("0.4")
            tick.set_fontstyle("italic")
    ax.set_ylim(len(names) - 0.5, -0.5)
    ax.set_ylabel("Parameter")
    if result.method == "sobol":
        xlabel = "Sobol' index (share of the variance of the mean output)"
    else:
        # "Difference (percentage points)" -> "percentage points"
        found = re.search(r"\((.*)\)", axis.difference_unit) if axis is not None else None
        units = found.group(1) if found else (unit.strip() or "metric's units")
        xlabel = f"Change per whole range of the parameter ({units})"
    # a label wider than its panel overhangs the figure's right edge and is cut off:
    # two short lines stay inside it
    ax.set_xlabel(textwrap.fill(xlabel, XLABEL_CHARS))
    # room right of the largest value, so its dot and whisker are not cut at the frame
    ax.margins(x=0.06)
    ax.grid(axis="x", alpha=0.3)


def index_chart(result: Sensitivity, output: str) -> Figure:
    """The indices of one output: one panel per metric, every parameter and the dummy.

    Parameters
    ----------
    result
        A finished analysis.
    output
        One of its outputs (an arm, ``"ARM - BASELINE"``).

    Returns
    -------
    matplotlib.figure.Figure
        Sobol': S1 and ST bars with bootstrap intervals and the noise share
        as a dashed line; Morris: mu* with its interval and sigma.
    """
    metrics = [m for o, m in result.outputs if o == output]
    ncols = 2 if len(metrics) > 1 else 1
    nrows = math.ceil(len(metrics) / ncols)
    fig, grid = plt.subplots(
        nrows,
        ncols,
        figsize=(7.0 * ncols, 1.2 + (0.75 * len(result.names) + 1.4) * nrows),
        layout="constrained",
        squeeze=False,
    )
    for ax, metric in zip(grid.flat, metrics, strict=False):
        part = result.indices[
            (result.indices["output"] == output) & (result.indices["metric"] == metric)
        ]
        noise = result.noise[
            (result.noise["output"] == output) & (result.noise["metric"] == metric)
        ]
        _panel(ax, result, part, metric, noise.iloc[0] if len(noise) else pd.Series(dtype=object))
    for ax in list(grid.flat)[len(metrics) :]:
        ax.set_visible(False)
    handles: list[Patch | Line2D] = [
        Patch(color=OKABE_ITO[j], alpha=0.85, label=label)
        for j, (_, label) in enumerate(_SERIES[result.method])
    ]
    handles.append(Line2D([], [], color="0.15", marker="|", linestyle="-", label="95% interval"))
    if result.method == "sobol":
        handles.append(
            Line2D([], [], color="0.35", linestyle="--", label="Monte Carlo noise share")
        )
    # no legend entry for the dummy: its bars are hatched in each series' colour,
    # which no one patch matches, and its tick label already names it
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False)
    name = result.scenario.name if result.scenario is not None else "model"
    method = "Sobol'" if result.method == "sobol" else "Morris"
    size = (
        f"N = {result.samples} base samples"
        if result.method == "sobol"
        else f"{result.samples} trajectories"
    )
    fig.suptitle(
        f"{name}: what drives {output_label(result, output)} ({method})\n"
        f"{size}, {len(result.design.points)} design rows, {result.replications} replications "
        f"a point, seed {result.root_seed}",
        fontsize=11,
    )
    return fig


def save_charts(result: Sensitivity, directory: Path) -> list[tuple[str, Path]]:
    """Draw every output's chart into ``directory`` (PNG and SVG); return (output, PNG path)."""
    saved = []
    seen: list[str] = []
    for output, _ in result.outputs:
        if output in seen:
            continue
        seen.append(output)
        paths = save(index_chart(result, output), directory / slug(output))
        saved.append((output, paths[0]))
    return saved
