"""The plan of a sweep: what it varies, the design of the values, and every point.

``--vary`` texts (or a mapping of paths to values) become :class:`Axis`
objects, checked against the base scenario and resolved to concrete paths; a
grid (the Cartesian product of levels) or a Latin hypercube (seeded from the
study's root ``SeedSequence``) gives each point its values, and
:func:`plan_sweep` makes a :class:`SweepPlan` holding every point's scenario.

Without ``vary`` the axes, design and break-even question come from the
scenario's ``sweep:`` block (:class:`~simulator.config.scenario.SweepSpec`);
``vary`` given replaces the block's axes and design, and keeps its break-even
question only when the new axes still vary its ``along`` path on a grid.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import yaml

from simulator.config.loading import (
    apply_override,
    apply_overrides,
    resolve_file,
    scenario_from_dict,
    scenario_hash,
)
from simulator.config.scenario import BreakEvenSpec, Scenario, SweepSpec, vary_path
from simulator.errors import PlanError, ScenarioError, did_you_mean
from simulator.experiments import stats

BoolArray = npt.NDArray[np.bool_]

Design = Literal["grid", "lhs"]
DESIGNS: tuple[str, ...] = ("grid", "lhs")

SweepProgress = Callable[[str, str, int], None]
"""Called as ``progress(point, arm, replication)`` each time a task finishes (or is reused)."""

VaryInput = Mapping[str, Sequence[Any] | str] | Sequence[str]
"""What :func:`sweep` takes as ``vary``: ``--vary`` texts, or a mapping from a path to
its values (a list) or to a range text (``"LOW:HIGH:N"`` or ``"LOW:HIGH"``)."""

AxesSource = Literal["vary", "scenario"]
"""Where a sweep's axes came from: ``vary`` (``--vary``) or the scenario's ``sweep:`` block."""

SCENARIO_BLOCK = "sweep"
"""The scenario's top-level key holding its sweep axes (:class:`SweepSpec`)."""

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
    axes_from: AxesSource = "vary"
    """Whether the axes came from ``vary`` or from the scenario's ``sweep:`` block."""
    break_even: BreakEvenSpec | None = None
    """The break-even question the report answers (from the scenario's block)."""
    break_even_skipped: str | None = None
    """Why the scenario's break-even question is not answered, when it is not."""

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
            "axes_from": self.axes_from,
            # the question is analysis, not results: outside the sweep's hash, so
            # that asking another one resumes the same runs
            "break_even": None
            if self.break_even is None
            else self.break_even.model_dump(mode="json"),
            "break_even_skipped": self.break_even_skipped,
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
        # the full resolved form: it validates back to the same scenario (the sweep
        # block is never dumped, so it is put back)
        data = scenario_or_path.model_dump(mode="json")
        if scenario_or_path.sweep is not None:
            data[SCENARIO_BLOCK] = scenario_or_path.sweep.model_dump(mode="json")
        source = f"<scenario {scenario_or_path.name}>"
    else:
        data = resolve_file(scenario_or_path)
        source = str(scenario_or_path)
    data = apply_overrides(data, overrides)
    return data, source + (" (with --set)" if overrides else "")


@dataclass(frozen=True)
class _Choice:
    """The axes, design and break-even question a sweep runs, and where they came from."""

    vary: VaryInput
    design: str
    points: int | None
    axes_from: AxesSource
    break_even: BreakEvenSpec | None
    skipped: str | None


def _choose(
    block: SweepSpec | None, vary: VaryInput | None, design: str | None, points: int | None
) -> _Choice:
    """``vary`` replaces the block's axes and design; without it, the block's are used
    (``design`` and ``points``, when given, still replace the block's)."""
    if vary is None:
        if block is None:
            raise PlanError.about(
                "vary",
                ": give at least one parameter to vary (PATH=V1,V2,...), or a sweep: block "
                "with vary: in the scenario",
            )
        chosen_design = block.design if design is None else design
        chosen_points = points if points is not None or design is not None else block.points
        question = block.break_even
        skipped = None
        if question is not None and chosen_design != "grid":
            question, skipped = None, f"the design is {chosen_design}, not a grid"
        return _Choice(block.vary, chosen_design, chosen_points, "scenario", question, skipped)
    question = block.break_even if block is not None else None
    skipped = None
    if question is not None:
        paths = list(vary) if isinstance(vary, Mapping) else [vary_path(text) for text in vary]
        if question.along not in paths:
            skipped = f"the axes given do not vary {question.along}"
        elif (design or "grid") != "grid":
            skipped = f"the design is {design}, not a grid"
        question = None if skipped else question
    return _Choice(vary, design or "grid", points, "vary", question, skipped)


