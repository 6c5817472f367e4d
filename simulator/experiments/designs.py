"""The parameters an analysis varies and the designs it runs them at.

A :class:`Parameter` is a numeric scenario field (a ``--set`` path) and its
range; :func:`make_parameters` checks them against a scenario, and
:func:`make_design` draws a Sobol' or Morris design of the unit cube (a
sensitivity analysis'), :func:`latin_hypercube` a Latin hypercube over the
ranges (a scenario discovery's), each merging rows that evaluate identically
into one distinct point. The analysis' own seeds (:func:`analysis_seed`) are
spawned from the study's root seed under a key no replication uses.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from simulator.config.loading import (
    apply_override,
    scenario_from_dict,
)
from simulator.config.scenario import Scenario
from simulator.errors import PlanError, ScenarioError, did_you_mean

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Method = Literal["sobol", "morris"]

METHODS: tuple[Method, ...] = ("sobol", "morris")

DUMMY = "dummy"
"""The parameter every analysis adds: sampled in [0, 1] like the others, applied to nothing."""

DEFAULT_SAMPLES: dict[Method, int] = {"sobol": 64, "morris": 10}
"""Sobol' base samples N (a power of 2), or Morris trajectories, when none is given."""

MORRIS_LEVELS = 4
"""Grid levels of the Morris design (SALib's default; its step is 2/3 of a range)."""

SENSITIVITY_SPAWN_KEY = 0x53454E53
"""First spawn-key word of the analysis' own seeds (``"SENS"``).

Replication ``r`` uses ``spawn_key=(r,)`` and its streams ``(r, i)``; no study
has 1.4 billion replications, so ``(SENSITIVITY_SPAWN_KEY, j, ...)`` never
collides with them.
"""

SAMPLING_STREAM, BOOTSTRAP_INDICES_STREAM, BOOTSTRAP_NOISE_STREAM = 0, 1, 2
"""Keys of the analysis' own streams under its seed: the design's sampling, and the
bootstraps of the indices and of the noise shares."""


@dataclass(frozen=True)
class Parameter:
    """A scenario field varied over a range."""

    path: str
    """Dotted path, as for ``--set`` (``arms.paid.price_usd_per_connect``)."""
    low: float
    high: float
    integer: bool = False
    """An integer field: sampled uniformly among LOW, LOW + 1, ..., HIGH."""

    def value(self, x: float) -> float | int:
        """The field's value for SALib's sample ``x`` in [low, high].

        An integer field maps [low, high] onto HIGH - LOW + 1 equal slices,
        one per integer, so that every integer is equally likely (rounding
        would give the two end values half the chance of the others).
        """
        if not self.integer:
            return float(x)
        span = int(self.high - self.low)
        share = (x - self.low) / (self.high - self.low)
        return int(self.low) + min(math.floor(share * (span + 1)), span)

    def describe(self) -> str:
        """``PATH=LOW:HIGH``, as given on the command line."""
        return f"{self.path}={format_number(self.low)}:{format_number(self.high)}"


