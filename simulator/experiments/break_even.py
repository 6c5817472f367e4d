"""Break-even: where an arm's paired difference from the baseline crosses zero along
one varied parameter of a sweep, and the interval of that crossing.

For each combination of the sweep's other parameters (a *group*), the arm's
difference from the baseline in one metric, overall (:meth:`Sweep.differences`,
a mean with its 95% interval at each level), is taken as a function of the
parameter, linear between neighbouring levels:

* **break-even**: where the mean's line crosses zero (a level where the mean is
  exactly zero counts as a crossing at that level);
* **interval**: the stretch of the parameter around it where the 95% interval
  of the difference holds zero (each bound's line interpolated the same way) --
  the allowances at which the data cannot tell the arm from the baseline. Its
  ends are where the bounds cross zero; an end that would lie beyond the levels
  swept is not extrapolated but reported as "below LOWEST" or "above HIGHEST"
  (``low`` or ``high`` is then NaN).

A difference that changes sign more than once (not monotone in the parameter)
has several break-even points. The rule: **every crossing is a row** of its
group, numbered from the lowest level (``crossing`` = 1, 2, ...; ``crossings``
is their count), each with the stretch of the interval that contains it
(neighbouring crossings may share one); none is dropped or averaged away, and
the status says the difference is not monotone. A group whose difference keeps
one sign has one row, with no break-even and, when the 95% interval still holds
zero somewhere, that stretch as its interval.

Nothing here draws or prints: :func:`simulator.charts.sweep.break_even_chart` draws
the answer and :mod:`simulator.report.sweep` tabulates it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from simulator.config.scenario import BreakEvenSpec, Scenario
from simulator.experiments.frontier import Sweep

FloatArray = npt.NDArray[np.float64]

RESULT_COLUMNS: tuple[str, ...] = (
    "crossing",
    "crossings",
    "break_even",
    "low",
    "high",
    "interval",
    "status",
)
"""The columns of :func:`break_even_table` after the group's parameters."""


@dataclass(frozen=True)
class Stretch:
    """A stretch of the parameter where the 95% interval of the difference holds zero."""

    start: float
    end: float
    open_below: bool
    """The interval holds zero at the lowest level swept: its end below is unknown."""
    open_above: bool
    """The interval holds zero at the highest level swept: its end above is unknown."""


def number(value: float) -> str:
    """A level or break-even as text: whole from 100 on, else three significant digits
    (interpolated between levels, more digits would claim a precision it lacks)."""
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def zero_crossings(x: FloatArray, y: FloatArray) -> list[float]:
    """Where the line through ``(x, y)`` (``x`` increasing) equals zero.

    A level where ``y`` is exactly zero is one crossing there; a segment whose
    ends have strictly opposite signs has one crossing inside it, linearly
    interpolated. A run of exact zeros gives one crossing per level.
    """
    found: list[float] = []
    for i in range(x.size):
        if y[i] == 0.0:
            found.append(float(x[i]))
        if i + 1 < x.size and y[i] * y[i + 1] < 0.0:
            root = x[i] + (x[i + 1] - x[i]) * (-y[i]) / (y[i + 1] - y[i])
            # rounding may put a root next to a level a unit in the last place outside
            found.append(float(min(max(root, x[i]), x[i + 1])))
    return found


def _at_most_zero(a: float, b: float, ga: float, gb: float) -> tuple[float, float] | None:
    """Where the line from ``(a, ga)`` to ``(b, gb)`` is at most zero, within [a, b]."""
    if ga <= 0.0 and gb <= 0.0:
        return (a, b)
    if ga > 0.0 and gb > 0.0:
        return None
    # clamped: rounding may put a root at an end a unit in the last place outside it
    root = min(max(a + (b - a) * (-ga) / (gb - ga), a), b)
    return (a, root) if ga <= 0.0 else (root, b)


def zero_stretches(x: FloatArray, low: FloatArray, high: FloatArray) -> list[Stretch]:
    """Where the interval ``[low, high]`` holds zero, each bound linear between levels.

    Parameters
    ----------
    x
        The levels, increasing, at least two.
    low, high
        The 95% interval's bounds at each level (finite).

    Returns
    -------
    list of Stretch
        Disjoint stretches in increasing order; one that reaches the lowest or the
        highest level is marked open on that side (the interval may hold zero beyond
        the levels swept, which is not extrapolated).
    """
    pieces: list[tuple[float, float]] = []
    for i in range(x.size - 1):
        a, b = float(x[i]), float(x[i + 1])
        # low <= 0 and -high <= 0: each a sub-segment (lines), their overlap one too
        under = _at_most_zero(a, b, float(low[i]), float(low[i + 1]))
        over = _at_most_zero(a, b, -float(high[i]), -float(high[i + 1]))
        if under is None or over is None:
            continue
        start, end = max(under[0], over[0]), min(under[1], over[1])
        if start <= end:
            pieces.append((start, end))
    merged: list[list[float]] = []
    for start, end in pieces:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    lowest, highest = float(x[0]), float(x[-1])
    return [
        # a piece starts at a level only where both bounds hold zero there
        Stretch(start, end, start == lowest, end == highest)
        for start, end in merged
    ]


