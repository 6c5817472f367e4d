"""Charts of a calibration: the posterior's marginals and pairs, and the fit to the targets.

Each parameter is drawn on its prior's range, so that a posterior that fills
the range (an unidentified parameter) looks flat and one the targets pin down
looks narrow. Particles are weighted: histograms by their weights, scatter
points sized by them.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from simulator.charts.style import OKABE_ITO
from simulator.experiments.calibration import Calibration, records

__all__ = ["fit_chart", "marginals_chart", "pairs_chart"]

BINS = 20
"""Histogram bins across a parameter's prior range."""


def _short(path: str) -> str:
    """The last two parts of a dotted path: enough to tell parameters apart."""
    return ".".join(path.split(".")[-2:])


def marginals_chart(result: Calibration) -> Figure:
    """One panel per parameter: the weighted posterior histogram against the flat prior."""
    posterior = result.posterior
    count = len(posterior.parameters)
    columns = min(count, 3)
    rows = math.ceil(count / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.0 * rows), squeeze=False)
    table = result.identification.set_index("parameter")
    for ax, p in zip(axes.flat, posterior.parameters, strict=False):
        values = posterior.samples[p.path].to_numpy(dtype=np.float64)
        edges = np.linspace(p.low, p.high, BINS + 1)
        ax.hist(values, bins=edges, weights=posterior.weights, density=True, color=OKABE_ITO[0])
        ax.axhline(1.0 / (p.high - p.low), color="0.3", linestyle="--", label="prior")
        row = table.loc[p.path]
        ax.axvspan(row["posterior_low"], row["posterior_high"], color=OKABE_ITO[1], alpha=0.18)
        ax.set_title(f"{_short(p.path)}\n{row['verdict']}", fontsize=9)
        ax.set_xlim(p.low, p.high)
        ax.set_yticks([])
    for ax in list(axes.flat)[count:]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=8, loc="upper right")
    fig.suptitle("Posterior of each calibrated parameter (shaded: its 90% interval)", fontsize=10)
    fig.tight_layout()
    return fig


def pairs_chart(result: Calibration) -> Figure:
    """Every pair of parameters: the particles, sized by weight, on the priors' ranges."""
    posterior = result.posterior
    parameters = posterior.parameters
    count = len(parameters)
    size = max(count, 1)
    fig, axes = plt.subplots(size, size, figsize=(2.4 * size + 1, 2.4 * size + 1), squeeze=False)
    sizes = 4.0 + 400.0 * posterior.weights / max(float(posterior.weights.max()), 1e-12)
    for i, row_p in enumerate(parameters):
        for j, column_p in enumerate(parameters):
            ax = axes[i][j]
            x = posterior.samples[column_p.path].to_numpy(dtype=np.float64)
            if i == j:
                ax.hist(
                    x, bins=BINS, range=(column_p.low, column_p.high), weights=posterior.weights
                )
                ax.set_yticks([])
            else:
                y = posterior.samples[row_p.path].to_numpy(dtype=np.float64)
                ax.scatter(x, y, s=sizes / size, alpha=0.5, color=OKABE_ITO[0], linewidths=0)
                ax.set_ylim(row_p.low, row_p.high)
            ax.set_xlim(column_p.low, column_p.high)
            if i == size - 1:
                ax.set_xlabel(_short(column_p.path), fontsize=8)
            if j == 0 and i != j:
                ax.set_ylabel(_short(row_p.path), fontsize=8)
            ax.tick_params(labelsize=7)
    fig.suptitle("Posterior particles, pair by pair (size: weight)", fontsize=10)
    fig.tight_layout()
    return fig


def fit_chart(result: Calibration) -> Figure:
    """Each target: the posterior predictive interval and median against the figure."""
    fit = result.fit
    count = len(fit)
    fig, axes = plt.subplots(1, count, figsize=(3.6 * count, 3.0), squeeze=False)
    specs = {t.name: t for t in result.plan.model.targets}
    for ax, row in zip(axes.flat, records(fit), strict=True):
        spec = specs[str(row["target"])]
        values = result.predictive[str(row["target"])].to_numpy(dtype=np.float64)
        ax.plot(np.zeros_like(values), values, "o", color=OKABE_ITO[0], alpha=0.35, ms=4)
        ax.errorbar(
            [0.3],
            [row["predictive_median"]],
            yerr=[
                [row["predictive_median"] - row["predictive_low"]],
                [row["predictive_high"] - row["predictive_median"]],
            ],
            fmt="s",
            color=OKABE_ITO[0],
            capsize=4,
            label="model, 90% predictive",
        )
        if spec.kind == "value":
            band = 2.0 * spec.scale
            ax.axhspan(spec.value - band, spec.value + band, color=OKABE_ITO[1], alpha=0.2)
            ax.axhline(spec.value, color=OKABE_ITO[1], label="target (95% band)")
        else:
            ax.axhline(
                spec.value, color=OKABE_ITO[1], linestyle="--", label=f"target: {spec.describe()}"
            )
        ax.set_xticks([])
        ax.set_xlim(-0.5, 0.8)
        ax.set_title(f"{row['target']}\n({row['arm']})", fontsize=8)
        ax.legend(fontsize=7, loc="best")
    fig.suptitle("The calibrated model against each target", fontsize=10)
    fig.tight_layout()
    return fig
