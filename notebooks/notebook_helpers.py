"""Display helpers shared by the notebooks: readable units, tables and sentences.

Nothing here computes a result: every function formats what a
:class:`simulator.Study` already holds (its levels and paired differences),
so that the notebooks can state results in sentences built from the data
rather than typed in by hand. The notebooks import this module after
locating the project (``sys.path`` gets the ``notebooks`` folder).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display
from matplotlib.figure import Figure
from scipy import stats as scipy_stats

from simulator import charts
from simulator.catalog import METRIC_DESCRIPTIONS, METRICS
from simulator.catalog import fmt as catalog_fmt
from simulator.experiments import stats
from simulator.experiments.study import Study

PERCENT_METRICS: frozenset[str] = frozenset(name for name, m in METRICS.items() if m.is_share)
"""Shares and rates: shown in percent, their differences in percentage points (pp)."""


def fmt(metric: str, value: float | None, signed: bool = False, difference: bool = False) -> str:
    """A value of a metric in its display unit ("n/a" when it is missing), as the
    reports write it (:func:`simulator.catalog.fmt`)."""
    if value is None or not np.isfinite(value):
        return "n/a"
    return catalog_fmt(metric, value, signed=signed, difference=difference)


def describe(metric: str) -> str:
    """What a metric measures, as the start of a sentence."""
    text = METRIC_DESCRIPTIONS[metric]
    return text[:1].upper() + text[1:]


def pretty(segment: str) -> str:
    """A region or segment name for people: ``south_asia`` -> ``South Asia``."""
    return segment.replace("_", " ").title()


def say(*sentences: str) -> None:
    """Show sentences built from the results as one paragraph."""
    display(Markdown(" ".join(sentences)))


def say_list(items: Iterable[str]) -> None:
    """Show sentences built from the results as a bulleted list."""
    display(Markdown("\n".join(f"* {item}" for item in items)))


def show_figure(fig: Figure, caption: str | None = None) -> None:
    """Show a matplotlib figure once, with a caption in bold above it.

    For charts drawn outside :data:`simulator.charts.study.CHARTS`: a sweep's
    (``Sweep.response_curves``, ``heatmap``, ``frontier_chart``) or a sensitivity
    analysis' (``simulator.charts.sensitivity.index_chart``).
    """
    if caption:
        display(Markdown(f"**{caption}**"))
    display(fig)
    plt.close(fig)  # shown once: not again by the inline backend at the end of the cell


def show_chart(study: Study, name: str) -> None:
    """Draw a chart registered in ``simulator.charts.study.CHARTS`` by its name, with its caption."""
    specs = {spec.slug: spec for spec in charts.CHARTS}
    if name not in specs:
        raise KeyError(f"no chart {name!r} in simulator.charts.study.CHARTS (it has {', '.join(specs)})")
    show_figure(specs[name].draw(study), specs[name].caption)


def established(row: dict[str, float]) -> str | None:
    """``"up"`` or ``"down"`` when a difference's 95% interval excludes zero, else ``None``."""
    if row["ci_low"] > 0:
        return "up"
    if row["ci_high"] < 0:
        return "down"
    return None


