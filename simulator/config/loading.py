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
import json
import re
import reprlib
import types
import typing
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Discriminator, Field, Tag, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from simulator.config.migration import (
    SchemaMigrationWarning,
    migrate,
    notice,
    schema_version_of,
)
from simulator.config.policy import changed_fields, modified_label, show_value
from simulator.config.scenario import SCHEMA_VERSION, Scenario
from simulator.errors import PlanError, ScenarioError, did_you_mean

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


def _unwrap(annotation: Any) -> Any:
    """``annotation`` without ``Optional`` and ``Annotated`` (the type it holds)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _tagged_members(annotation: Any, discriminator: Any = None) -> dict[str, Any]:
    """A discriminated union's members by tag (empty for any other type).

    The tags are those of ``Tag(...)`` metadata, or the ``Literal`` values of the
    field a ``Field(discriminator=...)`` names.
    """
    if typing.get_origin(annotation) is typing.Annotated:
        inner, *metadata = typing.get_args(annotation)
        for meta in metadata:
            if isinstance(meta, Discriminator | FieldInfo):
                chosen = meta.discriminator if isinstance(meta, FieldInfo) else meta
                if chosen is not None:
                    return _tagged_members(inner, chosen)
        return _tagged_members(inner, discriminator)
    if discriminator is None or typing.get_origin(annotation) not in (
        typing.Union,
        types.UnionType,
    ):
        return {}
    members: dict[str, Any] = {}
    for member in typing.get_args(annotation):
        tags = [m.tag for m in typing.get_args(member)[1:] if isinstance(m, Tag)]
        model = _unwrap(member)
        if not tags and isinstance(discriminator, str) and _is_model(model):
            tags = [str(v) for v in typing.get_args(model.model_fields[discriminator].annotation)]
        members.update(dict.fromkeys(tags, model))
    return members


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _child_type(annotation: Any, part: object) -> Any:
    """The type found at ``part`` (a field, a key or an index) of a value of ``annotation``;
    None when the schema does not say."""
    annotation = _unwrap(annotation)
    if _is_model(annotation):
        field = annotation.model_fields.get(str(part))
        if field is None:
            return None
        if field.metadata or field.discriminator is not None:
            extra = [*field.metadata, Field(discriminator=field.discriminator)]
            return typing.Annotated[(field.annotation, *extra)]
        return field.annotation
    if typing.get_origin(annotation) in (dict, list, tuple, Mapping, Sequence):
        args = typing.get_args(annotation)
        return args[-1] if args else None
    return None


def field_path(loc: Sequence[int | str], root: Any = Scenario) -> tuple[list[str], Any, Any]:
    """The path a user writes for pydantic's error location, and the type holding its end.

    Pydantic's location names the tag of each discriminated union it went
    through (``arms.paid.paid.price``: the arm, then its ``kind``); those tags
    are no field of the user's and are left out (``arms.paid.price``).

    Parameters
    ----------
    loc
        An error's ``loc``, from the model ``root``.
    root
        The model validated (default :class:`~simulator.config.scenario.Scenario`).

    Returns
    -------
    (parts, parent, annotation)
        The path's parts, the type of the section its last part is in, and the
        type at the path (each None where the schema does not say), to suggest
        the field or choice meant.
    """
    parts: list[str] = []
    annotation, parent = root, None
    for part in loc:
        members = _tagged_members(annotation)
        if isinstance(part, str) and part in members:
            annotation = members[part]
            continue
        parts.append(str(part))
        parent = annotation
        annotation = _child_type(annotation, part) if annotation is not None else None
    return parts, parent, annotation


def _quoted(text: str) -> list[str]:
    """The values pydantic quotes in a context (``"'grid' or 'lhs'"``)."""
    return re.findall(r"'([^']*)'", text)


def _suggestion(error: Mapping[str, Any], parent: Any, data: Mapping[str, Any]) -> str:
    """``"; did you mean X?"`` for a misspelt field, choice or arm, else ``""``."""
    kind, loc, ctx = error["type"], error["loc"], error.get("ctx") or {}
    if kind == "extra_forbidden" and loc and _is_model(_unwrap(parent)):
        return did_you_mean(str(loc[-1]), _unwrap(parent).model_fields)
    if kind == "union_tag_invalid":
        return did_you_mean(str(ctx.get("tag", "")), _quoted(str(ctx.get("expected_tags", ""))))
    if kind in ("literal_error", "enum") and isinstance(error.get("input"), str):
        return did_you_mean(error["input"], _quoted(str(ctx.get("expected", ""))))
    if kind == "union_tag_not_found" and len(loc) == 2 and loc[0] == "arms":
        # an arm --set made by misspelling one (arms.pade.price=...) has no kind
        arms = data.get("arms")
        others = [a for a in arms if a != loc[1]] if isinstance(arms, Mapping) else []
        return did_you_mean(str(loc[1]), others)
    return ""


def _problem_line(source: str, error: Mapping[str, Any], data: Mapping[str, Any]) -> str:
    """One line for one of pydantic's errors: the source, the field path as the user
    writes it, the message, an excerpt of the bad value and the name perhaps meant."""
    parts, parent, annotation = field_path(error["loc"])
    loc = ".".join(_cut(part, 40) for part in parts) or "(top level)"
    message, ctx = error["msg"], error.get("ctx") or {}
    # pydantic's words for these name its machinery (tags, pick()), not the file's fields
    if error["type"] == "extra_forbidden":
        message = "no such field"
    elif error["type"] == "union_tag_invalid":
        expected = ", ".join(_quoted(str(ctx.get("expected_tags", ""))))
        message = f"{_cut(str(ctx.get('tag')), 40)!r} is not one of {expected}"
        # the field that named the choice (kind, rule) holds the error
        given = error.get("input")
        given = given if isinstance(given, dict) else {}
        named = [k for k, v in given.items() if v == ctx.get("tag")]
        loc += f".{_cut(str(named[0]), 40)}" if len(named) == 1 else ""
    elif error["type"] == "union_tag_not_found":
        tags = " or ".join(_tagged_members(annotation))
        message = f"{str(ctx.get('discriminator', '')).strip(chr(39))} missing" + (
            f" ({tags})" if tags else ""
        )
    elif error["type"] == "value_error":
        # a validator's own sentence names its fields; pydantic's prefix adds nothing
        message = message.removeprefix("Value error, ")
        loc = loc if parts else ""
    message = _cut(" ".join(message.split()), 240)
    bad = error.get("input")
    shown = "" if isinstance(bad, dict) else f" (got {excerpt(bad)})"
    where = f"{loc}: " if loc else ""
    return f"{source}: {where}{message}{shown}{_suggestion(error, parent, data)}"


def _format_validation(
    source: str, exc: ValidationError, data: Mapping[str, Any] | None = None
) -> ScenarioError:
    """The error for a scenario pydantic refused: one line for the first problem (and
    how many more there are), and a line for each problem (long paths, messages and
    values cut)."""
    return _several([_problem_line(source, e, data or {}) for e in exc.errors(include_url=False)])


def _several(problems: list[str]) -> ScenarioError:
    """The error for one or more problems: the first one's line, saying how many more."""
    more = len(problems) - 1
    extra = f" [and {more} more problem{'s' if more > 1 else ''}]" if more else ""
    return ScenarioError(problems[0] + extra, problems)


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
        raise _format_validation(source, exc, data) from None


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


