"""Statistics over replications: levels and paired differences with intervals.

Intervals are Student t intervals over replications (each replication is one
independent draw of the whole market). Differences between arms are paired
by replication: every arm of a replication faced the same freelancers and the
same job stream (common random numbers), so the paired difference has far
less noise than either level.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

# scipy.stats (0.4 s to import) is imported in the functions that use it: a script
# that imports the experiments API is the main module of its pool's workers, which
# import it again at start-up and never compute an interval

FloatArray = npt.NDArray[np.float64]

KEYS: list[str] = ["segment_kind", "segment", "metric"]
CONFIDENCE = 0.95


INTERVAL_COLUMNS = ["mean", "ci_low", "ci_high", "sd", "n"]
"""What :func:`levels` and :func:`paired_differences` give of each group, in this order."""


def _t_quantile(n: int) -> float:
    """The Student t quantile of a two-sided :data:`CONFIDENCE` interval from ``n`` values."""
    from scipy import stats

    return float(stats.t.ppf(0.5 + CONFIDENCE / 2.0, n - 1))


def group_intervals(values: FloatArray, codes: npt.NDArray[np.intp], groups: int) -> pd.DataFrame:
    """The mean of each group's finite values with its Student t interval, all groups at once.

    Each group's values are gathered, in their order, into a row of a block of
    groups with as many finite values; the block's rows are reduced in one NumPy
    call per distinct count. A row is reduced as a 1-D array of its values is
    (``x.mean()``, ``x.std(ddof=1)``: the same sums in the same order), so every
    figure is the one a group-by-group loop gives, bit for bit, at a fraction of
    its cost: a sweep's summaries have one group per point, arm, segment and
    metric, tens of thousands in all.

    Parameters
    ----------
    values
        The values, one per row of the frame.
    codes
        Each value's group, 0 to ``groups - 1``; a negative code leaves the value out.
    groups
        The number of groups.

    Returns
    -------
    pandas.DataFrame
        One row per group, in group order: ``mean`` (nan without a finite value),
        ``ci_low``, ``ci_high``, ``sd`` (nan with fewer than two) and ``n``, the
        finite values counted.
    """
    keep = np.isfinite(values) & (codes >= 0)
    kept_codes = codes[keep]
    # a stable sort keeps each group's values in the frame's order
    order = np.argsort(kept_codes, kind="stable")
    ordered = values[keep][order]
    n = np.bincount(kept_codes, minlength=groups).astype(np.int64)
    starts = np.cumsum(n) - n
    mean = np.full(groups, np.nan)
    half = np.full(groups, np.nan)
    sd = np.full(groups, np.nan)
    for count in np.unique(n[n > 0]).tolist():
        members = np.flatnonzero(n == count)
        block = ordered[starts[members, np.newaxis] + np.arange(count)]
        mean[members] = block.mean(axis=1)
        if count >= 2:
            sd[members] = block.std(axis=1, ddof=1)
            half[members] = _t_quantile(count) * sd[members] / np.sqrt(count)
    return pd.DataFrame(
        {"mean": mean, "ci_low": mean - half, "ci_high": mean + half, "sd": sd, "n": n}
    )


def _unique_rows(
    columns: list[npt.NDArray[np.intp]],
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """``np.unique(np.stack(columns, axis=1), axis=0, return_inverse=True)`` for
    columns of non-negative codes.

    Each row's codes are read as the digits of one integer (column ``j``'s digit
    in base ``max + 1``), whose order is the rows' lexicographic order, so a
    1-d ``np.unique`` finds the same rows in the same order at a fraction of the
    cost of sorting whole rows. When that integer could overflow 63 bits, the
    rows themselves are sorted.
    """
    radices = [int(c.max()) + 1 if c.size else 1 for c in columns]
    if math.prod(radices) >= 2**62:
        rows, inverse = np.unique(np.stack(columns, axis=1), axis=0, return_inverse=True)
        return rows, inverse.reshape(-1)
    number = np.zeros(columns[0].size, dtype=np.int64)
    for codes, radix in zip(columns, radices, strict=True):
        number = number * radix + codes
    distinct, inverse = np.unique(number, return_inverse=True)
    rows = np.empty((distinct.size, len(columns)), dtype=np.intp)
    rest = distinct.copy()
    for j in range(len(columns) - 1, -1, -1):
        rest, rows[:, j] = np.divmod(rest, radices[j])
    return rows, inverse.reshape(-1)


def _groups(frame: pd.DataFrame, by: str | None) -> tuple[npt.NDArray[np.intp], pd.MultiIndex]:
    """Each row's group by ``by`` (if given), arm, segment and metric (-1 for a row with a
    missing key), and the groups' keys.

    The groups come in the order the group-by-apply-unstack these statistics
    were first computed with gives (and so the order of every table written):
    by arm, then segment kind, segment and metric, each key's values in the order
    they first appear in ``frame``. With ``by``, the groups of each of its values
    (in the order they first appear) come in the order its rows alone would give:
    a key's codes number its (``by`` value, key value) pairs in the order they first
    appear, which within one ``by`` value is the order of that value's rows.
    """
    keys = ["arm", *KEYS]
    if by is None:
        lead = np.zeros(len(frame), dtype=np.intp)
        lead_values = None
    else:
        lead, lead_values = pd.factorize(frame[by], sort=False)
    factorized = [pd.factorize(frame[key], sort=False) for key in keys]
    present = (lead >= 0) & np.logical_and.reduce([codes >= 0 for codes, _ in factorized])
    lead = lead[present]
    columns = [lead]
    pairs = []
    for codes, uniques in factorized:
        # the pair (by value, key value) as one number, numbered by first appearance
        pair_codes, pair_values = pd.factorize(lead * len(uniques) + codes[present], sort=False)
        columns.append(pair_codes)
        pairs.append(pair_values % len(uniques))
    # the distinct combinations, sorted key by key, and each row's
    combinations, inverse = _unique_rows(columns)
    groups = np.full(len(frame), -1, dtype=np.intp)
    groups[present] = inverse.reshape(-1)
    arrays = [
        uniques.take(pairs[j][combinations[:, j + 1]]) for j, (_, uniques) in enumerate(factorized)
    ]
    names = keys
    if lead_values is not None and by is not None:
        arrays.insert(0, lead_values.take(combinations[:, 0]))
        names = [by, *keys]
    return groups, pd.MultiIndex.from_arrays(arrays, names=names)


def levels(metrics: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Each arm's mean of every metric and segment, with a 95% t interval.

    With ``by`` (a sweep's ``"point"``), the same for each of that column's values
    at once, which leads the columns: the rows of each value are those (and in the
    order) ``levels`` of that value's rows alone gives.
    """
    if metrics.empty:
        return pd.DataFrame(columns=[*([by] if by else []), "arm", *KEYS, *INTERVAL_COLUMNS])
    groups, index = _groups(metrics, by)
    out = group_intervals(metrics["value"].to_numpy(dtype=np.float64), groups, len(index))
    out.index = index
    return out.reset_index()


