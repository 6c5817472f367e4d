"""Scenario discovery: where, over uncertain parameters, the free program beats the paid system.

A headline conclusion of a study (free gives more proposals per post, ...)
holds at the scenario's values; ``connectsim discover`` asks where in a space of
plausible values it still holds. It draws a Latin hypercube over the
parameters' ranges (``PATH=LOW:HIGH``, the paths of ``--set``), runs the paid
and the free arm at every point on common random numbers (replication ``r``
of every point and arm on the study's seeds ``SeedSequence(seed,
spawn_key=(r,))``), and takes each point's mean paired difference ``free -
paid`` over its replications: a conclusion holds at a point when that mean has
the conclusion's sign.

For each conclusion the EMA Workbench's PRIM (Friedman & Fisher's patient rule
induction, as scenario discovery uses it: Bryant & Lempert 2010) then finds a
box of the parameter space, limits on a few parameters, inside which the
conclusion holds at most points:

* **density**: the share of the box's points at which the conclusion holds;
* **coverage**: the share of all points at which it holds that the box holds;
* **mass**: the share of all points inside the box.

PRIM peels the space a slice at a time, each peel raising the density, and
records every box on the way (its peeling trajectory). The box kept is, among
those with density at least ``threshold``, the one of highest coverage (fewer
restricted parameters, then more mass, breaking ties): the library's own last
box is its densest and smallest (down to 5% of the points), fitted to the
luck of a few points. A conclusion that holds at every point or at none has no
box; one that holds with the threshold's density over the whole space needs
none.

With a calibration's posterior (``connectsim calibrate``), each box is placed
against it: the share of the posterior's weight inside the box's limits on the
parameters both name (a box's parameter that the calibration did not
calibrate is listed as such: the posterior says nothing of it).

Runs go through the one runner and a resumable store as a sensitivity
analysis' do (:mod:`simulator.experiments.design_runs`): the same seed gives
the same bytes on any executor.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import math
import shlex
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from simulator.config.loading import (
    load_scenario,
    scenario_from_record,
    scenario_hash,
    scenario_with_values,
)
from simulator.config.scenario import Scenario
from simulator.engine.rng import replication_seed
from simulator.errors import PlanError, ResultsError, ScenarioError, did_you_mean
from simulator.experiments.design_runs import (
    DesignExecution,
    OneScenarioExperiment,
    Output,
    ProgressCallback,
    SensitivityStore,
    runs_store,
    same_design,
)
from simulator.experiments.designs import (
    FloatArray,
    LatinHypercube,
    Parameter,
    latin_hypercube,
    make_parameters,
)
from simulator.experiments.executors import Executor
from simulator.experiments.posterior import WEIGHT, Posterior, load_posterior
from simulator.experiments.runner import run
from simulator.experiments.store import ResultsStore, read_parquet_checked

__all__ = [
    "CONCLUSIONS",
    "DEFAULT_POINTS",
    "DEFAULT_THRESHOLD",
    "KIND",
    "MIN_POINTS",
    "POOREST_REGION",
    "Box",
    "Conclusion",
    "Discovery",
    "DiscoveryModel",
    "DiscoveryPlan",
    "DiscoveryRun",
    "Limit",
    "SensitivityStore",
    "default_arms",
    "discover",
    "explored_share",
    "find_box",
    "load_discovery",
    "plan_discovery",
    "posterior_share",
    "short_name",
]

KIND = "discovery"
"""The manifest's kind of a scenario discovery directory."""

POOREST_REGION = "poorest"
"""A conclusion's segment that stands for the region with the lowest monthly income."""

DEFAULT_POINTS = 64
"""Latin hypercube points when none is given."""

MIN_POINTS = 8
"""The fewest points a discovery takes: PRIM peels 5% of the points at a time, and
below this a box is a handful of points."""

DEFAULT_THRESHOLD = 0.8
"""The density a box must reach: the conclusion holds at 4 of 5 of its points (the
EMA Workbench's examples use the same; a box where it fails 1 time in 2 is not one
where it holds)."""

DISCOVERY_SPAWN_KEY = 0x44495343
"""First spawn-key word of the discovery's own seed (``"DISC"``): its Latin hypercube.

Replication ``r`` uses ``spawn_key=(r,)``; no study has a billion replications,
so ``(DISCOVERY_SPAWN_KEY, ...)`` never collides with them.
"""

SAMPLING_STREAM = 0

Direction = Literal[1, -1]
BoxStatus = Literal["box", "whole space", "everywhere", "nowhere", "no box", "not judged"]


