"""Charts of a sweep: response curves, heatmaps over two parameters, the trade-off frontier.

Each function takes a :class:`~simulator.experiments.sweep.Sweep` and returns a matplotlib
``Figure``, like :mod:`simulator.charts.study` does for a study, with the same arm
colours (:func:`simulator.charts.style.arm_colours`) and the same rule: every mean
drawn carries its 95% confidence interval (a band, whiskers, or the
half-width written beside it). Save them with :func:`simulator.charts.style.save`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import Normalize, to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Annotation
from matplotlib.transforms import Bbox

from simulator.catalog import HEADLINE_METRICS
from simulator.charts.style import BAND_ALPHA, METRIC_AXES, MetricAxis, arm_colours
from simulator.experiments.break_even import break_even
from simulator.experiments.sweep import OBJECTIVES, applies_to_arm

if TYPE_CHECKING:
    from simulator.experiments.sweep import Sweep

FloatArray = npt.NDArray[np.float64]

SWEEP_METRICS: tuple[str, ...] = (*HEADLINE_METRICS, "fill_rate")
"""The metrics of response curves and heatmaps, in panel order."""

LineStyle = Literal["-", "--", "-.", ":"]
LINESTYLES: tuple[LineStyle, ...] = ("-", "--", "-.", ":")
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P")

FRONTIER_LABELS_MAX = 20

LABEL_OFFSETS_POINTS: tuple[tuple[float, float], ...] = (
    (5, 4),
    (5, -11),
    (-5, 4),
    (-5, -11),
    (5, 14),
    (5, -21),
    (-5, 14),
    (-5, -21),
    (5, 24),
    (5, -31),
)
"""Where a frontier label may go relative to its point, in points, in order of
preference (a label left of its point is right-aligned)."""
"""Frontier points labelled with their parameters; beyond this, with their point id."""


def metric_axis(metric: str) -> MetricAxis:
    """How a metric is shown: title, unit, scale and format (from the catalogue).

    A name the catalogue does not know is drawn as it is, with three significant digits.
    """
    if metric in METRIC_AXES:
        return METRIC_AXES[metric]
    return MetricAxis(metric.replace("_", " "), metric, f"Difference ({metric})", 1.0, "{:.3g}")


def short_names(parameters: Sequence[str]) -> dict[str, str]:
    """Readable names of varied paths: the field, with its parent when the field is a key.

    ``arms.allowance.price_usd_per_connect`` -> ``price_usd_per_connect``;
    ``arms.allowance.monthly_grant.basic`` -> ``monthly_grant.basic``. Full
    paths when two short names would be the same.
    """
    names = {}
    for path in parameters:
        parts = path.split(".")
        # a bare word such as "basic" is a mapping's key: its parent says what it counts
        keep = 2 if len(parts) >= 2 and "_" not in parts[-1] else 1
        names[path] = ".".join(parts[-keep:])
    if len(set(names.values())) < len(names):
        return {path: path for path in parameters}
    return names


def _show(value: Any) -> str:
    if isinstance(value, float):
        # four digits tell the points of a Latin hypercube apart without crowding a label
        return f"{value:.4g}"
    return str(value)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _is_numeric(values: Sequence[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def _title(fig: Figure, sweep: Sweep, what: str, intervals: str, note: str = "") -> None:
    """Title a figure: what it shows, the replications, what its intervals are, and a note."""
    n = sweep.replications
    means = f"mean of {n} replication" + ("" if n == 1 else "s")
    # one replication gives no interval; say so rather than leave the reader looking
    second = intervals if n >= 2 else "no interval from 1 replication"
    if note:
        second += f"; {note}"
    fig.suptitle(f"{sweep.scenario.name} sweep: {what}, {means}\n({second})")


def _overall(sweep: Sweep, metrics: Sequence[str]) -> pd.DataFrame:
    lv = sweep.levels()
    return lv[(lv["segment_kind"] == "overall") & lv["metric"].isin(list(metrics))]


def _label(sweep: Sweep, arm: str) -> str:
    return sweep.label(arm) if arm in sweep.scenario.arms else arm


# ------------------------------------------------------------------ response curves


def response_curves(
    sweep: Sweep, parameter: str | None = None, metrics: Sequence[str] | None = None
) -> Figure:
    """Headline metrics against one varied parameter, one line per arm, with 95% bands.

    Parameters
    ----------
    sweep
        The sweep to draw.
    parameter
        The varied path on the x axis (default: the first).
    metrics
        One panel each (default: :data:`SWEEP_METRICS`).

    Returns
    -------
    matplotlib.figure.Figure
        For each arm, one line per combination of the other parameters that
        apply to it (line styles tell them apart). An arm the parameter does
        not touch is drawn as a flat line: it is the same policy at every
        point. On a Latin hypercube, where no two points share the other
        parameters, each arm's points are drawn with whiskers and no line.
    """
    parameters = sweep.parameters
    x_path = parameter or parameters[0]
    if x_path not in parameters:
        raise ValueError(f"{x_path!r} is not a varied parameter ({', '.join(parameters)})")
    shown = list(metrics or SWEEP_METRICS)
    names = short_names(parameters)
    points = sweep.points()
    x_values = _distinct(points[x_path].tolist())
    numeric = _is_numeric(x_values)
    ordered = sorted(x_values, key=_order)
    position = {_key(v): (float(v) if numeric else float(i)) for i, v in enumerate(ordered)}
    levels = _overall(sweep, shown)
    colours = arm_colours(sweep.arms)
    columns = 2 if len(shown) > 1 else 1
    rows = math.ceil(len(shown) / columns)
    fig, grid = plt.subplots(
        rows,
        columns,
        figsize=(6.5 * columns, 4.0 * rows + 1.2),
        layout="constrained",
        squeeze=False,
    )
    cells: list[Axes] = list(grid.flat)
    handles: dict[str, Line2D] = {}
    for ax, metric in zip(cells, shown, strict=False):
        axis = metric_axis(metric)
        part = levels[levels["metric"] == metric]
        for arm in [a for a in sweep.arms if a in set(part["arm"])]:
            rows_arm = part[part["arm"] == arm]
            _draw_arm(ax, sweep, arm, rows_arm, x_path, position, axis, colours[arm], handles)
        ax.set_title(axis.title, fontsize=11)
        ax.set_ylabel(axis.unit)
        ax.set_xlabel(names[x_path])
        if not numeric:
            ax.set_xticks([position[_key(v)] for v in ordered], [_show(v) for v in ordered])
        ax.grid(alpha=0.3)
    for ax in cells[len(shown) :]:
        ax.axis("off")
    fig.legend(
        handles=list(handles.values()),
        loc="outside lower center",
        ncols=min(2, max(1, len(handles))),
        frameon=False,
        fontsize=9,
    )
    _title(
        fig,
        sweep,
        f"headline metrics against {names[x_path]}",
        "bands and whiskers: 95% confidence intervals",
    )
    return fig


def _key(value: Any) -> str:
    return repr(value)


def _distinct(values: Sequence[Any]) -> list[Any]:
    """The values without repeats, in order (by their text: a value may be an unhashable list)."""
    seen: dict[str, Any] = {}
    for value in values:
        seen.setdefault(_key(value), value)
    return list(seen.values())


def _order(value: Any) -> tuple[int, float, str]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (0, float(value), "")
    return (1, 0.0, str(value))


def _draw_arm(
    ax: Axes,
    sweep: Sweep,
    arm: str,
    rows: pd.DataFrame,
    x_path: str,
    position: dict[str, float],
    axis: MetricAxis,
    colour: str,
    handles: dict[str, Line2D],
) -> None:
    """One arm's curves in one panel."""
    names = short_names(sweep.parameters)
    others = [p for p in sweep.parameters if p != x_path and applies_to_arm(p, arm)]
    touched = applies_to_arm(x_path, arm)
    # grouped by the values' text: a value may be a list, which pandas cannot group by
    keys = [tuple(_show(v) for v in row) for row in rows[others].itertuples(index=False)]
    groups: dict[tuple[str, ...], pd.DataFrame] = {
        key: rows[[k == key for k in keys]] for key in dict.fromkeys(keys)
    }
    scattered = touched and len(groups) > 1 and all(len(g) == 1 for g in groups.values())
    if scattered:  # a Latin hypercube: no two points share the other parameters
        groups = {(): rows}
    for i, (key, group) in enumerate(groups.items()):
        style, marker = LINESTYLES[i % len(LINESTYLES)], MARKERS[i % len(MARKERS)]
        suffix = ", ".join(f"{names[p]}={v}" for p, v in zip(others, key, strict=False))
        label = _label(sweep, arm) + (f", {suffix}" if suffix and not scattered else "")
        if not touched:
            label += f" (does not depend on {names[x_path]})"
        x = np.array([position[_key(v)] for v in group[x_path]], dtype=np.float64)
        order = np.argsort(x, kind="stable")
        x = x[order]
        mean, low, high = (
            group[c].to_numpy(dtype=np.float64)[order] * axis.scale
            for c in ("mean", "ci_low", "ci_high")
        )
        if not touched:
            # the same policy at every point: one level, drawn across the axis
            span = np.array(sorted(position.values()), dtype=np.float64)
            x = np.array([span[0], span[-1]]) if span.size > 1 else span
            mean, low, high = (np.full(x.size, v[0]) for v in (mean, low, high))
        if scattered or x.size == 1:
            ax.errorbar(
                x,
                mean,
                yerr=_yerr(mean, low, high),
                fmt=marker,
                color=colour,
                ecolor=colour,
                capsize=3,
                markersize=5,
            )
        else:
            ax.plot(x, mean, linestyle=style, marker=marker if touched else "", color=colour)
            ok = np.isfinite(low) & np.isfinite(high)
            if ok.any():
                ax.fill_between(x, low, high, where=ok, color=colour, alpha=BAND_ALPHA, lw=0)
        if label not in handles:
            handles[label] = Line2D(
                [],
                [],
                color=colour,
                linestyle="none" if scattered else style,
                marker=marker if touched else "",
                label=label,
            )


