"""Scenario files rewritten in the current schema version (``connectsim migrate``).

:func:`migrate_file` moves a file's fields one version at a time
(:mod:`simulator.config.migration`), keeping its comments and layout through a
ruamel.yaml round trip and a backup of the original, and replaces the file
atomically.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from simulator.config.loading import load_scenario, resolve_file
from simulator.config.migration import (
    MIGRATIONS,
    SchemaMigrationWarning,
    migrate,
    schema_version_of,
)
from simulator.config.scenario import SCHEMA_VERSION
from simulator.errors import ScenarioError

BACKUP_SUFFIX = ".bak"
"""Added to a file's name for the copy :func:`migrate_file` keeps."""


def migrate_file(path: str | Path, write: bool = True) -> list[str]:
    """Rewrite a scenario file in the current schema version, keeping a backup.

    The file's comments and layout are kept (ruamel.yaml round trip); the
    original is copied to ``<file>.bak`` first, and the new text replaces the
    file atomically. A file that ``extends:`` another keeps only what it set,
    plus, when it is a whole scenario (it has ``arms``), what its version left
    to defaults that the current version changed.

    With ``write=False`` nothing is written: the file is only checked, and what
    would change is returned (a command migrating several files checks them all
    before it rewrites any).

    Returns
    -------
    list of str
        What changed (empty when the file was already current: it is left untouched).

    Raises
    ------
    ScenarioError
        When the file is missing or unreadable, is not a scenario file, declares
        an unknown version, or does not load once migrated; the file is untouched.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot be read ({exc})") from None
    yaml = YAML()
    yaml.preserve_quotes = True
    # long flow sequences stay on their line, as they were written
    yaml.width = 4096
    try:
        data = yaml.load(text)
    except YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict) or not (
        {"schema_version", "extends", "world", "arms"} & set(data)
    ):
        raise ScenarioError(
            f"{path}: not a scenario file (a scenario is a mapping with schema_version, "
            "extends, world or arms)"
        )
    # a file without a version is a part another file extends, of any version: its
    # fields are moved from version 1 on; a file with arms is a whole scenario
    declared = "schema_version" in data
    version = schema_version_of(data, str(path)) if declared else 1
    whole = "arms" in data
    if declared and version == SCHEMA_VERSION:
        return []
    if whole:
        # the file must load as it is (migrated in memory) before it is rewritten
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SchemaMigrationWarning)
            load_scenario(path)
    # a file's own fields move; what a whole scenario left to version 1's defaults
    # is written out from the scenario it resolves to (with what it extends)
    start = version
    changes: list[str] = []
    while version < SCHEMA_VERSION:
        changes += MIGRATIONS[version](data, whole=False)
        version += 1
    if whole:
        resolved, _ = migrate(resolve_file(path), str(path))
        changes += _write_defaults(data, resolved, start)
    if declared:
        data["schema_version"] = SCHEMA_VERSION
        changes = changes or [f"schema_version {start} became {SCHEMA_VERSION}"]
    if not changes or not write:
        return changes
    out = io.StringIO()
    yaml.dump(data, out)
    backup = path.with_name(path.name + BACKUP_SUFFIX)
    shutil.copy2(path, backup)
    _replace_text(path, out.getvalue())
    return changes


def _write_defaults(data: Any, resolved: Mapping[str, Any], start: int) -> list[str]:
    """Set in a whole scenario's own data what its older version left to defaults that
    the current version changed (version 1: the budget and screening rules), unless a
    file it extends already chose them."""
    if start >= 2:
        return []
    changes = []
    for section_name, field in (("population", "budget"), ("clients", "screening")):
        chosen = resolved.get("world", {}).get(section_name, {}).get(field)
        section = data.setdefault("world", {}).setdefault(section_name, {})
        if field in section or not isinstance(chosen, dict):
            continue
        section[field] = dict(chosen)
        changes.append(f"world.{section_name}.{field} {{rule: {chosen.get('rule')}}} written out")
    return changes


def _replace_text(path: Path, text: str) -> None:
    """Replace a file's text atomically: a temporary file beside it, then a rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
