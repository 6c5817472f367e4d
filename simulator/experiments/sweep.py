"""Parameter sweeps: a scenario run at many design points, and the trade-off frontier.

A sweep varies some fields of a scenario (``--vary PATH=V1,V2,...`` or
``--vary PATH=LOW:HIGH:N``, paths as ``--set`` takes them) and runs every arm
of the scenario at every design point:

* ``design="grid"``: the Cartesian product of each parameter's levels (the
  first parameter varies slowest);
* ``design="lhs"``: ``points`` draws of a Latin hypercube
  (:class:`scipy.stats.qmc.LatinHypercube`) over the parameters' ranges,
  seeded from the study's root ``SeedSequence``.

Every point uses the same root seed, so replication ``r`` of every arm at
every point faces the same freelancers and the same job stream (common random
numbers across points as well as across arms). All (point, arm, replication)
tasks go through one executor, so a process pool or a Dask cluster is started
once for the whole sweep.

A sweep directory::

    DIR/manifest.json                        a study's manifest fields (of the base
                                             scenario) plus the design
    DIR/points/<point>/                      a study directory per point (manifest,
                                             replications/<arm>/<rep>.*.parquet, summary/)
    DIR/summary/points.csv                   one row per point: its id and parameters
    DIR/summary/levels.csv, differences.csv  as a study's, with the point and its parameters
    DIR/summary/frontier.csv                 the trade-off frontier (:meth:`Sweep.frontier`)
    DIR/report/                              sweep.md and charts/ (:mod:`simulator.report.sweep`)

Running the same sweep again into the same directory resumes it: finished
(point, arm, replication) tasks are reused, not recomputed.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import yaml

from simulator.catalog import METRICS
from simulator.config.loading import (
    apply_override,
    parse_override,
    resolve_file,
    scenario_from_dict,
    scenario_hash,
)
from simulator.config.scenario import Scenario
from simulator.engine.market import run_replication
from simulator.engine.recorder import ReplicationResult
from simulator.errors import PlanError, ResultsError, ScenarioError
from simulator.experiments import stats
from simulator.experiments.executors import Executor
from simulator.experiments.provenance import utc_now
from simulator.experiments.runner import ABSENT, STORED, Task, run
from simulator.experiments.store import ResultsStore, check_writable
from simulator.experiments.study import (
    Study,
    check_count,
    collect_frames,
    load_study,
    sort_by_arm,
    study_identity,
    study_record,
)

if TYPE_CHECKING:
    pass

BoolArray = npt.NDArray[np.bool_]

Design = Literal["grid", "lhs"]
DESIGNS: tuple[str, ...] = ("grid", "lhs")

SweepProgress = Callable[[str, str, int], None]
"""Called as ``progress(point, arm, replication)`` each time a task finishes (or is reused)."""

VaryInput = Mapping[str, Sequence[Any] | str] | Sequence[str]
"""What :func:`sweep` takes as ``vary``: ``--vary`` texts, or a mapping from a path to
its values (a list) or to a range text (``"LOW:HIGH:N"`` or ``"LOW:HIGH"``)."""

SWEEP_KIND = "sweep"
"""The ``kind`` recorded in a sweep directory's manifest.json."""

POINTS_DIR = "points"
"""The directory of the per-point study directories inside a sweep directory."""

UNSWEEPABLE: dict[str, str] = {
    "run.seed": "every point runs on the sweep's root seed (use --seed)",
    "run.replications": "every point runs the sweep's replications (use --replications)",
}
"""Paths a sweep cannot vary, and why."""

RESERVED_COLUMNS: frozenset[str] = frozenset(
    {"point", "arm", "label", "replication", "root_seed", "value", "mean", "ci_low", "ci_high"}
    | set(stats.KEYS)
)
"""Columns of the sweep's frames that a parameter's column must not shadow."""

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_RANGE = re.compile(rf"^\s*({_NUMBER})\s*:\s*({_NUMBER})\s*(?::\s*(\S+)\s*)?$")
_MISSING = object()


# ------------------------------------------------------------------ parameters