def _yerr(mean: FloatArray, low: FloatArray, high: FloatArray) -> FloatArray:
    err = np.vstack([mean - low, high - mean])
    return np.where(np.isfinite(err), err, 0.0)


# ------------------------------------------------------------------ heatmap


def _default_arm(sweep: Sweep, x: str, y: str) -> str:
    arms = sweep.arms
    ordered = [a for a in arms if a != sweep.baseline] + [sweep.baseline]
    for arm in ordered:
        if applies_to_arm(x, arm) and applies_to_arm(y, arm):
            return arm
    for arm in ordered:
        if applies_to_arm(x, arm) or applies_to_arm(y, arm):
            return arm
    return sweep.baseline


def heatmap(
    sweep: Sweep,
    x: str | None = None,
    y: str | None = None,
    arm: str | None = None,
    metrics: Sequence[str] | None = None,
) -> Figure:
    """One arm's headline metrics over two varied parameters, one panel per metric.

    Parameters
    ----------
    sweep
        A sweep of at least two parameters.
    x, y
        The parameters of the axes (default: the first two).
    arm
        The arm drawn (default: the first arm, the baseline last, that both
        parameters change).
    metrics
        One panel each (default: :data:`SWEEP_METRICS`).

    Returns
    -------
    matplotlib.figure.Figure
        On a grid, one cell per pair of levels, coloured by the mean and
        labelled with it and the half-width of its 95% interval; on a Latin
        hypercube, one coloured dot per point. Each panel has its colour bar,
        in the metric's unit. Other parameters are held at the first point's
        values.
    """
    parameters = sweep.parameters
    if len(parameters) < 2:
        raise ValueError("a heatmap needs a sweep of two parameters or more")
    x_path, y_path = x or parameters[0], y or parameters[1]
    for path in (x_path, y_path):
        if path not in parameters:
            raise ValueError(f"{path!r} is not a varied parameter ({', '.join(parameters)})")
    if x_path == y_path:
        raise ValueError("x and y must be two different parameters")
    chosen = arm or _default_arm(sweep, x_path, y_path)
    shown = list(metrics or SWEEP_METRICS)
    names = short_names(parameters)
    points = sweep.points()
    held = {p: points[p].iloc[0] for p in parameters if p not in (x_path, y_path)}
    keep = np.ones(len(points), dtype=bool)
    for path, value in held.items():
        keep &= np.array([_key(v) == _key(value) for v in points[path]], dtype=bool)
    selected = points[keep]
    levels = _overall(sweep, shown)
    levels = levels[(levels["arm"] == chosen) & levels["point"].isin(set(selected["point"]))]
    xs = sorted(_distinct(selected[x_path].tolist()), key=_order)
    ys = sorted(_distinct(selected[y_path].tolist()), key=_order)
    is_grid = len(selected) == len(xs) * len(ys) and len(xs) > 1 and len(ys) > 1
    columns = 2 if len(shown) > 1 else 1
    rows = math.ceil(len(shown) / columns)
    fig, grid = plt.subplots(
        rows,
        columns,
        figsize=(6.2 * columns, 4.6 * rows + 0.6),
        layout="constrained",
        squeeze=False,
    )
    cells: list[Axes] = list(grid.flat)
    for ax, metric in zip(cells, shown, strict=False):
        axis = metric_axis(metric)
        part = levels[levels["metric"] == metric]
        if is_grid:
            _heat_grid(ax, fig, part, x_path, y_path, xs, ys, axis)
        else:
            _heat_scatter(ax, fig, part, x_path, y_path, axis)
        ax.set_title(axis.title, fontsize=11)
        ax.set_xlabel(names[x_path])
        ax.set_ylabel(names[y_path])
    for ax in cells[len(shown) :]:
        ax.axis("off")
    fixed = ", ".join(f"{names[p]}={_show(v)}" for p, v in held.items())
    what = f"{_label(sweep, chosen)} over {names[x_path]} and {names[y_path]}"
    if fixed:
        what += f" ({fixed})"
    intervals = (
        "cells: mean and ± the half-width of its 95% confidence interval"
        if is_grid
        else "dots: means; their 95% confidence intervals are in summary/levels.csv"
    )
    _title(fig, sweep, what, intervals)
    return fig


