"""Reading scenario files: YAML, ``extends:``, ``--set`` overrides, clear errors.

Every problem becomes a :class:`~simulator.errors.ScenarioError` whose message
is one line naming the file, the field path, the bad value (cut to a short
excerpt) and what is allowed.

YAML is read by :class:`GuardedLoader`, a safe loader that also refuses what
could hurt or mislead: a key repeated in a mapping (YAML would keep only the
last), nesting deeper than :data:`MAX_DEPTH`, aliases that expand to more than
:data:`MAX_NODES` nodes (an "alias bomb") and recursive aliases. Scenario
files and ``--set`` values go through the same rules.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import reprlib
import shutil
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from simulator.config.migration import (
    MIGRATIONS,
    SchemaMigrationWarning,
    migrate,
    notice,
    schema_version_of,
)
from simulator.config.scenario import SCHEMA_VERSION, Scenario
from simulator.errors import PlanError, ScenarioError

EXTENDS_KEY = "extends"

MAX_DEPTH = 64
"""Deepest nesting of YAML collections read (a scenario needs fewer than ten levels)."""
MAX_NODES = 100_000
"""Most YAML nodes read from one document, every alias counted with all it expands to
(a scenario has a few hundred)."""
EXCERPT_CHARS = 80
"""Longest excerpt of a user's value in an error message."""

_MERGE_TAG = "tag:yaml.org,2002:merge"

_repr = reprlib.Repr()
_repr.maxlevel = 2
_repr.maxlist = _repr.maxtuple = _repr.maxset = _repr.maxdict = 4
_repr.maxstring = _repr.maxlong = _repr.maxother = EXCERPT_CHARS


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """A short ``repr`` of ``value`` for an error message.

    Parameters
    ----------
    value
        Any value read from a user (it may be huge, or deeply nested).
    limit
        Most characters returned.

    Returns
    -------
    str
        The ``repr`` of ``value``, cut to ``limit`` characters with ``...`` at the
        end; computed with bounded work (:mod:`reprlib`), whatever the value's size.
    """
    text = _repr.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _cut(text: str, limit: int = EXCERPT_CHARS) -> str:
    """``text`` on one printable line (escapes for anything else), cut to ``limit``
    characters with ``...`` at the end if it was cut."""
    if not text.isprintable():
        text = text[: 4 * limit].encode("unicode_escape").decode("ascii")
    return text if len(text) <= limit else text[: limit - 3] + "..."


class RefusedYAML(yaml.MarkedYAMLError):
    """Well-formed YAML that :class:`GuardedLoader` refuses to read."""


class GuardedLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses duplicate keys, deep nesting and alias bombs.

    Parameters
    ----------
    stream
        The YAML text.

    Notes
    -----
    Nodes are counted as they are composed, an alias counting every node of what it
    refers to (memoised per node, so the count costs no expansion): a "billion
    laughs" document is refused after a few aliases, before anything is built.
    Duplicate keys are checked on each mapping's own keys, before ``<<`` merges
    are applied (a merged key may be overridden, as YAML allows).
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0
        self._open_anchors: set[str] = set()
        # per composed node (by id): nodes and depth once its aliases are expanded
        self._extent: dict[int, tuple[int, int]] = {}
        self._checked: set[int] = set()

    def _count(self, nodes: int, depth: int, mark: Any) -> None:
        self._nodes += nodes
        if self._nodes > MAX_NODES:
            raise RefusedYAML(
                None,
                None,
                f"more than {MAX_NODES} nodes once aliases are expanded (an alias bomb?)",
                mark,
            )
        if depth > MAX_DEPTH:
            raise RefusedYAML(None, None, f"nested deeper than {MAX_DEPTH} levels", mark)

    def _node_extent(self, node: yaml.Node) -> tuple[int, int]:
        """Nodes and depth of ``node`` with its aliases expanded (memoised)."""
        known = self._extent.get(id(node))
        if known is not None:
            return known
        nodes, depth = 1, 0
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        for child in children:
            child_nodes, child_depth = self._node_extent(child)
            nodes += child_nodes
            depth = max(depth, child_depth)
        known = (nodes, depth + 1)
        self._extent[id(node)] = known
        return known

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        """Compose a node, counting it (an alias: all it expands to) and its depth."""
        event: Any = self.peek_event()  # type: ignore[no-untyped-call]
        is_alias = isinstance(event, yaml.AliasEvent)
        if is_alias:
            anchor = event.anchor
            if anchor in self._open_anchors:
                raise RefusedYAML(
                    None,
                    None,
                    f"alias *{_cut(str(anchor), 40)} refers to a collection that contains it",
                    event.start_mark,
                )
            target = self.anchors.get(anchor)
            if target is not None:  # an undefined alias is YAML's own error
                nodes, depth = self._node_extent(target)
                self._count(nodes, self._depth + depth, event.start_mark)
            return super().compose_node(parent, index)
        self._count(1, self._depth + 1, event.start_mark)
        anchor = event.anchor
        if anchor is not None:
            self._open_anchors.add(anchor)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1
            if anchor is not None:
                self._open_anchors.discard(anchor)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """Build a node's value; a scalar Python cannot convert (a date 2020-13-45, an
        integer of more than 4,300 digits) is a YAML error at the node, not a crash."""
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:
            value = node.value if isinstance(node, yaml.ScalarNode) else node.tag
            kind = node.tag.rsplit(":", 1)[-1]
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {excerpt(value)} as {kind}: {exc}", node.start_mark
            ) from None

    def _check_duplicates(self, node: yaml.MappingNode) -> None:
        if id(node) in self._checked:
            return
        self._checked.add(id(node))
        first: dict[Any, yaml.Mark] = {}
        for key_node, _value in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                seen = first.get(key)
            except TypeError:  # unhashable: YAML's own error, raised on construction
                continue
            if seen is not None:
                raise RefusedYAML(
                    None,
                    None,
                    f"duplicate key {excerpt(key, 40)} (first at line {seen.line + 1}; "
                    "a key may appear once in a mapping)",
                    key_node.start_mark,
                )
            first[key] = key_node.start_mark

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        """Check a mapping's own keys for duplicates, then apply its ``<<`` merges."""
        self._check_duplicates(node)
        super().flatten_mapping(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Build a mapping, refusing a key that appears twice in it."""
        if isinstance(node, yaml.MappingNode):
            self._check_duplicates(node)
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str) -> Any:
    """Parse one YAML document with :class:`GuardedLoader`.

    Parameters
    ----------
    text
        The YAML text.

    Returns
    -------
    Any
        The document's value (None for an empty document).

    Raises
    ------
    yaml.YAMLError
        Malformed YAML, or :class:`RefusedYAML` for what the loader refuses.
    """
    loader = GuardedLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _yaml_problem(exc: yaml.YAMLError) -> tuple[str, str]:
    """Where a YAML error is (``:line:column`` or nothing) and what it is, in one line
    (``malformed YAML: ...`` unless the loader refused well-formed YAML)."""
    mark = getattr(exc, "problem_mark", None)
    where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or (str(exc).splitlines() or [""])[0]
    problem = _cut(" ".join(str(problem).split()), 160)
    return where, problem if isinstance(exc, RefusedYAML) else f"malformed YAML: {problem}"


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        if not path.is_file():
            raise ScenarioError(f"{_cut(str(path), 200)}: file not found")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not a UTF-8 text file") from None
    except (OSError, ValueError) as exc:  # a name too long, a NUL byte, no permission
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ScenarioError(f"{_cut(str(path), 200)}: cannot read the file: {reason}") from None
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        where, problem = _yaml_problem(exc)
        raise ScenarioError(f"{path}{where}: {problem}") from None
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
    try:
        path = path.resolve()
    except (OSError, ValueError) as exc:  # a NUL byte, a loop of links
        raise ScenarioError(f"{_cut(str(path), 200)}: not a usable file path ({exc})") from None
    if path in chain:
        cycle = " -> ".join(p.name for p in (*chain, path))
        raise ScenarioError(f"{chain[-1]}: extends: cycle ({cycle})")
    data = _read_yaml(path)
    parent = data.pop(EXTENDS_KEY, None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ScenarioError(f"{path}: extends: must be a file path, got {excerpt(parent)}")
    return deep_merge(_resolve(path.parent / parent, (*chain, path)), data)


def extends_chain(path: str | Path) -> list[tuple[Path, dict[str, Any]]]:
    """Each file of a scenario's ``extends:`` chain with what it writes itself.

    The file comes first, then the file it extends, and so on; each one's data
    is as read (its own ``extends:`` key removed), not merged.

    Raises
    ------
    ScenarioError
        As :func:`load_scenario` does for a file that cannot be read, or a cycle.
    """
    chain: list[tuple[Path, dict[str, Any]]] = []
    here: Path | None = Path(path)
    while here is not None:
        resolved = here.resolve()
        if any(seen.resolve() == resolved for seen, _ in chain):
            cycle = " -> ".join(p.name for p in (*(seen for seen, _ in chain), here))
            raise ScenarioError(f"{chain[-1][0]}: extends: cycle ({cycle})")
        data = _read_yaml(here)
        parent = data.pop(EXTENDS_KEY, None)
        chain.append((here, data))
        if parent is not None and not isinstance(parent, str):
            raise ScenarioError(f"{here}: extends: must be a file path, got {excerpt(parent)}")
        here = None if parent is None else here.parent / parent
    return chain


def resolve_file(path: str | Path) -> dict[str, Any]:
    """A scenario file as plain data, with its ``extends:`` chain merged in (not validated)."""
    return _resolve(Path(path), ())


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split ``a.b.c=value`` into its path and its YAML-parsed value.

    The value is read by :func:`load_yaml`, with the rules of scenario files
    (no duplicate keys, bounded nesting and aliases).
    """
    shown = excerpt(text)
    if "=" not in text:
        raise PlanError.about(
            "overrides", f" {shown}: expected PATH=VALUE, e.g. run.horizon_days=90"
        )
    path_text, _, value_text = text.partition("=")
    path = path_text.strip().split(".")
    if not path_text.strip() or any(not part for part in path):
        raise PlanError.about(
            "overrides", f" {shown}: the path {excerpt(path_text)} is empty or has an empty part"
        )
    try:
        value = load_yaml(value_text) if value_text.strip() else ""
    except yaml.YAMLError as exc:
        _, problem = _yaml_problem(exc)
        mark = getattr(exc, "problem_mark", None)
        where = "" if mark is None else f" (at column {mark.column + 1})"
        if mark is not None and mark.line > 0:
            where = f" (at line {mark.line + 1}, column {mark.column + 1})"
        raise PlanError.about("overrides", f" {shown}: the value{where}: {problem}") from None
    return path, value


def apply_override(data: dict[str, Any], path: list[str], value: Any, text: str) -> dict[str, Any]:
    """Return a copy of ``data`` with the field at ``path`` set to ``value``."""
    if len(path) == 1:
        return {**data, path[0]: value}
    head, rest = path[0], path[1:]
    child = data.get(head, {})
    if not isinstance(child, dict):
        raise PlanError.about(
            "overrides",
            f" {excerpt(text)}: {_cut(head)} is a value ({excerpt(child)}), "
            "not a section with fields",
        )
    return {**data, head: apply_override(child, rest, value, text)}


def _format_validation(source: str, exc: ValidationError) -> str:
    """One line: the source, the first error's field path, its message and an excerpt of
    the bad value (long paths, messages and values are cut)."""
    first = exc.errors(include_url=False)[0]
    loc = ".".join(_cut(str(part), 40) for part in first["loc"]) or "(top level)"
    message = _cut(" ".join(first["msg"].split()), 240)
    bad = first.get("input")
    shown = "" if isinstance(bad, dict) else f" (got {excerpt(bad)})"
    more = exc.error_count() - 1
    extra = f" [and {more} more problem{'s' if more > 1 else ''}]" if more else ""
    return f"{source}: {loc}: {message}{shown}{extra}"


def scenario_from_dict(data: Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a scenario given as plain data, migrated first if it is of an older
    schema version (with a one-line :class:`~simulator.config.migration.SchemaMigrationWarning`)."""
    version = schema_version_of(data, source)
    data, changes = migrate(data, source)
    if version < SCHEMA_VERSION:
        warnings.warn(notice(source, version, changes), SchemaMigrationWarning, stacklevel=2)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_format_validation(source, exc)) from None


def scenario_from_record(data: Any, source: str) -> Scenario:
    """A scenario kept in a results directory's manifest, of any schema version.

    Older versions are migrated (with a one-line
    :class:`~simulator.config.migration.SchemaMigrationWarning`), so that results
    made from them still open.

    Raises
    ------
    ValueError
        When the record is not a scenario (pydantic's ``ValidationError`` is one).
    """
    if not isinstance(data, Mapping):
        raise ValueError("the scenario is not a mapping")
    try:
        version = schema_version_of(data, source)
        migrated, changes = migrate(data, source)
    except ScenarioError as exc:
        raise ValueError(str(exc)) from None
    if version < SCHEMA_VERSION:
        warnings.warn(notice(source, version, changes), SchemaMigrationWarning, stacklevel=2)
    return Scenario.model_validate(migrated)


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