@dataclass(frozen=True)
class Axis:
    """One varied parameter, as the user wrote it.

    Exactly one of ``levels`` (explicit values, ``PATH=V1,V2,...``) and
    ``low``/``high`` (a range, ``PATH=LOW:HIGH`` or ``PATH=LOW:HIGH:N``) is set.
    """

    path: str
    """The field, as ``--set`` takes it; ``*`` stands for every key of a mapping."""
    text: str
    """The whole ``--vary`` text, for messages and the manifest."""
    levels: tuple[Any, ...] | None = None
    """Explicit values, YAML-parsed like a ``--set`` value."""
    low: float | None = None
    """Lower end of a range."""
    high: float | None = None
    """Upper end of a range."""
    count: int | None = None
    """Equally spaced levels of a range (``None``: a continuous range, for LHS)."""
    integer_bounds: bool = False
    """Both ends of the range were written as integers."""

    @property
    def parts(self) -> list[str]:
        """The path split at its dots."""
        return self.path.split(".")


def _vary_error(text: str, problem: str) -> ScenarioError:
    return PlanError.about("vary", f" {text!r}: {problem}")


def _parse_range(text: str, path: str, match: re.Match[str]) -> Axis:
    low_text, high_text, count_text = match.group(1), match.group(2), match.group(3)
    low, high = float(low_text), float(high_text)
    if not (math.isfinite(low) and math.isfinite(high)):
        raise _vary_error(text, "LOW and HIGH must be finite numbers")
    if not low < high:
        raise _vary_error(text, f"LOW ({low_text}) must be below HIGH ({high_text})")
    count = None
    if count_text is not None:
        if not re.fullmatch(r"\d+", count_text):
            raise _vary_error(text, f"N ({count_text}) must be a whole number of levels")
        count = int(count_text)
        if count < 2:
            raise _vary_error(text, f"N ({count}) must be at least 2 levels")
    integer = all(re.fullmatch(r"[-+]?\d+", t) for t in (low_text, high_text))
    return Axis(path, text, None, low, high, count, integer)


def _checked_path(text: str, path_text: str) -> str:
    path = path_text.strip()
    if not path or any(not part for part in path.split(".")):
        raise _vary_error(text, f"the path {path_text!r} is empty or has an empty part")
    if path in UNSWEEPABLE:
        raise _vary_error(text, f"{path} cannot be varied: {UNSWEEPABLE[path]}")
    if path in RESERVED_COLUMNS:
        raise _vary_error(text, f"{path} cannot be varied (it names a column of the results)")
    return path


def parse_vary(text: str) -> Axis:
    """Parse one ``--vary`` text: ``PATH=V1,V2,...``, ``PATH=LOW:HIGH:N`` or ``PATH=LOW:HIGH``.

    Values are YAML, as in ``--set`` (``0.3``, ``true``, ``[10, 20]``): the
    part after ``=`` is read as the items of a YAML list, so a value that is
    itself a list is written in brackets (``PATH=[50, 600],[100, 800]``).

    Raises
    ------
    ScenarioError
        With one line naming the option and the problem.
    """
    if "=" not in text:
        raise _vary_error(
            text,
            "expected PATH=V1,V2,... or PATH=LOW:HIGH:N, "
            "e.g. arms.paid.price_usd_per_connect=0.10,0.15,0.30",
        )
    path_text, _, value_text = text.partition("=")
    path = _checked_path(text, path_text)
    if not value_text.strip():
        raise _vary_error(text, "no values after '='")
    match = _RANGE.match(value_text)
    if match is not None:
        return _parse_range(text, path, match)
    try:
        values = yaml.safe_load(f"[{value_text}]")
    except yaml.YAMLError:
        raise _vary_error(
            text, f"the values {value_text!r} are not a comma-separated list of YAML values"
        ) from None
    if not isinstance(values, list) or not values:
        raise _vary_error(text, "no values after '='")
    _check_distinct(text, values)
    return Axis(path, text, tuple(values))


def _check_distinct(text: str, values: Sequence[Any]) -> None:
    seen: list[str] = []
    for value in values:
        key = json.dumps(value, sort_keys=True, default=str)
        if key in seen:
            raise _vary_error(text, f"the value {value!r} is given twice")
        seen.append(key)


def _axis_from_mapping(path: str, spec: Sequence[Any] | str) -> Axis:
    if isinstance(spec, str):
        return parse_vary(f"{path}={spec}")
    values = list(spec)
    text = f"{path}={','.join(json.dumps(v, default=str) for v in values)}"
    checked = _checked_path(text, path)
    if not values:
        raise _vary_error(text, "no values")
    _check_distinct(text, values)
    return Axis(checked, text, tuple(values))


