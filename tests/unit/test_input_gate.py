"""The input gate (issue 11): what a scenario file or a ``--set`` may hold.

1. Numbers are finite, not bools, and bounded on both sides, in every model.
2. A scenario's name (and an arm's) is a safe file name: it cannot point the
   results outside ``reports/``.
3. YAML cannot hurt: duplicate keys, deep nesting and alias bombs are one-line
   errors, and every error message shows only a short excerpt of a bad value.

Each test asserts the exact failure (a :class:`ScenarioError` naming the field
and the bound, or exit code 2 with one ``error:`` line and no traceback).
"""

from __future__ import annotations

import math
import time
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import annotated_types
import pytest
from pydantic import BaseModel, BeforeValidator
from pydantic.fields import FieldInfo

from simulator.config.loading import (
    EXCERPT_CHARS,
    MAX_DEPTH,
    excerpt,
    load_scenario,
    load_yaml,
    parse_override,
    resolve_file,
    scenario_from_dict,
)
from simulator.config.policy import refuse_bool
from simulator.config.scenario import MAX_SEED, Scenario
from simulator.errors import ScenarioError

REPO_ROOT = Path(__file__).resolve().parents[2]
PAID_VS_FREE = REPO_ROOT / "scenarios" / "paid_vs_free.yaml"
SHIPPED = sorted(
    p
    for p in (REPO_ROOT / "scenarios").rglob("*.yaml")
    if not {"base", "targets"} & set(p.parent.parts)
)

RunMain = Callable[[list[str]], tuple[int, str, str]]
YamlWriter = Callable[[str, Any], Path]

BILLION_LAUGHS = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
)
"""The classic alias bomb: about 400 bytes that expand to 9**9 (387 million) strings."""


def one_error_line(code: int, stdout: str, stderr: str) -> str:
    """Assert the CLI refused the input cleanly (exit 2, one red line, no traceback)."""
    assert code == 2, (code, stdout, stderr)
    assert "Traceback" not in stdout + stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


def refused(overrides: list[str], path: Path = PAID_VS_FREE) -> str:
    """The message of the ScenarioError that loading with ``overrides`` raises."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides)
    message = str(info.value)
    assert "\n" not in message
    return message


# ------------------------------------------------- 1. finite, plausible values
def _bound_metadata(annotation: Any, metadata: list[Any]) -> Iterator[tuple[type, list[Any]]]:
    """Every int or float slot of a field's type, with the constraints that apply to it."""
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *extra = get_args(annotation)
        flat = [m for e in extra for m in (e.metadata if isinstance(e, FieldInfo) else [e])]
        yield from _bound_metadata(base, [*metadata, *flat])
    elif origin in (Union, types.UnionType):
        for arg in get_args(annotation):
            if arg is not type(None):
                yield from _bound_metadata(arg, metadata)
    elif origin in (list, dict):
        yield from _bound_metadata(get_args(annotation)[-1], [])
    elif annotation in (int, float):
        yield annotation, metadata


def _models(root: type[BaseModel]) -> list[type[BaseModel]]:
    """Every model reachable from ``root`` through its fields' types."""
    found: list[type[BaseModel]] = []
    stack: list[Any] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, type) and issubclass(item, BaseModel):
            if item in found:
                continue
            found.append(item)
            stack.extend(f.annotation for f in item.model_fields.values())
        else:
            stack.extend(get_args(item))
    return found


MODELS = _models(Scenario)


def test_the_walk_finds_every_model() -> None:
    names = {m.__name__ for m in MODELS}
    expected = {"Scenario", "World", "Region", "Tier", "RunSettings", "Textbook"}
    assert expected | {"PaidPolicy", "FreePolicy", "BudgetCost", "Boosts", "Earning"} <= names


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_numeric_field_is_finite_strict_and_bounded(model: type[BaseModel]) -> None:
    assert model.model_config.get("allow_inf_nan") is False, "NaN and infinities must be refused"
    problems = []
    for name, field in model.model_fields.items():
        for kind, metadata in _bound_metadata(field.annotation, list(field.metadata)):
            lower = [m for m in metadata if isinstance(m, annotated_types.Ge | annotated_types.Gt)]
            upper = [m for m in metadata if isinstance(m, annotated_types.Le | annotated_types.Lt)]
            no_bool = any(
                isinstance(m, BeforeValidator) and m.func is refuse_bool for m in metadata
            )
            if not (lower and upper and no_bool):
                problems.append(f"{model.__name__}.{name} ({kind.__name__})")
    assert problems == [], f"unbounded, or taking bools: {problems}"