def _heat_grid(
    ax: Axes,
    fig: Figure,
    part: pd.DataFrame,
    x_path: str,
    y_path: str,
    xs: list[Any],
    ys: list[Any],
    axis: MetricAxis,
) -> None:
    values = np.full((len(ys), len(xs)), np.nan)
    half = np.full((len(ys), len(xs)), np.nan)
    column = {_key(v): i for i, v in enumerate(xs)}
    row = {_key(v): i for i, v in enumerate(ys)}
    for record in part.to_dict("records"):
        i, j = row[_key(record[y_path])], column[_key(record[x_path])]
        values[i, j] = float(record["mean"]) * axis.scale
        half[i, j] = (float(record["ci_high"]) - float(record["ci_low"])) / 2 * axis.scale
    image = ax.imshow(values, origin="lower", aspect="auto", cmap="viridis")
    bar = fig.colorbar(image, ax=ax)
    bar.set_label(axis.unit)
    norm = image.norm
    for (i, j), value in np.ndenumerate(values):
        if not np.isfinite(value):
            continue
        # dark text on the light end of viridis, light text on the dark end
        light = float(np.asarray(norm(value))) > 0.6
        text = axis.fmt.format(value)
        if np.isfinite(half[i, j]):
            text += "\n±" + axis.fmt.format(half[i, j]).removeprefix("$")
        ax.text(j, i, text, ha="center", va="center", fontsize=8, color="k" if light else "w")
    ax.set_xticks(range(len(xs)), [_show(v) for v in xs])
    ax.set_yticks(range(len(ys)), [_show(v) for v in ys])