def mark_modified_arms(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """``after`` with the label of every arm whose policy differs from ``before`` marked.

    A label is written for the policy in the file (``Paid Connects ($0.15)``);
    once ``--set`` changes the arm's fields, the label would state what the
    policy no longer is. Each such arm's label gets
    ``[modified: field=value, ...]`` (:func:`~simulator.config.policy.modified_label`),
    so that tables, reports and charts show the change wherever they name the
    arm. An arm whose label is itself set anew, or that the file lacks, keeps
    the label it was given: that label was written for the policy as it is.
    """
    old_arms, new_arms = before.get("arms"), after.get("arms")
    if not isinstance(old_arms, Mapping) or not isinstance(new_arms, Mapping):
        return dict(after)
    arms = dict(new_arms)
    for name, spec in new_arms.items():
        old = old_arms.get(name)
        if not isinstance(old, Mapping) or not isinstance(spec, Mapping):
            continue
        if spec.get("label", "") != old.get("label", ""):
            continue
        changes = {path: show_value(v) for path, v in changed_fields(old, spec).items()}
        if changes:
            label = str(spec.get("label") or name)
            arms[name] = {**spec, "label": modified_label(label, changes)}
    return {**after, "arms": arms}


def apply_overrides(data: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """``data`` with each ``--set`` text applied in order, and the labels of the arms
    they change marked as modified (:func:`mark_modified_arms`)."""
    changed = data
    for text in overrides:
        keys, value = parse_override(text)
        changed = apply_override(changed, keys, value, text)
    return mark_modified_arms(data, changed) if overrides else changed


def scenario_with_values(
    data: dict[str, Any], values: Sequence[tuple[str, float | int]]
) -> Scenario:
    """The scenario of ``data`` with each (dotted path, value) set, as ``--set`` would:
    a point of a design, a particle of a calibration."""
    texts = []
    for path, value in values:
        text = f"{path}={value}"
        data = apply_override(data, path.split("."), value, text)
        texts.append(text)
    return scenario_from_dict(data, " ".join(texts))


def _overridden(path: Path, overrides: Sequence[str]) -> tuple[dict[str, Any], str]:
    """A file's data with ``extends:`` merged and ``--set`` applied, and its source name."""
    data = apply_overrides(_resolve(path, ()), overrides)
    return data, str(path) + (" (with --set)" if overrides else "")


def load_scenario(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Read, merge (``extends:``), override (``--set``, marking the arms it changes) and
    validate a scenario file."""
    data, source = _overridden(Path(path), overrides)
    return scenario_from_dict(data, source)


def check_base(data: Mapping[str, Any], source: str = "<base>") -> list[str]:
    """Validate a file meant only to be extended (no ``arms``) as far as it goes.

    Each field it has is checked against its schema on its own (``world`` as a
    scenario's world, ``run`` as its run settings, ...); what needs the arms
    (the baseline, the arms' rules against the world) is left to the scenarios
    that extend it.

    Parameters
    ----------
    data
        The file's data, ``extends:`` merged (older schema versions are migrated
        in memory, with a one-line warning).
    source
        Where it comes from, for messages.

    Returns
    -------
    list of str
        The fields checked, in the file's order.

    Raises
    ------
    ScenarioError
        One line per problem (:attr:`~simulator.errors.ScenarioError.problems`):
        a field that does not validate, or one a scenario does not have.
    """
    version = schema_version_of(data, source)
    data, changes = migrate(data, source, whole=False)
    if version < SCHEMA_VERSION:
        warnings.warn(notice(source, version, changes), SchemaMigrationWarning, stacklevel=2)
    problems: list[str] = []
    checked: list[str] = []
    for key, value in data.items():
        if key == "schema_version":
            continue
        if key not in Scenario.model_fields:
            problems.append(
                f"{source}: {_cut(str(key), 40)}: no such field"
                f"{did_you_mean(str(key), Scenario.model_fields)}"
            )
            continue
        try:
            TypeAdapter(_child_type(Scenario, key)).validate_python(value)
        except ValidationError as exc:
            problems += [
                _problem_line(source, {**e, "loc": (key, *e["loc"])}, data)
                for e in exc.errors(include_url=False)
            ]
        checked.append(key)
    if problems:
        raise _several(problems)
    return checked


def check_file(path: str | Path, overrides: Sequence[str] = ()) -> Scenario | list[str]:
    """Validate a scenario file, or a file meant only to be extended.

    A file whose data (``extends:`` merged, ``--set`` applied) has no ``arms`` is
    a base that scenarios extend: :func:`check_base` checks what it has.

    Returns
    -------
    Scenario or list of str
        The scenario, or for a base file the sections checked.

    Raises
    ------
    ScenarioError
        As :func:`load_scenario` and :func:`check_base` do.
    """
    data, source = _overridden(Path(path), overrides)
    if "arms" not in data:
        return check_base(data, source)
    return scenario_from_dict(data, source)


def scenario_hash(scenario: Scenario) -> str:
    """A stable hash of the resolved scenario (what the results depend on)."""
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
