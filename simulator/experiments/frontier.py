"""The results of a sweep: every point's study, tidy frames, and the trade-off frontier.

The frontier's criteria (:data:`OBJECTIVES`) are freelancers' cost burden,
overall and in the poorest region, clients' filtering burden and the fill
rate; :func:`pareto_front` keeps the policies no other policy beats on all of
them.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from simulator.catalog import METRICS
from simulator.config.policy import changed_fields, modified_label, show_value
from simulator.config.scenario import Scenario
from simulator.experiments import stats
from simulator.experiments.study import (
    Study,
    load_study,
)
from simulator.experiments.sweep_plan import POINTS_DIR, BoolArray, SweepPlan

# ------------------------------------------------------------------ the frontier


@dataclass(frozen=True)
class Objective:
    """One criterion of the trade-off frontier."""

    name: str
    """Column prefix in :meth:`Sweep.frontier`."""
    metric: str
    """The metric (see :data:`simulator.catalog.METRICS`)."""
    segment: Literal["overall", "poorest_region"]
    """All freelancers and posts, or the region with the lowest monthly income."""
    higher_is_better: bool
    label: str
    """For tables and charts."""


OBJECTIVES: tuple[Objective, ...] = (
    Objective(
        "cost_burden",
        "total_spend_share_of_income",
        "overall",
        False,
        METRICS["total_spend_share_of_income"].title,
    ),
    Objective(
        "cost_burden_poorest",
        "total_spend_share_of_income",
        "poorest_region",
        False,
        f"{METRICS['total_spend_share_of_income'].title}, poorest region",
    ),
    Objective(
        "proposals_per_job", "proposals_per_job", "overall", False, "Proposals per closed post"
    ),
    Objective("fill_rate", "fill_rate", "overall", True, "Share of closed posts that hired"),
)
"""The frontier's criteria: freelancers' cost burden overall and in the poorest
region (lower is better), clients' filtering burden (lower) and fill rate (higher)."""


def pareto_front(
    values: npt.ArrayLike, higher_is_better: Sequence[bool] | None = None
) -> BoolArray:
    """Which rows no other row beats on every column (the Pareto-nondominated set).

    Row ``j`` dominates row ``i`` when it is at least as good on every column
    and strictly better on one. Identical rows do not dominate each other, so
    ties are all kept. A row with a non-finite value is never on the front and
    dominates nothing (it cannot be compared).

    Parameters
    ----------
    values
        A 2-D array, one row per candidate and one column per criterion.
    higher_is_better
        Per column, whether higher is better (default: lower is better everywhere).

    Returns
    -------
    numpy.ndarray
        One bool per row: ``True`` for the nondominated rows.
    """
    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"values must be 2-D (got {x.ndim}-D)")
    if higher_is_better is not None:
        if len(higher_is_better) != x.shape[1]:
            raise ValueError(
                f"higher_is_better has {len(higher_is_better)} entries for {x.shape[1]} columns"
            )
        # turn every column into lower-is-better
        x = np.where(np.asarray(higher_is_better, dtype=bool), -x, x)
    ok = np.isfinite(x).all(axis=1)
    candidates = x[ok]
    front = np.zeros(x.shape[0], dtype=bool)
    kept = np.ones(candidates.shape[0], dtype=bool)
    # one row against all at a time: memory stays linear in the candidates
    for i in range(candidates.shape[0]):
        no_worse = (candidates <= candidates[i]).all(axis=1)
        better = (candidates < candidates[i]).any(axis=1)
        kept[i] = not (no_worse & better).any()
    front[np.flatnonzero(ok)] = kept
    return front


def applies_to_arm(path: str, arm: str) -> bool:
    """Whether a varied path changes this arm's policy or the world it runs in."""
    parts = path.split(".")
    if parts[0] in ("world", "run"):
        return True
    return parts[0] == "arms" and len(parts) > 1 and parts[1] in (arm, "*")


def _policy_key(scenario: Scenario, arm: str) -> str:
    # the label only names the policy: two arms that differ only in it are the same policy
    policy = scenario.arms[arm].model_dump(mode="json", exclude={"label"})
    record = {
        "world": scenario.world.model_dump(mode="json"),
        "run": scenario.run.model_dump(mode="json"),
        "policy": policy,
    }
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()