def format_number(value: float) -> str:
    """A bound as given on the command line: ``3`` for a whole number, else its repr."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def parse_param(text: str) -> tuple[str, float, float]:
    """Split ``PATH=LOW:HIGH`` into its path and bounds.

    Raises
    ------
    ScenarioError
        When the text is not of that form or the bounds are not finite numbers
        with LOW < HIGH.
    """
    example = "e.g. world.jobs.ghost_share=0.0:0.3"
    path, eq, bounds = text.partition("=")
    path = path.strip()
    low_text, colon, high_text = bounds.partition(":")
    if not eq or not colon or not path:
        raise PlanError.about("params", f" {text!r}: expected PATH=LOW:HIGH, {example}")
    if any(not part for part in path.split(".")):
        raise PlanError.about("params", f" {text!r}: the path {path!r} has an empty part")
    try:
        low, high = float(low_text), float(high_text)
    except ValueError:
        raise PlanError.about(
            "params",
            f" {text!r}: LOW and HIGH must be numbers (got {low_text!r} and {high_text!r})",
        ) from None
    if not (math.isfinite(low) and math.isfinite(high)) or not low < high:
        raise PlanError.about(
            "params", f" {text!r}: needs finite LOW < HIGH (got {low} and {high})"
        )
    return path, low, high


def _numeric_kind(annotation: Any) -> str | None:
    """``"int"``, ``"float"`` or ``None`` for a field's type (Optional, Annotated unwrapped)."""
    if annotation is bool:
        return None
    if annotation in (int, float):
        return "int" if annotation is int else "float"
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _numeric_kind(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        kinds = {_numeric_kind(a) for a in typing.get_args(annotation) if a is not type(None)}
        return kinds.pop() if len(kinds) == 1 else None
    return None


def _field_kind(scenario: Scenario, path: str, text: str) -> str:
    """Whether the field at ``path`` holds an integer or a float; refuse anything else."""
    parts = path.split(".")
    node: Any = scenario
    annotation: Any = None
    for depth, part in enumerate(parts):
        where = ".".join(parts[: depth + 1])
        if isinstance(node, BaseModel):
            fields = type(node).model_fields
            if part not in fields:
                # the field meant, else the section's fields
                hint = did_you_mean(part, fields) or f" (fields: {', '.join(fields)})"
                raise PlanError.about("params", f" {text!r}: {where} is not a field{hint}")
            annotation = fields[part].annotation
            node = getattr(node, part)
        elif isinstance(node, dict):
            if part not in node:
                known = ", ".join(map(str, node))
                raise PlanError.about(
                    "params",
                    f" {text!r}: {where} is not in the scenario ({known})"
                    f"{did_you_mean(part, map(str, node))}",
                )
            annotation = None
            node = node[part]
        else:
            raise PlanError.about(
                "params",
                f" {text!r}: {'.'.join(parts[:depth])} is a value ({node!r}), "
                "not a section with fields",
            )
    if isinstance(node, bool):
        kind = None
    elif isinstance(node, int):
        kind = "int"
    elif isinstance(node, float):
        kind = "float"
    elif node is None:  # an optional field left unset: its type says what it holds
        kind = _numeric_kind(annotation)
    else:
        kind = None
    if kind is None:
        raise PlanError.about(
            "params",
            f" {text!r}: {path} is not a number (it holds {node!r}); "
            "only numeric fields can be varied",
        )
    return kind


_INERT_PATHS = {
    "run.seed": "the seed is the analysis' --seed, the same at every point",
    "run.replications": "the analysis' --replications sets how many replications run",
}


def make_parameters(
    scenario: Scenario,
    params: Mapping[str, tuple[float, float]] | Sequence[str],
    arms: Sequence[str],
) -> list[Parameter]:
    """Check the parameters of an analysis against its scenario.

    Parameters
    ----------
    scenario
        The scenario whose fields are varied.
    params
        ``{path: (low, high)}`` or ``["PATH=LOW:HIGH", ...]``.
    arms
        The arms the analysis runs: a field of another arm would change nothing.

    Returns
    -------
    list of Parameter
        In the order given; integer fields flagged.

    Raises
    ------
    ScenarioError
        For a malformed text, an unknown or non-numeric field, a field of an
        arm not run, a repeated path, bounds not whole numbers for an integer
        field, or a bound at which the scenario is invalid.
    """
    if isinstance(params, Mapping):
        parsed = [
            (str(path), float(low), float(high), f"{path}={low}:{high}")
            for path, (low, high) in params.items()
        ]
        for _path, low, high, text in parsed:
            if not (math.isfinite(low) and math.isfinite(high)) or not low < high:
                raise PlanError.about("params", f" {text!r}: needs finite LOW < HIGH")
    else:
        parsed = [(*parse_param(text), text) for text in params]
    if not parsed:
        raise ScenarioError("a sensitivity analysis needs at least one --param PATH=LOW:HIGH")
    seen: set[str] = set()
    found = []
    base = scenario.model_dump(mode="json")
    for path, low, high, text in parsed:
        if path in seen:
            raise PlanError.about("params", f" {text!r}: {path} is given twice")
        seen.add(path)
        if path == DUMMY:
            raise PlanError.about("params", f" {text!r}: {DUMMY!r} is the analysis' own dummy")
        if path in _INERT_PATHS:
            raise PlanError.about(
                "params", f" {text!r}: {path} cannot be varied: {_INERT_PATHS[path]}"
            )
        parts = path.split(".")
        if (
            parts[0] == "arms"
            and len(parts) > 1
            and parts[1] in scenario.arms
            and parts[1] not in arms
        ):
            raise PlanError.about(
                "params",
                f" {text!r}: arm {parts[1]!r} is not run by this analysis "
                f"(it runs {', '.join(repr(a) for a in arms)}), so {path} would change nothing",
            )
        integer = _field_kind(scenario, path, text) == "int"
        if integer and not (low.is_integer() and high.is_integer()):
            raise PlanError.about(
                "params",
                f" {text!r}: {path} is an integer field: LOW and HIGH must be whole numbers",
            )
        parameter = Parameter(path, low, high, integer)
        for bound in (low, high):
            value = parameter.value(bound)
            try:
                scenario_from_dict(apply_override(base, parts, value, text), f"{path}={value}")
            except ScenarioError as exc:
                raise PlanError.about("params", f" {text!r}: invalid at {exc}") from None
        found.append(parameter)
    return found


def problem_of(parameters: Sequence[Parameter]) -> dict[str, Any]:
    """SALib's problem: the parameters and, last, the dummy in [0, 1]."""
    return {
        "num_vars": len(parameters) + 1,
        "names": [p.path for p in parameters] + [DUMMY],
        "bounds": [[p.low, p.high] for p in parameters] + [[0.0, 1.0]],
    }


# ---------------------------------------------------------------------------
# seeds and the design


def analysis_seed(root_seed: int, *key: int) -> np.random.SeedSequence:
    """A seed of the analysis itself (sampling, bootstraps), from the study's root seed."""
    return np.random.SeedSequence(root_seed, spawn_key=(SENSITIVITY_SPAWN_KEY, *key))


def child_seed(seed: np.random.SeedSequence, *key: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, *key))