def _coordinates(ax: Axes, values: pd.Series, which: str) -> FloatArray:
    """Numbers as they are; anything else at the positions 0, 1, ... of its sorted values."""
    items = values.tolist()
    if _is_numeric(items):
        return np.asarray(items, dtype=np.float64)
    ordered = sorted(dict.fromkeys(_key(v) for v in items))
    place = {k: float(i) for i, k in enumerate(ordered)}
    ticks = [float(i) for i in range(len(ordered))]
    (ax.set_xticks if which == "x" else ax.set_yticks)(ticks, ordered)
    return np.array([place[_key(v)] for v in items], dtype=np.float64)


def _heat_scatter(
    ax: Axes, fig: Figure, part: pd.DataFrame, x_path: str, y_path: str, axis: MetricAxis
) -> None:
    x = _coordinates(ax, part[x_path], "x")
    y = _coordinates(ax, part[y_path], "y")
    value = part["mean"].to_numpy(dtype=np.float64) * axis.scale
    dots = ax.scatter(x, y, c=value, cmap="viridis", s=80, edgecolors="0.2", linewidths=0.5)
    bar = fig.colorbar(dots, ax=ax)
    bar.set_label(axis.unit)
    ax.grid(alpha=0.3)


# ------------------------------------------------------------------ the frontier