@dataclass(frozen=True)
class Conclusion:
    """A headline conclusion: the sign that ``free - paid`` of a metric must have."""

    name: str
    """Its key in the outputs and in ``points.csv`` columns."""
    metric: str
    """A metric of the catalogue."""
    segment_kind: str
    """``"overall"`` or ``"region"``."""
    segment: str
    """``"all"``, a region's name, or :data:`POOREST_REGION` before it is resolved."""
    direction: Direction
    """``1``: it holds where ``free - paid > 0``; ``-1``: where ``free - paid < 0``."""
    sentence: str
    """The conclusion in words, as a sentence opens (``Free gives more proposals per post``)."""

    def resolve(self, scenario: Scenario) -> Conclusion:
        """The conclusion with :data:`POOREST_REGION` named: the scenario's region with the
        lowest ``monthly_income_usd`` (the first such in the file's order)."""
        if self.segment != POOREST_REGION:
            return self
        regions = scenario.world.regions
        poorest = min(regions, key=lambda name: regions[name].monthly_income_usd)
        return dataclasses.replace(self, segment=poorest)

    def holds(self, difference: float) -> bool:
        """Whether a mean difference ``free - paid`` has the conclusion's sign."""
        return bool(self.direction * difference > 0)

    @property
    def where(self) -> str:
        """Where the metric is read: ``overall``, or ``region africa``."""
        return (
            "overall" if self.segment_kind == "overall" else f"{self.segment_kind} {self.segment}"
        )


CONCLUSIONS: tuple[Conclusion, ...] = (
    Conclusion(
        "proposals_per_post",
        "proposals_per_job",
        "overall",
        "all",
        1,
        "Free gives more proposals per post",
    ),
    Conclusion(
        "poorest_region_burden",
        "total_spend_share_of_income",
        "region",
        POOREST_REGION,
        -1,
        "Free lowers the cost burden in the poorest region",
    ),
    Conclusion("fill_rate", "fill_rate", "overall", "all", 1, "Free raises the fill rate"),
    Conclusion(
        "newcomer_hires",
        "new_hired_within_60_days",
        "overall",
        "all",
        1,
        "Free raises newcomers' hire rate",
    ),
)
"""The headline conclusions a discovery examines: name, metric, segment, direction, words."""


def short_name(path: str) -> str:
    """A parameter's path by its last two parts (``budget.outside_cash_share_median``)."""
    return ".".join(path.split(".")[-2:])


# ---------------------------------------------------------------------------
# the model


def _level(frame: pd.DataFrame, conclusion: Conclusion) -> float:
    rows = frame[
        (frame["segment_kind"] == conclusion.segment_kind)
        & (frame["segment"] == conclusion.segment)
        & (frame["metric"] == conclusion.metric)
    ]
    return float(rows["value"].iloc[0]) if len(rows) else float("nan")


@dataclass(frozen=True)
class DiscoveryModel:
    """The market as a :class:`~simulator.experiments.design_runs.Model`: the paid and the
    free arm at a point's values, each conclusion's metric for both and their difference."""

    data: dict[str, Any]
    """The resolved scenario, as plain data."""
    parameters: tuple[Parameter, ...]
    paid: str
    free: str
    root_seed: int
    conclusions: tuple[Conclusion, ...]
    """Resolved (:meth:`Conclusion.resolve`)."""
    outputs: tuple[Output, ...] = field(init=False)

    def __post_init__(self) -> None:
        outputs = tuple(
            (name, c.name)
            for name in (self.free, self.paid, self.difference)
            for c in self.conclusions
        )
        object.__setattr__(self, "outputs", outputs)

    @property
    def difference(self) -> str:
        """The output of the paired difference, ``"FREE - PAID"``."""
        return f"{self.free} - {self.paid}"

    @property
    def arms(self) -> tuple[str, str]:
        """The arms a call runs: free, then paid."""
        return (self.free, self.paid)

    def applied(self, x: FloatArray) -> tuple[float | int, ...]:
        """The parameters' values as set in the scenario (integer fields as integers)."""
        return tuple(p.value(float(v)) for p, v in zip(self.parameters, x, strict=True))

    def scenario_at(self, x: FloatArray) -> Scenario:
        """The scenario with the point's values set (``--set`` machinery)."""
        paths = [p.path for p in self.parameters]
        return scenario_with_values(self.data, list(zip(paths, self.applied(x), strict=True)))

    def __call__(self, point: int, x: FloatArray, replication: int) -> dict[Output, float]:
        """Replication ``replication`` of both arms at ``x``: every output of :attr:`outputs`."""
        from simulator.engine.market import run_replication  # the engine loads in the worker

        scenario = self.scenario_at(x)
        segments = any(c.segment_kind != "overall" for c in self.conclusions)
        level: dict[str, dict[str, float]] = {}
        for arm in self.arms:
            frame = run_replication(scenario, arm, replication, self.root_seed, segments).metrics
            level[arm] = {c.name: _level(frame, c) for c in self.conclusions}
        found: dict[Output, float] = {}
        for name in (self.free, self.paid):
            found.update({(name, c): v for c, v in level[name].items()})
        for c in self.conclusions:
            found[(self.difference, c.name)] = level[self.free][c.name] - level[self.paid][c.name]
        return found