def show_number(value: Any) -> str:
    """A parameter's value as labels and tables show it: a float to four significant
    digits (enough to tell a Latin hypercube's points apart), anything else as in a
    scenario file."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return show_value(value)


def shown_values(values: Sequence[Any]) -> str:
    """The values a sweep gives one field, for a label: ``0.15/0.3`` for a few, the
    range (``0.05 to 0.6``) for more numbers."""
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(values) > 4 and len(numbers) == len(values):
        return f"{show_number(min(numbers))} to {show_number(max(numbers))}"
    return "/".join(show_number(v) for v in values)


def poorest_region(scenario: Scenario) -> str:
    """The region with the lowest monthly income (the first of equals)."""
    regions = scenario.world.regions
    return min(regions, key=lambda name: regions[name].monthly_income_usd)


# ------------------------------------------------------------------ the results


@dataclass
class Sweep:
    """The results of a sweep: every point's study, tidy frames and the frontier."""

    plan: SweepPlan
    replications: int
    metrics: pd.DataFrame
    """Every metric of every replication, arm and point (a ``point`` column first)."""
    path: Path | None = None
    reused: int = 0
    """Tasks (point, arm, replication) reused from a previous, interrupted run."""
    _studies: dict[str, Study] = field(default_factory=dict, repr=False)
    _levels: pd.DataFrame | None = field(default=None, repr=False)
    _differences: pd.DataFrame | None = field(default=None, repr=False)
    _policies: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def scenario(self) -> Scenario:
        """The base scenario (before any point's values)."""
        return self.plan.base

    @property
    def root_seed(self) -> int:
        """The root seed of every point."""
        return self.plan.root_seed

    @property
    def parameters(self) -> list[str]:
        """The varied paths, in the order given."""
        return self.plan.parameters

    @property
    def point_ids(self) -> list[str]:
        """Every point's id, in design order."""
        return [p.id for p in self.plan.points]

    @property
    def baseline(self) -> str:
        """The arm differences are taken against (at each point)."""
        return self.plan.base.baseline

    @property
    def arms(self) -> list[str]:
        """Arm names of the base scenario, in order."""
        return list(self.plan.base.arms)

    def label(self, arm: str) -> str:
        """How tables, charts and titles name ``arm``: its label (or name), marked
        ``[modified: field=values]`` with the fields of it that the sweep varies.

        A label is written for the base scenario's policy; where the sweep varies
        the arm's price, say, the price in its label holds at no more than one
        point, so the mark names the field and the values it takes.
        """
        spec = self.scenario.arms[arm]
        changes = {}
        for path in self.parameters:
            parts = path.split(".")
            if parts[0] != "arms" or len(parts) < 3 or not applies_to_arm(path, arm):
                continue
            values = list(dict.fromkeys(p.values[path] for p in self.plan.points))
            changes[".".join(parts[2:])] = shown_values(values)
        return modified_label(spec.label or arm, changes)

    def point_label(self, point_id: str, arm: str) -> str:
        """How ``arm`` is named at one point: its label, marked ``[modified: ...]`` with
        the fields whose value there differs from the base scenario's."""
        spec = self.scenario.arms[arm]
        at = self.plan.point(point_id).scenario.arms[arm]
        changes = changed_fields(spec.model_dump(mode="json"), at.model_dump(mode="json"))
        shown = {path: show_number(v) for path, v in changes.items()}
        return modified_label(spec.label or arm, shown)

    def points(self) -> pd.DataFrame:
        """One row per point: ``point`` and one column per varied parameter."""
        rows = [{"point": p.id, **p.values} for p in self.plan.points]
        return pd.DataFrame(rows, columns=["point", *self.parameters])

    def _with_parameters(self, frame: pd.DataFrame) -> pd.DataFrame:
        merged = self.points().merge(frame, on="point", how="right", validate="one_to_many")
        return merged.reset_index(drop=True)

    def frame(self) -> pd.DataFrame:
        """Every metric of every replication, tidy, with the point's parameters as columns."""
        return self._with_parameters(self.metrics)

    def _per_point(self, compute: Callable[[pd.DataFrame, str], pd.DataFrame]) -> pd.DataFrame:
        """``compute`` of every point's metrics, ``point`` leading its columns, points in
        the plan's order: one call over every point (``by="point"``) when they share
        their baseline, which is what a sweep of tens of points spends its summaries on."""
        order = {p.id: i for i, p in enumerate(self.plan.points)}
        baselines = {p.scenario.baseline for p in self.plan.points}
        if len(baselines) == 1:
            out = compute(self.metrics, baselines.pop())
            rank = out["point"].map(order).to_numpy()
            out = out.iloc[np.argsort(rank, kind="stable")].reset_index(drop=True)
            return self._with_parameters(out)
        # points with baselines of their own: one call each
        by_point = dict(iter(self.metrics.groupby("point", sort=False)))
        parts = [compute(by_point[p.id], p.scenario.baseline) for p in self.plan.points]
        return self._with_parameters(pd.concat(parts, ignore_index=True))

    def levels(self) -> pd.DataFrame:
        """Each point's and arm's mean and 95% interval, by metric and segment."""
        if self._levels is None:
            self._levels = self._per_point(lambda m, _base: stats.levels(m, by="point"))
        return self._levels

    def differences(self) -> pd.DataFrame:
        """At each point, each arm's paired difference from the baseline, with 95% intervals."""
        if self._differences is None:
            self._differences = self._per_point(
                lambda m, base: stats.paired_differences(m, base, by="point")
            )
        return self._differences

    def study(self, point_id: str) -> Study:
        """The study of one point (read from the sweep directory when there is one)."""
        point = self.plan.point(point_id)
        if point_id not in self._studies:
            if self.path is None:  # pragma: no cover - in-memory studies are always kept
                raise KeyError(f"point {point_id!r} has no results")
            self._studies[point_id] = load_study(self.path / POINTS_DIR / point.id)
        return self._studies[point_id]

    def policies(self, objectives: Sequence[Objective] = OBJECTIVES) -> pd.DataFrame:
        """Every distinct policy of the sweep with its objectives, and whether it is on the front.

        A policy is an arm at a point. An arm that no varied parameter
        touches (the baseline of a sweep over another arm's fields) is the same
        policy at every point: it is listed once, at its first point, with the
        other points in ``points``. Parameters that do not apply to an arm are
        left empty. An arm that is, at some point, the same policy as another
        arm (the sweep sets its fields to the other's) is listed once, under the
        arm seen first, whose ``also`` names it as ``arm@point``.

        Columns: ``point``, ``arm``, ``label``, one per parameter, ``points``,
        ``also``, ``poorest_region``, then for each objective ``<name>_mean``,
        ``<name>_ci_low``, ``<name>_ci_high``, and ``on_frontier``.
        """
        if self._policies is not None and objectives is OBJECTIVES:
            return self._policies
        lv = self.levels()
        sub = lv[lv["metric"].isin({o.metric for o in objectives})]
        keys = zip(*(sub[c].astype(str) for c in ("point", "arm", *stats.KEYS)), strict=True)
        cis = sub[["mean", "ci_low", "ci_high"]].to_numpy(dtype=np.float64)
        index: dict[tuple[str, ...], tuple[float, float, float]] = {
            key: (float(ci[0]), float(ci[1]), float(ci[2]))
            for key, ci in zip(keys, cis, strict=True)
        }
        rows: list[dict[str, Any]] = []
        seen: dict[str, dict[str, Any]] = {}
        for p in self.plan.points:
            poorest = poorest_region(p.scenario)
            for arm in p.scenario.arms:
                key = _policy_key(p.scenario, arm)
                if key in seen:
                    first = seen[key]
                    if arm != first["arm"]:
                        # another arm that is this policy here: said, or the count of
                        # policies would not add up to the arms at the points
                        first["also"] = f"{first['also']} {arm}@{p.id}".strip()
                    elif not first["points"].endswith(p.id):
                        first["points"] += f" {p.id}"
                    continue
                row: dict[str, Any] = {
                    "point": p.id,
                    "arm": arm,
                    "label": self.point_label(p.id, arm),
                }
                for path in self.parameters:
                    row[path] = p.values[path] if applies_to_arm(path, arm) else None
                row["points"] = p.id
                row["also"] = ""
                row["poorest_region"] = poorest
                for o in objectives:
                    kind, segment = (
                        ("overall", "all") if o.segment == "overall" else ("region", poorest)
                    )
                    nan = (math.nan, math.nan, math.nan)
                    mean, low, high = index.get((p.id, arm, kind, segment, o.metric), nan)
                    row[f"{o.name}_mean"] = mean
                    row[f"{o.name}_ci_low"] = low
                    row[f"{o.name}_ci_high"] = high
                seen[key] = row
                rows.append(row)
        frame = pd.DataFrame(rows)
        for path in self.parameters:
            given = [row[path] for row in rows]
            present = [v for v in given if v is not None]
            if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
                # whole numbers stay whole where a parameter does not apply (not 10.0 and NaN)
                frame[path] = pd.array(given, dtype="Int64")
        means = frame[[f"{o.name}_mean" for o in objectives]].to_numpy(dtype=np.float64)
        frame["on_frontier"] = pareto_front(means, [o.higher_is_better for o in objectives])
        if objectives is OBJECTIVES:
            self._policies = frame
        return frame

    def folded(self) -> list[tuple[str, str, str]]:
        """Every arm at a point that is listed as another arm's policy:
        ``(arm, point, listed_as_arm)``, in design order."""
        found = []
        for row in self.policies().to_dict("records"):
            for entry in str(row["also"]).split():
                arm, _, point = entry.partition("@")
                found.append((arm, point, str(row["arm"])))
        return found

    def frontier(self, objectives: Sequence[Objective] = OBJECTIVES) -> pd.DataFrame:
        """The policies no other policy of the sweep beats on every objective (on the means).

        See :meth:`policies` for the columns (without ``on_frontier``); rows in
        design order.
        """
        every = self.policies(objectives)
        return every[every["on_frontier"]].drop(columns="on_frontier").reset_index(drop=True)


# ------------------------------------------------------------------ running