def child_generator(seed: np.random.SeedSequence, *key: int) -> np.random.Generator:
    """A generator for one use of the analysis, from its seed and a fixed key."""
    return np.random.Generator(np.random.PCG64(child_seed(seed, *key)))


@dataclass(frozen=True)
class Design:
    """The points a model is evaluated at."""

    method: Method
    problem: dict[str, Any]
    samples: int
    """Sobol' base samples N, or Morris trajectories."""
    rows: FloatArray
    """SALib's sample, one row per design row (its order is what SALib analyses)."""
    points: IntArray
    """The distinct point of each row: rows that evaluate identically share one."""
    num_levels: int = MORRIS_LEVELS

    @property
    def n_points(self) -> int:
        """How many distinct points are run."""
        return int(self.points.max()) + 1 if self.points.size else 0

    def first_rows(self) -> IntArray:
        """The first design row of each distinct point."""
        _, first = np.unique(self.points, return_index=True)
        return first.astype(np.int64)


def make_design(
    problem: Mapping[str, Any],
    method: Method,
    samples: int,
    seed: np.random.SeedSequence,
    key: Callable[[FloatArray], Any] | None = None,
    num_levels: int = MORRIS_LEVELS,
) -> Design:
    """Sample a SALib design and find its distinct points.

    Parameters
    ----------
    problem
        SALib's problem (``num_vars``, ``names``, ``bounds``).
    method
        ``"sobol"`` (``samples`` must be a power of 2) or ``"morris"``.
    samples
        Sobol' base samples N (``N * (D + 2)`` rows, second-order indices not
        computed) or Morris trajectories (``N * (D + 1)`` rows).
    seed
        Seeds SALib's sampler (a scrambled Sobol' sequence, or Morris' random
        trajectories).
    key
        Maps a row to what the model depends on; rows with equal keys are
        one point, run once. ``None``: the whole row (every row distinct
        unless SALib repeats it).

    Raises
    ------
    ValueError
        For an unknown method, or Sobol' samples not a power of 2 (the
        balance of a Sobol' sequence needs it).
    """
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    if method not in METHODS:
        raise PlanError(
            "{method} must be sobol or morris (got {got!r}){hint}",
            got=method,
            hint=did_you_mean(str(method), METHODS),
        )
    if samples < 2:
        raise PlanError("{samples} must be at least 2 (got {got})", got=samples)
    rng = np.random.Generator(np.random.PCG64(seed))
    if method == "sobol":
        if samples & (samples - 1):
            raise PlanError(
                "{samples} for sobol must be a power of 2, e.g. 64 (got {got})", got=samples
            )
        rows = sobol_sample.sample(
            dict(problem), samples, calc_second_order=False, scramble=True, seed=rng
        )
    else:
        rows = morris_sample.sample(dict(problem), samples, num_levels=num_levels, seed=rng)
    rows = np.asarray(rows, dtype=np.float64)
    return Design(method, dict(problem), samples, rows, distinct_points(rows, key), num_levels)


