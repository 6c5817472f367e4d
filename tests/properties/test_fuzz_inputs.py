"""Fuzzing the input gate: random scenarios and ``--set`` strings through the CLI.

Random documents are mutations of the seed scenario (random values of random
types at random field paths, deleted and unknown keys) and random ``--set
PATH=VALUE`` strings; both go through ``connectsim validate``, which must end
with exit code 0 or 2 and never a traceback. Valid but extreme documents (numeric
fields at the edges of their bounds) also go through a tiny ``connectsim run``,
whose headline metrics must be finite.

Every test is derandomized (the same examples on every run) and bounded in
examples, so that the module takes well under a minute.
"""

from __future__ import annotations

import io
import math
import os
import sys
import types
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from itertools import count
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import annotated_types
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from simulator import cli
from simulator.catalog import HEADLINE_METRICS
from simulator.config.loading import load_scenario

REPO_ROOT = Path(__file__).resolve().parents[2]
PAID_VS_FREE = REPO_ROOT / "scenarios" / "paid_vs_free.yaml"

BASE = load_scenario(PAID_VS_FREE)
BASE_DATA: dict[str, Any] = BASE.model_dump(mode="json")
"""The seed scenario as plain data, every field written out (defaults too, so that a
mutation of one field, say a tier's budget, leaves a complete section): what the fuzz
mutates."""

SHRINK = (
    "world.population.freelancers=50",
    "world.jobs.jobs_per_day=10",
    "run.warmup_days=2",
    "run.horizon_days=5",
)
"""``--set`` overrides that make a run of the seed scenario take about a second."""

