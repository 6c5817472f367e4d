"""Reading scenario files: YAML, ``extends:``, ``--set`` overrides, clear errors.

Every problem becomes a :class:`~simulator.errors.ScenarioError` whose message
is one line naming the file, the field path, the bad value and what is
allowed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from simulator.errors import ScenarioError
from simulator.scenario import Scenario

EXTENDS_KEY = "extends"


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ScenarioError(f"{path}: file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError(f"{path}{where}: malformed YAML: {problem}") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not a UTF-8 text file") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{path}: a scenario must be a mapping of fields, got {type(data).__name__}"
        )
    return data


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``override`` into ``base``: mappings merge key by key, anything else replaces."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _resolve(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    path = path.resolve()
    if path in chain:
        cycle = " -> ".join(p.name for p in (*chain, path))
        raise ScenarioError(f"{chain[-1]}: extends: cycle ({cycle})")
    data = _read_yaml(path)
    parent = data.pop(EXTENDS_KEY, None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ScenarioError(f"{path}: extends: must be a file path, got {parent!r}")
    return deep_merge(_resolve(path.parent / parent, (*chain, path)), data)


def resolve_file(path: str | Path) -> dict[str, Any]:
    """A scenario file as plain data, with its ``extends:`` chain merged in (not validated)."""
    return _resolve(Path(path), ())


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split ``a.b.c=value`` into its path and its YAML-parsed value."""
    if "=" not in text:
        raise ScenarioError(f"--set {text!r}: expected PATH=VALUE, e.g. run.horizon_days=90")
    path_text, _, value_text = text.partition("=")
    path = path_text.strip().split(".")
    if not path_text.strip() or any(not part for part in path):
        raise ScenarioError(f"--set {text!r}: the path {path_text!r} is empty or has an empty part")
    try:
        value = yaml.safe_load(value_text) if value_text.strip() else ""
    except yaml.YAMLError:
        raise ScenarioError(f"--set {text!r}: the value {value_text!r} is not valid YAML") from None
    return path, value


def apply_override(data: dict[str, Any], path: list[str], value: Any, text: str) -> dict[str, Any]:
    """Return a copy of ``data`` with the field at ``path`` set to ``value``."""
    if len(path) == 1:
        return {**data, path[0]: value}
    head, rest = path[0], path[1:]
    child = data.get(head, {})
    if not isinstance(child, dict):
        raise ScenarioError(
            f"--set {text!r}: {head} is a value ({child!r}), not a section with fields"
        )
    return {**data, head: apply_override(child, rest, value, text)}


def _format_validation(source: str, exc: ValidationError) -> str:
    first = exc.errors(include_url=False)[0]
    loc = ".".join(str(part) for part in first["loc"]) or "(top level)"
    message = first["msg"]
    bad = first.get("input")
    shown = "" if isinstance(bad, dict) else f" (got {bad!r})"
    more = exc.error_count() - 1
    extra = f" [and {more} more problem{'s' if more > 1 else ''}]" if more else ""
    return f"{source}: {loc}: {message}{shown}{extra}"


def scenario_from_dict(data: Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a scenario given as plain data."""
    try:
        return Scenario.model_validate(dict(data))
    except ValidationError as exc:
        raise ScenarioError(_format_validation(source, exc)) from None


def load_scenario(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Read, merge (``extends:``), override (``--set``) and validate a scenario file."""
    path = Path(path)
    data = _resolve(path, ())
    for text in overrides:
        keys, value = parse_override(text)
        data = apply_override(data, keys, value, text)
    source = str(path) + (" (with --set)" if overrides else "")
    return scenario_from_dict(data, source)


def scenario_hash(scenario: Scenario) -> str:
    """A stable hash of the resolved scenario (what the results depend on)."""
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