def frontier_chart(sweep: Sweep) -> Figure:
    """Every policy's cost burden against proposals per post, fill rate as colour.

    Two panels share the y axis (proposals per closed post, the clients'
    filtering burden): on the left the cost burden of all freelancers, on
    the right that of the poorest region. Colour is the fill rate. Policies on
    the trade-off frontier (:meth:`simulator.experiments.sweep.Sweep.frontier`) are drawn
    larger with a black edge and labelled with their arm and parameters;
    whiskers are 95% intervals in both directions.
    """
    policies = sweep.policies()
    by_name = {o.name: o for o in OBJECTIVES}
    y_axis = metric_axis(by_name["proposals_per_job"].metric)
    x_axis = metric_axis(by_name["cost_burden"].metric)
    fill_axis = metric_axis(by_name["fill_rate"].metric)
    fill = policies["fill_rate_mean"].to_numpy(dtype=np.float64) * fill_axis.scale
    finite = fill[np.isfinite(fill)]
    norm = Normalize(
        vmin=float(finite.min()) if finite.size else 0.0,
        vmax=float(finite.max()) if finite.size and finite.max() > finite.min() else 100.0,
    )
    cmap = plt.get_cmap("viridis")
    on = policies["on_frontier"].to_numpy(dtype=bool)
    labels = _policy_labels(sweep, policies, on)
    poorest = sorted(set(policies["poorest_region"]))
    fig, grid = plt.subplots(1, 2, figsize=(13, 6.2), sharey=True, layout="constrained")
    regions = ", ".join(r.replace("_", " ").title() for r in poorest)
    panels = (
        ("cost_burden", "All freelancers"),
        ("cost_burden_poorest", f"Poorest region ({regions})"),
    )
    y = policies["proposals_per_job_mean"].to_numpy(dtype=np.float64) * y_axis.scale
    y_err = _yerr(
        y,
        policies["proposals_per_job_ci_low"].to_numpy(dtype=np.float64) * y_axis.scale,
        policies["proposals_per_job_ci_high"].to_numpy(dtype=np.float64) * y_axis.scale,
    )
    for ax, (name, title) in zip(grid, panels, strict=True):
        x = policies[f"{name}_mean"].to_numpy(dtype=np.float64) * x_axis.scale
        x_err = _yerr(
            x,
            policies[f"{name}_ci_low"].to_numpy(dtype=np.float64) * x_axis.scale,
            policies[f"{name}_ci_high"].to_numpy(dtype=np.float64) * x_axis.scale,
        )
        ax.errorbar(x, y, xerr=x_err, yerr=y_err, fmt="none", ecolor="0.65", lw=0.7, zorder=1)
        colours = [cmap(norm(v)) if np.isfinite(v) else to_rgba("0.6") for v in fill.tolist()]
        ax.scatter(
            x[~on],
            y[~on],
            c=[colours[i] for i in np.flatnonzero(~on)],
            s=30,
            edgecolors="w",
            linewidths=0.6,
            zorder=4,
        )
        ax.scatter(
            x[on],
            y[on],
            c=[colours[i] for i in np.flatnonzero(on)],
            s=90,
            edgecolors="k",
            linewidths=1.2,
            zorder=3,
        )
        for i in np.flatnonzero(on):
            if np.isfinite(x[i]) and np.isfinite(y[i]):
                ax.annotate(
                    labels[i],
                    (float(x[i]), float(y[i])),
                    xytext=LABEL_OFFSETS_POINTS[0],
                    textcoords="offset points",
                    fontsize=7,
                )
        ax.set_title(title, fontsize=11)
        ax.set_xlabel(f"Connects and fees, {x_axis.unit} (lower is better)")
        ax.grid(alpha=0.3)
    grid[0].set_ylabel(f"{y_axis.title} (clients' filtering burden; lower is better)")
    mappable = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    bar = fig.colorbar(mappable, ax=list(grid))
    bar.set_label(f"Fill rate: {fill_axis.unit.lower()} (higher is better)")
    legend = [
        Line2D([], [], linestyle="none", marker="o", markersize=9, markerfacecolor="0.8",
               markeredgecolor="k", label="on the frontier (labelled: arm: parameters)"),
        Line2D([], [], linestyle="none", marker="o", markersize=6, markerfacecolor="0.8",
               markeredgecolor="none", label="beaten on every criterion by another policy"),
    ]  # fmt: skip
    fig.legend(handles=legend, loc="outside lower center", ncols=2, frameon=False, fontsize=9)
    names = short_names(sweep.parameters)
    _title(
        fig,
        sweep,
        f"trade-off frontier, {int(on.sum())} of {len(policies)} policies unbeaten",
        "whiskers: 95% confidence intervals",
        f"labels: arm: {', '.join(names.values())}",
    )
    # the layout is final only once drawn; labels are then moved apart where they overlap
    fig.canvas.draw()
    for ax, (name, _) in zip(grid, panels, strict=True):
        x = policies[f"{name}_mean"].to_numpy(dtype=np.float64) * x_axis.scale
        place_labels(
            [t for t in ax.texts if isinstance(t, Annotation)], marker_boxes(ax, x, y, 5.0)
        )
    return fig


