"""Scenarios field by field: where each resolved value comes from, and how two differ.

A scenario is compared as its flat fields: dotted paths such as
``world.population.freelancers`` to values, a list being one value. What
``connectsim show`` and ``connectsim diff`` print is made from these.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.config.loading import (
    extends_chain,
    load_scenario,
    parse_override,
)
from simulator.config.scenario import Scenario

ABSENT: Any = type("Absent", (), {"__repr__": lambda self: "(absent)"})()
"""The value of a field one side of a comparison does not have."""


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested mapping as ``{"a.b.c": value}``; lists and empty mappings are values."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{path}."))
        else:
            flat[path] = value
    return flat


def scenario_fields(scenario: Scenario) -> dict[str, Any]:
    """The resolved scenario's flat fields, every default written out."""
    return flatten(scenario_data(scenario))


def scenario_data(scenario: Scenario) -> dict[str, Any]:
    """The resolved scenario as nested plain data, every default written out."""
    return scenario.model_dump(mode="json")


def show_value(value: Any) -> str:
    """A field's value in one short line (JSON, as YAML would read it back); a
    section, by its number of fields."""
    if value is ABSENT:
        return "(absent)"
    if isinstance(value, Mapping) and value:
        count = len(flatten(value))
        return f"(a section of {count} field{'s' if count > 1 else ''})"
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class FieldDifference:
    """A field whose value is not the same on both sides (``ABSENT`` where missing)."""

    path: str
    left: Any
    right: Any


def field_differences(
    left: Mapping[str, Any], right: Mapping[str, Any], prefix: str = ""
) -> list[FieldDifference]:
    """The fields that differ between two nested mappings (resolved scenarios), in the
    left's order and then the right's.

    A section one side lacks altogether (an arm of one scenario only) is one
    difference, its value the whole section on the side that has it and
    :data:`ABSENT` on the other; otherwise sections are compared field by field.
    """
    found: list[FieldDifference] = []
    for key in dict.fromkeys([*left, *right]):
        a, b = left.get(key, ABSENT), right.get(key, ABSENT)
        if isinstance(a, Mapping) and isinstance(b, Mapping) and a and b:
            found += field_differences(a, b, f"{prefix}{key}.")
        elif a != b:
            found.append(FieldDifference(f"{prefix}{key}", a, b))
    return found


@dataclass(frozen=True)
class FieldOrigin:
    """A resolved field that the scenario file does not state as it is, and why.

    ``source`` is ``"--set TEXT"``, ``"extends FILE"``, ``"default"``, ``"as loaded"``
    (the file states another value: a migration from an older schema version
    rewrote it) or ``"not in the resolved scenario"`` (the file states a field the
    resolved scenario leaves out, such as the ``sweep:`` block). ``before`` is the
    value without ``--set`` (for ``--set`` fields) or the file's own value.
    """

    path: str
    value: Any
    source: str
    before: Any = ABSENT


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(f"{prefix}.") or prefix.startswith(f"{path}.")


def field_origins(path: str | Path, overrides: Sequence[str] = ()) -> list[FieldOrigin]:
    """Every field of the resolved scenario that its file does not state as it is.

    Parameters
    ----------
    path
        The scenario file.
    overrides
        ``--set`` texts, applied as :func:`~simulator.config.loading.load_scenario` does.

    Returns
    -------
    list of FieldOrigin
        In the resolved scenario's order: fields set by ``--set``, inherited
        through ``extends:`` (naming the file, as the scenario writes it), left
        at their default, or changed on loading; then the fields the file
        states that the resolved scenario does not have.

    Raises
    ------
    ScenarioError, PlanError
        As :func:`~simulator.config.loading.load_scenario` does.
    """
    resolved = scenario_fields(load_scenario(path, overrides))
    unset = scenario_fields(load_scenario(path)) if overrides else resolved
    chain = extends_chain(path)
    own = [(file, flatten(data)) for file, data in chain]
    set_paths = {".".join(parse_override(text)[0]): text for text in overrides}
    origins: list[FieldOrigin] = []
    for field, value in resolved.items():
        setter = next((t for p, t in set_paths.items() if _under(field, p)), None)
        if setter is not None:
            if unset.get(field, ABSENT) != value:
                origins.append(
                    FieldOrigin(field, value, f"--set {setter}", unset.get(field, ABSENT))
                )
            continue
        stated = own[0][1].get(field, ABSENT)
        if stated is not ABSENT:
            if stated != value:
                origins.append(FieldOrigin(field, value, "as loaded", stated))
            continue
        parent = next((file for file, flat in own[1:] if field in flat), None)
        if parent is not None:
            written = parent.relative_to(chain[0][0].parent) if _inside(parent, chain) else parent
            origins.append(FieldOrigin(field, value, f"extends {written}"))
        else:
            origins.append(FieldOrigin(field, value, "default"))
    for field, stated in own[0][1].items():
        if field not in resolved and not any(_under(field, r) for r in resolved):
            origins.append(FieldOrigin(field, ABSENT, "not in the resolved scenario", stated))
    return origins


def _inside(parent: Path, chain: list[tuple[Path, dict[str, Any]]]) -> bool:
    """Whether ``parent`` can be named relative to the scenario file's folder."""
    return parent.is_relative_to(chain[0][0].parent)