@pytest.mark.parametrize(
    "field",
    [
        "arms.paid.price_usd_per_connect",
        "world.regions.south_asia.monthly_income_usd",
        "world.regions.south_asia.typical_rate_usd_per_hour",
        "world.regions.south_asia.connect_price_multiplier",
        "world.memberships.plus.fee_usd_per_month",
        "world.jobs.jobs_per_day",
        "world.jobs.decision_days_mean",
        "world.jobs.open_days_max",
        "world.clients.screening.cost_per_read",
        "world.population.entrants_per_month_share",
        "world.population.history_jobs_mean",
        "world.behaviour.weekly_proposal_hours",
        "world.clients.reservation_score",
        "run.warmup_days",
        "arms.free.eligibility.active_within_days",
    ],
)
@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan"])
def test_infinities_and_nan_are_refused(field: str, value: str) -> None:
    message = refused([f"{field}={value}"])
    # the field's path (an arm's appears with its kind: arms.paid.paid.price_usd_per_connect)
    assert field.split(".")[-1] in message and field.split(".")[0] in message
    assert "finite number" in message


def test_nan_reservation_score_no_longer_runs(run_main: RunMain, tmp_path: Path) -> None:
    """Reproduction: a NaN reservation score gave fill rate 0 with exit code 0."""
    out = tmp_path / "out"
    line = one_error_line(
        *run_main(
            [
                *("run", str(PAID_VS_FREE), "--set", "world.clients.reservation_score=.nan"),
                *("--out", str(out), "-n", "1", "--workers", "1", "--no-report"),
            ]
        )
    )
    assert "world.clients.reservation_score: Input should be a finite number (got nan)" in line
    assert not out.exists()


def test_infinite_decision_delay_no_longer_runs(run_main: RunMain, tmp_path: Path) -> None:
    """Reproduction: an infinite decision delay gave NaN proposals per job with exit 0."""
    out = tmp_path / "out"
    line = one_error_line(
        *run_main(
            [
                *("run", str(PAID_VS_FREE), "--set", "world.jobs.decision_days_mean=.inf"),
                *("--out", str(out), "-n", "1", "--workers", "1", "--no-report"),
            ]
        )
    )
    assert "world.jobs.decision_days_mean: Input should be a finite number (got inf)" in line
    assert not out.exists()


@pytest.mark.parametrize(
    ("setting", "field"),
    [
        ("world.population.freelancers=true", "world.population.freelancers"),
        ("world.clients.max_reviewed=false", "world.clients.max_reviewed"),
        ("arms.paid.price_usd_per_connect=true", "price_usd_per_connect"),
        ("run.seed=true", "run.seed"),
        ("arms.free.monthly_grant.basic=true", "monthly_grant.basic"),
        ("arms.paid.bundle_sizes=[10, true]", "bundle_sizes.1"),
    ],
)
def test_a_bool_is_not_a_number(setting: str, field: str) -> None:
    message = refused([setting])
    assert field in message
    assert "Input should be a number, not true or false (got True" in message or (
        "(got False)" in message
    )


def test_numbers_still_convert_as_before() -> None:
    sc = load_scenario(
        PAID_VS_FREE,
        [
            "run.horizon_days=30",  # a YAML int in a float field
            "world.population.freelancers=300.0",  # a whole float in an int field
            "world.clients.reservation_score=-1.0e9",  # PyYAML reads this as a string
            "arms.free.purchase_allowed=false",  # bools stay bools where a bool is asked
        ],
    )
    assert sc.run.horizon_days == 30.0 and isinstance(sc.run.horizon_days, float)
    assert sc.world.population.freelancers == 300
    assert sc.world.clients.reservation_score == -1e9
    assert sc.arms["free"].purchase_allowed is False


