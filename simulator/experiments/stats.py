"""Statistics over replications: levels and paired differences with intervals.

Intervals are Student t intervals over replications (each replication is one
independent draw of the whole market). Differences between arms are paired
by replication: every arm of a replication faced the same freelancers and the
same job stream (common random numbers), so the paired difference has far
less noise than either level.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

FloatArray = npt.NDArray[np.float64]

KEYS: list[str] = ["segment_kind", "segment", "metric"]
CONFIDENCE = 0.95


def _interval(values: pd.Series) -> pd.Series:
    x = values.to_numpy(dtype=np.float64)
    x = x[np.isfinite(x)]
    n = x.size
    mean = float(x.mean()) if n else float("nan")
    if n >= 2:
        sd = float(x.std(ddof=1))
        half = float(stats.t.ppf(0.5 + CONFIDENCE / 2.0, n - 1)) * sd / np.sqrt(n)
    else:
        sd = half = float("nan")
    return pd.Series(
        {"mean": mean, "ci_low": mean - half, "ci_high": mean + half, "sd": sd, "n": n}
    )


def levels(metrics: pd.DataFrame) -> pd.DataFrame:
    """Each arm's mean of every metric and segment, with a 95% t interval."""
    grouped = metrics.groupby(["arm", *KEYS], sort=False, observed=True)["value"]
    out = grouped.apply(_interval).unstack()
    out["n"] = out["n"].astype(np.int64)
    return out.reset_index()


def paired_differences(metrics: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Each arm's difference from the baseline arm, paired by replication.

    ``mean`` is the mean of (arm - baseline) over replications, with its 95%
    interval; ``relative`` divides by the baseline's mean level.

    ``unpaired_sd`` is the standard deviation the difference of one
    replication of each arm would have if the arms were run on independent
    random numbers, ``sqrt(var(arm) + var(baseline))``, estimated from the same
    replications (each arm's replications are independent of each other).
    ``variance_reduction`` is ``unpaired_sd**2 / sd**2``: how many times fewer
    replications common random numbers need for the same interval (the paired
    interval is ``sqrt(variance_reduction)`` times narrower).
    """
    base = metrics[metrics["arm"] == baseline][["replication", *KEYS, "value"]]
    others = metrics[metrics["arm"] != baseline]
    if others.empty:
        return pd.DataFrame(
            columns=[
                "arm",
                *KEYS,
                "mean",
                "ci_low",
                "ci_high",
                "sd",
                "n",
                "baseline_mean",
                "relative",
                "relative_ci_low",
                "relative_ci_high",
                "unpaired_sd",
                "variance_reduction",
            ]
        )
    merged = others.merge(base, on=["replication", *KEYS], suffixes=("", "_baseline"))
    merged["difference"] = merged["value"] - merged["value_baseline"]
    grouped = merged.groupby(["arm", *KEYS], sort=False, observed=True)
    out = grouped["difference"].apply(_interval).unstack()
    out["n"] = out["n"].astype(np.int64)
    out["baseline_mean"] = grouped["value_baseline"].mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = out["baseline_mean"].where(out["baseline_mean"] != 0)
        out["relative"] = out["mean"] / scale
        out["relative_ci_low"] = out["ci_low"] / scale
        out["relative_ci_high"] = out["ci_high"] / scale
        arm_var = grouped["value"].var(ddof=1)
        base_var = grouped["value_baseline"].var(ddof=1)
        out["unpaired_sd"] = np.sqrt(arm_var + base_var)
        out["variance_reduction"] = (arm_var + base_var) / (out["sd"] ** 2).where(out["sd"] > 0)
    return out.reset_index()


def excludes_zero(frame: pd.DataFrame) -> pd.Series:
    """Whether each interval in a differences frame lies entirely on one side of zero."""
    return (frame["ci_low"] > 0) | (frame["ci_high"] < 0)


def row(
    frame: pd.DataFrame, arm: str, metric: str, segment_kind: str = "overall", segment: str = "all"
) -> dict[str, float]:
    """One row of a levels or differences frame, as floats."""
    hit = frame[
        (frame["arm"] == arm)
        & (frame["metric"] == metric)
        & (frame["segment_kind"] == segment_kind)
        & (frame["segment"] == segment)
    ]
    if hit.empty:
        raise KeyError(f"no {metric} for arm {arm!r}, {segment_kind} {segment!r}")
    numeric = hit.iloc[0].drop(labels=["arm", *KEYS])
    return {str(k): float(v) for k, v in numeric.items()}


def mean_interval(
    values_by_replication: npt.ArrayLike, confidence: float = CONFIDENCE
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Mean and Student t interval across replications at each point of a curve.

    The pointwise counterpart of :func:`levels` for curves (a monthly series, a
    survival curve, a Lorenz curve...): each point's interval treats the
    replications' values at that point as independent draws.

    Parameters
    ----------
    values_by_replication
        A 2-D array, one row per replication and one column per point.
        Non-finite values are left out of their point's statistics.
    confidence
        Coverage of the interval.

    Returns
    -------
    tuple of numpy.ndarray
        ``(mean, low, high)``, one value per column. ``mean`` is ``nan`` where a
        column has no finite value; ``low`` and ``high`` are ``nan`` where it has
        fewer than two (no interval can be estimated from one replication).
    """
    x = np.asarray(values_by_replication, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"values_by_replication must be 2-D (got {x.ndim}-D)")
    finite = np.isfinite(x)
    n = finite.sum(axis=0)
    # masked sums rather than nanmean/nanstd: those warn on all-nan columns
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(finite, x, 0.0).sum(axis=0) / n
        squares = np.where(finite, x - mean, 0.0) ** 2
        sd = np.sqrt(squares.sum(axis=0) / (n - 1))
    enough = n >= 2
    quantile = np.full(n.shape, np.nan)
    quantile[enough] = stats.t.ppf(0.5 + confidence / 2.0, n[enough] - 1)
    half = np.where(enough, quantile * sd / np.sqrt(np.maximum(n, 1)), np.nan)
    return mean, mean - half, mean + half


def precision_check(
    metrics: pd.DataFrame, baseline: str, headline: Sequence[str], relative_precision: float
) -> pd.DataFrame:
    """Whether each headline paired difference is known to the precision asked for.

    For every arm other than the baseline and every metric of ``headline``
    (overall segment), the half-width of the difference's 95% interval is
    compared with ``relative_precision`` times the absolute value of the
    baseline's mean. With fewer than two replications the half-width is
    unknown and the check is not met.

    Returns
    -------
    pandas.DataFrame
        One row per arm and metric: ``arm``, ``metric``, ``half_width``,
        ``target`` (the largest half-width accepted), ``ratio`` (half-width
        over target; at most 1 when met) and ``met``.
    """
    diff = paired_differences(metrics, baseline)
    rows = diff[(diff["segment_kind"] == "overall") & diff["metric"].isin(list(headline))]
    half = (rows["ci_high"] - rows["ci_low"]).to_numpy(dtype=np.float64) / 2.0
    target = relative_precision * np.abs(rows["baseline_mean"].to_numpy(dtype=np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        # a difference known exactly (zero width) meets any target, even a zero one
        ratio = np.where(half == 0.0, 0.0, half / target)
    met = np.isfinite(ratio) & (ratio <= 1.0)
    return pd.DataFrame(
        {
            "arm": rows["arm"].to_numpy(),
            "metric": rows["metric"].to_numpy(),
            "half_width": half,
            "target": target,
            "ratio": ratio,
            "met": met,
        }
    )