# ---------------------------------------------------------------------------
# the plan


@dataclass(frozen=True)
class DiscoveryPlan:
    """A checked discovery, ready to run: :func:`plan_discovery` then :func:`discover`."""

    scenario: Scenario
    model: DiscoveryModel
    sample: LatinHypercube
    count: int
    """Latin hypercube points asked for (``sample.n_points`` distinct ones are run)."""
    replications: int
    root_seed: int
    threshold: float
    design_hash: str
    posterior: Posterior | None = None
    posterior_dir: str | None = None

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        """The explored parameters."""
        return self.model.parameters

    @property
    def runs(self) -> int:
        """(point, replication) runs in all, each running both arms."""
        return self.sample.n_points * self.replications

    def describe(self) -> str:
        """The discovery in words: its arms, parameters and size."""
        model = self.model
        return (
            f"scenario discovery of {model.free} against {model.paid}, "
            f"{len(model.parameters)} parameters, a Latin hypercube of {self.sample.n_points} "
            f"points x {self.replications} replications x 2 arms"
        )

    def command(self, scenario_file: str | Path, out: str | Path, overrides: Sequence[str]) -> str:
        """The ``connectsim discover`` command that runs this discovery again into ``out``."""
        words = ["connectsim", "discover", str(scenario_file)]
        for parameter in self.parameters:
            words += ["--param", parameter.describe()]
        words += ["--points", str(self.count), "--replications", str(self.replications)]
        words += ["--seed", str(self.root_seed), "--paid", self.model.paid]
        words += ["--free", self.model.free, "--threshold", repr(self.threshold)]
        if self.posterior_dir is not None:
            words += ["--posterior", self.posterior_dir]
        for text in overrides:
            words += ["--set", text]
        words += ["--out", str(out)]
        return shlex.join(words)


def default_arms(scenario: Scenario) -> tuple[str, str]:
    """The paid and the free arm when none is named: the baseline, and the first other
    arm whose policy is a free program (else the first other arm)."""
    others = [a for a in scenario.arms if a != scenario.baseline]
    free = [a for a in others if scenario.arms[a].kind == "free"]
    chosen = free[0] if free else (others[0] if others else scenario.baseline)
    return scenario.baseline, chosen


def _check_arm(scenario: Scenario, setting: str, arm: str) -> None:
    if arm not in scenario.arms:
        raise PlanError.about(
            setting,
            f" {arm!r}: not an arm of {scenario.name} (arms: {', '.join(scenario.arms)})"
            f"{did_you_mean(arm, scenario.arms)}",
        )


def _design_hash(plan_record: Mapping[str, Any], sample: LatinHypercube) -> str:
    what = {
        **plan_record,
        # the points themselves: another SciPy sampling otherwise must not reuse runs
        # made at other points
        "rows": hashlib.sha256(np.ascontiguousarray(sample.rows).tobytes()).hexdigest(),
    }
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:16]