def _interval_text(stretches: Sequence[Stretch], lowest: float, highest: float) -> str:
    parts = []
    for s in stretches:
        start = f"below {number(lowest)}" if s.open_below else number(s.start)
        end = f"above {number(highest)}" if s.open_above else number(s.end)
        single = s.start == s.end and not (s.open_below or s.open_above)
        parts.append(start if single else f"{start} to {end}")
    return "; ".join(parts)


def _ends(stretches: Sequence[Stretch]) -> tuple[float, float]:
    """The hull's ends, NaN where it reaches beyond the levels swept."""
    if not stretches:
        return math.nan, math.nan
    first, last = stretches[0], stretches[-1]
    return (math.nan if first.open_below else first.start), (
        math.nan if last.open_above else last.end
    )


def solve(
    x: FloatArray, mean: FloatArray, low: FloatArray, high: FloatArray, along: str
) -> list[dict[str, Any]]:
    """The break-even rows of one group (see the module's rule for several crossings).

    Parameters
    ----------
    x
        The levels of the parameter, increasing, distinct.
    mean, low, high
        The difference's mean and 95% bounds at each level (bounds NaN with one
        replication: there is then no interval).
    along
        The parameter's name, for the status.

    Returns
    -------
    list of dict
        One dict per crossing (one when there is none), with the keys of
        :data:`RESULT_COLUMNS`.
    """
    if x.size < 2:
        status = f"fewer than two levels of {along}: nothing to interpolate"
        return [_row(0, 0, math.nan, math.nan, math.nan, "n/a", status)]
    lowest, highest = float(x[0]), float(x[-1])
    crossings = zero_crossings(x, mean)
    intervals = bool(np.isfinite(low).all() and np.isfinite(high).all())
    stretches = zero_stretches(x, low, high) if intervals else []
    no_interval = "n/a (no 95% interval from 1 replication)"
    if not crossings:
        side = "below" if float(np.max(mean)) < 0.0 else "above"
        status = (
            f"no crossing from {number(lowest)} to {number(highest)}: the difference is "
            f"{side} zero at every level"
        )
        if not intervals:
            return [_row(0, 0, math.nan, math.nan, math.nan, no_interval, status)]
        start, end = _ends(stretches)
        text = _interval_text(stretches, lowest, highest) or (
            "none: the 95% interval excludes zero at every level"
        )
        return [_row(0, 0, math.nan, start, end, text, status)]
    rows = []
    count = len(crossings)
    for k, at in enumerate(crossings, start=1):
        status = (
            "crosses zero once"
            if count == 1
            else f"crossing {k} of {count}: the difference is not monotone in {along}"
        )
        if not intervals:
            rows.append(_row(k, count, at, math.nan, math.nan, no_interval, status))
            continue
        # the mean lies inside its interval, so a stretch holds every crossing
        slack = 1e-9 * (1.0 + abs(at))
        around = [s for s in stretches if s.start - slack <= at <= s.end + slack][:1]
        start, end = _ends(around)
        text = _interval_text(around, lowest, highest)
        rows.append(_row(k, count, at, start, end, text, status))
    return rows


def _row(
    crossing: int, crossings: int, at: float, low: float, high: float, interval: str, status: str
) -> dict[str, Any]:
    return {
        "crossing": crossing,
        "crossings": crossings,
        "break_even": at,
        "low": low,
        "high": high,
        "interval": interval,
        "status": status,
    }


def _key(value: Any) -> str:
    # a level may be a list, which pandas cannot group by: group by its text
    return json.dumps(value, sort_keys=True, default=str)