def compare(
    study: Study,
    arm: str,
    metric: str,
    segment_kind: str = "overall",
    segment: str = "all",
    differences: pd.DataFrame | None = None,
    base: str | None = None,
) -> str:
    """One sentence: an arm against the baseline (or ``base``) on one metric, with the
    paired difference and its 95% interval. Pass ``differences`` taken from another arm
    (``simulator.experiments.stats.paired_differences(frame, base)``) together with that ``base``."""
    levels = study.levels()
    differences = study.differences() if differences is None else differences
    base = study.baseline if base is None else base
    where = {
        "overall": "",
        "region": f", {pretty(segment)}",
        "membership": f", {segment.title()} plan",
        "cohort": f", {segment} freelancers",
    }.get(segment_kind, f", {segment}")
    try:
        a = stats.row(levels, arm, metric, segment_kind, segment)
        b = stats.row(levels, base, metric, segment_kind, segment)
        d = stats.row(differences, arm, metric, segment_kind, segment)
    except KeyError:
        return f"{describe(metric)}{where}: not measured in this study."
    if not np.isfinite(d["mean"]):
        return f"{describe(metric)}{where}: not estimable in this study."
    sign = established(d)
    if not np.isfinite(d["ci_low"]):
        verdict = "one replication gives no interval"
    elif sign is not None:
        verdict = "the interval excludes zero"
    else:
        verdict = "the interval includes zero, so no difference is established"
    relative = f", {d['relative']:+.0%}" if np.isfinite(d["relative"]) else ""
    return (
        f"{describe(metric)}{where}: {fmt(metric, a['mean'])} under {study.label(arm)} against "
        f"{fmt(metric, b['mean'])} under {study.label(base)}, a paired difference of "
        f"{fmt(metric, d['mean'], signed=True, difference=True)} (95% CI "
        f"{fmt(metric, d['ci_low'], difference=True)} to "
        f"{fmt(metric, d['ci_high'], difference=True)}{relative}); {verdict}."
    )


def difference_table(
    study: Study,
    metrics: Sequence[str],
    segment_kind: str = "overall",
    differences: pd.DataFrame | None = None,
    base: str | None = None,
) -> pd.DataFrame:
    """Levels and paired differences from the baseline (or ``base``), one row per segment,
    metric and arm. Shares are in percent and their differences in percentage points;
    ``relative`` is the difference as a share of the baseline's level."""
    levels = study.levels()
    differences = study.differences() if differences is None else differences
    base = study.baseline if base is None else base
    part = differences[
        (differences["segment_kind"] == segment_kind) & differences["metric"].isin(list(metrics))
    ]
    rows: list[dict[str, Any]] = []
    for metric in metrics:
        scale = METRICS[metric].scale
        for d in part[part["metric"] == metric].itertuples(index=False):
            rows.append(
                {
                    "segment": d.segment,
                    "metric": metric,
                    "unit": "%" if METRICS[metric].is_share else "",
                    "arm": d.arm,
                    "baseline": stats.row(levels, base, metric, segment_kind, d.segment)["mean"]
                    * scale,
                    "level": stats.row(levels, d.arm, metric, segment_kind, d.segment)["mean"]
                    * scale,
                    "difference": d.mean * scale,
                    "CI low": d.ci_low * scale,
                    "CI high": d.ci_high * scale,
                    "relative": d.relative,
                }
            )
    table = pd.DataFrame(rows)
    if segment_kind == "overall" and not table.empty:
        table = table.drop(columns="segment")
    return table.round(4)


def t_interval(values: Iterable[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student t interval of independent values (one per replication), as
    ``simulator.experiments.stats`` computes them; the interval is ``nan`` with fewer than two values."""
    x = np.asarray(list(values), dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return np.nan, np.nan, np.nan
    mean = float(x.mean())
    if x.size < 2:
        return mean, np.nan, np.nan
    half = float(
        scipy_stats.t.ppf(0.5 + confidence / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size)
    )
    return mean, mean - half, mean + half


def describe_policy(policy: Any) -> dict[str, Any]:
    """The main rules of a credit policy, for a side-by-side table of arms."""
    cost = policy.proposal_cost
    if cost.rule == "by_budget":
        per_proposal = f"{'/'.join(str(c * cost.multiplier) for c in cost.connects)} by budget"
    elif cost.rule == "by_tier":
        per_proposal = f"{cost.entry}/{cost.intermediate}/{cost.expert} by tier"
    else:
        per_proposal = f"{cost.connects} flat"
    return {
        "label": policy.label,
        "Connects sold": policy.purchase_allowed,
        "price, USD a Connect": policy.price_usd_per_connect if policy.purchase_allowed else None,
        "priced by region": policy.regional_pricing,
        "Connects a proposal": per_proposal,
        "free a month, Basic": policy.monthly_grant.get("basic", 0),
        "free a month, Plus": policy.monthly_grant.get("plus", 0),
        "one-time, new accounts": policy.new_account_grant,
        "earned per 5-star review": policy.earning.per_five_star_review,
        "grants need good standing": policy.eligibility.min_rating > 0,
    }