@pytest.mark.parametrize(
    ("setting", "bound"),
    [
        ("arms.paid.price_usd_per_connect=100.01", "less than or equal to 100"),
        ("run.warmup_days=36501", "less than or equal to 36500"),
        ("run.horizon_days=36501", "less than or equal to 36500"),
        ("world.jobs.jobs_per_day=100001", "less than or equal to 100000"),
        ("world.jobs.open_days_max=366", "less than or equal to 365"),
        ("world.population.entrants_per_month_share=1.5", "less than or equal to 1"),
        ("world.clients.reservation_score=2e9", "less than or equal to 1000000000"),
        ("world.clients.reservation_score=-2e9", "greater than or equal to -1000000000"),
        ("world.clients.noise_sd=11", "less than or equal to 10"),
        ("world.regions.south_asia.typical_rate_usd_per_hour=1001", "less than or equal to 1000"),
        ("world.behaviour.weekly_proposal_hours=169", "less than or equal to 168"),
        ("run.wave_days=0.001", "greater than or equal to 0.01"),
        ("arms.paid.rollover_cap.plus=100001", "less than or equal to 100000"),
        ("arms.paid.bundle_sizes=[10, 10001]", "less than or equal to 10000"),
    ],
)
def test_the_message_states_the_bound(setting: str, bound: str) -> None:
    message = refused([setting])
    assert setting.split("=")[0].split(".")[-1] in message
    assert f"Input should be {bound}" in message


def test_seed_fits_in_64_signed_bits() -> None:
    """A seed of 2**64 used to run and then fail writing Parquet."""
    assert MAX_SEED == 2**63 - 1
    message = refused([f"run.seed={2**64}"])
    assert f"run.seed: Input should be less than or equal to {MAX_SEED}" in message
    assert load_scenario(PAID_VS_FREE, [f"run.seed={MAX_SEED}"]).run.seed == MAX_SEED


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_shipped_scenario_passes_the_gate(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.name  # its name, too, is a safe file name (item 2)


# ------------------------------------------------------------ 2. scenario name
@pytest.mark.parametrize(
    "name",
    ["/tmp/evil", "../evil", "a/b", "a\\b", ".hidden", "..", "", "a b", "x" * 101, "é", "a\nb"],
)
def test_unsafe_names_are_refused(name: str) -> None:
    data = resolve_file(PAID_VS_FREE) | {"name": name}
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data, "s.yaml")
    message = str(info.value)
    assert message.startswith("s.yaml: name: ")
    assert "letters, digits, '_', '-' and '.', not starting with '.'" in message
    assert "\n" not in message


@pytest.mark.parametrize("name", ["paid_vs_free", "v1.2-b", "_x", "A9", "x" * 100])
def test_safe_names_pass(name: str) -> None:
    assert scenario_from_dict(resolve_file(PAID_VS_FREE) | {"name": name}).name == name