def place_labels(annotations: Sequence[Annotation], markers: Sequence[Bbox] = ()) -> int:
    """Move point labels apart, greedily, in the given order.

    Each label takes the offset of :data:`LABEL_OFFSETS_POINTS` that overlaps
    the fewest labels placed before it, then stays inside its axes, then
    covers the fewest ``markers`` (display boxes of the plotted points); ties
    go to the earlier offset. The figure must have been drawn (its layout is
    then final). Returns how many labels still overlap an earlier one.
    """
    placed: list[Bbox] = []
    clashes = 0
    for label in annotations:
        frame = label.axes.get_window_extent() if label.axes is not None else None
        best: tuple[int, int, int] | None = None
        best_offset = LABEL_OFFSETS_POINTS[0]
        for dx, dy in LABEL_OFFSETS_POINTS:
            label.set_horizontalalignment("left" if dx >= 0 else "right")
            label.xyann = (dx, dy)
            box = label.get_window_extent()
            inside = frame is None or (
                frame.x0 <= box.x0 <= box.x1 <= frame.x1
                and frame.y0 <= box.y0 <= box.y1 <= frame.y1
            )
            cost = (
                sum(box.overlaps(other) for other in placed),
                int(not inside),
                sum(box.overlaps(marker) for marker in markers),
            )
            if best is None or cost < best:
                best, best_offset = cost, (dx, dy)
        dx, dy = best_offset
        label.set_horizontalalignment("left" if dx >= 0 else "right")
        label.xyann = (dx, dy)
        clashes += best is not None and best[0] > 0
        placed.append(label.get_window_extent())
    return clashes


def marker_boxes(ax: Axes, x: FloatArray, y: FloatArray, radius_points: float) -> list[Bbox]:
    """Display boxes of markers of ``radius_points`` at the data points ``(x, y)``."""
    r = radius_points * ax.figure.dpi / 72.0
    centres = ax.transData.transform(np.column_stack([x, y]))
    return [
        Bbox.from_extents(cx - r, cy - r, cx + r, cy + r)
        for cx, cy in centres
        if np.isfinite(cx) and np.isfinite(cy)
    ]


def _policy_labels(sweep: Sweep, policies: pd.DataFrame, on: npt.NDArray[np.bool_]) -> list[str]:
    """``arm: v1, v2`` (the values of the parameters that apply), or the point id when crowded."""
    labels = []
    crowded = int(on.sum()) > FRONTIER_LABELS_MAX
    for record in policies.to_dict("records"):
        values = [
            _show(record[p])
            for p in sweep.parameters
            if applies_to_arm(p, str(record["arm"])) and not _missing(record[p])
        ]
        if crowded:
            labels.append(f"{record['point']} {record['arm']}")
        else:
            labels.append(f"{record['arm']}: {', '.join(values)}" if values else str(record["arm"]))
    return labels


# ------------------------------------------------------------------ break-even


