"""Calibration targets: published figures about real freelance markets, each with
its source, its uncertainty and the scenario arm it describes.

A targets file (``scenarios/targets/*.yaml``) names the scenario it is compared
with and lists its targets. A target is one metric of the catalogue
(:data:`simulator.catalog.METRICS`) for one arm, either a value with its
uncertainty (a standard error where the source gives one, otherwise a stated
range) or a bound (``at_most`` / ``at_least``) where the source gives only a
direction or a limit. Every target quotes its source: authors and year, title,
where in it (table, page, section), the words the figure comes from, and, when
the figure is computed from quoted numbers, how.

:func:`load_targets` reads a file and checks it against its scenario: an
unknown metric or arm, a missing source or a malformed file is one line naming
the file and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from simulator.catalog import METRICS
from simulator.config.loading import load_scenario, load_yaml
from simulator.config.scenario import Scenario
from simulator.errors import ScenarioError, did_you_mean

TARGETS_SCHEMA_VERSION: Literal[1] = 1
"""The version of the targets file format."""

NonEmpty = Annotated[str, Field(min_length=1)]


class Source(BaseModel):
    """Where a figure comes from, so that a reader can find it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    citation: NonEmpty
    """Authors, year, title and where it appeared."""
    locator: NonEmpty
    """Where in the source: a table, page or section."""
    quote: NonEmpty
    """The source's own words that give the figure."""
    url: str | None = None
    derived: str | None = None
    """How the target's value is computed from the quoted figures, when it is."""


class Target(BaseModel):
    """One published figure, as a moment the model must reproduce."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
    metric: NonEmpty
    """A metric of the catalogue, overall (all freelancers and posts)."""
    arm: NonEmpty
    """The scenario arm whose regime the figure describes."""
    regime: NonEmpty
    """The market and period the figure describes (platform, years, policy)."""
    kind: Literal["value", "at_most", "at_least"] = "value"
    value: float
    """The figure, in the metric's own units (a share as a fraction)."""
    standard_error: Annotated[float, Field(gt=0.0)] | None = None
    low: float | None = None
    high: float | None = None
    """A stated range around ``value``, where the source gives no standard error."""
    range_basis: str | None = None
    """Where the range comes from: the source's own words, or an assumption (say so)."""
    source: Source

    @model_validator(mode="after")
    def _uncertainty_stated(self) -> Self:
        has_range = self.low is not None or self.high is not None
        if self.kind != "value":
            if self.standard_error is not None or has_range:
                raise ValueError(f"a bound ({self.kind}) takes no standard error or range")
            return self
        if (self.standard_error is None) == (not has_range):
            raise ValueError("a value needs its uncertainty: standard_error, or low and high")
        if has_range:
            if self.low is None or self.high is None:
                raise ValueError("a range needs both low and high")
            if not self.range_basis:
                raise ValueError("a range needs its range_basis: the source's, or an assumption")
            if not self.low <= self.value <= self.high:
                raise ValueError(
                    f"value {self.value} is outside its range [{self.low}, {self.high}]"
                )
        return self


class TargetsFile(BaseModel):
    """A targets file: the scenario its targets are compared with, and the targets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = TARGETS_SCHEMA_VERSION
    scenario: NonEmpty
    """The scenario file, relative to the targets file."""
    targets: Annotated[list[Target], Field(min_length=1)]


def _problem(path: Path, exc: ValidationError, data: object) -> str:
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in error["loc"])
    if isinstance(data, dict) and error["loc"][:1] == ("targets",) and len(error["loc"]) > 1:
        targets = data.get("targets")
        index = error["loc"][1]
        if isinstance(targets, list) and isinstance(index, int) and index < len(targets):
            name = targets[index].get("name") if isinstance(targets[index], dict) else None
            if name:
                where = where.replace(f"targets.{index}", f"targets[{name}]", 1)
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "no such field"
    more = exc.error_count() - 1
    return f"{path}: {where}: {message}" + (f" [and {more} more problems]" if more else "")


def is_targets_file(path: str | Path) -> bool:
    """Whether ``path`` reads as a targets file (a mapping with ``targets`` and
    ``scenario``) rather than a scenario; False for anything unreadable (read with
    the scenarios' guarded YAML loader, which refuses deep nesting and aliases)."""
    try:
        data = load_yaml(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and "targets" in data and "scenario" in data


def load_targets(path: str | Path) -> tuple[TargetsFile, Scenario]:
    """Read a targets file and the scenario it names, and check one against the other.

    Returns
    -------
    (targets, scenario)

    Raises
    ------
    ScenarioError
        One line naming the file and the field: a file that is missing or is
        not YAML, a target without a source or without its uncertainty, a
        metric the catalogue does not have, an arm the scenario does not have,
        or two targets with one name.
    """
    path = Path(path)
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot be read ({exc})") from None
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ScenarioError(f"{path}: not valid YAML ({first})") from None
    try:
        targets = TargetsFile.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_problem(path, exc, data)) from None
    scenario = load_scenario(path.parent / targets.scenario)
    seen: set[str] = set()
    for target in targets.targets:
        where = f"{path}: targets[{target.name}]"
        if target.name in seen:
            raise ScenarioError(f"{where}: a second target of this name")
        seen.add(target.name)
        if target.metric not in METRICS:
            raise ScenarioError(
                f"{where}.metric: {target.metric!r} is not a metric"
                + did_you_mean(target.metric, METRICS)
            )
        if target.arm not in scenario.arms:
            raise ScenarioError(
                f"{where}.arm: {target.arm!r} is not an arm of {targets.scenario}"
                + did_you_mean(target.arm, scenario.arms)
            )
    return targets, scenario