def paired_differences(metrics: pd.DataFrame, baseline: str, by: str | None = None) -> pd.DataFrame:
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

    With ``by`` (a sweep's ``"point"``), arms are paired within each of that
    column's values, which leads the columns, as :func:`levels` does.
    """
    lead = [by] if by else []
    base = metrics[metrics["arm"] == baseline][[*lead, "replication", *KEYS, "value"]]
    others = metrics[metrics["arm"] != baseline]
    if others.empty:
        return pd.DataFrame(
            columns=[
                *lead,
                "arm",
                *KEYS,
                *INTERVAL_COLUMNS,
                "baseline_mean",
                "relative",
                "relative_ci_low",
                "relative_ci_high",
                "unpaired_sd",
                "variance_reduction",
            ]
        )
    merged = others.merge(base, on=[*lead, "replication", *KEYS], suffixes=("", "_baseline"))
    difference = (merged["value"] - merged["value_baseline"]).to_numpy(dtype=np.float64)
    groups, index = _groups(merged, by)
    out = group_intervals(difference, groups, len(index))
    out.index = index
    # pandas' group means and variances (compensated sums), grouped by the codes above:
    # the groups' order, without aligning four keys of text
    present = groups >= 0
    columns = merged.loc[present, ["value", "value_baseline"]].assign(group=groups[present])
    # by a column, not an array: pandas would first look the array up as a column name
    grouped = columns.groupby("group", sort=True)
    out["baseline_mean"] = grouped["value_baseline"].mean().to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = out["baseline_mean"].where(out["baseline_mean"] != 0)
        out["relative"] = out["mean"] / scale
        out["relative_ci_low"] = out["ci_low"] / scale
        out["relative_ci_high"] = out["ci_high"] / scale
        arm_var = grouped["value"].var(ddof=1).to_numpy()
        base_var = grouped["value_baseline"].var(ddof=1).to_numpy()
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
    from scipy import stats

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
