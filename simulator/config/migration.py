"""Scenario files of older schema versions, brought to the current one.

A scenario's data is migrated one version at a time, in memory, before it is
validated: every older file still loads, and :class:`SchemaMigrationWarning`
says once, in one line, what changed. Each step keeps what the older file
meant: a version-1 file migrated to version 2 keeps version 1's budget rule
(``income_share``), so that it gives the results it gave before.
:func:`simulator.config.rewrite.migrate_file` (``connectsim migrate``) rewrites
a file in place, keeping its comments and a backup.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from simulator.config.scenario import SCHEMA_VERSION
from simulator.errors import ScenarioError

V1_BUDGET_SHARE_OF_INCOME = 0.08
"""Version 1's default ``platform_budget_share_of_income``."""


class SchemaMigrationWarning(UserWarning):
    """A scenario of an older schema version was migrated in memory."""


def _section(data: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The ``world.<name>`` mapping, made if absent; ``None`` when the data's shape is
    wrong (validation says so later, in its own words)."""
    world = data.get("world")
    if not isinstance(world, dict):
        return None
    section = world.setdefault(name, {})
    return section if isinstance(section, dict) else None


_V1_MOVES: tuple[tuple[str, str, str, float, str, str], ...] = (
    (
        "population",
        "platform_budget_share_of_income",
        "budget",
        V1_BUDGET_SHARE_OF_INCOME,
        "income_share",
        "share_of_income",
    ),
    ("clients", "screening_cost_per_review", "screening", 0.0, "first_k", "cost_per_read"),
)
"""Version 1 fields that became a rule of version 2: (section of ``world``, old field,
new field, version 1's default, the rule that keeps its meaning, the rule's field)."""


def _v1_to_v2(data: dict[str, Any], *, whole: bool) -> list[str]:
    """Version 2 made the budget rule and the client's screening rule choices.

    ``whole`` is true for a whole scenario (its defaults are version 1's), false
    for a file another one extends (only what it sets is moved).
    """
    changes = []
    for section_name, old, new, default, rule, key in _V1_MOVES:
        if not whole and old not in (data.get("world") or {}).get(section_name, {}):
            continue
        section = _section(data, section_name)
        if section is None:
            continue
        value = section.pop(old, default)
        if new in section:
            continue
        section[new] = {"rule": rule, key: value}
        where = f"world.{section_name}"
        changes.append(f"{where}.{old} ({value}) became {where}.{new} {{rule: {rule}}}")
    return changes


MIGRATIONS: dict[int, Callable[..., list[str]]] = {1: _v1_to_v2}
"""Version -> the step that brings data of that version to the next (in place)."""


def schema_version_of(data: Mapping[str, Any], source: str) -> int:
    """The schema version data declares (the current one when it declares none).

    Raises
    ------
    ScenarioError
        When the version is not a whole number from 1 to :data:`SCHEMA_VERSION`.
    """
    version = data.get("schema_version", SCHEMA_VERSION)
    if isinstance(version, bool) or not isinstance(version, int):
        raise ScenarioError(f"{source}: schema_version: not a whole number (got {version!r})")
    if not 1 <= version <= SCHEMA_VERSION:
        raise ScenarioError(
            f"{source}: schema_version: unknown version {version} (this connectsim reads "
            f"versions 1 to {SCHEMA_VERSION})"
        )
    return version


def migrate(
    data: Mapping[str, Any], source: str, *, whole: bool = True
) -> tuple[dict[str, Any], list[str]]:
    """Scenario data brought to :data:`SCHEMA_VERSION`, and what changed.

    Parameters
    ----------
    data
        A scenario's data (resolved, with ``extends:`` merged), or one file's.
    source
        Where it comes from, for messages.
    whole
        False for a file that another one extends: only the fields it sets move.

    Returns
    -------
    (dict, list of str)
        The migrated data (a copy; ``data`` is not changed) and one phrase per
        change (empty when the data was current).
    """
    version = schema_version_of(data, source)
    migrated = copy.deepcopy(dict(data))
    changes: list[str] = []
    while version < SCHEMA_VERSION:
        changes += MIGRATIONS[version](migrated, whole=whole)
        version += 1
    if "schema_version" in migrated or changes:
        migrated["schema_version"] = SCHEMA_VERSION
    return migrated, changes


def notice(source: str, version: int, changes: list[str]) -> str:
    """The one line that says a file was migrated in memory, and how to rewrite it."""
    what = "; ".join(changes) if changes else "no field changed"
    line = f"{source}: schema version {version} migrated to {SCHEMA_VERSION} in memory ({what})"
    if source.endswith((".yaml", ".yml")):
        line += f"; 'connectsim migrate {source}' rewrites the file"
    return line