def _sampling_seed(root_seed: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(root_seed, spawn_key=(DISCOVERY_SPAWN_KEY, SAMPLING_STREAM))


def plan_discovery(
    scenario_or_path: Scenario | str | Path,
    params: Mapping[str, tuple[float, float]] | Sequence[str],
    points: int = DEFAULT_POINTS,
    replications: int = 1,
    seed: int | None = None,
    paid: str | None = None,
    free: str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    posterior: Posterior | str | Path | None = None,
    overrides: Sequence[str] = (),
) -> DiscoveryPlan:
    """Check a discovery and draw its points, running nothing and writing nothing.

    See :func:`discover` for the parameters.

    Raises
    ------
    ScenarioError
        A scenario that does not load, a malformed ``PATH=LOW:HIGH``, a path
        that is not a numeric field, ``LOW >= HIGH``, an unknown arm, the same
        arm as paid and free, fewer than :data:`MIN_POINTS` points or fewer
        than 1 replication, a threshold outside (0, 1], or a point at which the
        scenario is invalid.
    ResultsError
        A posterior directory that holds no calibration's posterior.
    """
    if points < MIN_POINTS:
        raise PlanError.about(
            "points", f" must be at least {MIN_POINTS}, for PRIM to find a box (got {points})"
        )
    if replications < 1:
        raise PlanError.about("replications", f" must be at least 1 (got {replications})")
    if not (math.isfinite(threshold) and 0.0 < threshold <= 1.0):
        raise PlanError.about(
            "threshold", f" must be a density in (0, 1], e.g. 0.8 (got {threshold})"
        )
    scenario = (
        scenario_or_path
        if isinstance(scenario_or_path, Scenario)
        else load_scenario(scenario_or_path, overrides)
    )
    default_paid, default_free = default_arms(scenario)
    paid_arm = default_paid if paid is None else paid
    free_arm = default_free if free is None else free
    _check_arm(scenario, "paid", paid_arm)
    _check_arm(scenario, "free", free_arm)
    if paid_arm == free_arm:
        raise PlanError(
            "{paid} and {free} must be two arms (both are {arm!r}); the scenario's arms: {arms}",
            arm=paid_arm,
            arms=", ".join(scenario.arms),
        )
    if not params:
        raise ScenarioError("a discovery needs at least one --param PATH=LOW:HIGH")
    parameters = tuple(make_parameters(scenario, params, (paid_arm, free_arm)))
    found = None
    if posterior is not None:
        found = posterior if isinstance(posterior, Posterior) else load_posterior(posterior)
    root_seed = int(scenario.run.seed if seed is None else seed)
    conclusions = tuple(c.resolve(scenario) for c in CONCLUSIONS)
    model = DiscoveryModel(
        scenario.model_dump(mode="json"), parameters, paid_arm, free_arm, root_seed, conclusions
    )
    sample = latin_hypercube(parameters, points, _sampling_seed(root_seed), key=model.applied)
    # every distinct point is checked here, so that a combination of values the
    # scenario refuses is reported before anything is written or run
    for row in sample.first_rows():
        try:
            model.scenario_at(sample.rows[row])
        except ScenarioError as exc:
            raise PlanError.about("params", f": the scenario is invalid at {exc}") from None
    record = _hashed_record(scenario, model, points, root_seed)
    posterior_dir = None
    if found is not None:
        posterior_dir = str(found.source.parent) if found.source is not None else "<in memory>"
    return DiscoveryPlan(
        scenario,
        model,
        sample,
        points,
        replications,
        root_seed,
        float(threshold),
        _design_hash(record, sample),
        found,
        posterior_dir,
    )


def _hashed_record(
    scenario: Scenario, model: DiscoveryModel, points: int, root_seed: int
) -> dict[str, Any]:
    """What the runs depend on (the threshold and the posterior do not: they are analysis)."""
    return {
        "kind": KIND,
        "scenario_hash": scenario_hash(scenario),
        "root_seed": root_seed,
        "points": points,
        "parameters": [dataclasses.asdict(p) for p in model.parameters],
        "arms": [model.paid, model.free],
        "conclusions": [dataclasses.asdict(c) for c in model.conclusions],
    }


# ---------------------------------------------------------------------------
# PRIM


@dataclass(frozen=True)
class Limit:
    """A box's limits on one parameter (inclusive), in the parameter's units."""

    path: str
    low: float
    high: float


@dataclass(frozen=True)
class Box:
    """Where a conclusion holds: PRIM's box, or why there is none."""

    status: BoxStatus
    """``box``: a box restricting some parameters; ``whole space``: the conclusion holds
    with the threshold's density without restriction; ``everywhere`` / ``nowhere``: at
    every judged point / at none (no PRIM); ``no box``: PRIM found no box that dense;
    ``not judged``: the metric is undefined at every point."""
    share: float
    """Share of the judged points at which the conclusion holds."""
    judged: int
    """Points at which the difference is defined."""
    limits: tuple[Limit, ...] = ()
    """The restricted parameters only (a side PRIM left alone at the range's bound)."""
    coverage: float = float("nan")
    density: float = float("nan")
    mass: float = float("nan")
    points: int = 0
    """Points inside the box."""
    posterior_share: float = float("nan")
    """The share of a calibrated posterior's weight inside the box (:func:`posterior_share`;
    for the whole space or a conclusion that holds everywhere, inside the explored ranges);
    NaN without a posterior, or when the box limits no calibrated parameter."""
    posterior_missing: tuple[str, ...] = ()
    """The box's parameters the posterior does not name."""


@contextlib.contextmanager
def _quiet_workbench() -> Iterator[None]:
    """The EMA Workbench's warnings (optional packages, pandas deprecations) and log lines
    silenced while it runs; the loggers' levels put back after."""
    logger = logging.getLogger("EMA")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def find_box(
    x: pd.DataFrame,
    holds: Sequence[bool] | np.ndarray,
    threshold: float = DEFAULT_THRESHOLD,
    ranges: Mapping[str, tuple[float, float]] | None = None,
) -> Box:
    """PRIM's box of the points at which a conclusion holds.

    Parameters
    ----------
    x
        One column per parameter (integer parameters as integers), one row per point.
    holds
        Whether the conclusion holds at each point.
    threshold
        The least density of the box kept.
    ranges
        Each parameter's explored range: a side of the box PRIM did not restrict
        is reported at the range's bound (default: the points' least and greatest).

    Returns
    -------
    Box
        Among the boxes of PRIM's peeling trajectory with density at least
        ``threshold``, the one of highest coverage (then fewer restricted
        parameters, then more mass); no PRIM when the conclusion holds at every
        point or at none.
    """
    y = np.asarray(holds, dtype=bool)
    judged = int(y.size)
    if judged == 0:
        return Box("not judged", float("nan"), 0)
    share = float(y.mean())
    if y.all():
        return Box("everywhere", 1.0, judged)
    if not y.any():
        return Box("nowhere", 0.0, judged)
    integers = {str(c) for c in x.columns if pd.api.types.is_integer_dtype(x[c])}
    with _quiet_workbench():
        from ema_workbench.analysis import prim

        # every column as a float: the Workbench's pasting writes a quantile between two
        # integers into an integer column, which pandas refuses; an integer parameter's
        # limits are rounded inwards below
        data = x.reset_index(drop=True).astype(np.float64)
        finder = prim.Prim(data, y.astype(np.int64), threshold=threshold)
        found = finder.find_box()
        trajectory = found.peeling_trajectory.reset_index(drop=True)
        initial = finder.box_init
    dense = trajectory[trajectory["density"] >= threshold - 1e-12]
    if dense.empty:
        return Box("no box", share, judged)
    order = dense.assign(id=dense.index).sort_values(
        ["coverage", "res_dim", "mass", "id"], ascending=[False, True, False, True]
    )
    chosen = int(order.index[0])
    lims = found.box_lims[chosen]
    row = trajectory.loc[chosen]
    limits = []
    for column in x.columns:
        low, high = float(lims.loc[0, column]), float(lims.loc[1, column])
        first, last = float(initial.loc[0, column]), float(initial.loc[1, column])
        if low == first and high == last:
            continue
        bounds = ranges.get(str(column), (first, last)) if ranges is not None else (first, last)
        if str(column) in integers:  # the integers inside the limits
            low, high = float(math.ceil(low)), float(math.floor(high))
        limits.append(
            Limit(
                str(column),
                float(bounds[0]) if low <= first else low,
                float(bounds[1]) if high >= last else high,
            )
        )
    return Box(
        "box" if limits else "whole space",
        share,
        judged,
        tuple(limits),
        float(row["coverage"]),
        float(row["density"]),
        float(row["mass"]),
        int(row["n"]),
    )


def posterior_share(limits: Sequence[Limit], posterior: Posterior) -> tuple[float, tuple[str, ...]]:
    """The share of a posterior's weight inside a box, on the parameters both name.

    Returns
    -------
    (float, tuple of str)
        The weighted share of particles inside every limit on a calibrated
        parameter (NaN when the box limits none), and the box's parameters the
        posterior does not name (it says nothing of them).
    """
    shared = [limit for limit in limits if limit.path in posterior.paths]
    missing = tuple(limit.path for limit in limits if limit.path not in posterior.paths)
    if not shared:
        return float("nan"), missing
    inside = np.ones(len(posterior.samples), dtype=bool)
    for limit in shared:
        values = posterior.samples[limit.path].to_numpy(dtype=np.float64)
        inside &= (values >= limit.low) & (values <= limit.high)
    return float(posterior.weights[inside].sum()), missing


def explored_share(parameters: Sequence[Parameter], posterior: Posterior) -> float:
    """The share of a posterior's weight inside the explored ranges (NaN when it names none
    of the parameters)."""
    share, _ = posterior_share([Limit(p.path, p.low, p.high) for p in parameters], posterior)
    return share


# ---------------------------------------------------------------------------
# the analysis


def point_frame(plan: DiscoveryPlan, runs: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct point: its parameters as run, and for each conclusion the mean
    difference over replications (``NAME_difference``) and whether it holds (``NAME_holds``,
    empty where the difference is undefined)."""
    model, sample = plan.model, plan.sample
    first = sample.first_rows()
    frame = pd.DataFrame({"point": np.arange(sample.n_points, dtype=np.int64)})
    applied = [model.applied(sample.rows[row]) for row in first]
    for j, p in enumerate(model.parameters):
        values = [v[j] for v in applied]
        frame[p.path] = np.asarray(values, dtype=np.int64 if p.integer else np.float64)
    differences = runs[runs["output"] == model.difference]
    for c in model.conclusions:
        part = differences[differences["metric"] == c.name]
        by_point = part.groupby("point")["value"].mean()
        mean = by_point.reindex(frame["point"]).to_numpy(dtype=np.float64)
        frame[f"{c.name}_difference"] = mean
        holds = pd.array([c.holds(v) if math.isfinite(v) else None for v in mean], dtype="boolean")
        frame[f"{c.name}_holds"] = holds
    return frame


BOX_COLUMNS: tuple[str, ...] = (
    "conclusion",
    "status",
    "share",
    "judged",
    "parameter",
    "low",
    "high",
    "coverage",
    "density",
    "mass",
    "points",
    "posterior_share",
    "posterior_missing",
)
"""``boxes.csv``'s columns: one row per restricted parameter of a conclusion's box (one
row with no parameter for a conclusion without a restricted box)."""


def box_frame(plan: DiscoveryPlan, points: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Box]]:
    """PRIM's box of each conclusion, as ``boxes.csv``'s rows and as :class:`Box` es."""
    paths = [p.path for p in plan.parameters]
    ranges = {p.path: (p.low, p.high) for p in plan.parameters}
    rows: list[dict[str, Any]] = []
    boxes: dict[str, Box] = {}
    for c in plan.model.conclusions:
        holds = points[f"{c.name}_holds"]
        judged = holds.notna().to_numpy()
        box = find_box(
            points.loc[judged, paths],
            holds[judged].to_numpy(dtype=bool),
            plan.threshold,
            ranges,
        )
        if plan.posterior is not None:
            box = _placed(box, plan.parameters, plan.posterior)
        boxes[c.name] = box
        rows += _box_rows(c, box)
    return pd.DataFrame(rows, columns=list(BOX_COLUMNS)), boxes


def _placed(box: Box, parameters: Sequence[Parameter], posterior: Posterior) -> Box:
    """The box with its share of the posterior."""
    if box.status == "box":
        share, missing = posterior_share(box.limits, posterior)
        return dataclasses.replace(box, posterior_share=share, posterior_missing=missing)
    if box.status in ("whole space", "everywhere"):
        return dataclasses.replace(box, posterior_share=explored_share(parameters, posterior))
    return box


def _box_rows(conclusion: Conclusion, box: Box) -> list[dict[str, Any]]:
    common = {
        "conclusion": conclusion.name,
        "status": box.status,
        "share": box.share,
        "judged": box.judged,
        "coverage": box.coverage,
        "density": box.density,
        "mass": box.mass,
        "points": box.points,
        "posterior_share": box.posterior_share,
        "posterior_missing": " ".join(box.posterior_missing),
    }
    if not box.limits:
        return [{**common, "parameter": "", "low": float("nan"), "high": float("nan")}]
    return [
        {**common, "parameter": limit.path, "low": limit.low, "high": limit.high}
        for limit in box.limits
    ]


def boxes_of(frame: pd.DataFrame) -> dict[str, Box]:
    """The :class:`Box` of each conclusion, read back from ``boxes.csv``'s rows."""
    found: dict[str, Box] = {}
    for name, part in frame.groupby("conclusion", sort=False):
        first = part.iloc[0]
        limits = tuple(
            Limit(str(r["parameter"]), float(r["low"]), float(r["high"]))
            for _, r in part.iterrows()
            if isinstance(r["parameter"], str) and r["parameter"]
        )
        found[str(name)] = Box(
            first["status"],
            float(first["share"]),
            int(first["judged"]),
            limits,
            float(first["coverage"]),
            float(first["density"]),
            float(first["mass"]),
            int(first["points"]),
            float(first["posterior_share"]),
            tuple(str(first["posterior_missing"] or "").split()),
        )
    return found


# ---------------------------------------------------------------------------
# running


@dataclass
class Discovery:
    """A finished scenario discovery."""

    plan: DiscoveryPlan
    points: pd.DataFrame
    """:func:`point_frame`: one row per distinct point."""
    boxes: pd.DataFrame
    """:data:`BOX_COLUMNS`: the boxes, one row per restricted parameter."""
    runs: pd.DataFrame
    """Every run, tidy: point, replication, output, metric, value."""
    path: Path | None = None
    reused: int = 0
    """Runs reused from an interrupted discovery in ``path``."""
    executor: str = ""

    @property
    def conclusions(self) -> tuple[Conclusion, ...]:
        """The conclusions examined, resolved against the scenario."""
        return self.plan.model.conclusions

    def box(self, name: str) -> Box:
        """The box of one conclusion."""
        return boxes_of(self.boxes)[name]


def manifest(plan: DiscoveryPlan) -> dict[str, Any]:
    """What a discovery directory records: the design, its hash, the arms, conclusions,
    threshold, posterior, and the seeds of every random choice (the runner adds the
    provenance)."""
    model, root = plan.model, plan.root_seed
    posterior = plan.posterior
    return {
        "kind": KIND,
        "scenario": plan.scenario.model_dump(mode="json"),
        # not "scenario_hash": a study of the same scenario and seed would take this
        # directory for its own and resume into it
        "base_scenario_hash": scenario_hash(plan.scenario),
        "design_hash": plan.design_hash,
        "root_seed": root,
        "points": plan.count,
        "distinct_points": plan.sample.n_points,
        "replications": plan.replications,
        "parameters": [dataclasses.asdict(p) for p in model.parameters],
        "paid": model.paid,
        "free": model.free,
        "conclusions": [dataclasses.asdict(c) for c in model.conclusions],
        "threshold": plan.threshold,
        "posterior_dir": plan.posterior_dir,
        "posterior_parameters": (
            None if posterior is None else [dataclasses.asdict(p) for p in posterior.parameters]
        ),
        "seeds": {
            "sampling": {
                "entropy": root,
                "spawn_key": [DISCOVERY_SPAWN_KEY, SAMPLING_STREAM],
            },
            "replications": [
                {
                    "replication": r,
                    "entropy": root,
                    "spawn_key": list(replication_seed(root, r).spawn_key),
                }
                for r in range(plan.replications)
            ],
        },
    }


@dataclass(frozen=True)
class DiscoveryRun(OneScenarioExperiment):
    """A planned discovery, ready for :func:`~simulator.experiments.runner.run`."""

    plan: DiscoveryPlan
    progress: ProgressCallback | None = field(default=None, compare=False)

    kind = KIND
    what = "scenario discovery"

    def same(self, record: Mapping[str, Any]) -> bool:
        """Whether a manifest is this discovery's design (to be resumed)."""
        return same_design(record, self.plan.design_hash, KIND)

    def record(self) -> dict[str, Any]:
        """The design, its hash, the parameters, the seeds of every random choice."""
        return manifest(self.plan)

    def extra_packages(self) -> tuple[str, ...]:
        """SciPy samples the design, the EMA Workbench finds the boxes."""
        return ("scipy", "ema_workbench")

    def start(
        self, store: ResultsStore | None, manifest: dict[str, Any], executor: str
    ) -> DiscoveryExecution:
        """Begin: the runs go to ``store``'s ``runs/`` folder."""
        runs = runs_store(store, KIND, self.plan.design_hash)
        return DiscoveryExecution(self.plan, runs, self.progress, manifest, executor)


POSTERIOR_SUMMARY = "posterior"
"""``summary/posterior.csv``: the posterior the boxes were placed against (its particles
and weights), so that the report is written again without the calibration directory."""


class DiscoveryExecution(DesignExecution):
    """A discovery while it runs: the points' runs, then the boxes."""

    def __init__(
        self,
        plan: DiscoveryPlan,
        store: SensitivityStore | None,
        progress: ProgressCallback | None,
        manifest: dict[str, Any],
        executor: str,
    ) -> None:
        super().__init__(plan.model, plan.sample, plan.replications, store, progress, manifest)
        self.plan = plan
        self.executor = executor

    def finish(self) -> Discovery:  # type: ignore[override]
        """Each point's differences and each conclusion's box, written to the summaries."""
        runs, reused = super().finish()
        plan, store = self.plan, self.store
        points = point_frame(plan, runs)
        boxes, _ = box_frame(plan, points)
        if store is not None:
            store.write_csv("points", points)
            store.write_csv("boxes", boxes)
            store.write_frame("runs", runs)
            if plan.posterior is not None:
                store.write_csv(POSTERIOR_SUMMARY, _posterior_table(plan.posterior))
            else:  # a resumed discovery run before over a posterior: not this one's
                (store.root / "summary" / f"{POSTERIOR_SUMMARY}.csv").unlink(missing_ok=True)
        return Discovery(
            plan,
            points,
            boxes,
            runs,
            store.root if store is not None else None,
            reused,
            self.executor,
        )


def _posterior_table(posterior: Posterior) -> pd.DataFrame:
    frame = posterior.samples[posterior.paths].astype(np.float64).reset_index(drop=True)
    frame[WEIGHT] = posterior.weights
    return frame


def discover(
    scenario_or_path: Scenario | str | Path,
    params: Mapping[str, tuple[float, float]] | Sequence[str],
    points: int = DEFAULT_POINTS,
    replications: int = 1,
    seed: int | None = None,
    paid: str | None = None,
    free: str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    posterior: Posterior | str | Path | None = None,
    overrides: Sequence[str] = (),
    workers: int | None = None,
    executor: Executor | str | None = None,
    out: str | Path | None = None,
    progress: ProgressCallback | None = None,
    overwrite: bool = False,
    command: str | None = None,
) -> Discovery:
    """Where over ``params`` each headline conclusion holds (see the module's docstring).

    Parameters
    ----------
    scenario_or_path
        A :class:`~simulator.config.scenario.Scenario` or a scenario file.
    params
        ``{"world.jobs.ghost_share": (0.0, 0.3), ...}`` or ``["PATH=LOW:HIGH", ...]``:
        numeric fields of the scenario and their ranges.
    points
        Latin hypercube points (at least :data:`MIN_POINTS`).
    replications
        Runs of both arms per point; the mean difference over them decides.
    seed
        Root seed (default the scenario's ``run.seed``): replication ``r`` uses
        ``SeedSequence(seed, spawn_key=(r,))`` at every point and arm, the
        hypercube ``SeedSequence(seed, spawn_key=(DISCOVERY_SPAWN_KEY, 0))``.
    paid, free
        The arms compared (default :func:`default_arms`).
    threshold
        The least density of a box, in (0, 1].
    posterior
        A calibration directory (or its posterior): each box's share of it.
    overrides
        ``--set`` texts applied to a scenario file first.
    workers, executor
        Where the runs go, as for a study.
    out
        The results directory (``manifest.json``, ``runs/``, ``summary/points.csv``,
        ``summary/boxes.csv``, ``summary/runs.parquet``); a rerun resumes.
        ``None`` keeps everything in memory.
    progress
        Called as ``progress(done, total)`` after reused runs and each run.
    overwrite
        Replace another experiment found in ``out``.
    command
        The command line that made it, recorded in the manifest.
    """
    plan = plan_discovery(
        scenario_or_path,
        params,
        points,
        replications,
        seed,
        paid,
        free,
        threshold,
        posterior,
        overrides,
    )
    return run(DiscoveryRun(plan, progress), workers, executor, out, overwrite, command)


# ---------------------------------------------------------------------------
# reading a finished discovery

SUMMARY_FILES: tuple[str, ...] = ("points.csv", "boxes.csv", "runs.parquet")
"""The summaries :func:`load_discovery` reads, in ``DIR/summary/``."""


def _read_summary(root: Path, name: str) -> pd.DataFrame:
    path = root / "summary" / name
    if not path.is_file():
        raise ResultsError(
            f"{root}: summary/{name} is missing; run the same command again to write it"
        )
    if name.endswith(".parquet"):
        return read_parquet_checked(path, root)
    try:
        return pd.read_csv(path, keep_default_na=True)
    except (ValueError, OSError) as exc:  # a parser error is a ValueError
        raise ResultsError(f"{root}: summary/{name} cannot be read ({exc})") from None


def _parameters(records: Any) -> tuple[Parameter, ...]:
    return tuple(
        Parameter(str(p["path"]), float(p["low"]), float(p["high"]), bool(p["integer"]))
        for p in records
    )


def load_discovery(path: str | Path) -> Discovery:
    """Open a finished discovery directory, from its manifest and its summaries.

    The Latin hypercube is drawn again from what the manifest records and must
    give the design hash it recorded.

    Raises
    ------
    ResultsError
        When ``path`` is not a discovery directory, the discovery is not
        finished, its manifest cannot be read, the design cannot be drawn again,
        or a summary file is missing or unreadable.
    """
    root = Path(path)
    record = SensitivityStore(root).read_manifest()
    kind = record.get("kind", "study")
    if kind != KIND:
        raise ResultsError(f"{root}: holds a {kind}, not a scenario discovery")
    if not record.get("finished"):
        raise ResultsError(
            f"{root}: the scenario discovery is not finished; run the same command again "
            "to resume it"
        )
    try:
        scenario = scenario_from_record(record["scenario"], f"{root}/manifest.json")
        parameters = _parameters(record["parameters"])
        root_seed = int(record["root_seed"])
        conclusions = tuple(
            Conclusion(
                str(c["name"]),
                str(c["metric"]),
                str(c["segment_kind"]),
                str(c["segment"]),
                1 if int(c["direction"]) > 0 else -1,
                str(c["sentence"]),
            )
            for c in record["conclusions"]
        )
        model = DiscoveryModel(
            scenario.model_dump(mode="json"),
            parameters,
            str(record["paid"]),
            str(record["free"]),
            root_seed,
            conclusions,
        )
        count = int(record["points"])
        sample = latin_hypercube(parameters, count, _sampling_seed(root_seed), key=model.applied)
        posterior_records = record.get("posterior_parameters")
        threshold = float(record["threshold"])
        replications = int(record["replications"])
    except (KeyError, TypeError, ValueError) as exc:  # ValidationError is a ValueError
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ResultsError(f"{root}: the manifest cannot be read: {reason[:160]}") from None
    digest = _design_hash(_hashed_record(scenario, model, count, root_seed), sample)
    if digest != record.get("design_hash"):
        raise ResultsError(
            f"{root}: the design drawn again from the manifest is not the one the discovery "
            "ran (another version of SciPy or connectsim?); run it again with --overwrite"
        )
    points, boxes, runs = (_read_summary(root, name) for name in SUMMARY_FILES)
    boxes["parameter"] = ["" if pd.isna(v) else str(v) for v in boxes["parameter"]]
    boxes["posterior_missing"] = ["" if pd.isna(v) else str(v) for v in boxes["posterior_missing"]]
    for c in conclusions:
        column = f"{c.name}_holds"
        if column in points:
            points[column] = points[column].astype("boolean")
    posterior = None
    if posterior_records is not None:
        table = _read_summary(root, f"{POSTERIOR_SUMMARY}.csv")
        posterior = Posterior(
            _parameters(posterior_records),
            table.drop(columns=[WEIGHT]),
            table[WEIGHT].to_numpy(dtype=np.float64),
            root / "summary" / f"{POSTERIOR_SUMMARY}.csv",
        )
    plan = DiscoveryPlan(
        scenario,
        model,
        sample,
        count,
        replications,
        root_seed,
        threshold,
        digest,
        posterior,
        record.get("posterior_dir"),
    )
    return Discovery(plan, points, boxes, runs, root, 0, str(record.get("executor", "")))