def parse_axes(vary: VaryInput) -> tuple[Axis, ...]:
    """Turn ``--vary`` texts (or a mapping of paths to values or ranges) into axes."""
    if isinstance(vary, str):
        raise TypeError("vary must be a list of --vary texts or a mapping, not one string")
    if isinstance(vary, Mapping):
        axes = tuple(_axis_from_mapping(path, spec) for path, spec in vary.items())
    else:
        axes = tuple(parse_vary(text) for text in vary)
    if not axes:
        raise PlanError.about("vary", ": give at least one parameter to vary (PATH=V1,V2,...)")
    seen: dict[str, str] = {}
    for axis in axes:
        if axis.path in seen:
            raise _vary_error(axis.text, f"{axis.path} is already varied by {seen[axis.path]!r}")
        seen[axis.path] = axis.text
    return axes


def _concrete_paths(axis: Axis, data: Mapping[str, Any]) -> list[list[str]]:
    """Expand ``*`` parts into every key of the mapping found there."""
    paths: list[list[str]] = [[]]
    for part in axis.parts:
        if part != "*":
            paths = [[*p, part] for p in paths]
            continue
        expanded: list[list[str]] = []
        for prefix in paths:
            node = _lookup(data, prefix)
            if not isinstance(node, Mapping) or not node:
                where = ".".join(prefix) or "(top level)"
                raise _vary_error(axis.text, f"'*' needs a mapping with keys at {where}")
            expanded += [[*prefix, str(key)] for key in node]
        paths = expanded
    return paths


def _lookup(data: Any, parts: Sequence[str]) -> Any:
    node = data
    for part in parts:
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _tidy(value: float) -> float:
    """Drop binary noise (``0.30000000000000004`` -> ``0.3``) so values read well."""
    return float(f"{value:.10g}")


@dataclass(frozen=True)
class _Resolved:
    """An axis checked against the base scenario."""

    axis: Axis
    paths: list[list[str]]
    integer: bool

    def grid_levels(self) -> list[Any]:
        axis = self.axis
        if axis.levels is not None:
            return list(axis.levels)
        if axis.count is None:
            raise _vary_error(
                axis.text,
                "a grid needs levels: give LOW:HIGH:N or V1,V2,... (LOW:HIGH is for --design lhs)",
            )
        assert axis.low is not None and axis.high is not None
        raw = np.linspace(axis.low, axis.high, axis.count)
        if not self.integer:
            return [_tidy(float(v)) for v in raw]
        ints = [round(float(v)) for v in raw]
        if len(set(ints)) < len(ints):
            raise _vary_error(
                axis.text,
                f"{axis.path} holds whole numbers and {axis.count} levels between "
                f"{axis.low:g} and {axis.high:g} repeat some; ask for fewer levels",
            )
        return [int(v) for v in ints]

    def from_unit(self, u: float) -> Any:
        """The value at quantile ``u`` in [0, 1) of the axis (for a Latin hypercube)."""
        axis = self.axis
        if axis.levels is not None or axis.count is not None:
            levels = self.grid_levels()
            return levels[min(int(u * len(levels)), len(levels) - 1)]
        assert axis.low is not None and axis.high is not None
        if self.integer:
            low, high = math.ceil(axis.low), math.floor(axis.high)
            # equal strata of the whole numbers from low to high, each as likely
            return int(min(low + math.floor(u * (high - low + 1)), high))
        value = _tidy(axis.low + u * (axis.high - axis.low))
        return min(max(value, axis.low), axis.high)


def _resolve_axis(axis: Axis, data: Mapping[str, Any]) -> _Resolved:
    paths = _concrete_paths(axis, data)
    base = _lookup(data, paths[0])
    if axis.levels is not None:
        return _Resolved(axis, paths, False)
    if isinstance(base, bool) or not (
        base is _MISSING or base is None or isinstance(base, int | float)
    ):
        raise _vary_error(
            axis.text,
            f"{'.'.join(paths[0])} holds {base!r}, not a number: list its values instead",
        )
    # the field's own type decides (an int field stays int); a field the
    # scenario does not fill in goes by how LOW and HIGH were written
    integer = isinstance(base, int) if isinstance(base, int | float) else axis.integer_bounds
    if integer and math.floor(axis.high or 0.0) < math.ceil(axis.low or 0.0):
        raise _vary_error(axis.text, f"{axis.path} holds whole numbers and the range has none")
    return _Resolved(axis, paths, integer)


# ------------------------------------------------------------------ the plan


@dataclass(frozen=True)
class SweepPoint:
    """One design point: its id, its parameter values and its scenario."""

    id: str
    """``p000``, ``p001``, ...: the order of the design."""
    values: dict[str, Any]
    """Each varied path and its value at this point."""
    scenario: Scenario
    """The base scenario with this point's values applied."""