def break_even_chart(sweep: Sweep, table: pd.DataFrame | None = None) -> Figure:
    """The break-even question drawn: the arm's difference from the baseline against the
    parameter solved along, one line per group, and where each crosses zero.

    Parameters
    ----------
    sweep
        A finished sweep that asks a break-even question (``sweep.break_even``).
    table
        Its answer (default: :func:`simulator.experiments.break_even.break_even`).

    Returns
    -------
    matplotlib.figure.Figure
        Top: the difference's mean with its 95% band at each level, one colour per
        group, and the zero line; a black-edged dot at each break-even. Bottom:
        one row per group, the break-even dot and the stretch where the 95%
        interval holds zero; an end beyond the levels swept runs to the edge as
        an arrow (not extrapolated).
    """
    question = sweep.plan.break_even
    if question is None:
        raise ValueError("the sweep asks no break-even question (sweep.break_even)")
    answer = break_even(sweep) if table is None else table
    along = question.along
    by = [p for p in sweep.parameters if p != along]
    names = short_names(sweep.parameters)
    axis = metric_axis(question.metric)
    diff = sweep.differences()
    rows = diff[
        (diff["arm"] == question.arm)
        & (diff["metric"] == question.metric)
        & (diff["segment_kind"] == "overall")
    ]
    keys = [tuple(_key(v) for v in row) for row in rows[by].itertuples(index=False)]
    groups = list(dict.fromkeys(keys))
    colours = arm_colours([str(k) for k in groups])
    fig, (top, bottom) = plt.subplots(
        2,
        1,
        figsize=(9.0, 6.2 + 0.25 * len(groups)),
        sharex=True,
        layout="constrained",
        height_ratios=[3.0, 0.6 + 0.3 * len(groups)],
    )
    answer_keys = [tuple(_key(v) for v in row) for row in answer[by].itertuples(index=False)]
    lowest, highest = float(rows[along].min()), float(rows[along].max())
    for i, key in enumerate(groups):
        colour = colours[str(key)]
        group = rows[[k == key for k in keys]].sort_values(along)
        first = group.iloc[0]
        label = ", ".join(f"{names[p]}={_show(first[p])}" for p in by) or "all points"
        x = group[along].to_numpy(dtype=np.float64)
        mean, low, high = (
            group[c].to_numpy(dtype=np.float64) * axis.scale for c in ("mean", "ci_low", "ci_high")
        )
        top.plot(x, mean, marker=MARKERS[i % len(MARKERS)], color=colour, label=label)
        ok = np.isfinite(low) & np.isfinite(high)
        if ok.any():
            top.fill_between(x, low, high, where=ok, color=colour, alpha=BAND_ALPHA, lw=0)
        found = answer[[k == key for k in answer_keys]]
        _draw_break_even_row(top, bottom, found, i, colour, lowest, highest)
    top.axhline(0.0, color="0.2", linewidth=1.0)
    top.set_ylabel(axis.difference_unit)
    top.grid(alpha=0.3)
    top.legend(fontsize=9, frameon=False, title=None)
    # each row named by its group's values, the parameters named once beside them
    ticks = [
        ", ".join(_show(rows[[k == key for k in keys]].iloc[0][p]) for p in by) for key in groups
    ]
    bottom.set_yticks(range(len(groups)), [t or "all" for t in ticks], fontsize=8)
    bottom.set_ylim(len(groups) - 0.5, -0.5)
    bottom.set_ylabel(", ".join(names[p] for p in by), fontsize=8)
    bottom.set_xlabel(names[along])
    bottom.grid(alpha=0.3, axis="x")
    _title(
        fig,
        sweep,
        f"{axis.title}, {question.arm} minus {sweep.baseline}",
        "bands: 95% confidence intervals; dots: break-even; bars below: where the interval "
        "holds zero",
    )
    return fig


def _draw_break_even_row(
    top: Axes,
    bottom: Axes,
    found: pd.DataFrame,
    row: int,
    colour: str,
    lowest: float,
    highest: float,
) -> None:
    """One group's break-even points (on the zero line above, in its row below) and the
    stretches where its interval holds zero (an open end drawn as an arrow to the edge)."""
    for record in found.to_dict("records"):
        at = float(record["break_even"])
        start, end = float(record["low"]), float(record["high"])
        text = str(record["interval"])
        # NaN ends of a defined interval lie beyond the levels swept
        if not text.startswith(("n/a", "none")):
            left = start if np.isfinite(start) else lowest
            right = end if np.isfinite(end) else highest
            bottom.plot([left, right], [row, row], color=colour, linewidth=4, alpha=0.6)
            for edge, is_open, sign in (
                (lowest, not np.isfinite(start), -1),
                (highest, not np.isfinite(end), 1),
            ):
                if is_open:
                    bottom.annotate(
                        "",
                        xy=(edge + sign * 0.02 * (highest - lowest), row),
                        xytext=(edge, row),
                        arrowprops={"arrowstyle": "->", "color": colour},
                    )
        if np.isfinite(at):
            for ax, y in ((top, 0.0), (bottom, float(row))):
                ax.plot([at], [y], "o", color=colour, markeredgecolor="k", markersize=7, zorder=5)