FUZZ = settings(
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

Path_ = tuple[str, ...]


# ------------------------------------------------------------------ the CLI
@pytest.fixture(scope="module", autouse=True)
def _plain_terminal() -> Iterator[None]:
    """No colours and a fixed width, for the whole module (Hypothesis forbids
    function-scoped fixtures in its tests)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NO_COLOR", "1")
        mp.setenv("COLUMNS", "120")
        yield


def invoke(args: list[str]) -> tuple[int, str, str]:
    """Call the CLI's entry point in process: (exit code, stdout, stderr).

    Anything but ``SystemExit`` escaping :func:`simulator.cli.main` is a crash
    and fails the test with its traceback.
    """
    out, err = io.StringIO(), io.StringIO()
    saved = sys.argv
    sys.argv = ["connectsim", *args]
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                cli.main()
            except SystemExit as exc:
                code = exc.code
            else:
                code = 0
    finally:
        sys.argv = saved
    assert isinstance(code, int), code
    return code, out.getvalue(), err.getvalue()


def assert_clean(code: int, stdout: str, stderr: str, one_line: bool = True) -> None:
    """Exit 0, or exit 2 with ``error:`` lines (a single one when ``one_line``); never a
    traceback. ``validate`` shows every problem, one line each: ``one_line=False``."""
    assert "Traceback" not in stdout + stderr, stderr
    assert code in (0, 2), (code, stderr)
    if code == 2:
        lines = stderr.strip().splitlines()
        assert lines and all(line.startswith("error: ") for line in lines), stderr
        assert len(lines) == 1 or not one_line, stderr


# ------------------------------------------------------- where to mutate
def _leaves(value: Any, prefix: Path_) -> Iterator[tuple[Path_, bool]]:
    """Every path of a dumped scenario, and whether it holds a section (a mapping)."""
    if isinstance(value, dict):
        if prefix:
            yield prefix, True
        for key, child in value.items():
            yield from _leaves(child, (*prefix, str(key)))
    else:
        yield prefix, False


DUMPED = BASE.model_dump(mode="python")
PATHS: list[Path_] = [p for p, _ in _leaves(DUMPED, ())]
SECTIONS: list[Path_] = [p for p, section in _leaves(DUMPED, ()) if section]
TOP_LEVEL: list[Path_] = [(k,) for k in (*DUMPED, "extends")]


def _bounds(annotation: Any, metadata: list[Any]) -> tuple[float | None, float | None, bool]:
    """(lower, upper, integer) of a numeric type; exclusive bounds moved just inside."""
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *extra = get_args(annotation)
        flat = [m for e in extra for m in (e.metadata if isinstance(e, FieldInfo) else [e])]
        return _bounds(base, [*metadata, *flat])
    if origin in (Union, types.UnionType):
        inner = [a for a in get_args(annotation) if a is not type(None)]
        return _bounds(inner[0], metadata) if len(inner) == 1 else (None, None, False)
    integer = annotation is int
    low: float | None = None
    high: float | None = None
    for m in metadata:
        if isinstance(m, annotated_types.Ge):
            low = float(m.ge)  # type: ignore[arg-type]
        elif isinstance(m, annotated_types.Gt):
            low = float(m.gt) + 1 if integer else math.nextafter(float(m.gt), math.inf)  # type: ignore[arg-type]
        elif isinstance(m, annotated_types.Le):
            high = float(m.le)  # type: ignore[arg-type]
        elif isinstance(m, annotated_types.Lt):
            high = float(m.lt) - 1 if integer else math.nextafter(float(m.lt), -math.inf)  # type: ignore[arg-type]
    return low, high, integer


def _numeric_fields() -> list[tuple[Path_, float, float, bool]]:
    """Every numeric leaf of the seed scenario with its bounds, read off the models."""
    found = []
    for path, section in _leaves(DUMPED, ()):
        if section:
            continue
        obj: Any = BASE
        annotation: Any = None
        metadata: list[Any] = []
        for part in path:
            if isinstance(obj, BaseModel):
                field = type(obj).model_fields[part]
                annotation, metadata = field.annotation, list(field.metadata)
                obj = getattr(obj, part)
            elif isinstance(obj, dict):
                annotation, metadata = get_args(annotation)[-1], []
                obj = obj[part]
            else:  # a list: its items are not mutated one by one
                obj = None
                break
        if isinstance(obj, bool) or not isinstance(obj, int | float | None):
            continue  # None: an optional field off in the seed, numeric or not
        low, high, integer = _bounds(annotation, metadata)
        if low is not None and high is not None:
            found.append((path, low, high, integer))
    return found


NUMERIC = _numeric_fields()


def test_the_fuzz_reaches_every_numeric_field() -> None:
    """Every int or float field of the dumped seed scenario (but the literal
    schema_version) has bounds the fuzz can use, and so do optional numbers left
    unset (applicant_cap, the earning caps)."""
    numeric_leaves = {
        p
        for p, section in _leaves(DUMPED, ())
        if not section and isinstance(_get(DUMPED, p), int | float)
        if not isinstance(_get(DUMPED, p), bool) and p != ("schema_version",)
    }
    fuzzed = {f[0] for f in NUMERIC}
    assert numeric_leaves <= fuzzed and len(numeric_leaves) > 100
    assert ("world", "clients", "applicant_cap") in fuzzed - numeric_leaves


def _get(data: Any, path: Path_) -> Any:
    for part in path:
        data = data[part]
    return data


# ------------------------------------------------------------ mutations
def set_path(data: dict[str, Any], path: Path_, value: Any) -> dict[str, Any]:
    """A copy of ``data`` with ``path`` set (missing or non-mapping sections replaced)."""
    head, rest = path[0], path[1:]
    if not rest:
        return {**data, head: value}
    child = data.get(head)
    return {**data, head: set_path(child if isinstance(child, dict) else {}, rest, value)}


def delete_path(data: dict[str, Any], path: Path_) -> dict[str, Any]:
    """A copy of ``data`` without the key at ``path`` (unchanged if there is none)."""
    head, rest = path[0], path[1:]
    if head not in data:
        return data
    if not rest:
        return {k: v for k, v in data.items() if k != head}
    child = data[head]
    return {**data, head: delete_path(child, rest)} if isinstance(child, dict) else data


SPECIAL_NUMBERS: list[Any] = [
    *(0, -1, 1, 2, 3, 30, 36_500, 36_501, 100_001, 10**6, 2**31, 2**63 - 1, 2**63, 2**64),
    *(-(2**63), 10**30, 0.0, -0.0, 5e-324, 1e-300, 1e-9, 0.5, 0.999999, 1.000001, 1e9),
    *(1e300, -1e300, math.inf, -math.inf, math.nan),
]
numbers = st.one_of(st.sampled_from(SPECIAL_NUMBERS), st.floats(), st.integers(-(2**80), 2**80))
scalars = st.one_of(
    numbers,
    st.booleans(),
    st.none(),
    st.text(max_size=12),
    st.sampled_from(
        [
            *("1e9", "inf", "-inf", "nan", ".nan", "3", "", "../up", "/abs", "a/b", ".hidden"),
            *("x" * 300, "2020-13-45", "paid", "free", "flat", "by_tier", "by_budget"),
        ]
    ),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
mutations = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(PATHS), values),
    st.tuples(st.just("set"), st.sampled_from(SECTIONS + TOP_LEVEL), values),
    st.tuples(st.just("delete"), st.sampled_from(PATHS + TOP_LEVEL), st.none()),
    st.tuples(
        st.just("unknown"), st.sampled_from(SECTIONS), st.tuples(st.text(max_size=8), values)
    ),
)


def mutate(data: dict[str, Any], ops: list[tuple[str, Path_, Any]]) -> dict[str, Any]:
    for op, path, value in ops:
        if op == "set":
            data = set_path(data, path, value)
        elif op == "delete":
            data = delete_path(data, path)
        else:
            key, inner = value
            data = set_path(data, (*path, key or "_"), inner)
    return data


@st.composite
def extreme_values(draw: st.DrawFn, field: tuple[Path_, float, float, bool]) -> Any:
    """A valid value of a numeric field, most often at one end of its range."""
    _path, low, high, integer = field
    if integer:
        low_i, high_i = math.ceil(low), math.floor(high)
        return draw(st.one_of(st.sampled_from([low_i, high_i]), st.integers(low_i, high_i)))
    edges = [low, high, math.nextafter(low, math.inf), math.nextafter(high, -math.inf)]
    inside = st.floats(low, high, allow_nan=False, allow_infinity=False)
    return draw(st.one_of(st.sampled_from(edges), inside))


@st.composite
def extreme_documents(draw: st.DrawFn) -> dict[str, Any]:
    """The seed scenario with one to three numeric fields at extreme valid values."""
    fields = draw(
        st.lists(st.sampled_from(NUMERIC), min_size=1, max_size=3, unique_by=lambda f: f[0])
    )
    data = BASE_DATA
    for field in fields:
        data = set_path(data, field[0], draw(extreme_values(field)))
    return data


_counter = count()


def write(directory: Path, data: Any) -> Path:
    """Write ``data`` as YAML into a new file of ``directory``."""
    path = directory / f"s{next(_counter)}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


# ---------------------------------------------------------------- the tests
@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@settings(FUZZ, max_examples=150)
@given(ops=st.lists(mutations, min_size=1, max_size=3))
def test_random_documents_validate_or_fail_cleanly(
    workdir: Path, ops: list[tuple[str, Path_, Any]]
) -> None:
    path = write(workdir, mutate(BASE_DATA, ops))
    assert_clean(*invoke(["validate", str(path)]), one_line=False)


set_paths = st.one_of(
    st.sampled_from([".".join(p) for p in PATHS + SECTIONS + TOP_LEVEL]),
    st.text(max_size=15),
)
set_values = st.one_of(
    st.text(max_size=20),
    values.map(lambda v: yaml.safe_dump(v, default_flow_style=True).strip()),
    st.sampled_from(
        [
            *(".nan", ".inf", "-.inf", "1e999", "true", "[", "{a: 1, a: 2}", "&a [*a]", "*b"),
            *("!!python/object:os.system x", "2020-13-45", "9" * 5000, "[" * 200, "~", "'"),
        ]
    ),
)


@settings(FUZZ, max_examples=150)
@given(path=set_paths, value=set_values, equals=st.booleans())
def test_random_set_strings_validate_or_fail_cleanly(path: str, value: str, equals: bool) -> None:
    text = f"{path}={value}" if equals else f"{path}{value}"
    # --set=TEXT: a TEXT starting with '-' is still the option's value
    code, stdout, stderr = invoke(["validate", str(PAID_VS_FREE), f"--set={text}"])
    assert_clean(code, stdout, stderr)


@settings(FUZZ, max_examples=12)
@given(data=extreme_documents())
def test_extreme_valid_documents_run_to_finite_metrics(workdir: Path, data: dict[str, Any]) -> None:
    path = write(workdir, data)
    code, stdout, stderr = invoke(["validate", str(path)])
    assert_clean(code, stdout, stderr)
    if code != 0:
        return
    out = workdir / f"{path.stem}_out"
    args = ["run", str(path), "-n", "1", "--workers", "1", "--no-report", "--out", str(out)]
    for text in SHRINK:
        args += ["--set", text]
    code, stdout, stderr = invoke(args)
    assert_clean(code, stdout, stderr)
    if code != 0:
        return
    levels = pd.read_csv(out / "summary" / "levels.csv")
    overall = levels[levels["segment_kind"] == "overall"].set_index(["arm", "metric"])["mean"]
    for arm in data["arms"]:
        headline = {m: float(overall[(arm, m)]) for m in HEADLINE_METRICS}
        # hires per proposal is undefined (NaN) only when nobody sent a proposal
        if headline["proposals_per_job"] == 0.0:
            del headline["hires_per_proposal"]
        assert all(math.isfinite(v) for v in headline.values()), (arm, headline)


def test_the_run_part_is_exercised(workdir: Path) -> None:
    """The shrunk seed scenario itself runs through the same path (a guard against a
    fuzz whose documents never validate, which would check nothing)."""
    out = workdir / "seed_out"
    args = ["run", str(PAID_VS_FREE), "-n", "1", "--workers", "1", "--no-report"]
    args += ["--out", str(out)]
    for text in SHRINK:
        args += ["--set", text]
    code, _stdout, stderr = invoke(args)
    assert code == 0, stderr
    assert (out / "summary" / "levels.csv").is_file()
    assert os.path.getsize(out / "summary" / "levels.csv") > 0