def distinct_points(rows: FloatArray, key: Callable[[FloatArray], Any] | None = None) -> IntArray:
    """The distinct point of each row: rows with equal ``key`` (default: the whole row)
    share one, numbered in order of first appearance."""
    keyed = key or (lambda row: row.tobytes())
    index: dict[Any, int] = {}
    return np.array([index.setdefault(keyed(row), len(index)) for row in rows], dtype=np.int64)


@dataclass(frozen=True)
class LatinHypercube:
    """Points drawn over the parameters' ranges by a Latin hypercube: each range cut
    into as many equal strata as there are points, each stratum drawn once."""

    parameters: tuple[Parameter, ...]
    rows: FloatArray
    """One row per point, each value in its parameter's [low, high]."""
    points: IntArray
    """The distinct point of each row: rows that evaluate identically share one."""

    @property
    def n_points(self) -> int:
        """How many distinct points are run."""
        return int(self.points.max()) + 1 if self.points.size else 0

    def first_rows(self) -> IntArray:
        """The first row of each distinct point."""
        _, first = np.unique(self.points, return_index=True)
        return first.astype(np.int64)


def latin_hypercube(
    parameters: Sequence[Parameter],
    count: int,
    seed: np.random.SeedSequence,
    key: Callable[[FloatArray], Any] | None = None,
) -> LatinHypercube:
    """A Latin hypercube of ``count`` rows over the parameters' ranges (SciPy's, scrambled:
    each row at a uniform place within its strata), seeded from ``seed``.

    An integer parameter maps its value onto equal slices of its range
    (:meth:`Parameter.value`), so its integers are stratified too. ``key`` merges
    rows as :func:`make_design` does.
    """
    from scipy.stats import qmc

    if count < 1:
        raise PlanError.about("points", f" must be at least 1 (got {count})")
    rng = np.random.Generator(np.random.PCG64(seed))
    unit = np.asarray(qmc.LatinHypercube(d=len(parameters), rng=rng).random(count))
    lows = np.array([p.low for p in parameters], dtype=np.float64)
    highs = np.array([p.high for p in parameters], dtype=np.float64)
    rows = (lows + unit * (highs - lows)).astype(np.float64)
    return LatinHypercube(tuple(parameters), rows, distinct_points(rows, key))