def _block_error(exc: ScenarioError, source: str) -> ScenarioError:
    """An error in the scenario's sweep axes, named as the file's field, not as ``--vary``."""
    if isinstance(exc, PlanError) and "{vary}" in exc.template:
        return ScenarioError(exc.render({"vary": f"{source}: {SCENARIO_BLOCK}.vary"}))
    return exc


def plan_sweep(
    scenario_or_path: Scenario | str | Path,
    vary: VaryInput | None = None,
    design: str | None = None,
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
        or a mapping from a path to a list of values or a range text. ``None``:
        the axes of the scenario's ``sweep:`` block; given, they replace the
        block's axes and design.
    design
        ``"grid"`` or ``"lhs"`` (default: the block's when its axes are used, else grid).
    points
        Design points of a Latin hypercube (``"lhs"`` only; default: the block's
        when its axes and design are used).
    seed
        Root seed (default: the scenario's ``run.seed``).
    overrides
        ``--set`` texts applied to the base scenario before the design.

    Returns
    -------
    SweepPlan
        With the block's break-even question when it still applies (its
        ``along`` path varied on a grid); otherwise ``break_even_skipped`` says why
        not, and a ``UserWarning`` says so once.

    Raises
    ------
    ScenarioError
        For a bad ``--vary`` text (or ``sweep.vary`` text, naming the file), an
        option that does not fit the design, or a point whose scenario does not
        validate (naming the point and its values).
    """
    data, source = _base_data(scenario_or_path, overrides)
    base = scenario_from_dict(data, source)
    choice = _choose(base.sweep, vary, design, points)
    try:
        plan = _plan(base, data, source, choice, seed)
    except ScenarioError as exc:
        if choice.axes_from == "scenario":
            raise _block_error(exc, source) from None
        raise
    if plan.break_even_skipped:
        # not an error: other axes on the command line ask another question
        warnings.warn(
            f"{source}: sweep.break_even is not answered: {plan.break_even_skipped}",
            UserWarning,
            stacklevel=2,
        )
    return plan


def _plan(
    base: Scenario, data: dict[str, Any], source: str, choice: _Choice, seed: int | None
) -> SweepPlan:
    design, points = choice.design, choice.points
    if design not in DESIGNS:
        raise PlanError(
            "{design} must be grid or lhs (got {got!r}){hint}",
            got=design,
            hint=did_you_mean(str(design), ("grid", "lhs")),
        )
    axes = parse_axes(choice.vary)
    root_seed = base.run.seed if seed is None else seed
    # the full dump finds every field's current value, defaults included
    resolved = [_resolve_axis(axis, base.model_dump(mode="json")) for axis in axes]
    rows = _design_values(resolved, design, points, root_seed)
    # a point is a study, which ignores the sweep block
    data = {key: value for key, value in data.items() if key != SCENARIO_BLOCK}
    # the file's own field, or the option, that asked for the point
    by = f": {SCENARIO_BLOCK}.vary" if choice.axes_from == "scenario" else " with --vary"
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
        where = f"{source}{by}, point {point_id} ({_describe(values)})"
        made.append(SweepPoint(point_id, values, scenario_from_dict(point_data, where)))
    if choice.break_even is not None:
        _check_numeric_along(choice.break_even, made, source)
    kind: Design = "lhs" if design == "lhs" else "grid"
    return SweepPlan(
        base,
        kind,
        axes,
        tuple(made),
        root_seed,
        points if kind == "lhs" else None,
        choice.axes_from,
        choice.break_even,
        choice.skipped,
    )


def _check_numeric_along(question: BreakEvenSpec, made: Sequence[SweepPoint], source: str) -> None:
    """Refuse, before anything runs, a break-even axis whose levels are not numbers."""
    for point in made:
        value = point.values[question.along]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(
                f"{source}: {SCENARIO_BLOCK}.break_even.along: {question.along} takes "
                f"{value!r} at point {point.id}, not a number (break-even interpolates "
                "between numeric levels)"
            )