def test_an_absolute_name_writes_nothing_outside_reports(
    run_main: RunMain, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --out a run writes to reports/<name>: an absolute name escaped it."""
    outside = tmp_path / "outside"
    monkeypatch.chdir(tmp_path)
    line = one_error_line(
        *run_main(["run", str(PAID_VS_FREE), "--set", f"name={outside}", "-n", "1"])
    )
    assert "name: the name is not a safe file name: use letters, digits" in line
    # the value is cut to an excerpt (its start and its end) in the message
    assert "(got '/" in line and "outside')" in line
    assert not outside.exists()
    assert not (tmp_path / "reports").exists()


def test_arm_names_name_directories_too() -> None:
    message = refused(["arms.x/y={kind: paid}"])
    assert "arms: arm name 'x/y' is not a safe file name: use letters" in message


# ---------------------------------------------------- 3. YAML that cannot hurt
def test_duplicate_key_names_file_line_and_key(
    run_main: RunMain, tiny_yaml: YamlWriter, tmp_path: Path
) -> None:
    """The last of two ``freelancers:`` used to win silently (150, then 100000)."""
    path = tiny_yaml(
        "dup.yaml",
        f"extends: {PAID_VS_FREE}\n"
        "world:\n"
        "  population:\n"
        "    freelancers: 150\n"
        "    freelancers: 100000\n",
    )
    line = one_error_line(*run_main(["validate", str(path)]))
    assert line == (
        f"error: {path}:5:5: duplicate key 'freelancers' (first at line 4; "
        "a key may appear once in a mapping)"
    )


def test_duplicate_key_in_a_set_value() -> None:
    message = refused(["world.clients={max_reviewed: 5, max_reviewed: 500}"])
    assert message.startswith("overrides 'world.clients={max_reviewed: 5, max_reviewed: 500}'")
    assert "duplicate key 'max_reviewed' (first at line 1" in message


def test_merge_keys_may_still_be_overridden() -> None:
    """YAML's ``<<`` merge: an explicit key overrides a merged one; that is no duplicate."""
    data = load_yaml("base: &b {x: 1, y: 2}\nover: {<<: *b, x: 3}\nboth: {<<: [*b, {x: 5}]}\n")
    assert data["over"] == {"x": 3, "y": 2}
    assert data["both"] == {"x": 1, "y": 2}


@pytest.mark.parametrize("where", ["file", "set"])
def test_deep_nesting_is_one_line(
    where: str, run_main: RunMain, tiny_yaml: YamlWriter, tmp_path: Path
) -> None:
    """10,000 nested ``[`` used to end in a RecursionError traceback."""
    deep = "[" * 10_000
    if where == "file":
        args = ["validate", str(tiny_yaml("deep.yaml", f"name: deep\nworld: {deep}\n"))]
    else:
        args = ["validate", str(PAID_VS_FREE), "--set", f"world.jobs.tiers={deep}"]
    line = one_error_line(*run_main(args))
    assert f"nested deeper than {MAX_DEPTH} levels" in line
    assert len(line) < 400


@pytest.mark.parametrize("where", ["file", "set"])
def test_alias_bomb_is_refused_at_once(
    where: str, run_main: RunMain, tiny_yaml: YamlWriter
) -> None:
    """The billion laughs took 3 GB and 120 s (its whole expansion was printed)."""
    if where == "file":
        args = ["validate", str(tiny_yaml("bomb.yaml", "name: bomb\n" + BILLION_LAUGHS))]
    else:
        flow = "{" + BILLION_LAUGHS.strip().replace("\n", ", ") + "}"
        args = ["validate", str(PAID_VS_FREE), "--set", f"world.textbook={flow}"]
    start = time.perf_counter()
    line = one_error_line(*run_main(args))
    assert time.perf_counter() - start < 2.0
    assert "once aliases are expanded (an alias bomb?)" in line
    assert len(line) < 400


def test_a_recursive_alias_is_refused() -> None:
    with pytest.raises(ScenarioError, match="refers to a collection that contains it"):
        parse_override("world.clients=&c {noise_sd: *c}")


def test_error_messages_show_an_excerpt_of_a_huge_value() -> None:
    """Short excerpts: a value of 50,000 items (under the alias limit) is cut to ~80
    characters, and a 100,000-character string too."""
    huge_list = "[" + ", ".join(["12345"] * 50_000) + "]"
    for setting in (
        f"world.population.freelancers={huge_list}",
        f"name={'x' * 100_000}",
        f"world.jobs.jobs_per_day={'9' * 100_000}",
    ):
        message = refused([setting])
        assert len(message) < 500, len(message)
        assert "..." in message


def test_markup_in_a_user_value_is_printed_as_text(run_main: RunMain) -> None:
    line = one_error_line(*run_main(["validate", str(PAID_VS_FREE), "--set", "run.seed[/]"]))
    assert "run.seed[/]" in line


def test_excerpt_is_short_and_bounded_work() -> None:
    nested: list[Any] = ["lol"] * 9
    for _ in range(8):  # 9**9 leaves by reference: a full repr would never end
        nested = [nested] * 9
    start = time.perf_counter()
    text = excerpt(nested)
    assert time.perf_counter() - start < 0.5
    assert len(text) <= EXCERPT_CHARS and text.endswith("...")
    assert excerpt(1.5) == "1.5"
    assert excerpt(math.inf) == "inf"