def break_even_table(
    differences: pd.DataFrame,
    arm: str,
    metric: str,
    along: str,
    by: Sequence[str] = (),
) -> pd.DataFrame:
    """The break-even of ``arm`` against the baseline along ``along``, per group.

    Parameters
    ----------
    differences
        Paired differences as :meth:`Sweep.differences` gives them: columns
        ``arm``, ``segment_kind``, ``metric``, ``mean``, ``ci_low``, ``ci_high``
        and one per parameter (``along`` and ``by`` among them).
    arm, metric
        The difference solved for zero (overall segment).
    along
        The parameter solved along; its levels must be numbers.
    by
        The parameters that make the groups, one answer per combination of their
        values (in order of first appearance). Every other parameter must be the
        same at all of a group's levels of ``along``.

    Returns
    -------
    pandas.DataFrame
        Columns: ``by``'s, then :data:`RESULT_COLUMNS`: ``crossing`` (1, 2, ...
        from the lowest; 0 when none), ``crossings`` (how many in the group),
        ``break_even``, ``low`` and ``high`` (the interval's ends; NaN when an end
        lies beyond the levels swept or there is no interval), ``interval`` (the
        interval in words: ``"188 to 241"``, ``"below 10 to 31"``, ``"280 to above
        320"``) and ``status`` (what was found, in words).

    Raises
    ------
    ValueError
        When the arm and metric have no rows, a level of ``along`` is not a number,
        or a level repeats within a group (group by the parameter that differs).
    """
    if along in by:
        raise ValueError(f"{along} is the parameter solved along; it cannot also group")
    for column in (along, *by):
        if column not in differences.columns:
            raise ValueError(f"{column!r} is not a parameter of the sweep")
    rows = differences[
        (differences["arm"] == arm)
        & (differences["metric"] == metric)
        & (differences["segment_kind"] == "overall")
    ]
    if rows.empty:
        raise ValueError(f"no overall differences of arm {arm!r} in {metric!r}")
    levels = rows[along].tolist()
    bad = [v for v in levels if isinstance(v, bool) or not isinstance(v, int | float)]
    if bad:
        raise ValueError(f"{along} takes {bad[0]!r}, not a number: break-even interpolates")
    keys = [tuple(_key(v) for v in row) for row in rows[list(by)].itertuples(index=False)]
    out: list[dict[str, Any]] = []
    for key in dict.fromkeys(keys):
        group = rows[[k == key for k in keys]]
        x = group[along].to_numpy(dtype=np.float64)
        if np.unique(x).size < x.size:
            raise ValueError(
                f"a level of {along} repeats within a group of {', '.join(by) or 'no parameter'}: "
                "another parameter varies there (group by every other varied parameter)"
            )
        order = np.argsort(x, kind="stable")
        mean, low, high = (
            group[c].to_numpy(dtype=np.float64)[order] for c in ("mean", "ci_low", "ci_high")
        )
        x = x[order]
        # a level without a value (a metric undefined there) cannot be interpolated through
        ok = np.isfinite(mean)
        values = dict(zip(by, group.iloc[0][list(by)].tolist(), strict=True))
        for found in solve(x[ok], mean[ok], low[ok], high[ok], along):
            out.append({**values, **found})
    return pd.DataFrame(out, columns=[*by, *RESULT_COLUMNS])


def break_even(
    sweep: Sweep, question: BreakEvenSpec | None = None, by: Sequence[str] | None = None
) -> pd.DataFrame:
    """The sweep's break-even table (see :func:`break_even_table`).

    Parameters
    ----------
    sweep
        A finished sweep.
    question
        The arm, metric and parameter (default: the sweep's own question, from
        its scenario's ``sweep.break_even``).
    by
        The grouping parameters (default: every other varied parameter).

    Raises
    ------
    ValueError
        When there is no question, or it does not fit the sweep.
    """
    question = question or sweep.plan.break_even
    if question is None:
        raise ValueError("the sweep asks no break-even question (sweep.break_even)")
    if question.along not in sweep.parameters:
        raise ValueError(
            f"{question.along} is not varied by the sweep ({', '.join(sweep.parameters)})"
        )
    if question.arm == sweep.baseline or question.arm not in sweep.arms:
        raise ValueError(f"{question.arm!r} is not an arm compared with the baseline")
    groups = [p for p in sweep.parameters if p != question.along] if by is None else list(by)
    return break_even_table(
        sweep.differences(), question.arm, question.metric, question.along, groups
    )


def _blank(data: dict[str, Any], path: str) -> None:
    """Set the value at dotted ``path`` of nested ``data`` to None, when it is there."""
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        if not isinstance(node, dict) or part not in node:
            return
        node = node[part]
    if isinstance(node, dict) and last in node:
        node[last] = None


def _first_difference(left: Any, right: Any, path: str) -> str | None:
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(set(left) | set(right), key=str):
            found = _first_difference(left.get(key), right.get(key), f"{path}.{key}")
            if found is not None:
                return found
        return None
    return None if left == right else path


def study_mismatch(sweep: Sweep, scenario: Scenario) -> str | None:
    """Why the sweep's break-even does not answer a study of ``scenario``, or None.

    The sweep answers for the study when it asks a break-even question about one
    of the study's arms against the study's baseline, and its base scenario is the
    study's except for the parameters it varies, the name and description, and the
    number of replications and seed: the same world, arms and run length.
    """
    question = sweep.plan.break_even
    if question is None:
        return "the sweep asks no break-even question (its scenario has no sweep.break_even)"
    if question.arm not in scenario.arms or sweep.baseline != scenario.baseline:
        return (
            f"the sweep compares {question.arm!r} with {sweep.baseline!r}; the study's arms are "
            f"{', '.join(scenario.arms)} with baseline {scenario.baseline!r}"
        )
    ours, theirs = (
        s.model_dump(mode="json", include={"world", "arms", "baseline", "run"})
        for s in (sweep.plan.base, scenario)
    )
    for dump in (ours, theirs):
        for path in (*sweep.parameters, "run.replications", "run.seed"):
            _blank(dump, path)
    differing = _first_difference(ours, theirs, "")
    if differing is not None:
        return f"the sweep's scenario differs from the study's at {differing.lstrip('.')}"
    return None