@dataclass(frozen=True)
class SweepPlan:
    """What a sweep runs: the base scenario, the design and every point's scenario."""

    base: Scenario
    design: Design
    axes: tuple[Axis, ...]
    points: tuple[SweepPoint, ...]
    root_seed: int
    requested_points: int | None = None
    """``points`` as asked for (LHS only)."""

    @property
    def parameters(self) -> list[str]:
        """The varied paths, in the order given."""
        return [axis.path for axis in self.axes]

    def point(self, point_id: str) -> SweepPoint:
        """The point of that id."""
        for p in self.points:
            if p.id == point_id:
                return p
        known = ", ".join(p.id for p in self.points)
        raise KeyError(f"no point {point_id!r} in this sweep (points: {known})")

    def sweep_hash(self) -> str:
        """A stable hash of what the results depend on (besides the replications)."""
        record = {
            "base": scenario_hash(self.base),
            "root_seed": self.root_seed,
            "design": self.design,
            "parameters": self.parameters,
            "points": [[p.id, scenario_hash(p.scenario)] for p in self.points],
        }
        text = json.dumps(record, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def design_record(self) -> dict[str, Any]:
        """The design as the manifest records it."""
        return {
            "design": self.design,
            "vary": [axis.text for axis in self.axes],
            "parameters": self.parameters,
            "points_requested": self.requested_points,
            "points": [
                {"point": p.id, "values": p.values, "scenario_hash": scenario_hash(p.scenario)}
                for p in self.points
            ],
        }


def design_seed(root_seed: int) -> np.random.SeedSequence:
    """The seed of a Latin hypercube design: the study's root ``SeedSequence`` itself.

    Replications use its children (``spawn_key=(r,)``), so the design's draws
    are independent of every replication's.
    """
    return np.random.SeedSequence(root_seed)


def _design_values(
    resolved: Sequence[_Resolved], design: str, points: int | None, root_seed: int
) -> list[tuple[Any, ...]]:
    if design == "grid":
        if points is not None:
            raise PlanError("{points} applies to {design} lhs only (a grid has every level)")
        return list(itertools.product(*(r.grid_levels() for r in resolved)))
    if points is None:
        raise PlanError("{design} lhs needs {points} N (how many design points to draw)")
    if points < 1:
        raise PlanError.about("points", f" must be at least 1 (got {points})")
    from scipy.stats import qmc  # only LHS designs need it

    rng = np.random.Generator(np.random.PCG64(design_seed(root_seed)))
    unit = qmc.LatinHypercube(d=len(resolved), rng=rng).random(points)
    return [
        tuple(r.from_unit(float(u)) for r, u in zip(resolved, row, strict=True)) for row in unit
    ]


def point_ids(count: int) -> list[str]:
    """``p000``, ``p001``, ...: zero-padded so that they sort in design order."""
    width = max(3, len(str(count - 1)))
    return [f"p{i:0{width}d}" for i in range(count)]


def _describe(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{path}={json.dumps(v, default=str)}" for path, v in values.items())


def _base_data(
    scenario_or_path: Scenario | str | Path, overrides: Sequence[str]
) -> tuple[dict[str, Any], str]:
    if isinstance(scenario_or_path, Scenario):
        # the full resolved form: it validates back to the same scenario
        data = scenario_or_path.model_dump(mode="json")
        source = f"<scenario {scenario_or_path.name}>"
    else:
        data = resolve_file(scenario_or_path)
        source = str(scenario_or_path)
    for text in overrides:
        keys, value = parse_override(text)
        data = apply_override(data, keys, value, text)
    return data, source + (" (with --set)" if overrides else "")


def plan_sweep(
    scenario_or_path: Scenario | str | Path,
    vary: VaryInput,
    design: str = "grid",
    points: int | None = None,
    seed: int | None = None,
    overrides: Sequence[str] = (),
) -> SweepPlan:
    """Check a sweep and make every point's scenario, without running anything.

    Parameters
    ----------
    scenario_or_path
        The base scenario, or the path of a scenario file.
    vary
        ``--vary`` texts (``PATH=V1,V2,...``, ``PATH=LOW:HIGH:N``, ``PATH=LOW:HIGH``),
        or a mapping from a path to a list of values or a range text.
    design
        ``"grid"`` or ``"lhs"``.
    points
        Design points of a Latin hypercube (``"lhs"`` only).
    seed
        Root seed (default: the scenario's ``run.seed``).
    overrides
        ``--set`` texts applied to the base scenario before the design.

    Returns
    -------
    SweepPlan

    Raises
    ------
    ScenarioError
        For a bad ``--vary`` text, an option that does not fit the design, or a
        point whose scenario does not validate (naming the point and its values).
    """
    if design not in DESIGNS:
        raise PlanError("{design} must be grid or lhs (got {got!r})", got=design)
    axes = parse_axes(vary)
    data, source = _base_data(scenario_or_path, overrides)
    base = scenario_from_dict(data, source)
    root_seed = base.run.seed if seed is None else seed
    # the full dump finds every field's current value, defaults included
    resolved = [_resolve_axis(axis, base.model_dump(mode="json")) for axis in axes]
    rows = _design_values(resolved, design, points, root_seed)
    made: list[SweepPoint] = []
    for point_id, row in zip(point_ids(len(rows)), rows, strict=True):
        values = {r.axis.path: v for r, v in zip(resolved, row, strict=True)}
        point_data = data
        for r, value in zip(resolved, row, strict=True):
            for keys in r.paths:
                text = f"{'.'.join(keys)}={json.dumps(value, default=str)}"
                try:
                    point_data = apply_override(point_data, keys, value, text)
                except ScenarioError as exc:
                    # the same check as --set, reported under the option used
                    if isinstance(exc, PlanError):
                        # the value came from --vary, not --set
                        template = exc.template.replace("{overrides}", "{vary}", 1)
                        raise PlanError(template, **exc.values) from None
                    raise
        where = f"{source} with --vary, point {point_id} ({_describe(values)})"
        made.append(SweepPoint(point_id, values, scenario_from_dict(point_data, where)))
    kind: Design = "lhs" if design == "lhs" else "grid"
    return SweepPlan(base, kind, axes, tuple(made), root_seed, points if kind == "lhs" else None)


# ------------------------------------------------------------------ the directory


def check_sweep_directory(root: str | Path, plan: SweepPlan, overwrite: bool) -> None:
    """Refuse a directory this sweep cannot be written into, before it starts.

    A directory with this sweep's manifest (same design, scenarios and root
    seed) is resumed; one with another experiment is replaced only with
    ``overwrite`` (and only once the new sweep has finished); a directory
    holding files that are not results is refused either way.
    """
    check_writable(Path(root), lambda found: _same_sweep(found, plan), overwrite, "sweep")


def arm_hash(scenario: Scenario, arm: str) -> str:
    """What one arm's replications depend on: the world, the run settings and the
    arm's policy (not the other arms, the baseline or the names), as a hash.

    Two points with the same hash for an arm give that arm the same replications.
    """
    alone = scenario.model_copy(
        update={
            "name": "arm",
            "description": "",
            "arms": {arm: scenario.arms[arm]},
            "baseline": arm,
        }
    )
    return scenario_hash(alone)


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
        parts = []
        for p in self.plan.points:
            part = self.metrics[self.metrics["point"] == p.id].drop(columns="point")
            out = compute(part, p.scenario.baseline)
            out.insert(0, "point", p.id)
            parts.append(out)
        return self._with_parameters(pd.concat(parts, ignore_index=True))

    def levels(self) -> pd.DataFrame:
        """Each point's and arm's mean and 95% interval, by metric and segment."""
        if self._levels is None:
            self._levels = self._per_point(lambda m, _base: stats.levels(m))
        return self._levels

    def differences(self) -> pd.DataFrame:
        """At each point, each arm's paired difference from the baseline, with 95% intervals."""
        if self._differences is None:
            self._differences = self._per_point(stats.paired_differences)
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
        left empty.

        Columns: ``point``, ``arm``, ``label``, one per parameter, ``points``,
        ``poorest_region``, then for each objective ``<name>_mean``,
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
            for arm, spec in p.scenario.arms.items():
                key = _policy_key(p.scenario, arm)
                if key in seen:
                    if not seen[key]["points"].endswith(p.id):  # two arms of one point
                        seen[key]["points"] += f" {p.id}"
                    continue
                row: dict[str, Any] = {"point": p.id, "arm": arm, "label": spec.label or arm}
                for path in self.parameters:
                    row[path] = p.values[path] if applies_to_arm(path, arm) else None
                row["points"] = p.id
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

    def frontier(self, objectives: Sequence[Objective] = OBJECTIVES) -> pd.DataFrame:
        """The policies no other policy of the sweep beats on every objective (on the means).

        See :meth:`policies` for the columns (without ``on_frontier``); rows in
        design order.
        """
        every = self.policies(objectives)
        return every[every["on_frontier"]].drop(columns="on_frontier").reset_index(drop=True)


# ------------------------------------------------------------------ running


def sweep(
    scenario_or_path: Scenario | str | Path | SweepPlan,
    vary: VaryInput | None = None,
    design: str = "grid",
    points: int | None = None,
    replications: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    executor: Executor | str | None = None,
    out: str | Path | None = None,
    progress: SweepProgress | None = None,
    overwrite: bool = False,
    overrides: Sequence[str] = (),
    command: str | None = None,
) -> Sweep:
    """Run every arm of a scenario at every point of a design.

    Parameters
    ----------
    scenario_or_path
        The base scenario, the path of a scenario file, or a plan made by
        :func:`plan_sweep` (then ``vary``, ``design``, ``points``, ``seed``
        and ``overrides`` are not given).
    vary
        The parameters: ``--vary`` texts (``"PATH=V1,V2,..."``,
        ``"PATH=LOW:HIGH:N"``, for LHS also ``"PATH=LOW:HIGH"``) or a mapping
        ``{path: [values]}`` / ``{path: "LOW:HIGH:N"}``. ``PATH`` is as in
        ``--set``; ``arms.*.field`` varies the field of every arm together.
    design
        ``"grid"`` (every combination of levels) or ``"lhs"`` (a Latin
        hypercube of ``points`` points; a whole-number field stays whole).
    points
        Design points of a Latin hypercube.
    replications
        Replications per arm and point (default: the scenario's ``run.replications``).
    seed
        Root seed, the same at every point (default: the scenario's ``run.seed``).
    workers, executor
        Where the tasks run, as for :func:`~simulator.experiments.study.run_study`; every
        (point, arm, replication) goes to the one executor.
    out
        The sweep directory; ``None`` keeps the results in memory only.
    progress
        Called as ``progress(point, arm, replication)`` after each task (also
        for each task reused from ``out``).
    overwrite
        Replace another sweep or a study found in ``out``; this sweep's own
        directory is resumed.
    overrides
        ``--set`` texts applied to the base scenario.
    command
        The command line that made the sweep, recorded in its manifest
        (``connectsim sweep`` passes its own).

    Returns
    -------
    Sweep

    Raises
    ------
    ScenarioError
        For a bad parameter or a point whose scenario is invalid (nothing is written).
    ResultsError
        When ``out`` holds something else and ``overwrite`` is false.
    """
    if isinstance(scenario_or_path, SweepPlan):
        if vary is not None or points is not None or seed is not None or overrides:
            raise ValueError("a SweepPlan already fixes vary, design, points, seed and overrides")
        plan = scenario_or_path
    else:
        if vary is None:
            raise PlanError.about("vary", ": give at least one parameter to vary (PATH=V1,V2,...)")
        plan = plan_sweep(scenario_or_path, vary, design, points, seed, overrides)
    n = plan.base.run.replications if replications is None else replications
    check_count("replications", n, 1)
    return run(SweepRun(plan, n, progress), workers, executor, out, overwrite, command)


@dataclass(frozen=True)
class SweepRun:
    """A planned sweep with its replications, ready for
    :func:`~simulator.experiments.runner.run`."""

    plan: SweepPlan
    replications: int
    progress: SweepProgress | None = field(default=None, compare=False)

    kind = SWEEP_KIND
    what = "sweep"
    unit = "replication"

    @property
    def runs(self) -> int:
        """(point, arm, replication) runs in all, counting a shared one at every point."""
        return sum(self.replications * len(p.scenario.arms) for p in self.plan.points)

    def describe(self) -> str:
        """The design's size, in words."""
        plan = self.plan
        return (
            f"{plan.design} of {len(plan.points)} points x {len(plan.base.arms)} arms x "
            f"{self.replications} replications = {self.runs} runs"
        )

    def command(self, scenario_file: str | Path, out: str | Path, overrides: Sequence[str]) -> str:
        """The ``connectsim sweep`` command that runs this sweep again into ``out``."""
        plan = self.plan
        words = ["connectsim", "sweep", str(scenario_file)]
        for axis in plan.axes:
            words += ["--vary", axis.text]
        if plan.design == "lhs":
            words += ["--design", "lhs", "--points", str(len(plan.points))]
        words += ["--replications", str(self.replications), "--seed", str(plan.root_seed)]
        words += ["--out", str(out)]
        for text in overrides:
            words += ["--set", text]
        return shlex.join(words)

    def scenarios(self) -> list[Scenario]:
        """Every point's scenario."""
        return [p.scenario for p in self.plan.points]

    def identity(self) -> None:
        """None: a sweep directory without its manifest is not rebuilt."""
        return None

    def same(self, record: Mapping[str, Any]) -> bool:
        """Whether a manifest is this sweep's (to be resumed)."""
        return _same_sweep(record, self.plan)

    def record(self) -> dict[str, Any]:
        """The base scenario and seeds, the sweep's hash and its design."""
        plan = self.plan
        return {
            **study_record(plan.base, plan.root_seed, self.replications),
            "kind": SWEEP_KIND,
            "sweep_hash": plan.sweep_hash(),
            "design": plan.design_record(),
        }

    def extra_packages(self) -> tuple[str, ...]:
        """None beyond the core packages."""
        return ()

    def start(
        self, store: ResultsStore | None, manifest: dict[str, Any], executor: str
    ) -> SweepExecution:
        """Begin: one study directory per point under ``store``."""
        return SweepExecution(self, store, manifest)


class SweepExecution:
    """A sweep while it runs: each (arm, replication) once for all the points it
    is the same at, written into every point's study directory."""

    def __init__(self, run_: SweepRun, top: ResultsStore | None, manifest: dict[str, Any]) -> None:
        plan = run_.plan
        self.run = run_
        self.top = top
        self.manifest = manifest
        root_seed = plan.root_seed
        self.stores = {p.id: _point_store(top, p, root_seed) for p in plan.points} if top else {}
        provenance = {k: manifest[k] for k in ("versions", "git_commit", "executor", "started")}
        self.point_records = {
            p.id: {
                **study_record(p.scenario, root_seed, run_.replications),
                **provenance,
                "command": None,
                "finished": None,
            }
            for p in plan.points
        }
        self.kept: dict[str, list[ReplicationResult]] = {p.id: [] for p in plan.points}
        self.targets: dict[Any, list[str]] = {}
        self.reused = 0
        self.done = False

    def next_round(self) -> list[Task] | None:
        """Every task, once; an arm the point's parameters leave alone (the baseline,
        when only another arm varies) is the same replication at several points."""
        if self.done:
            return None
        self.done = True
        plan, n = self.run.plan, self.run.replications
        tasks: list[Task] = []
        self.shared: dict[Any, list[str]] = {}
        for r in range(n):
            for p in plan.points:
                for arm in p.scenario.arms:
                    key = (arm_hash(p.scenario, arm), arm, r)
                    if key not in self.shared:
                        self.shared[key] = []
                        arguments = (p.scenario, arm, r, plan.root_seed)
                        tasks.append(Task(key, run_replication, arguments))
                    self.shared[key].append(p.id)
        self.targets = {key: list(points) for key, points in self.shared.items()}
        return tasks

    def verify(self, task: Task) -> str:
        """Stored when every point it belongs to holds it; the points that hold it
        are reported as reused now, and only the others are written."""
        _, arm, r = task.key
        missing = []
        refused = ABSENT
        for point_id in self.shared[task.key]:
            store = self.stores[point_id]
            reason = store.verify_replication(arm, r)
            if reason is None:
                self.reused += 1
                self._report(point_id, arm, r)
                continue
            listed = store.key(arm, r) in store.parts
            store.discard_replication(arm, r)
            missing.append(point_id)
            if not (reason.endswith("is missing") and not listed):
                refused = reason
        self.targets[task.key] = missing
        return STORED if not missing else refused

    def checkpoint(self) -> None:
        """Write the sweep's manifest and every point's."""
        if self.top is not None:
            self.top.write_manifest(self.manifest)
            for point_id, store in self.stores.items():
                store.write_manifest(self.point_records[point_id])

    def reuse(self, task: Task) -> None:
        """Nothing more: :meth:`verify` counted and reported each point's copy."""

    def keep(self, task: Task, outcome: Any) -> None:
        """Write a replication into each point that lacks it."""
        _, arm, r = task.key
        for point_id in self.targets[task.key]:
            if self.top is not None:
                self.stores[point_id].write_replication(outcome)
                self.stores[point_id].write_manifest_soon(self.point_records[point_id])
            else:
                self.kept[point_id].append(outcome)
            self._report(point_id, arm, r)

    def _report(self, point_id: str, arm: str, replication: int) -> None:
        if self.run.progress is not None:
            self.run.progress(point_id, arm, replication)

    def finish(self) -> Sweep:
        """The sweep, every point's summaries and the sweep's written."""
        plan, n, top = self.run.plan, self.run.replications, self.top
        root_seed = plan.root_seed
        parts = []
        studies: dict[str, Study] = {}
        for p in plan.points:
            arms = list(p.scenario.arms)
            if top is not None:
                store = self.stores[p.id]
                metrics = pd.concat(
                    [
                        store.read_replication(arm, r, root_seed).metrics
                        for r in range(n)
                        for arm in arms
                    ],
                    ignore_index=True,
                )
                metrics = sort_by_arm(metrics, arms)
            else:
                frames = collect_frames(p.scenario, self.kept[p.id])
                studies[p.id] = Study(
                    scenario=p.scenario,
                    root_seed=root_seed,
                    replications=n,
                    metrics=frames["metrics"],
                    daily=frames["daily"],
                    histogram=frames["histogram"],
                    distributions=frames["distributions"],
                )
                metrics = frames["metrics"]
            parts.append(metrics.assign(point=p.id))
        frame = pd.concat(parts, ignore_index=True)
        frame = frame[["point", *[c for c in frame.columns if c != "point"]]]
        outcome = Sweep(plan, n, frame, top.root if top else None, self.reused, studies)
        if top is not None:
            _write_summaries(outcome, top, self.stores, self.point_records)
        return outcome


def _same_sweep(record: Mapping[str, Any], plan: SweepPlan) -> bool:
    """Whether a manifest is this sweep's (to be resumed)."""
    return record.get("kind") == SWEEP_KIND and record.get("sweep_hash") == plan.sweep_hash()


def _point_store(top: ResultsStore, point: SweepPoint, root_seed: int) -> ResultsStore:
    """The study directory of one point, its files bound to the point's scenario and seed."""
    store = ResultsStore(top.root / POINTS_DIR / point.id)
    if (store.root / "manifest.json").is_file():
        store.read_manifest()
    store.bind(study_identity(scenario_hash(point.scenario), root_seed))
    return store


def _write_summaries(
    result: Sweep,
    top: ResultsStore,
    stores: dict[str, ResultsStore],
    point_records: dict[str, dict[str, Any]],
) -> None:
    lv, diff = result.levels(), result.differences()
    drop = ["point", *result.parameters]
    for p in result.plan.points:
        store = stores[p.id]
        store.write_csv("levels", lv[lv["point"] == p.id].drop(columns=drop))
        store.write_csv("differences", diff[diff["point"] == p.id].drop(columns=drop))
        point_records[p.id]["finished"] = utc_now()
        store.write_manifest(point_records[p.id])
    top.write_csv("points", result.points())
    top.write_csv("levels", lv)
    top.write_csv("differences", diff)
    top.write_csv("frontier", result.frontier())


def load_sweep(path: str | Path) -> Sweep:
    """Open a finished sweep directory.

    Raises
    ------
    ResultsError
        When ``path`` is not a sweep directory, or the sweep is not finished.
    """
    root = Path(path)
    record = ResultsStore(root).read_manifest()
    if record.get("kind") != SWEEP_KIND:
        raise ResultsError(f"{root}: not a sweep directory (its manifest is a study's)")
    if not record.get("finished"):
        raise ResultsError(
            f"{root}: the sweep is not finished (run the same command again to resume it)"
        )
    try:
        base = Scenario.model_validate(record["scenario"])
        design = record["design"]
        n = int(record["replications"])
        made = []
        parts = []
        for entry in design["points"]:
            # each point is a study directory: load_study reads exactly what its
            # manifest lists, each file checked against its content hash
            point = load_study(root / POINTS_DIR / entry["point"])
            made.append(SweepPoint(entry["point"], dict(entry["values"]), point.scenario))
            parts.append(point.metrics.assign(point=entry["point"]))
        axes = tuple(parse_vary(text) for text in design["vary"])
    except (KeyError, TypeError, ValueError, ScenarioError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ResultsError(f"{root}: cannot read the sweep: {reason}") from exc
    plan = SweepPlan(
        base,
        design["design"],
        axes,
        tuple(made),
        int(record["root_seed"]),
        design.get("points_requested"),
    )
    frame = pd.concat(parts, ignore_index=True)
    frame = frame[["point", *[c for c in frame.columns if c != "point"]]]
    return Sweep(plan, n, frame, root)
